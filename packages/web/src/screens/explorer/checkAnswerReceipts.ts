import { describe } from "@teetee/errors";
import { parseReceiptBundle, verifyReceipts } from "@teetee/sdk/receipts";
import type { PublicClient } from "viem";
import type { CheckLine } from "../../components/CheckList.js";
import type { AppConfig } from "../../config/appConfig.js";

export type ReceiptReport = { ok: boolean; checks: CheckLine[] };

/**
 * Verifies, in the browser, the receipt bundle a gateway answer carries in `teetee.receipts` against the chain the
 * app reads (the SDK's `verifyReceipts`: chain, links, signers registered and active, prompt and completion
 * tokens). The browser has no tokenizer, so the text check shows as skipped. `undefined` when the answer carries
 * no bundle.
 */
export async function checkAnswerReceipts(
  publicClient: PublicClient,
  config: Pick<AppConfig, "contracts" | "startBlock">,
  receipts: unknown,
): Promise<ReceiptReport | undefined> {
  if (receipts === undefined || receipts === null) return undefined;
  let bundle: ReturnType<typeof parseReceiptBundle>;
  try {
    bundle = parseReceiptBundle(receipts, "gateway's receipt bundle");
  } catch (cause) {
    return {
      ok: false,
      checks: [{ title: "Receipts are well-formed", status: "fail", detail: describe(cause) }],
    };
  }
  const { ok, checks } = await verifyReceipts(publicClient, {
    bundle,
    contracts: config.contracts,
    fromBlock: config.startBlock,
  });
  return { ok, checks: checks.map(({ title, status, detail }) => ({ title, status, detail })) };
}
