export {
  type DefineChainAtParameters,
  type DefineChainAtReturnType,
  defineChainAt,
} from "./defineChainAt.js";
export { isLocalChainId, LOCAL_CHAIN_ID, LOCAL_CHAIN_IDS, localChain } from "./localChain.js";
