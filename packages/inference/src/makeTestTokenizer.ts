import type { Architecture } from "./modelConfig.js";

/** The text the test tokenizer's merges are learned from: English plus the chat markers the templates emit. */
const CORPUS = [
  "The quick brown fox jumps over the lazy dog. Hello world! How are you today?",
  "A shard runs a range of layers inside a trusted execution environment and passes hidden states on.",
  "The user asked the assistant a question, and the assistant gave an answer that the user liked.",
  "system user assistant <|user|> <|assistant|> <|system|> [INST] [/INST] 0123456789 the the and and",
].join("\n");

type ChatFlavor = { bos?: string; eos: string; specials: string[]; template: string };

/** Qwen2-Instruct's ChatML template, used for Qwen3 too (Qwen3's own adds thinking and tools; see realTokenizers.test.ts). */
const CHATML: ChatFlavor = {
  eos: "<|im_end|>",
  specials: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
  template:
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
};

/** Chat templates as published with TinyLlama-1.1B-Chat-v1.0 and Qwen2-Instruct, and in the Mistral-Instruct v0.1 style. */
const FLAVORS: Record<Architecture, ChatFlavor> = {
  LlamaForCausalLM: {
    bos: "<s>",
    eos: "</s>",
    specials: ["<unk>", "<s>", "</s>"],
    template:
      "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
  },
  MistralForCausalLM: {
    bos: "<s>",
    eos: "</s>",
    specials: ["<unk>", "<s>", "</s>"],
    template:
      "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
  },
  Qwen2ForCausalLM: CHATML,
  Qwen3ForCausalLM: CHATML,
};

export type TestTokenizer = {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  vocabSize: number;
  bosTokenId: number | undefined;
  eosTokenId: number;
};

/**
 * A byte-level BPE tokenizer in Hugging Face `tokenizer.json` form (GPT-2 byte alphabet, merges learned from a
 * fixed corpus, so every text round-trips), plus a `tokenizer_config.json` with the architecture's chat template.
 */
export function makeTestTokenizer(architecture: Architecture, merges = 120): TestTokenizer {
  const flavor = FLAVORS[architecture];
  const alphabet = byteAlphabet();
  const vocab: Record<string, number> = {};
  for (const symbol of alphabet) vocab[symbol] = Object.keys(vocab).length;
  const learned = learnMerges(CORPUS, alphabet, merges);
  for (const [a, b] of learned) vocab[a + b] ??= Object.keys(vocab).length;
  const addedTokens = flavor.specials.map((content, i) => ({
    id: Object.keys(vocab).length + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const idOf = (token: string) => addedTokens.find((t) => t.content === token)!.id;
  const bosTokenId = flavor.bos === undefined ? undefined : idOf(flavor.bos);
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: flavor.bos === undefined ? byteLevel : bosTemplate(flavor.bos, bosTokenId!),
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: learned.map(([a, b]) => `${a} ${b}`),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: flavor.bos ?? null,
    eos_token: flavor.eos,
    pad_token: null,
    add_bos_token: flavor.bos !== undefined,
    clean_up_tokenization_spaces: false,
    model_max_length: 2048,
    chat_template: flavor.template,
  };
  return {
    tokenizerJson,
    tokenizerConfig,
    vocabSize: Object.keys(vocab).length + addedTokens.length,
    bosTokenId,
    eosTokenId: idOf(flavor.eos),
  };
}

/** Prepends BOS to single sequences, as Llama and Mistral tokenizers do. */
function bosTemplate(bos: string, id: number) {
  return {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [
      { SpecialToken: { id: bos, type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: bos, type_id: 1 } },
      { Sequence: { id: "B", type_id: 1 } },
    ],
    special_tokens: { [bos]: { id: bos, ids: [id], tokens: [bos] } },
  };
}

/** GPT-2's reversible byte → printable-character map, indexed by byte value. */
export function byteAlphabet(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable(b) ? b : 256 + extra++));
}

/** Plain BPE training: repeatedly merge the most frequent adjacent pair (ties broken by the pair's text). */
function learnMerges(corpus: string, alphabet: string[], count: number): [string, string][] {
  const encoder = new TextEncoder();
  const words = new Map<string, number>();
  for (const word of corpus.match(/ ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+/g) ?? []) {
    const mapped = [...encoder.encode(word)].map((b) => alphabet[b]!).join("\u0000");
    words.set(mapped, (words.get(mapped) ?? 0) + 1);
  }
  let split = [...words].map(([w, n]) => ({ symbols: w.split("\u0000"), n }));
  const merges: [string, string][] = [];
  while (merges.length < count) {
    const pairs = new Map<string, number>();
    for (const { symbols, n } of split) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]}\u0000${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    }
    const best = [...pairs].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0];
    if (!best) break;
    const [left, right] = best[0].split("\u0000") as [string, string];
    merges.push([left, right]);
    split = split.map(({ symbols, n }) => ({ symbols: mergePair(symbols, left, right), n }));
  }
  return merges;
}

function mergePair(symbols: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}
