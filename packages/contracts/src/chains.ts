/** Hardhat's chain id: the chain `hardhat node`, the devnet and every integration test run. */
export const LOCAL_CHAIN_ID = 31337;

/**
 * Chain ids of local development chains (Hardhat, Ganache/Geth dev): the only ones where development quotes may
 * pass, plaintext frames and free runners are allowed, and a TestToken is deployed for payments.
 */
export const LOCAL_CHAIN_IDS: ReadonlySet<number> = new Set([LOCAL_CHAIN_ID, 1337]);

/** True for a local development chain id. */
export function isLocalChainId(chainId: number | bigint): boolean {
  return LOCAL_CHAIN_IDS.has(Number(chainId));
}
