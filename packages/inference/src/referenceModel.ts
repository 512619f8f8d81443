import { hasQkNorm, loadModelConfig, type ModelConfig } from "./modelConfig.js";
import { WeightStore } from "./openWeights.js";

/**
 * A plain-TypeScript forward pass of the Llama family, written from the architecture's definition (Transformers'
 * `modeling_llama.py`, `modeling_mistral.py`, `modeling_qwen2.py`, `modeling_qwen3.py`) and sharing no code with the ONNX graphs
 * beyond config parsing and weight loading. It exists to check the graphs: slow, float64 arithmetic, small
 * models only.
 */
export class ReferenceModel {
  private keys: number[][][] = [];
  private values: number[][][] = [];
  private readonly invFreq: number[];

  private constructor(
    readonly config: ModelConfig,
    private readonly w: Map<string, Float32Array>,
  ) {
    this.invFreq = referenceInverseFrequencies(config);
    this.reset();
  }

  /** Reads the whole model into memory (so keep it small). */
  static load(modelDir: string): ReferenceModel {
    const config = loadModelConfig(modelDir);
    const store = WeightStore.open(modelDir);
    try {
      const weights = new Map<string, Float32Array>();
      const {
        hiddenSize: h,
        vocabSize: v,
        numHeads: nh,
        numKvHeads: nkv,
        headDim: d,
        intermediateSize: i,
      } = config;
      const read = (name: string, shape: number[]) => weights.set(name, store.read(name, shape));
      read("model.embed_tokens.weight", [v, h]);
      read("model.norm.weight", [h]);
      if (!config.tieWordEmbeddings) read("lm_head.weight", [v, h]);
      for (let l = 0; l < config.numLayers; l++) {
        const p = `model.layers.${l}.`;
        read(`${p}input_layernorm.weight`, [h]);
        read(`${p}post_attention_layernorm.weight`, [h]);
        read(`${p}self_attn.q_proj.weight`, [nh * d, h]);
        read(`${p}self_attn.k_proj.weight`, [nkv * d, h]);
        read(`${p}self_attn.v_proj.weight`, [nkv * d, h]);
        read(`${p}self_attn.o_proj.weight`, [h, nh * d]);
        if (config.qkvBias) {
          read(`${p}self_attn.q_proj.bias`, [nh * d]);
          read(`${p}self_attn.k_proj.bias`, [nkv * d]);
          read(`${p}self_attn.v_proj.bias`, [nkv * d]);
        }
        if (config.oBias) read(`${p}self_attn.o_proj.bias`, [h]);
        if (hasQkNorm(config)) {
          read(`${p}self_attn.q_norm.weight`, [d]);
          read(`${p}self_attn.k_norm.weight`, [d]);
        }
        for (const m of ["gate", "up"]) read(`${p}mlp.${m}_proj.weight`, [i, h]);
        read(`${p}mlp.down_proj.weight`, [h, i]);
        if (config.mlpBias) {
          for (const m of ["gate", "up"]) read(`${p}mlp.${m}_proj.bias`, [i]);
          read(`${p}mlp.down_proj.bias`, [h]);
        }
      }
      return new ReferenceModel(config, weights);
    } finally {
      store.close();
    }
  }

  get cachedLength(): number {
    return this.keys[0]!.length;
  }

  reset(): void {
    this.keys = Array.from({ length: this.config.numLayers }, () => []);
    this.values = Array.from({ length: this.config.numLayers }, () => []);
  }

  /**
   * Runs the new tokens through the model, extending the cache, and returns the logits of every new position
   * ([seq][vocab]). Positions default to continuing after the cached ones.
   */
  forward(inputIds: number[], positionIds?: number[]): number[][] {
    const start = this.cachedLength;
    const positions = positionIds ?? inputIds.map((_, i) => start + i);
    let states = inputIds.map((id) => this.row("model.embed_tokens.weight", id, this.config.hiddenSize));
    for (let layer = 0; layer < this.config.numLayers; layer++) {
      states = this.decoderLayer(layer, states, positions, start);
    }
    const head = this.config.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight";
    return states.map((x) => this.linear(this.rmsNorm(x, "model.norm.weight"), head));
  }

  private decoderLayer(layer: number, states: number[][], positions: number[], start: number): number[][] {
    const p = `model.layers.${layer}.`;
    const attended = this.attention(
      layer,
      states.map((x) => this.rmsNorm(x, `${p}input_layernorm.weight`)),
      positions,
      start,
    );
    return states.map((x, t) => {
      const h = add(x, this.linear(attended[t]!, `${p}self_attn.o_proj`));
      const n = this.rmsNorm(h, `${p}post_attention_layernorm.weight`);
      const gate = this.linear(n, `${p}mlp.gate_proj`);
      const up = this.linear(n, `${p}mlp.up_proj`);
      const act = gate.map((g, j) => (g / (1 + Math.exp(-g))) * up[j]!);
      return add(h, this.linear(act, `${p}mlp.down_proj`));
    });
  }

  /** Causal grouped-query attention: query head h reads KV head ⌊h / (heads / kv_heads)⌋. */
  private attention(layer: number, normed: number[][], positions: number[], start: number): number[][] {
    const { numHeads, numKvHeads, headDim } = this.config;
    const p = `model.layers.${layer}.self_attn.`;
    const queries: number[][] = [];
    normed.forEach((x, t) => {
      const q = this.headNorm(this.linear(x, `${p}q_proj`), `${p}q_norm.weight`, numHeads);
      const k = this.headNorm(this.linear(x, `${p}k_proj`), `${p}k_norm.weight`, numKvHeads);
      queries.push(this.rope(q, positions[t]!, numHeads));
      this.keys[layer]!.push(this.rope(k, positions[t]!, numKvHeads));
      this.values[layer]!.push(this.linear(x, `${p}v_proj`));
    });
    const keys = this.keys[layer]!;
    const values = this.values[layer]!;
    const group = numHeads / numKvHeads;
    return queries.map((q, t) => {
      const out = new Array<number>(numHeads * headDim).fill(0);
      for (let head = 0; head < numHeads; head++) {
        const kv = Math.floor(head / group) * headDim;
        const visible = start + t + 1;
        const scores = Array.from({ length: visible }, (_, j) => {
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += q[head * headDim + d]! * keys[j]![kv + d]!;
          return dot / Math.sqrt(headDim);
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        for (let j = 0; j < visible; j++) {
          for (let d = 0; d < headDim; d++)
            out[head * headDim + d]! += (exps[j]! / sum) * values[j]![kv + d]!;
        }
      }
      return out;
    });
  }

  /**
   * Rotates each head's halves (x₁, x₂) by angle position·θᵢ: (x₁cos − x₂sin, x₂cos + x₁sin). The angle is rounded
   * to fp32 because Transformers computes it in fp32; at position 100 that rounding is already ~4e-6 rad.
   */
  private rope(x: number[], position: number, heads: number): number[] {
    const { headDim } = this.config;
    const half = headDim / 2;
    const out = x.slice();
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(position * this.invFreq[i]!);
        const a = x[h * headDim + i]!;
        const b = x[h * headDim + half + i]!;
        out[h * headDim + i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[h * headDim + half + i] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return out;
  }

  /** Qwen3: RMSNorm of each head's head_dim values, before RoPE; the identity for the other architectures. */
  private headNorm(x: number[], weight: string, heads: number): number[] {
    if (!hasQkNorm(this.config)) return x;
    const d = this.config.headDim;
    return Array.from({ length: heads }, (_, h) => this.rmsNorm(x.slice(h * d, (h + 1) * d), weight)).flat();
  }

  private rmsNorm(x: number[], weight: string): number[] {
    const w = this.w.get(weight)!;
    const meanSquare = x.reduce((s, v) => s + v * v, 0) / x.length;
    const scale = 1 / Math.sqrt(meanSquare + this.config.rmsNormEps);
    return x.map((v, i) => v * scale * w[i]!);
  }

  /** y = W x (+ b) with W stored [out, in] as in the checkpoint; `name` is a weight name or a module prefix. */
  private linear(x: number[], name: string): number[] {
    const w = this.w.get(name) ?? this.w.get(`${name}.weight`)!;
    const bias = this.w.get(`${name}.bias`);
    const outs = w.length / x.length;
    return Array.from({ length: outs }, (_, o) => {
      let sum = bias ? bias[o]! : 0;
      for (let i = 0; i < x.length; i++) sum += w[o * x.length + i]! * x[i]!;
      return sum;
    });
  }

  private row(name: string, index: number, width: number): number[] {
    return Array.from(this.w.get(name)!.subarray(index * width, (index + 1) * width));
  }
}

function add(a: number[], b: number[]): number[] {
  return a.map((v, i) => v + b[i]!);
}

/** θᵢ = base^(−2i/d), rescaled per `rope_scaling` (Transformers' `_compute_*_parameters`), rounded to fp32. */
function referenceInverseFrequencies(config: ModelConfig): number[] {
  const dim = config.headDim;
  const scaling = config.ropeScaling;
  return Array.from({ length: dim / 2 }, (_, i) => {
    const theta = 1 / config.ropeTheta ** ((2 * i) / dim);
    if (scaling.type === "none") return Math.fround(theta);
    if (scaling.type === "linear") return Math.fround(theta / scaling.factor);
    const wavelength = (2 * Math.PI) / theta;
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
    if (wavelength > originalMaxPositions / lowFreqFactor) return Math.fround(theta / factor);
    if (wavelength < originalMaxPositions / highFreqFactor) return Math.fround(theta);
    const smooth = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return Math.fround((1 - smooth) * (theta / factor) + smooth * theta);
  });
}
