export { type ApproveTokenParameters, type ApproveTokenReturnType, approveToken } from "./approveToken.js";
export {
  type GetPermitNonceParameters,
  type GetPermitNonceReturnType,
  getPermitNonce,
} from "./getPermitNonce.js";
export {
  type GetTokenAllowanceParameters,
  type GetTokenAllowanceReturnType,
  getTokenAllowance,
} from "./getTokenAllowance.js";
export {
  type GetTokenBalanceParameters,
  type GetTokenBalanceReturnType,
  getTokenBalance,
} from "./getTokenBalance.js";
export {
  type MintTestTokenParameters,
  type MintTestTokenReturnType,
  mintTestToken,
} from "./mintTestToken.js";
