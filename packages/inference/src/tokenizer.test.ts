import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderChatTemplate } from "./chatTemplate.js";
import { TokenizerError } from "./errors.js";
import { loadTokenizer } from "./loadTokenizer.js";
import { makeTestModel } from "./makeTestModel.js";
import type { Architecture } from "./modelConfig.js";
import type { Tokenizer } from "./tokenizer.js";

const dir = mkdtempSync(join(tmpdir(), "teetee-tokenizer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tokenizerFor(architecture: Architecture): Tokenizer {
  const modelDir = join(dir, architecture);
  makeTestModel({ dir: modelDir, architecture, numLayers: 1 });
  return loadTokenizer(modelDir);
}

const texts = [
  "Hello world!",
  "The quick brown fox jumps over the lazy dog.",
  "  leading spaces, trailing spaces  \nnew lines\tand tabs",
  "ünïcödé — 日本語 🙂 emoji",
  "1234567890 !@#$%^&*()",
];

describe.each(["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"] as const)(
  "%s tokenizer",
  (architecture) => {
    const tokenizer = tokenizerFor(architecture);

    test.each(texts)("round-trips %j", (text) => {
      const ids = tokenizer.encode(text, { addSpecialTokens: false });
      expect(ids.length).toBeGreaterThan(0);
      expect(tokenizer.decode(ids)).toBe(text);
    });

    test("learned merges make common words shorter than their bytes", () => {
      expect(tokenizer.encode(" the assistant", { addSpecialTokens: false }).length).toBeLessThan(
        " the assistant".length,
      );
    });

    test("special tokens: BOS is prepended for Llama and Mistral only; EOS stops generation", () => {
      const ids = tokenizer.encode("Hi");
      const bos = tokenizer.bosToken === undefined ? undefined : tokenizer.tokenId(tokenizer.bosToken);
      if (architecture === "Qwen2ForCausalLM") expect(bos).toBeUndefined();
      else expect(ids[0]).toBe(bos);
      expect(tokenizer.stopTokenIds).toEqual([tokenizer.tokenId(tokenizer.eosToken!)]);
    });
  },
);

describe("chat templates render as the Hugging Face templates specify", () => {
  test("TinyLlama (Zephyr style), with trim_blocks semantics", () => {
    const text = tokenizerFor("LlamaForCausalLM").applyChatTemplate([
      { role: "system", content: "You are kind." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "Bye" },
    ]);
    expect(text).toBe(
      "<|system|>\nYou are kind.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n<|user|>\nBye</s>\n<|assistant|>\n",
    );
  });

  test("Mistral [INST], and its alternation rule as a TokenizerError", () => {
    const tokenizer = tokenizerFor("MistralForCausalLM");
    const text = tokenizer.applyChatTemplate([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
      { role: "user", content: "Bye" },
    ]);
    expect(text).toBe("<s>[INST] Hi [/INST]Hello</s> [INST] Bye [/INST]");
    expect(() => tokenizer.applyChatTemplate([{ role: "assistant", content: "x" }])).toThrow(TokenizerError);
  });

  test("Qwen2 ChatML with the default system prompt; the markers encode as single special tokens", () => {
    const tokenizer = tokenizerFor("Qwen2ForCausalLM");
    const messages = [{ role: "user", content: "Hi" }];
    expect(tokenizer.applyChatTemplate(messages)).toBe(
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(
      tokenizer.applyChatTemplate(messages, { addGenerationPrompt: false }).endsWith("Hi<|im_end|>\n"),
    ).toBe(true);
    const ids = tokenizer.encodeChat(messages);
    expect(ids[0]).toBe(tokenizer.tokenId("<|im_start|>"));
    expect(ids.filter((id) => id === tokenizer.tokenId("<|im_end|>"))).toHaveLength(2);
  });

  test("renderChatTemplate passes bos/eos and extra variables", () => {
    const out = renderChatTemplate("{{ bos_token }}{{ messages[0].content }}{{ eos_token }}{{ flavor }}", {
      messages: [{ role: "user", content: "x" }],
      bosToken: "<b>",
      eosToken: "<e>",
      extra: { flavor: "!" },
    });
    expect(out).toBe("<b>x<e>!");
  });
});

test("a folder without tokenizer.json is a TokenizerError", () => {
  expect(() => loadTokenizer(join(dir, "missing"))).toThrow(TokenizerError);
});
