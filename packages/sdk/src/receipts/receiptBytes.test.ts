import fc from "fast-check";
import { bytesToHex, getAddress, type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  decodeSignedReceipt,
  encodeSignedReceipt,
  type Receipt,
  ReceiptFormatError,
  recoverReceiptSigner,
  SIGNED_RECEIPT_LENGTH,
  signReceipt,
} from "./index.js";

const domain = { chainId: 31337, runnerRegistry: getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3") };
const runner = privateKeyToAccount(generatePrivateKey());
const receipt: Receipt = {
  modelId: keccak256(toHex("model")),
  shardIndex: 2,
  sessionId: `0x${"ab".repeat(16)}`,
  positionStart: 0,
  positionCount: 40,
  paramsHash: keccak256(toHex("params")),
  inputHash: keccak256(toHex("in")),
  outputHash: keccak256(toHex("out")),
  previousReceipt: keccak256(toHex("previous")),
  issuedAt: 1_800_000_000n,
};

describe("receipts: fixed bytes", () => {
  test("a signed receipt is 259 bytes and round-trips, its signature still recovering to the runner", async () => {
    const signed = await signReceipt(runner, { receipt, ...domain });
    const bytes = encodeSignedReceipt(signed);
    expect(SIGNED_RECEIPT_LENGTH).toBe(259);
    expect(bytes).toHaveLength(SIGNED_RECEIPT_LENGTH);
    const decoded = decodeSignedReceipt(bytes);
    expect(decoded).toEqual(signed);
    expect(await recoverReceiptSigner(decoded, domain)).toBe(runner.address);
  });

  test("the layout is the documented one: fields in order, integers little-endian", async () => {
    const signed = await signReceipt(runner, { receipt, ...domain });
    const bytes = encodeSignedReceipt(signed);
    const view = new DataView(bytes.buffer);
    expect(bytesToHex(bytes.subarray(0, 32))).toBe(receipt.modelId);
    expect(view.getUint16(32, true)).toBe(2);
    expect(bytesToHex(bytes.subarray(34, 50))).toBe(receipt.sessionId);
    expect(view.getUint32(50, true)).toBe(0);
    expect(view.getUint32(54, true)).toBe(40);
    expect(bytesToHex(bytes.subarray(58, 90))).toBe(receipt.paramsHash);
    expect(bytesToHex(bytes.subarray(154, 186))).toBe(receipt.previousReceipt);
    expect(view.getBigUint64(186, true)).toBe(1_800_000_000n);
    expect(bytesToHex(bytes.subarray(194))).toBe(signed.signature);
  });

  test("property: any receipt's fields round-trip", () => {
    const hex = (length: number) =>
      fc.uint8Array({ minLength: length, maxLength: length }).map((b) => bytesToHex(b) as Hex);
    fc.assert(
      fc.property(
        fc.record({
          modelId: hex(32),
          shardIndex: fc.integer({ min: 0, max: 0xffff }),
          sessionId: hex(16),
          positionStart: fc.nat(),
          positionCount: fc.integer({ min: 0, max: 0xffffffff }),
          paramsHash: hex(32),
          inputHash: hex(32),
          outputHash: hex(32),
          previousReceipt: hex(32),
          issuedAt: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        }),
        hex(65),
        (fields, signature) => {
          const signed = { receipt: fields, signature };
          expect(decodeSignedReceipt(encodeSignedReceipt(signed))).toEqual(signed);
        },
      ),
    );
  });

  test("refusals name the field: wrong lengths, integers out of range, bytes of the wrong size", async () => {
    const signed = await signReceipt(runner, { receipt, ...domain });
    const refusals: [Partial<Receipt> | { signature: Hex }, RegExp][] = [
      [{ modelId: "0x12" }, /modelId must be 32 bytes/],
      [{ sessionId: receipt.modelId }, /sessionId must be 16 bytes/],
      [{ shardIndex: 0x10000 }, /shardIndex must be a uint16/],
      [{ positionCount: -1 }, /positionCount must be a uint32/],
      [{ issuedAt: 2n ** 64n }, /issuedAt must be a uint64/],
      [{ inputHash: "0xzz" as Hex }, /inputHash is not hex/],
    ];
    for (const [change, message] of refusals) {
      const bad =
        "signature" in change
          ? { ...signed, ...change }
          : { ...signed, receipt: { ...receipt, ...change } as Receipt };
      expect(() => encodeSignedReceipt(bad)).toThrow(ReceiptFormatError);
      expect(() => encodeSignedReceipt(bad)).toThrow(message);
    }
    expect(() => encodeSignedReceipt({ ...signed, signature: "0x1234" })).toThrow(
      /signature must be 65 bytes/,
    );
    const bytes = encodeSignedReceipt(signed);
    expect(() => decodeSignedReceipt(bytes.subarray(1))).toThrow(ReceiptFormatError);
    expect(() => decodeSignedReceipt(new Uint8Array(SIGNED_RECEIPT_LENGTH + 1))).toThrow(/259 bytes/);
  });
});
