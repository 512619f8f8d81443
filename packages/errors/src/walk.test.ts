import { TeeTeeError } from "./TeeTeeError.js";
import { causeChain, walk } from "./walk.js";

class OuterError extends TeeTeeError {
  override name = "OuterError" as const;
}
class InnerError extends TeeTeeError {
  override name = "InnerError" as const;
}

const root = new Error("ECONNREFUSED 127.0.0.1:8545");
const inner = new InnerError("Cannot reach the chain", { cause: root });
const outer = new OuterError("Refusing to start", { cause: inner });

describe("causeChain", () => {
  test("lists the error first, then each cause in order", () => {
    expect(causeChain(outer)).toEqual([outer, inner, root]);
  });

  test("a value with no cause is a chain of one; undefined is empty", () => {
    expect(causeChain("plain")).toEqual(["plain"]);
    expect(causeChain(undefined)).toEqual([]);
  });

  test("ends at a cause that points back instead of looping", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(causeChain(a)).toEqual([a, b]);
  });

  test("stops after 16 links", () => {
    let error: unknown = new Error("0");
    for (let i = 1; i < 40; i++) error = new Error(String(i), { cause: error });
    expect(causeChain(error)).toHaveLength(16);
  });
});

describe("walk", () => {
  test("without a predicate it returns the deepest cause", () => {
    expect(walk(outer)).toBe(root);
    expect(outer.walk()).toBe(root);
  });

  test("with a predicate it returns the first match, the error itself included", () => {
    expect(outer.walk((e) => e instanceof InnerError)).toBe(inner);
    expect(outer.walk((e) => e instanceof TeeTeeError)).toBe(outer);
    expect(walk(outer, (e) => e instanceof Error && e.message.startsWith("ECONN"))).toBe(root);
  });

  test("returns undefined when nothing matches", () => {
    expect(outer.walk((e) => e instanceof RangeError)).toBeUndefined();
  });
});
