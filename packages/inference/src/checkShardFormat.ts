import type onnxProto from "onnx-proto";
import { buildShardGraph } from "./buildShardGraph.js";
import { WeightFormatError } from "./errors.js";
import { kvCacheOf, type Manifest } from "./manifest.js";
import { CONTRIB_DOMAIN, onnx } from "./onnxGraph.js";

type Graph = onnxProto.onnx.IGraphProto;

/**
 * Checks that a shard's graph stores its weights as the manifest's `weights` format declares: the same external
 * initializers (names, element types, shapes, hence the same number of scales and zero points) and the same
 * quantization attributes (`bits`, `block_size`, `K`, `N`) as the graph `shardModel` writes for that format.
 * File hashes only prove the files are the ones listed; this proves the list means what the manifest says.
 * Throws `WeightFormatError` naming the first disagreement.
 */
export function checkShardFormat(manifest: Manifest, shardIndex: number, graphBytes: Uint8Array): void {
  const shard = manifest.shards[shardIndex]!;
  const declared = describeWeights(manifest.weights);
  const expected = buildShardGraph({
    config: manifest.config,
    layerStart: shard.layerStart,
    layerEnd: shard.layerEnd,
    weights: manifest.weights,
    kvCache: kvCacheOf(manifest),
  }).model.graph!;
  const actual = decodeGraph(graphBytes, shardIndex);
  const fail = (problem: string) =>
    new WeightFormatError(`shard ${shardIndex} ${problem}, but its manifest declares ${declared}`, {
      hint: "The shard files were written in another weight format; shard the model again or use its own manifest.",
    });
  const want = weightSignatures(expected);
  const have = weightSignatures(actual);
  for (const [name, signature] of have) {
    if (!want.has(name)) throw fail(`stores weight ${name} (${signature})`);
    if (want.get(name) !== signature)
      throw fail(`stores weight ${name} as ${signature}, not ${want.get(name)}`);
  }
  for (const name of want.keys()) if (!have.has(name)) throw fail(`has no weight ${name}`);
  const wantOps = quantizedOps(expected);
  const haveOps = quantizedOps(actual);
  haveOps.forEach((op, i) => {
    if (op !== wantOps[i]) throw fail(`runs ${op} where ${wantOps[i] ?? "no quantized operator"} belongs`);
  });
  if (haveOps.length !== wantOps.length) {
    throw fail(`runs ${haveOps.length} quantized operators, not ${wantOps.length}`);
  }
}

function describeWeights(weights: Manifest["weights"]): string {
  return weights.format === "fp32"
    ? "fp32 weights"
    : `${weights.format} weights in blocks of ${weights.blockSize}`;
}

function decodeGraph(bytes: Uint8Array, shardIndex: number): Graph {
  try {
    return onnx.ModelProto.decode(bytes).graph ?? {};
  } catch (cause) {
    throw new WeightFormatError(`shard ${shardIndex} graph is not a valid ONNX model`, { cause });
  }
}

const TYPE_NAMES: Record<number, string> = {
  [onnx.TensorProto.DataType.FLOAT]: "float32",
  [onnx.TensorProto.DataType.UINT8]: "uint8",
};

/** External initializers by name, each as `<type> [dims]`. */
function weightSignatures(graph: Graph): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of graph.initializer ?? []) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const type = TYPE_NAMES[t.dataType ?? 0] ?? `type ${t.dataType}`;
    out.set(t.name ?? "", `${type} [${(t.dims ?? []).map(Number).join(", ")}]`);
  }
  return out;
}

const QUANTIZED_OPS = new Set(["MatMulNBits", "GatherBlockQuantized"]);

/** Each quantized contrib node in graph order as `<op>(<weight>) k=v ...`, attributes sorted by name. */
function quantizedOps(graph: Graph): string[] {
  return (graph.node ?? [])
    .filter((node) => node.domain === CONTRIB_DOMAIN && QUANTIZED_OPS.has(node.opType ?? ""))
    .map((node) => {
      const attributes = (node.attribute ?? [])
        .map((a) => `${a.name}=${Number(a.i)}`)
        .sort()
        .join(" ");
      const weight = node.opType === "GatherBlockQuantized" ? node.input?.[0] : node.input?.[1];
      return `${node.opType}(${weight}) ${attributes}`;
    });
}
