import fc from "fast-check";
import { loadTokenizer } from "../src/loadTokenizer.js";
import { TOKENIZER_FIXTURES } from "./tokenizerFixtures.js";

/** See tokenizerFixtures.ts for where these files come from. */
const llama3 = loadTokenizer(TOKENIZER_FIXTURES.llama3);
const qwen3 = loadTokenizer(TOKENIZER_FIXTURES.qwen3);

const SCRIPTS: Record<string, string> = {
  latin: "Grüße aus Köln: façade, naïve, Øresund, ¿Qué tal? ŁÓDŹ œuvre",
  cyrillic: "Съешь же ещё этих мягких французских булок, да выпей чаю.",
  greek: "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
  arabic: "نص حكيم له سر قاطع وذو شأن عظيم مكتوب على ثوب أخضر",
  hebrew: "דג סקרן שט בים מאוכזב ולפתע מצא חברה",
  devanagari: "ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश",
  thai: "เป็นมนุษย์สุดประเสริฐเลิศคุณค่า กว่าบรรดาฝูงสัตว์เดรัจฉาน",
  cjk: "我能吞下玻璃而不伤身体。私はガラスを食べられます。それは私を傷つけません。",
  hangul: "다람쥐 헌 쳇바퀴에 타고파. 키스의 고유조건은",
  emoji: "👍🏽 👨‍👩‍👧‍👦 👩🏾‍💻 🏳️‍🌈 ❤️‍🔥 🇯🇵🇺🇦🇧🇷 🏴󠁧󠁢󠁳󠁣󠁴󠁿 1️⃣",
  // Precomposed-free on purpose: e + U+0301, a + U+0308; Zalgo stacks; a ZWJ and a ZWNJ inside Devanagari.
  combining:
    "cafe\u0301 na\u0308ive Z\u0351\u0336a\u0337l\u0334g\u0335o \u0915\u094d\u200d\u0937 \u0915\u094d\u200c\u0937",
  whitespace: "  two leading spaces\n\ttab, CR\r\nand trailing  ",
};

/**
 * Llama 3's byte-level BPE has no normalizer, so every string round-trips exactly. Qwen's tokenizer.json normalizes
 * to NFC before splitting (as Transformers does), so its round trip returns the NFC form.
 */
const FAMILIES = [
  { name: "llama3", tokenizer: llama3, expected: (text: string) => text },
  { name: "qwen3", tokenizer: qwen3, expected: (text: string) => text.normalize("NFC") },
];

describe.each(FAMILIES)("$name tokenizer.json", ({ tokenizer, expected }) => {
  test.each(Object.entries(SCRIPTS))("round-trips %s", (_, text) => {
    const ids = tokenizer.encode(text, { addSpecialTokens: false });
    expect(ids.length).toBeGreaterThan(0);
    expect(tokenizer.decode(ids)).toBe(expected(text));
  });

  test("decodes no ids as the empty string", () => {
    expect(tokenizer.decode([])).toBe("");
  });

  test("round-trips arbitrary Unicode text (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (text) => {
        expect(tokenizer.decode(tokenizer.encode(text, { addSpecialTokens: false }))).toBe(expected(text));
      }),
      { numRuns: 300, seed: 14 },
    );
  });
});

describe("Llama 3 (Meta-Llama-3-8B-Instruct files)", () => {
  const messages = [
    { role: "system", content: "You are kind." },
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello!" },
    { role: "user", content: "Bye" },
  ];

  test("the chat template renders <|start_header_id|>role<|end_header_id|>\\n\\ncontent<|eot_id|> and the generation prompt", () => {
    expect(llama3.applyChatTemplate(messages)).toBe(
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are kind.<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
    );
  });

  test("encodeChat writes one BOS and the markers as single special tokens; decode drops them", () => {
    const ids = llama3.encodeChat([{ role: "user", content: "Hi" }]);
    expect(ids.slice(0, 2)).toEqual([128000, 128006]);
    expect(ids.filter((id) => id === 128000)).toHaveLength(1);
    expect(ids.filter((id) => id === 128009)).toHaveLength(1);
    expect(llama3.tokenId("<|eot_id|>")).toBe(128009);
    // This tokenizer.json's post-processor is ByteLevel (the first Llama 3 release), so plain encode adds no BOS,
    // exactly as Transformers does with these files; only the chat template writes it.
    expect(llama3.encode("Hi")).toEqual(llama3.encode("Hi", { addSpecialTokens: false }));
    expect(llama3.decode(ids)).toBe("user\n\nHiassistant\n\n");
  });

  test("tokenizer_config.json's eos_token alone names <|end_of_text|>, not the turn end <|eot_id|>", () => {
    expect(llama3.eosToken).toBe("<|end_of_text|>");
    expect(llama3.stopTokenIds).toEqual([128001]);
  });
});

describe("Qwen3 (ChatML)", () => {
  test("the chat template renders <|im_start|>role\\ncontent<|im_end|>\\n and the generation prompt", () => {
    const messages = [
      { role: "system", content: "You are kind." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "Bye" },
    ];
    expect(qwen3.applyChatTemplate(messages)).toBe(
      "<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n" +
        "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(qwen3.applyChatTemplate(messages, { addGenerationPrompt: false })).toMatch(/Bye<\|im_end\|>\n$/);
  });

  test("encodeChat writes no BOS and the markers as single special tokens", () => {
    const ids = qwen3.encodeChat([{ role: "user", content: "Hi" }]);
    expect(ids[0]).toBe(151644);
    expect(ids.filter((id) => id === 151645)).toHaveLength(1);
    expect(qwen3.bosToken).toBeUndefined();
    expect(qwen3.stopTokenIds).toEqual([151645]);
  });
});
