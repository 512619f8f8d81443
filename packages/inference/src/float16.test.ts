import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToBfloat16Bits,
  float32ToFloat16Array,
  float32ToFloat16Bits,
} from "./float16.js";

test("every fp16 value survives fp16 → fp32 → fp16 (NaNs stay NaN)", () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const back = float32ToFloat16Array(float16ToFloat32Array(all));
  for (let i = 0; i < 65536; i++) {
    if (Number.isNaN(float16BitsToFloat32(i)))
      expect(Number.isNaN(float16BitsToFloat32(back[i]!))).toBe(true);
    else expect(back[i]).toBe(i);
  }
});

test("fp16 known values and round-to-nearest-even", () => {
  expect(float16BitsToFloat32(0x3c00)).toBe(1);
  expect(float16BitsToFloat32(0xc000)).toBe(-2);
  expect(float16BitsToFloat32(0x7bff)).toBe(65504);
  expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
  expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
  expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
  expect(float32ToFloat16Bits(2 ** -26)).toBe(0);
});

test("bf16 is the top half of fp32 with round-to-nearest-even", () => {
  expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
  expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
  expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
  expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
  expect(bfloat16BitsToFloat32(float32ToBfloat16Bits(-3.140625))).toBe(-3.140625);
});
