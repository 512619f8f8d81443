import { HOST_IS_LITTLE_ENDIAN } from "./frame.js";

type NumericArray = Uint16Array | Uint32Array | Float32Array;

/** Reverses each element's bytes in place; only big-endian hosts ever need it. */
function swapBytes(bytes: Uint8Array, width: number): Uint8Array {
  for (let offset = 0; offset < bytes.length; offset += width)
    bytes.subarray(offset, offset + width).reverse();
  return bytes;
}

/** The array's contents as little-endian bytes: a view on little-endian hosts, a copy otherwise. */
export function littleEndianBytes(array: NumericArray): Uint8Array {
  const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return HOST_IS_LITTLE_ENDIAN ? view : swapBytes(view.slice(), array.BYTES_PER_ELEMENT);
}

/** A fresh, aligned typed array built from little-endian bytes (copied, so the frame buffer can go). */
export function fromLittleEndian<T extends NumericArray>(
  bytes: Uint8Array,
  make: (buffer: ArrayBuffer) => T,
  width: number,
): T {
  const copy = bytes.slice();
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(copy, width);
  return make(copy.buffer);
}
