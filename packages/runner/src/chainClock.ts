import { RECEIPT_CLOCK_SKEW_SECONDS } from "@teetee/sdk/receipts";
import type { PublicClient } from "viem";

/**
 * Unix seconds as the chain sees them: the later of this machine's clock and the latest block's timestamp (the
 * chain's lead carried on with the wall between reads), but never more than `RECEIPT_CLOCK_SKEW_SECONDS` after that block; the block read at most once per `cacheMs`. A
 * receipt's `issuedAt` is compared with registration and deactivation block times, and a chain's clock may run
 * ahead of the wall (Hardhat gives each block at least one second, so a burst of transactions moves it ahead); a
 * receipt dated before its runner's own registration block would be refused. It may also lag the wall (an idle
 * development chain mines no blocks), and verifiers refuse a receipt dated more than the tolerance after the latest
 * block, so the date is capped there. If the chain has never been read the wall clock is used.
 */
export function chainClock(
  publicClient: Pick<PublicClient, "getBlock">,
  { cacheMs = 1000, wall = () => Date.now() }: { cacheMs?: number; wall?: () => number } = {},
): () => Promise<bigint> {
  let latest: bigint | undefined;
  let ahead = 0n;
  let readAt = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = BigInt(Math.floor(wall() / 1000));
    if (wall() - readAt >= cacheMs) {
      const block = await publicClient.getBlock({ blockTag: "latest" }).catch(() => undefined);
      if (block !== undefined) {
        readAt = wall();
        latest = block.timestamp;
        ahead = latest > now ? latest - now : 0n;
      }
    }
    if (latest === undefined) return now;
    const dated = now + ahead;
    const cap = latest + RECEIPT_CLOCK_SKEW_SECONDS;
    return dated < cap ? dated : cap;
  };
}
