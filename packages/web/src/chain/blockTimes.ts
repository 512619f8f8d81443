import type { PublicClient } from "viem";

const cache = new Map<bigint, number>();

/** Unix timestamps of the given blocks, fetched once each. */
export async function blockTimes(
  publicClient: PublicClient,
  blocks: readonly bigint[],
): Promise<Map<bigint, number>> {
  const missing = [...new Set(blocks)].filter((b) => !cache.has(b));
  await Promise.all(
    missing.map(async (blockNumber) => {
      const block = await publicClient.getBlock({ blockNumber });
      cache.set(blockNumber, Number(block.timestamp));
    }),
  );
  return new Map(blocks.map((b) => [b, cache.get(b) ?? 0]));
}
