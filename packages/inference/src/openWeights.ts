import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { WeightError } from "./errors.js";
import { SafetensorsFile } from "./loadSafetensors.js";

/**
 * The weights of a Hugging Face model folder, whether in one `model.safetensors`, several files listed by
 * `model.safetensors.index.json`, or several files without an index. Reads widen to fp32 and check shapes.
 */
export class WeightStore {
  private constructor(
    private readonly files: SafetensorsFile[],
    private readonly owner: Map<string, SafetensorsFile>,
  ) {}

  static open(modelDir: string): WeightStore {
    const names = safetensorsFileNames(modelDir);
    const files: SafetensorsFile[] = [];
    try {
      for (const name of names) files.push(SafetensorsFile.open(join(modelDir, name)));
    } catch (error) {
      for (const file of files) file.close();
      throw error;
    }
    const owner = new Map<string, SafetensorsFile>();
    for (const file of files) {
      for (const tensor of file.header.tensors.keys()) {
        if (owner.has(tensor)) {
          for (const f of files) f.close();
          throw new WeightError(`tensor "${tensor}" appears in more than one safetensors file`);
        }
        owner.set(tensor, file);
      }
    }
    return new WeightStore(files, owner);
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  /** Reads `name` as fp32 and checks it has exactly `shape`; a missing or mis-shaped tensor is a `WeightError`. */
  read(name: string, shape: readonly number[]): Float32Array {
    return this.check(name, shape).readFloat32(name);
  }

  /** Checks that `name` exists with exactly `shape` without reading it, so a bad checkpoint fails up front. */
  check(name: string, shape: readonly number[]): SafetensorsFile {
    const file = this.owner.get(name);
    if (!file) {
      throw new WeightError(`weight "${name}" is missing`, {
        hint: "The checkpoint does not match config.json, or a safetensors shard is absent.",
      });
    }
    const actual = file.entry(name)!.shape;
    if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
      throw new WeightError(
        `weight "${name}" has shape [${actual.join(", ")}], expected [${shape.join(", ")}]`,
        {
          hint: "The checkpoint does not match config.json.",
        },
      );
    }
    return file;
  }

  close(): void {
    for (const file of this.files) file.close();
  }
}

/** The index file, when present, is the authority on which files hold weights; otherwise every *.safetensors. */
function safetensorsFileNames(modelDir: string): string[] {
  const indexPath = join(modelDir, "model.safetensors.index.json");
  if (existsSync(indexPath)) {
    let weightMap: unknown;
    try {
      weightMap = JSON.parse(readFileSync(indexPath, "utf8")).weight_map;
    } catch (cause) {
      throw new WeightError("model.safetensors.index.json is not valid JSON", { cause });
    }
    if (typeof weightMap !== "object" || weightMap === null) {
      throw new WeightError("model.safetensors.index.json has no weight_map object");
    }
    const names = [...new Set(Object.values(weightMap))];
    if (!names.every((n) => typeof n === "string" && /^[^/\\]+\.safetensors$/.test(n))) {
      throw new WeightError("model.safetensors.index.json names files outside the model folder");
    }
    return (names as string[]).sort();
  }
  const names = readdirSync(modelDir)
    .filter((n) => n.endsWith(".safetensors"))
    .sort();
  if (names.length === 0) {
    throw new WeightError(`no *.safetensors files in ${modelDir}`, {
      hint: "Only safetensors checkpoints are supported; convert pytorch_model.bin first.",
    });
  }
  return names;
}
