import fc from "fast-check";
import { ENVELOPE_CONTENT_TYPE, PLAIN_FRAME_CONTENT_TYPE } from "../protocol/paths.js";
import {
  encodeRecord,
  type FrameRecord,
  FrameStreamError,
  RECORD_HEADER_LENGTH,
  RECORD_TYPES,
  RecordReader,
  recordContentType,
  recordTypeOf,
} from "./frameStream.js";

const recordArbitrary = fc.record({
  type: fc.constantFrom(RECORD_TYPES.envelope, RECORD_TYPES.plain, RECORD_TYPES.error),
  id: fc.nat({ max: 0xffff_ffff }),
  status: fc.nat({ max: 0xffff }),
  body: fc.uint8Array({ maxLength: 2000 }),
});

/** Cuts `bytes` at the given points (taken modulo its length), as a socket might deliver them. */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const end of [...at, bytes.length]) {
    pieces.push(bytes.subarray(start, end));
    start = end;
  }
  return pieces;
}

const plain = (record: FrameRecord) => ({ ...record, body: Array.from(record.body) });

describe("frame stream records", () => {
  test("any records, cut anywhere, come out whole, in order and unchanged", () => {
    fc.assert(
      fc.property(
        fc.array(recordArbitrary, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (records, points) => {
          const stream = Buffer.concat(records.map((r) => encodeRecord(r)));
          const reader = new RecordReader(4096);
          const out = cut(stream, points).flatMap((piece) => reader.push(piece));
          expect(out.map(plain)).toEqual(records.map(plain));
          expect(reader.buffered).toBe(0);
        },
      ),
    );
  });

  test("a record's header is 11 bytes and its length counts everything after the length field", () => {
    const bytes = encodeRecord({
      type: RECORD_TYPES.plain,
      id: 7,
      status: 413,
      body: Uint8Array.of(1, 2, 3),
    });
    expect(bytes.length).toBe(RECORD_HEADER_LENGTH + 3);
    expect(bytes.readUInt32BE(0)).toBe(bytes.length - 4);
    expect([bytes[4], bytes.readUInt32BE(5), bytes.readUInt16BE(9)]).toEqual([2, 7, 413]);
  });

  test("an oversized record is refused from its header alone, naming its id; its body is dropped, never buffered, and the stream goes on", () => {
    const reader = new RecordReader(100);
    const oversized = encodeRecord({
      type: RECORD_TYPES.envelope,
      id: 42,
      status: 0,
      body: new Uint8Array(1_000).fill(7),
    });
    const [refused, ...none] = reader.push(oversized.subarray(0, RECORD_HEADER_LENGTH));
    expect(none).toEqual([]);
    expect(refused!.id).toBe(42);
    expect(refused!.body.byteLength).toBe(0);
    const error = refused!.refused;
    expect(error).toBeInstanceOf(FrameStreamError);
    expect(error!.status).toBe(413);
    expect(error!.recordId).toBe(42);
    expect(error!.message).toMatch(/larger than 100 bytes/);
    // The body arrives in pieces and is dropped as it comes: nothing of it is held.
    for (let at = RECORD_HEADER_LENGTH; at < oversized.byteLength; at += 300) {
      expect(reader.push(oversized.subarray(at, Math.min(at + 300, oversized.byteLength)))).toEqual([]);
      expect(reader.buffered).toBe(0);
    }
    const next = encodeRecord({ type: RECORD_TYPES.plain, id: 43, status: 0, body: Uint8Array.of(1, 2, 3) });
    const [record] = reader.push(next);
    expect([record!.id, record!.refused, [...record!.body]]).toEqual([43, undefined, [1, 2, 3]]);
  });

  test("a record after an oversized one in the same chunk is read", () => {
    const reader = new RecordReader(10);
    const bytes = Buffer.concat([
      encodeRecord({ type: RECORD_TYPES.envelope, id: 1, status: 0, body: new Uint8Array(11) }),
      encodeRecord({ type: RECORD_TYPES.envelope, id: 2, status: 0, body: new Uint8Array(10) }),
    ]);
    expect(reader.push(bytes).map((r) => [r.id, r.refused?.status])).toEqual([
      [1, 413],
      [2, undefined],
    ]);
  });

  test("a record of exactly the limit is accepted", () => {
    const reader = new RecordReader(100);
    const bytes = encodeRecord({ type: RECORD_TYPES.envelope, id: 1, status: 0, body: new Uint8Array(100) });
    expect(reader.push(bytes)).toHaveLength(1);
  });

  test("an unknown type or a length shorter than a header is refused", () => {
    const bytes = encodeRecord({ type: RECORD_TYPES.plain, id: 9, status: 0, body: new Uint8Array(4) });
    bytes[4] = 77;
    expect(() => new RecordReader(100).push(bytes)).toThrow(/Unknown frame stream record type 77/);
    const short = Buffer.from(bytes);
    short.writeUInt32BE(3, 0);
    expect(() => new RecordReader(100).push(short)).toThrow(/shorter than a record header/);
  });

  test("random bytes never crash the reader: they give records or a FrameStreamError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          new RecordReader(64).push(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(FrameStreamError);
        }
      }),
    );
  });

  test("content types map to record types and back", () => {
    for (const type of [RECORD_TYPES.envelope, RECORD_TYPES.plain, RECORD_TYPES.error]) {
      expect(recordTypeOf(recordContentType(type))).toBe(type);
    }
    expect(recordTypeOf(`${ENVELOPE_CONTENT_TYPE}; charset=binary`)).toBe(RECORD_TYPES.envelope);
    expect(recordTypeOf(PLAIN_FRAME_CONTENT_TYPE)).toBe(RECORD_TYPES.plain);
    expect(() => recordTypeOf("text/plain")).toThrow(FrameStreamError);
  });
});
