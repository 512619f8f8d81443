import { type Hex, isAddressEqual } from "viem";
import { answerText, type TokenDecoder } from "../protocol/TextStream.js";
import type { ReceiptErrorName } from "./errors.js";
import { ReceiptHasher } from "./ReceiptHasher.js";
import { hashReceipt, type ReceiptDomainParameters, type SignedReceipt, ZERO_HASH } from "./receipt.js";
import type { ReceiptBundle } from "./receiptBundle.js";
import { isFromTheFuture, RECEIPT_CLOCK_SKEW_SECONDS } from "./receiptClock.js";

/**
 * One line of a receipt bundle's verification, in the order `assertReceipts` tries them: `domain`, `model`,
 * `chain`, `links`, `issued:<shard>` per receipt, then `signer:<shard>` and `active:<shard>` per receipt,
 * `prompt-tokens`, `completion-tokens`, `text`.
 */
export type ReceiptCheck = {
  id: string;
  title: string;
  status: "pass" | "fail" | "skip";
  detail: string;
  /** On a failure: the error `assertReceipts` throws for it. */
  errorName?: ReceiptErrorName;
  /** On a chain cut short (`RouteReceiptsIncompleteError`): the shards without a receipt. */
  missingShards?: number[];
};

export const pass = (id: string, title: string, detail: string): ReceiptCheck => ({
  id,
  title,
  status: "pass",
  detail,
});
export const fail = (
  id: string,
  title: string,
  detail: string,
  errorName: ReceiptErrorName,
): ReceiptCheck => ({
  id,
  title,
  status: "fail",
  detail,
  errorName,
});
const skip = (id: string, title: string, detail: string): ReceiptCheck => ({
  id,
  title,
  status: "skip",
  detail,
});

const same = (a: Hex, b: Hex) => a.toLowerCase() === b.toLowerCase();

/** The bundle names the chain and registry it is verified against (the domain its receipts are recovered in). */
export function domainCheck(bundle: ReceiptBundle, domain: ReceiptDomainParameters): ReceiptCheck {
  const title = "Receipts are for this chain and registry";
  return bundle.chainId === domain.chainId && isAddressEqual(bundle.runnerRegistry, domain.runnerRegistry)
    ? pass("domain", title, `chain ${domain.chainId}, registry ${domain.runnerRegistry}`)
    : fail(
        "domain",
        title,
        `The bundle is for chain ${bundle.chainId} registry ${bundle.runnerRegistry}, not chain ${domain.chainId} registry ${domain.runnerRegistry}.`,
        "ReceiptDomainError",
      );
}

/** Every receipt names the bundle's model (the model's existence on-chain is checked beside this). */
export function receiptModelProblem(bundle: ReceiptBundle): string | undefined {
  const other = bundle.receipts.findIndex(({ receipt }) => !same(receipt.modelId, bundle.modelId));
  if (other < 0) return undefined;
  return `Receipt ${other} names model ${bundle.receipts[other]!.receipt.modelId}, the bundle ${bundle.modelId}.`;
}

/**
 * One receipt per shard of the model, in shard order, each once. A chain that is all that and only cut short (shards
 * 0 to k, as a route that failed past shard k signs it) fails as incomplete, naming the missing shards.
 */
export function chainCheck(bundle: ReceiptBundle, shardCount: number | undefined): ReceiptCheck {
  const title = "One receipt per shard, in shard order";
  if (shardCount === undefined) return skip("chain", title, "the model's shard count is unknown");
  const shards = bundle.receipts.map(({ receipt }) => receipt.shardIndex);
  const signed = shards.length;
  if (signed < shardCount && shards.every((shard, i) => shard === i)) {
    const missingShards = Array.from({ length: shardCount - signed }, (_, i) => signed + i);
    const plural = missingShards.length === 1 ? "" : "s";
    return {
      ...fail(
        "chain",
        title,
        `Incomplete: the route signed shards 0–${signed - 1} of the model's ${shardCount}: no receipt of shard${plural} ${missingShards.join(", ")}${bundle.incomplete === undefined ? "" : ` (the request failed: ${bundle.incomplete.error})`}.`,
        "RouteReceiptsIncompleteError",
      ),
      missingShards,
    };
  }
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const shard of shards) {
    if (shard >= shardCount) problems.push(`shard ${shard} is not one of the model's ${shardCount}`);
    else if (seen.has(shard)) problems.push(`shard ${shard} appears twice`);
    seen.add(shard);
  }
  for (let shard = 0; shard < shardCount; shard++) {
    if (!seen.has(shard)) problems.push(`no receipt of shard ${shard}`);
  }
  if (problems.length === 0 && shards.some((shard, i) => shard !== i)) {
    problems.push(`out of order: shards ${shards.join(", ")}`);
  }
  return problems.length === 0
    ? pass("chain", title, `${shardCount} receipts, shards 0–${shardCount - 1}`)
    : fail("chain", title, `${problems.join("; ")}.`, "ReceiptChainError");
}

/** The receipt is dated at most `RECEIPT_CLOCK_SKEW_SECONDS` after `now`, the verifying moment (unix seconds). */
export function issuedCheck({ receipt }: SignedReceipt, now: bigint): ReceiptCheck {
  const shard = receipt.shardIndex;
  const title = `Shard ${shard}'s receipt is not dated in the future`;
  const ahead = receipt.issuedAt - now;
  return isFromTheFuture(receipt.issuedAt, now)
    ? fail(
        `issued:${shard}`,
        title,
        `It is dated ${ahead} s after ${now} (the verifying moment); at most ${RECEIPT_CLOCK_SKEW_SECONDS} s is tolerated.`,
        "ReceiptFromTheFutureError",
      )
    : pass(`issued:${shard}`, title, `dated ${receipt.issuedAt}, verified at ${now}`);
}

/** Each receipt names the previous one's hash, reads what it wrote, and covers the same session and positions. */
export function linksCheck(bundle: ReceiptBundle, domain: ReceiptDomainParameters): ReceiptCheck {
  const title = "Each receipt links to the one before";
  const problems: string[] = [];
  bundle.receipts.forEach(({ receipt }, i) => {
    if (!same(receipt.sessionId, bundle.sessionId)) {
      problems.push(`receipt ${i} is for session ${receipt.sessionId}, the bundle's ${bundle.sessionId}`);
    }
    const previous = bundle.receipts[i - 1]?.receipt;
    if (previous === undefined) {
      if (!same(receipt.previousReceipt, ZERO_HASH)) problems.push("the first receipt names a previous one");
      return;
    }
    if (!same(receipt.previousReceipt, hashReceipt({ receipt: previous, ...domain }))) {
      problems.push(`receipt ${i}'s previousReceipt is not receipt ${i - 1}'s hash`);
    }
    if (!same(receipt.inputHash, previous.outputHash)) {
      problems.push(`receipt ${i}'s inputHash is not receipt ${i - 1}'s outputHash`);
    }
    if (
      receipt.positionStart !== previous.positionStart ||
      receipt.positionCount !== previous.positionCount
    ) {
      problems.push(`receipt ${i} covers other positions than receipt ${i - 1}`);
    }
  });
  return problems.length === 0
    ? pass("links", title, `${bundle.receipts.length} receipts, session ${bundle.sessionId}`)
    : fail("links", title, `${problems.join("; ")}.`, "ReceiptLinkError");
}

function tokenDigest(positionStart: number, tokenIds: readonly number[]): Hex {
  const hasher = new ReceiptHasher();
  hasher.tokens(positionStart, tokenIds);
  return hasher.digest();
}

/**
 * Shard 0 read the prompt then every completion token but the last, from position 0; the last shard wrote the
 * completion tokens from `replayedTokens` on, at `promptTokenIds.length + i` (see `ReceiptBundle`).
 */
export function tokenChecks(bundle: ReceiptBundle, shardCount: number | undefined): ReceiptCheck[] {
  const { promptTokenIds: prompt, completionTokenIds: completion, replayedTokens, receipts } = bundle;
  const promptTitle = "The prompt is what shard 0 read";
  const completionTitle = "The completion is what the last shard sampled";
  const first = receipts[0]!.receipt;
  const last = receipts.at(-1)!.receipt;
  // A failed request's last token went into the step that failed: shard 0 read it too.
  const input = [...prompt, ...(bundle.incomplete === undefined ? completion.slice(0, -1) : completion)];
  let promptCheck: ReceiptCheck;
  if (first.shardIndex !== 0)
    promptCheck = skip("prompt-tokens", promptTitle, "no receipt of shard 0 comes first");
  else if (first.positionStart !== 0 || first.positionCount !== input.length) {
    promptCheck = fail(
      "prompt-tokens",
      promptTitle,
      `The receipts cover positions ${first.positionStart}–${first.positionStart + first.positionCount - 1}; the prompt and completion fill 0–${input.length - 1}.`,
      "ReceiptTokensError",
    );
  } else {
    promptCheck = same(first.inputHash, tokenDigest(0, input))
      ? pass(
          "prompt-tokens",
          promptTitle,
          `${prompt.length} prompt and ${input.length - prompt.length} fed-back tokens`,
        )
      : fail(
          "prompt-tokens",
          promptTitle,
          "Shard 0's inputHash is not the hash of the prompt and completion tokens.",
          "ReceiptTokensError",
        );
  }
  let completionCheck: ReceiptCheck;
  if (shardCount === undefined || last.shardIndex !== shardCount - 1) {
    completionCheck = skip("completion-tokens", completionTitle, "no receipt of the last shard comes last");
  } else if (replayedTokens > completion.length) {
    completionCheck = fail(
      "completion-tokens",
      completionTitle,
      `The bundle says ${replayedTokens} tokens were replayed, but the completion has ${completion.length}.`,
      "ReceiptTokensError",
    );
  } else {
    const sampled = completion.slice(replayedTokens);
    completionCheck = same(last.outputHash, tokenDigest(prompt.length + replayedTokens, sampled))
      ? pass(
          "completion-tokens",
          completionTitle,
          `${sampled.length} tokens${replayedTokens === 0 ? "" : ` after ${replayedTokens} replayed`}`,
        )
      : fail(
          "completion-tokens",
          completionTitle,
          "The last shard's outputHash is not the hash of the completion tokens.",
          "ReceiptTokensError",
        );
  }
  return [promptCheck, completionCheck];
}

/** The bundle's text is what the gateway's `TextStream` makes of the completion tokens under the request's stops. */
export function textCheck(
  bundle: ReceiptBundle,
  tokenizer: TokenDecoder | undefined,
  stops: readonly string[],
): ReceiptCheck {
  const title = "The text is what the completion tokens decode to";
  if (tokenizer === undefined) return skip("text", title, "no tokenizer given");
  const tokens = bundle.completionTokenIds;
  const { text, stoppedAfter } = answerText(tokenizer, tokens, stops);
  if (stoppedAfter !== undefined && stoppedAfter < tokens.length) {
    return fail(
      "text",
      title,
      `A stop sequence ended the answer at token ${stoppedAfter} of ${tokens.length}.`,
      "ReceiptTextError",
    );
  }
  if (text === bundle.text) return pass("text", title, `${text.length} characters`);
  let at = 0;
  while (at < text.length && text[at] === bundle.text[at]) at++;
  return fail(
    "text",
    title,
    `The text differs from the decoded tokens at character ${at}: ${JSON.stringify(bundle.text.slice(at, at + 24))} where the tokens give ${JSON.stringify(text.slice(at, at + 24))}.`,
    "ReceiptTextError",
  );
}
