import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export { onnx };

export const OPSET = 17;
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const INT32 = onnx.TensorProto.DataType.INT32;
export const BOOL = onnx.TensorProto.DataType.BOOL;
export const UINT8 = onnx.TensorProto.DataType.UINT8;
/** onnxruntime's contrib operators (`MatMulNBits`, `GatherBlockQuantized`) live in this domain. */
export const CONTRIB_DOMAIN = "com.microsoft";

/** A symbolic (string) or fixed (number) dimension of a graph input or output. */
export type Dim = string | number;
/** Node attributes used by the shard graphs: integers and integer lists only. */
type Attributes = Record<string, number | number[]>;

/**
 * A minimal ONNX graph builder: nodes get unique output names, small constants are deduplicated initializers,
 * and large weights are declared as external-data initializers whose bytes the caller writes elsewhere.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Adds one node and returns its (single) output name; `name` fixes it, e.g. for graph outputs. */
  op(opType: string, inputs: string[], attributes: Attributes = {}, name?: string): string {
    return this.node("", opType, inputs, attributes, name);
  }

  /** Adds one node of onnxruntime's `com.microsoft` domain; an empty input name skips an optional input. */
  contribOp(opType: string, inputs: string[], attributes: Attributes = {}): string {
    return this.node(CONTRIB_DOMAIN, opType, inputs, attributes);
  }

  /** A `com.microsoft` node with several outputs, named by the caller (e.g. `GroupQueryAttention`'s three). */
  contribNode(opType: string, inputs: string[], outputs: string[], attributes: Attributes = {}): void {
    this.nodes.push(this.proto(CONTRIB_DOMAIN, opType, inputs, outputs, attributes));
  }

  private node(domain: string, opType: string, inputs: string[], attributes: Attributes, name?: string) {
    const output = name ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push(this.proto(domain, opType, inputs, [output], attributes));
    return output;
  }

  private proto(
    domain: string,
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes: Attributes,
  ): onnxProto.onnx.INodeProto {
    return {
      opType,
      domain,
      name: `${opType}_${this.nodes.length}`,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    };
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    return this.constant(INT64, values, dims);
  }

  float(values: number[], dims: number[] = [values.length]): string {
    return this.constant(FLOAT, values, dims);
  }

  /** A float initializer with inline data (for small computed tables such as RoPE inverse frequencies). */
  floatTensor(name: string, values: Float32Array, dims: number[]): string {
    this.initializers.push({ name, dataType: FLOAT, dims, rawData: new Uint8Array(values.slice().buffer) });
    return name;
  }

  /** An initializer of any type with inline bytes (tests build small quantized graphs with it). */
  rawTensor(name: string, dataType: number, dims: number[], bytes: Uint8Array): string {
    this.initializers.push({ name, dataType, dims, rawData: bytes });
    return name;
  }

  /** Declares a weight whose bytes live in an external-data file; returns the proto so the writer can place it. */
  externalTensor(name: string, dataType: number, dims: number[]): onnxProto.onnx.ITensorProto {
    const tensor: onnxProto.onnx.ITensorProto = {
      name,
      dataType,
      dims,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [],
    };
    this.initializers.push(tensor);
    return tensor;
  }

  /** The model proto; ONNX IR 8 with the default opset is what onnxruntime 1.30 loads without conversion. */
  build(graphName: string, docString: string): onnxProto.onnx.ModelProto {
    return onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [
        { domain: "", version: OPSET },
        { domain: CONTRIB_DOMAIN, version: 1 },
      ],
      producerName: "@teetee/inference",
      docString,
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  private constant(dataType: number, values: number[], dims: number[]): string {
    const key = `${dataType}:${dims.join("x")}:${values.join(",")}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = `const_${this.constants.size}`;
    const raw =
      dataType === INT64
        ? new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer)
        : new Uint8Array(Float32Array.from(values).buffer);
    this.initializers.push({ name, dataType, dims, rawData: raw });
    this.constants.set(key, name);
    return name;
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: number | number[]): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  return Array.isArray(value)
    ? { name, type: AttributeType.INTS, ints: value }
    : { name, type: AttributeType.INT, i: value };
}
