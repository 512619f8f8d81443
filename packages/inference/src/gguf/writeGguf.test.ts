import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { tempDir } from "../../test/helpers.js";
import { GgufError } from "./ggufError.js";
import { encodeGgml } from "./quantize.js";
import { float32, type GgufTensor, type GgufValue, string, uint32, writeGguf } from "./writeGguf.js";

const dir = tempDir("gguf");
afterAll(() => dir.cleanup());

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
const tensorOf = (name: string, shape: number[], type: GgufTensor["type"]): GgufTensor => ({
  name,
  shape,
  type,
  data: () => encodeGgml(ramp(shape.reduce((a, b) => a * b, 1)), type),
});

test("header: magic GGUF, version 3, tensor and metadata counts as uint64", () => {
  const path = join(dir.path, "empty.gguf");
  writeGguf(path, { "general.architecture": string("llama") }, []);
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("GGUF");
  expect(view.getUint32(4, true)).toBe(3);
  expect(view.getBigUint64(8, true)).toBe(0n);
  expect(view.getBigUint64(16, true)).toBe(2n);
  expect(bytes.length % 32).toBe(0);
});

test("llama.cpp's own GGUF reader (node-llama-cpp) reads back the metadata, tensor infos and data", async () => {
  const path = join(dir.path, "mixed.gguf");
  const tensors = [
    tensorOf("a.weight", [3, 64], "F32"),
    tensorOf("b.weight", [5, 32], "F16"),
    tensorOf("c.weight", [7, 64], "Q8_0"),
    tensorOf("d.weight", [3, 96], "Q4_0"),
    tensorOf("e.bias", [11], "F32"),
  ];
  const metadata: Record<string, GgufValue> = {
    "general.architecture": string("llama"),
    "llama.block_count": uint32(4),
    "llama.rope.freq_base": float32(500000),
    "tokenizer.ggml.tokens": { type: "string[]", value: ["a", "é", "<s>"] },
    "tokenizer.ggml.token_type": { type: "int32[]", value: [1, -1, 3] },
    "tokenizer.ggml.add_bos_token": { type: "bool", value: true },
  };
  writeGguf(path, metadata, tensors);
  const info = await readGgufFileInfo(path, { logWarnings: false });
  expect(info.version).toBe(3);
  const m = info.metadata as unknown as Record<string, Record<string, unknown>>;
  expect(m["general"]).toMatchObject({ architecture: "llama", alignment: 32 });
  expect(m["llama"]).toMatchObject({ block_count: 4, rope: { freq_base: 500000 } });
  expect(m["tokenizer"]!["ggml"]).toMatchObject({
    tokens: ["a", "é", "<s>"],
    token_type: [1, -1, 3],
    add_bos_token: true,
  });
  const file = readFileSync(path);
  expect(info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType])).toEqual([
    ["a.weight", [64, 3], 0],
    ["b.weight", [32, 5], 1],
    ["c.weight", [64, 7], 8],
    ["d.weight", [96, 3], 2],
    ["e.bias", [11], 0],
  ]);
  info.tensorInfo!.forEach((t, i) => {
    const bytes = tensors[i]!.data();
    const at = Number(t.fileOffset);
    expect(at % 32).toBe(0);
    expect(Buffer.compare(file.subarray(at, at + bytes.length), bytes)).toBe(0);
  });
});

test("a row that is not a whole number of blocks is refused before anything is written", () => {
  const path = join(dir.path, "bad.gguf");
  expect(() => writeGguf(path, {}, [tensorOf("x.weight", [2, 48], "Q4_0")])).toThrow(GgufError);
  expect(() => writeGguf(path, {}, [tensorOf("x.weight", [2, 48], "Q8_0")])).toThrow(
    /row length 48 is not a multiple of Q8_0's block size 32/,
  );
  expect(existsSync(path)).toBe(false);
});

test("a tensor whose bytes disagree with its type and shape is refused", () => {
  const wrong: GgufTensor = { ...tensorOf("x.weight", [2, 32], "Q8_0"), data: () => new Uint8Array(10) };
  expect(() => writeGguf(join(dir.path, "short.gguf"), {}, [wrong])).toThrow(/has 10 bytes, expected 68/);
});
