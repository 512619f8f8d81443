import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { SafetensorsFormatError } from "./errors.js";
import { SafetensorsFile } from "./loadSafetensors.js";
import { parseHeaderLength, parseSafetensorsHeader } from "./safetensorsHeader.js";
import { writeSafetensors } from "./writeSafetensors.js";

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

const tensorArb = fc.record({
  shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
  seed: fc.integer(),
});

describe("parseSafetensorsHeader", () => {
  test("any byte string is either a valid header or a SafetensorsFormatError, never another exception", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 10_000 }), (bytes, size) => {
        try {
          parseSafetensorsHeader(bytes, size);
        } catch (error) {
          expect(error).toBeInstanceOf(SafetensorsFormatError);
        }
      }),
    );
  });

  test("any JSON value is accepted only if every entry is a consistent, in-bounds, non-overlapping tensor", () => {
    const entry = fc.record({
      dtype: fc.constantFrom("F32", "F16", "BF16", "I8", 3),
      shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }), fc.string()),
      data_offsets: fc.array(fc.integer({ min: -2, max: 200 }), { minLength: 0, maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), entry, { maxKeys: 4 }), (header) => {
        const bytes = encode(header);
        try {
          const parsed = parseSafetensorsHeader(bytes, 8 + bytes.length + 100);
          for (const t of parsed.tensors.values()) {
            const elements = t.shape.reduce((a, b) => a * b, 1);
            expect(t.byteLength).toBe(elements * (t.dtype === "F32" ? 4 : 2));
            expect(t.byteOffset + t.byteLength).toBeLessThanOrEqual(8 + bytes.length + 100);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(SafetensorsFormatError);
        }
      }),
    );
  });

  test("overlapping tensors are refused", () => {
    const header = {
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
    };
    expect(() => parseSafetensorsHeader(encode(header), 1000)).toThrow(/overlap/);
  });

  test("the length prefix must fit the file and the 100 MB limit", () => {
    const prefix = (n: bigint) => {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, n, true);
      return bytes;
    };
    expect(parseHeaderLength(prefix(10n), 18)).toBe(10);
    expect(() => parseHeaderLength(prefix(11n), 18)).toThrow(SafetensorsFormatError);
    expect(() => parseHeaderLength(prefix(200_000_000n), 300_000_000)).toThrow(/100 MB/);
    expect(() => parseHeaderLength(prefix(2n ** 63n), 100)).toThrow(SafetensorsFormatError);
  });
});

describe("writeSafetensors and SafetensorsFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "teetee-safetensors-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("round-trip any set of fp32 tensors exactly", () => {
    let n = 0;
    fc.assert(
      fc.property(fc.array(tensorArb, { maxLength: 4 }), (specs) => {
        const tensors = specs.map((s, i) => {
          const size = s.shape.reduce((a, b) => a * b, 1);
          return {
            name: `t${i}`,
            shape: s.shape,
            data: Float32Array.from({ length: size }, (_, j) => Math.fround(Math.sin(s.seed + j) * 1e3)),
          };
        });
        const path = join(dir, `${n++}.safetensors`);
        writeSafetensors(path, tensors);
        const file = SafetensorsFile.open(path);
        try {
          expect(file.header.dataStart % 8).toBe(0);
          for (const t of tensors) expect(file.readFloat32(t.name)).toEqual(t.data);
        } finally {
          file.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
