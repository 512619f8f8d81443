import type { Hash, PublicClient } from "viem";

/** Waits for a sent transaction's receipt; a reverted one throws. */
export async function confirm(publicClient: PublicClient, sent: Promise<Hash>): Promise<Hash> {
  const hash = await sent;
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 300 });
  if (receipt.status !== "success") throw new Error(`Transaction ${hash} reverted.`);
  return hash;
}
