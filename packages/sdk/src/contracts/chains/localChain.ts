import { LOCAL_CHAIN_ID } from "@teetee/contracts/chains";
import { defineChainAt } from "./defineChainAt.js";

export { isLocalChainId, LOCAL_CHAIN_ID, LOCAL_CHAIN_IDS } from "@teetee/contracts/chains";

/**
 * The local chain at Hardhat's default address; where it listens elsewhere (the devnet picks a free port), use
 * `defineChainAt({ id: LOCAL_CHAIN_ID, rpcUrl })`.
 */
export const localChain = defineChainAt({
  id: LOCAL_CHAIN_ID,
  rpcUrl: "http://127.0.0.1:8545",
  name: "Local Hardhat",
});
