/**
 * The ggml tensor types the GGUF writer emits, with ggml's numbering (ggml.h `enum ggml_type`) and storage
 * layout: `blockSize` values share `blockBytes` bytes.
 */
export const GGML_TYPES = {
  F32: { id: 0, blockSize: 1, blockBytes: 4 },
  F16: { id: 1, blockSize: 1, blockBytes: 2 },
  /** fp16 scale + 16 bytes: element j in the low nibble of byte j, element j + 16 in its high nibble. */
  Q4_0: { id: 2, blockSize: 32, blockBytes: 18 },
  /** fp16 scale + 32 int8 values. */
  Q8_0: { id: 8, blockSize: 32, blockBytes: 34 },
} as const;

export type GgmlType = keyof typeof GGML_TYPES;

/** `general.file_type` (llama.h `enum llama_ftype`) of a file whose matrices are all `type`. */
export const GGUF_FILE_TYPES: Record<GgmlType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7 };

/** Bytes a tensor of `count` elements takes in `type`; `count` must be a whole number of blocks. */
export function ggmlByteLength(type: GgmlType, count: number): number {
  const { blockSize, blockBytes } = GGML_TYPES[type];
  return (count / blockSize) * blockBytes;
}
