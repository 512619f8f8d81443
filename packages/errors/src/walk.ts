/** Causes followed at most: a chain longer than this is a loop or a bug, not an explanation. */
const MAX_DEPTH = 16;

/**
 * Every error along `error`'s cause chain, `error` first, each once (a cause that points back ends the chain).
 * Works for any thrown value: viem's errors, Node's, plain objects with a `cause`.
 */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null; current = causeOf(current)) {
    if (chain.includes(current) || chain.length === MAX_DEPTH) break;
    chain.push(current);
  }
  return chain;
}

/**
 * The first error along the cause chain (`error` first) for which `fn` is true, or the deepest cause when `fn`
 * is omitted; `undefined` when none matches. viem's `BaseError.walk`, for any thrown value.
 */
export function walk(error: unknown, fn?: (error: unknown) => boolean): unknown {
  const chain = causeChain(error);
  return fn === undefined ? chain.at(-1) : chain.find(fn);
}

function causeOf(error: unknown): unknown {
  return typeof error === "object" ? (error as { cause?: unknown }).cause : undefined;
}
