export { approveToken, type ApproveTokenParameters, type ApproveTokenReturnType } from "./approveToken.js";
export { getPermitNonce, type GetPermitNonceParameters, type GetPermitNonceReturnType } from "./getPermitNonce.js";
export { getTokenAllowance, type GetTokenAllowanceParameters, type GetTokenAllowanceReturnType } from "./getTokenAllowance.js";
export { getTokenBalance, type GetTokenBalanceParameters, type GetTokenBalanceReturnType } from "./getTokenBalance.js";
export { mintTestToken, type MintTestTokenParameters, type MintTestTokenReturnType } from "./mintTestToken.js";
