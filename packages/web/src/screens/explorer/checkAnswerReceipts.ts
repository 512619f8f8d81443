import { describe } from "@teetee/errors";
import type { Tokenizer } from "@teetee/inference/tokenizer";
import { parseReceiptBundle, type ReceiptBundle, verifyReceipts } from "@teetee/sdk/receipts";
import type { Hex, PublicClient } from "viem";
import type { CheckLine } from "../../components/CheckList.js";
import type { AppConfig } from "../../config/appConfig.js";
import { checkedTokenizer, downloadTokenizerFiles } from "./modelTokenizer.js";

export type ReceiptReport = { ok: boolean; checks: CheckLine[] };

/** The answer as the Playground showed it, and the gateway it came from (which serves the model's tokenizer). */
export type ShownAnswer = { text: string; gatewayUrl: string; fetch?: typeof fetch };

const TOKENIZER_TITLE = "The tokenizer files are the ones the model id commits to";
const SHOWN_TITLE = "The answer shown is the text the receipts cover";

/** Tokenizers already checked, by gateway and model: one download per model per page. */
const tokenizers = new Map<string, Promise<Tokenizer>>();

/**
 * Verifies, in the browser, the receipt bundle a gateway answer carries in `teetee.receipts` against the chain the
 * app reads (the SDK's `verifyReceipts`: chain, links, signers registered and active, prompt and completion
 * tokens). With the answer shown, also the text: the model's tokenizer is downloaded from the gateway and accepted
 * only if its files hash, through the manifest, to the model id the receipts name; the completion tokens must
 * decode to the bundle's text, which must be the text shown. A gateway that does not serve the tokenizer leaves the
 * text check skipped; one that serves other files fails it. `undefined` when the answer carries no bundle.
 */
export async function checkAnswerReceipts(
  publicClient: PublicClient,
  config: Pick<AppConfig, "contracts" | "startBlock">,
  receipts: unknown,
  shown?: ShownAnswer,
): Promise<ReceiptReport | undefined> {
  if (receipts === undefined || receipts === null) return undefined;
  let bundle: ReceiptBundle;
  try {
    bundle = parseReceiptBundle(receipts, "gateway's receipt bundle");
  } catch (cause) {
    return {
      ok: false,
      checks: [{ title: "Receipts are well-formed", status: "fail", detail: describe(cause) }],
    };
  }
  const tokenizer = shown === undefined ? undefined : await tokenizerCheck(bundle.modelId, shown);
  const result = await verifyReceipts(publicClient, {
    bundle,
    contracts: config.contracts,
    fromBlock: config.startBlock,
    ...(tokenizer?.tokenizer === undefined ? {} : { tokenizer: tokenizer.tokenizer }),
  });
  const checks: CheckLine[] = result.checks.map(({ title, status, detail }) => ({ title, status, detail }));
  if (tokenizer !== undefined) checks.push(tokenizer.line);
  if (shown !== undefined) {
    checks.push(
      bundle.text === shown.text
        ? { title: SHOWN_TITLE, status: "pass", detail: `${bundle.text.length} characters` }
        : {
            title: SHOWN_TITLE,
            status: "fail",
            detail: `The receipts cover ${JSON.stringify(bundle.text)}; the answer shown is ${JSON.stringify(shown.text)}.`,
          },
    );
  }
  return { ok: checks.every((check) => check.status !== "fail") && result.ok, checks };
}

async function tokenizerCheck(
  modelId: Hex,
  shown: ShownAnswer,
): Promise<{ tokenizer: Tokenizer | undefined; line: CheckLine }> {
  let served: Awaited<ReturnType<typeof downloadTokenizerFiles>>;
  const key = `${shown.gatewayUrl} ${modelId.toLowerCase()}`;
  const known = tokenizers.get(key);
  if (known !== undefined) {
    return {
      tokenizer: await known,
      line: { title: TOKENIZER_TITLE, status: "pass", detail: "checked before" },
    };
  }
  try {
    served = await downloadTokenizerFiles(shown.gatewayUrl, modelId, shown.fetch);
  } catch (cause) {
    return {
      tokenizer: undefined,
      line: { title: TOKENIZER_TITLE, status: "skip", detail: `not served: ${describe(cause)}` },
    };
  }
  try {
    const checked = checkedTokenizer(modelId, served);
    const tokenizer = await checked;
    tokenizers.set(key, checked);
    const names = Object.keys(served.files);
    return {
      tokenizer,
      line: {
        title: TOKENIZER_TITLE,
        status: "pass",
        detail: `${names.join(", ")} match the manifest of ${modelId}`,
      },
    };
  } catch (cause) {
    return {
      tokenizer: undefined,
      line: { title: TOKENIZER_TITLE, status: "fail", detail: describe(cause) },
    };
  }
}
