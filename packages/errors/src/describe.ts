import { TeeTeeError } from "./TeeTeeError.js";
import { causeChain } from "./walk.js";

export type DescribeOptions = {
  /** Include causes that are not TeeTee errors (the first line of their message); default true. */
  foreign?: boolean;
};

/**
 * The one sentence a person sees for any thrown value: each error's short message along the cause chain with its
 * details, in order, leaving out what an earlier part already says (wrappers often repeat their cause), joined by
 * " — ". An error without a `shortMessage` (Node's, a library's) contributes the first line of its `message`;
 * viem's errors carry a `shortMessage` and are read like ours. Hints are left to {@link hintOf}: a CLI prints
 * them on their own line, an HTTP answer after the sentence.
 *
 * With `{ foreign: false }` only causes that are TeeTee errors speak: text another library or Node wrote (paths,
 * addresses, its own internals) stays out, as an answer sent over HTTP needs.
 *
 * @example
 * describe(new RunnerStartupError("Refusing to start", { cause: new ManifestError("Shard 2 is not in the manifest") }))
 * // "Refusing to start — Shard 2 is not in the manifest"
 */
export function describe(error: unknown, options: DescribeOptions = {}): string {
  const parts: string[] = [];
  const chain = causeChain(error).filter(
    (link, at) => options.foreign !== false || at === 0 || link instanceof TeeTeeError,
  );
  for (const link of chain) {
    for (const text of [summaryOf(link), detailsOf(link)]) {
      if (text !== undefined && text !== "" && !parts.some((part) => part.includes(text))) parts.push(text);
    }
  }
  return parts.length === 0 ? String(error) : parts.join(" — ");
}

/** What to do next: the first hint along the cause chain (the outermost error knows the caller best). */
export function hintOf(error: unknown): string | undefined {
  for (const link of causeChain(error)) {
    const hint = stringField(link, "hint");
    if (hint !== undefined && hint !== "") return hint;
  }
  return undefined;
}

function summaryOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return error === undefined ? undefined : String(error);
  const short = stringField(error, "shortMessage");
  if (short !== undefined) return short;
  const message = stringField(error, "message");
  if (message !== undefined) return message.split("\n")[0];
  return String(error);
}

/** Our errors' `details` are sentences; viem's repeat the cause's message, which the walk reaches anyway. */
function detailsOf(error: unknown): string | undefined {
  return error instanceof TeeTeeError ? error.details : undefined;
}

function stringField(error: unknown, field: string): string | undefined {
  const value =
    typeof error === "object" && error !== null ? (error as Record<string, unknown>)[field] : undefined;
  return typeof value === "string" ? value : undefined;
}
