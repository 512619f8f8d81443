/**
 * Jest runs each test file in its own V8 context (jest#2549), but onnxruntime-node's native binding creates
 * output typed arrays in Node's main context, so onnxruntime-common's `data instanceof Float32Array` check fails
 * for every output under jest (never in production). Making `instanceof` for typed-array constructors ask the
 * value's internal type tag instead of its prototype chain makes both realms' arrays pass. Import this module
 * from any test that runs onnxruntime.
 */
const names = [
  "Float32Array",
  "Float64Array",
  "Int8Array",
  "Int16Array",
  "Int32Array",
  "Uint16Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
] as const;

for (const name of names) {
  const tag = `[object ${name}]`;
  Object.defineProperty(globalThis[name], Symbol.hasInstance, {
    value: (value: unknown) => ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === tag,
  });
}
