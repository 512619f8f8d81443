import type { PublicClient } from "viem";

/**
 * The latest block's timestamp (unix seconds), read at most once per `cacheMs`: the moment verifiers date receipts
 * against, so the gateway withholds what they would refuse. The wall clock when the chain cannot be read.
 */
export function latestBlockTime(
  client: Pick<PublicClient, "getBlock">,
  { cacheMs = 1000, wall = () => Date.now() }: { cacheMs?: number; wall?: () => number } = {},
): () => Promise<bigint> {
  let latest: bigint | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  return async () => {
    if (wall() - readAt >= cacheMs) {
      const block = await client.getBlock({ blockTag: "latest" }).catch(() => undefined);
      if (block !== undefined) {
        latest = block.timestamp;
        readAt = wall();
      }
    }
    return latest ?? BigInt(Math.floor(wall() / 1000));
  };
}
