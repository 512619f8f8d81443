/** Chain ids of local development chains (Hardhat, Ganache/Geth dev): the only ones where dev quotes may pass. */
export const LOCAL_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);

/** True for a local development chain id. */
export function isLocalChainId(chainId: number | bigint): boolean {
  return LOCAL_CHAIN_IDS.has(Number(chainId));
}
