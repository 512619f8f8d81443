import {
  activationError,
  DEFAULT_ACTIVATION_TOLERANCE,
  evidenceRows,
  hiddenEvidence,
} from "./auditEvidence.js";

describe("activationError: the largest difference of a row over the reference row's RMS", () => {
  const reference = Float32Array.from([3, 4, 0, 0, 1, 1, 1, 1]); // rows of 4: RMS 2.5 and 1

  test("is relative to each row's own scale, and the worst row wins", () => {
    const candidate = Float32Array.from([3.025, 4, 0, 0, 1, 1, 1, 1.005]);
    // Row 0: 0.025 / 2.5 = 0.01; row 1: 0.005 / 1 = 0.005.
    expect(activationError(hiddenEvidence(candidate, 4), hiddenEvidence(reference, 4))).toBeCloseTo(0.01, 6);
    expect(activationError(hiddenEvidence(reference, 4), hiddenEvidence(reference, 4))).toBe(0);
  });

  test("NaN, another shape or another kind is an infinite difference; samples compare exactly", () => {
    const nan = Float32Array.from([3, 4, 0, Number.NaN, 1, 1, 1, 1]);
    expect(activationError(hiddenEvidence(nan, 4), hiddenEvidence(reference, 4))).toBe(Infinity);
    expect(activationError(hiddenEvidence(reference.subarray(0, 4), 4), hiddenEvidence(reference, 4))).toBe(
      Infinity,
    );
    expect(activationError({ type: "sample", tokenId: 1 }, hiddenEvidence(reference, 4))).toBe(Infinity);
    expect(activationError({ type: "sample", tokenId: 7 }, { type: "sample", tokenId: 7 })).toBe(0);
    expect(activationError({ type: "sample", tokenId: 7 }, { type: "sample", tokenId: 8 })).toBe(Infinity);
    expect(activationError({ type: "empty" }, { type: "empty" })).toBe(0);
  });

  test("rows survive the base64 round trip bit for bit; the default tolerance is 1e-2", () => {
    const rows = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * 1e3);
    expect(evidenceRows(hiddenEvidence(rows, 30))).toEqual(rows);
    expect(DEFAULT_ACTIVATION_TOLERANCE).toBe(1e-2);
  });
});
