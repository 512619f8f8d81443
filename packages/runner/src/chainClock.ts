import type { PublicClient } from "viem";

/**
 * Unix seconds as the chain sees them: the later of this machine's clock and the latest block's timestamp, the
 * block read at most once per `cacheMs`. A receipt's `issuedAt` is compared with registration and deactivation
 * block times, and a chain's clock may run ahead of the wall (Hardhat gives each block at least one second, so a
 * burst of transactions moves it ahead); a receipt dated before its runner's own registration block would be
 * refused. If the chain cannot be read the wall clock is used.
 */
export function chainClock(
  publicClient: Pick<PublicClient, "getBlock">,
  { cacheMs = 1000, wall = () => Date.now() }: { cacheMs?: number; wall?: () => number } = {},
): () => Promise<bigint> {
  let ahead = 0n;
  let readAt = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = BigInt(Math.floor(wall() / 1000));
    if (wall() - readAt >= cacheMs) {
      const block = await publicClient.getBlock({ blockTag: "latest" }).catch(() => undefined);
      if (block !== undefined) {
        readAt = wall();
        ahead = block.timestamp > now ? block.timestamp - now : 0n;
      }
    }
    return now + ahead;
  };
}
