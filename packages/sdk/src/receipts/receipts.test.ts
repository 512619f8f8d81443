import { createHash } from "node:crypto";
import fc from "fast-check";
import { bytesToHex, getAddress, type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  hashReceipt,
  parseReceiptBundle,
  parseSignedReceipt,
  type Receipt,
  ReceiptFormatError,
  ReceiptHasher,
  receiptBundleJson,
  receiptParamsHash,
  recoverReceiptSigner,
  signedReceiptJson,
  signReceipt,
  ZERO_HASH,
} from "./index.js";

const domain = { chainId: 31337, runnerRegistry: getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3") };
const runner = privateKeyToAccount(generatePrivateKey());
const receipt: Receipt = {
  modelId: keccak256(toHex("model")),
  shardIndex: 1,
  sessionId: `0x${"ab".repeat(16)}`,
  positionStart: 0,
  positionCount: 17,
  paramsHash: keccak256(toHex("params")),
  inputHash: keccak256(toHex("in")),
  outputHash: keccak256(toHex("out")),
  previousReceipt: keccak256(toHex("previous")),
  issuedAt: 1_800_000_000n,
};

/** The record layout written out by hand with Node's SHA-256: an independent reading of the spec. */
function byHand(records: [position: number, kind: number, data: Uint8Array][]): Hex {
  const hash = createHash("sha256");
  for (const [position, kind, data] of records) {
    const header = Buffer.alloc(9);
    header.writeUInt32LE(position, 0);
    header.writeUInt8(kind, 4);
    header.writeUInt32LE(data.length, 5);
    hash.update(header).update(data);
  }
  return bytesToHex(hash.digest());
}

describe("receipts: signing", () => {
  test("the runner's signature recovers to its address", async () => {
    const signed = await signReceipt(runner, { receipt, ...domain });
    expect(await recoverReceiptSigner(signed, domain)).toBe(runner.address);
  });

  test("changing any field, the chain or the registry moves the digest and the recovered signer", async () => {
    const signed = await signReceipt(runner, { receipt, ...domain });
    const changes: Partial<Receipt>[] = [
      { modelId: keccak256(toHex("other")) },
      { shardIndex: 2 },
      { sessionId: `0x${"cd".repeat(16)}` },
      { positionStart: 1 },
      { positionCount: 18 },
      { paramsHash: ZERO_HASH },
      { inputHash: ZERO_HASH },
      { outputHash: ZERO_HASH },
      { previousReceipt: ZERO_HASH },
      { issuedAt: 1_800_000_001n },
    ];
    const digests = new Set([hashReceipt({ receipt, ...domain })]);
    for (const change of changes) {
      const tampered = { ...signed, receipt: { ...receipt, ...change } };
      digests.add(hashReceipt({ receipt: tampered.receipt, ...domain }));
      expect(await recoverReceiptSigner(tampered, domain)).not.toBe(runner.address);
    }
    expect(digests.size).toBe(changes.length + 1);
    expect(await recoverReceiptSigner(signed, { ...domain, chainId: 1 })).not.toBe(runner.address);
    const elsewhere = { ...domain, runnerRegistry: getAddress(`0x${"11".repeat(20)}`) };
    expect(await recoverReceiptSigner(signed, elsewhere)).not.toBe(runner.address);
  });

  test("JSON round trip; malformed documents are a ReceiptFormatError naming the field", async () => {
    const signed = await signReceipt(runner, { receipt, ...domain });
    const json = JSON.parse(JSON.stringify(signedReceiptJson(signed)));
    expect(json.receipt.issuedAt).toBe("1800000000");
    expect(parseSignedReceipt(json)).toEqual(signed);
    const bad = { ...json, receipt: { ...json.receipt, sessionId: `0x${"ab".repeat(32)}` } };
    expect(() => parseSignedReceipt(bad)).toThrow(ReceiptFormatError);
    try {
      parseSignedReceipt(bad);
    } catch (error) {
      expect((error as ReceiptFormatError).details).toMatch(/sessionId/);
    }
    expect(() => parseSignedReceipt({ ...json, signature: "0x12" })).toThrow(/signature/);
  });
});

describe("receipts: the position hash", () => {
  test("token records are the spec's bytes (checked against Node's SHA-256 by hand)", () => {
    const hasher = new ReceiptHasher();
    hasher.tokens(5, [1, 70_000]);
    const id = (value: number) => new Uint8Array(new Uint32Array([value]).buffer);
    expect(hasher.digest()).toBe(
      byHand([
        [5, 1, id(1)],
        [6, 1, id(70_000)],
      ]),
    );
    expect(hasher.records).toBe(2);
  });

  test("property: activation rows hash the same however the positions are chunked, fp32 and fp16 apart", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (width, chunks, start) => {
          const total = chunks.reduce((a, b) => a + b, 0);
          const data = Float32Array.from({ length: total * width }, (_, i) => Math.sin(i + start));
          const whole = new ReceiptHasher();
          whole.rows(start, data, width);
          const chunked = new ReceiptHasher();
          let at = 0;
          for (const count of chunks) {
            chunked.rows(start + at, data.subarray(at * width, (at + count) * width), width);
            at += count;
          }
          const half = new ReceiptHasher();
          half.rows(start, new Uint16Array(data.length), width);
          return whole.digest() === chunked.digest() && whole.digest() !== half.digest();
        },
      ),
      { numRuns: 200 },
    );
  });

  test("Node's createHash drops in for @noble's sha256; a final hasher refuses more records", () => {
    const rows = Float32Array.from([1, 2, 3, 4]);
    const noble = new ReceiptHasher();
    const node = new ReceiptHasher(() => createHash("sha256"));
    noble.rows(0, rows, 2);
    node.rows(0, rows, 2);
    expect(node.digest()).toBe(noble.digest());
    expect(() => noble.tokens(2, [1])).toThrow(/already final/);
    expect(() => new ReceiptHasher().rows(0, rows, 3)).toThrow(/do not divide/);
  });
});

describe("receipts: the params hash", () => {
  const params = {
    sampling: { temperature: 0.7, topK: 40, topP: 0.9, seed: 7 },
    logprobs: false,
    activationDtype: "fp16" as const,
    frames: [
      { positionStart: 0, positionCount: 8, skipSample: true },
      { positionStart: 8, positionCount: 4 },
      { positionStart: 12, positionCount: 1 },
    ],
  };

  test("is the spec's bytes", () => {
    const bytes = Buffer.alloc(35 + 27);
    bytes.write("TTRP", 0, "latin1");
    bytes.writeUInt8(1, 4);
    bytes.writeDoubleLE(0.7, 5);
    bytes.writeUInt32LE(40, 13);
    bytes.writeDoubleLE(0.9, 17);
    bytes.writeUInt32LE(7, 25);
    bytes.writeUInt8(0, 29);
    bytes.writeUInt8(2, 30);
    bytes.writeUInt32LE(3, 31);
    params.frames.forEach((f, i) => {
      bytes.writeUInt32LE(f.positionStart, 35 + i * 9);
      bytes.writeUInt32LE(f.positionCount, 39 + i * 9);
      bytes.writeUInt8(f.skipSample ? 1 : 0, 43 + i * 9);
    });
    expect(receiptParamsHash(params)).toBe(bytesToHex(createHash("sha256").update(bytes).digest()));
  });

  test("every parameter and the chunking move it", () => {
    const variants = [
      { ...params, sampling: { ...params.sampling, temperature: 0.8 } },
      { ...params, sampling: { ...params.sampling, topK: 41 } },
      { ...params, sampling: { ...params.sampling, topP: 0.91 } },
      { ...params, sampling: { ...params.sampling, seed: 8 } },
      { ...params, logprobs: true },
      { ...params, activationDtype: "fp32" as const },
      { ...params, activationDtype: undefined },
      { ...params, frames: [{ positionStart: 0, positionCount: 12 }, params.frames[2]!] },
      { ...params, frames: params.frames.map((f) => ({ ...f, skipSample: false })) },
    ];
    const hashes = new Set([receiptParamsHash(params), ...variants.map(receiptParamsHash)]);
    expect(hashes.size).toBe(variants.length + 1);
  });
});

describe("receipts: the bundle", () => {
  test("JSON round trip; a bundle without receipts or with a bad token id is refused naming the field", async () => {
    const signed = await signReceipt(runner, { receipt, ...domain });
    const bundle = {
      version: 1 as const,
      id: "chatcmpl-1",
      chainId: 31337,
      runnerRegistry: domain.runnerRegistry,
      modelId: receipt.modelId,
      sessionId: receipt.sessionId,
      promptTokenIds: [1, 2, 3],
      completionTokenIds: [4, 5],
      replayedTokens: 0,
      text: "hi",
      receipts: [signed],
    };
    const json = JSON.parse(JSON.stringify(receiptBundleJson(bundle)));
    expect(parseReceiptBundle(json)).toEqual(bundle);
    expect(() => parseReceiptBundle({ ...json, receipts: [] })).toThrow(ReceiptFormatError);
    expect(() => parseReceiptBundle({ ...json, completionTokenIds: [-1] })).toThrow(/completionTokenIds/);
  });
});
