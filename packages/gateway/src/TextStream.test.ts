import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadTokenizer, makeTestModel } from "@teetee/inference";
import fc from "fast-check";
import { TextStream } from "./TextStream.js";

const dir = mkdtempSync(path.join(tmpdir(), "text-stream-"));
makeTestModel({ dir, numLayers: 1, hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1 });
const tokenizer = loadTokenizer(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(tokens: number[], stops: string[] = []) {
  const stream = new TextStream(tokenizer, stops);
  let text = "";
  let used = 0;
  for (const token of tokens) {
    used += 1;
    const { delta, stopped } = stream.push(token);
    text += delta;
    if (stopped) return { text, used, stopped };
  }
  return { text: text + stream.finish(), used, stopped: false };
}

describe("TextStream", () => {
  test("the deltas add up to the decoded output, for any token sequence", () => {
    const texts = fc.string({ unit: fc.constantFrom(..."ab c-é€漢😀\n".split("")), maxLength: 40 });
    fc.assert(
      fc.property(texts, (text) => {
        const tokens = tokenizer.encode(text, { addSpecialTokens: false });
        expect(run(tokens).text).toBe(tokens.length === 0 ? "" : tokenizer.decode(tokens));
      }),
      { numRuns: 200 },
    );
  });

  test("stops at the first stop string, drops it, and holds back what could begin one", () => {
    const tokens = tokenizer.encode("alpha beta END gamma", { addSpecialTokens: false });
    const result = run(tokens, ["END", "zzz"]);
    expect(result).toMatchObject({ text: "alpha beta ", stopped: true });
    expect(result.used).toBeLessThan(tokens.length);
    const stream = new TextStream(tokenizer, ["END"]);
    const emitted = tokens.map((t) => stream.push(t).delta).join("");
    expect(emitted.endsWith("EN")).toBe(false);
  });
});
