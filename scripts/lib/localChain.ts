/** The local chain lives in the CLI's devnet library (the tests and `pnpm start` share it); re-exported here. */
export {
  freePort,
  LOCAL_CHAIN_ID,
  LOCAL_MNEMONIC,
  type LocalChain,
  startLocalChain,
} from "../../packages/cli/src/devnet/localChain.js";
