import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { SafetensorsFormatError } from "./errors.js";
import { bfloat16ToFloat32Array, float16ToFloat32Array } from "./float16.js";
import {
  parseHeaderLength,
  parseSafetensorsHeader,
  type SafetensorsHeader,
  type TensorEntry,
} from "./safetensorsHeader.js";

/**
 * One open safetensors file. Tensors are read on demand with positioned reads, so a multi-gigabyte checkpoint
 * never sits in memory whole: the sharder holds one tensor at a time.
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly header: SafetensorsHeader,
  ) {}

  /** Opens `path` and validates its header; throws `SafetensorsFormatError` on any inconsistency. */
  static open(path: string): SafetensorsFile {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const name = basename(path);
      const prefix = readExactly(fd, 0, Math.min(8, size), name);
      const length = parseHeaderLength(prefix, size, name);
      const header = parseSafetensorsHeader(readExactly(fd, 8, length, name), size, name);
      return new SafetensorsFile(path, fd, header);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  entry(name: string): TensorEntry | undefined {
    return this.header.tensors.get(name);
  }

  /** The tensor's values widened to fp32, whatever its stored dtype. */
  readFloat32(name: string): Float32Array {
    const entry = this.header.tensors.get(name);
    if (!entry) throw new SafetensorsFormatError(`${basename(this.path)} has no tensor "${name}"`);
    const bytes = readExactly(this.fd, entry.byteOffset, entry.byteLength, basename(this.path));
    if (entry.dtype === "F32") return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    return entry.dtype === "F16" ? float16ToFloat32Array(halves) : bfloat16ToFloat32Array(halves);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function readExactly(fd: number, position: number, length: number, file: string): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) throw new SafetensorsFormatError(`${file}: unexpected end of file`);
    done += n;
  }
  return out;
}
