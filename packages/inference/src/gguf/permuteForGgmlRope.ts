/**
 * Reorders the rows of a Hugging Face q or k projection (or its bias) for llama.cpp's Llama rope.
 *
 * Transformers rotates each head's dimension i with dimension i + headDim/2 (`rotate_half`); ggml's "normal"
 * rope, which llama.cpp's `llama` architecture uses, rotates adjacent dimensions 2i and 2i + 1. So within each
 * head, row j·(headDim/2) + i moves to row 2i + j; the attention scores are unchanged because q and k move alike.
 * llama.cpp's HF converter does the same (`LlamaModel.permute`). Qwen2 uses ggml's NeoX rope (the HF layout)
 * and needs no permutation.
 */
export function permuteForGgmlRope(weight: Float32Array, rows: number, heads: number): Float32Array {
  const columns = weight.length / rows;
  const half = rows / heads / 2;
  const out = new Float32Array(weight.length);
  for (let head = 0; head < heads; head++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const from = (head * 2 * half + j * half + i) * columns;
        const to = (head * 2 * half + 2 * i + j) * columns;
        out.set(weight.subarray(from, from + columns), to);
      }
    }
  }
  return out;
}
