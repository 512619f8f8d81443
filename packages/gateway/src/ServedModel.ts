import { loadManifest, loadTokenizer, type Manifest, modelIdOf, type Tokenizer } from "@teetee/inference";
import type { Hex } from "viem";

/** A model the gateway serves: its id, the name clients use, and its tokenizer and chat template. */
export type ServedModel = {
  /** The name clients pass as `model` (the id works too). */
  name: string;
  modelId: Hex;
  manifest: Manifest;
  tokenizer: Tokenizer;
  /** The shard folder it was loaded from: the tokenizer files the gateway serves to verifiers are read here. */
  dir: string;
};

/**
 * Loads a served model from a shard folder (any shard's: each holds the manifest and the tokenizer files). The
 * model id is recomputed from the manifest, never taken from configuration.
 */
export async function loadServedModel(dir: string, name?: string): Promise<ServedModel> {
  const manifest = await loadManifest(dir);
  const modelId = modelIdOf(manifest);
  return { name: name ?? modelId, modelId, manifest, tokenizer: loadTokenizer(dir), dir };
}

/** The served model named `model` (its name or its id, any case), whether or not it has a route now. */
export function findServedModel(models: readonly ServedModel[], model: string): ServedModel | undefined {
  const wanted = model.toLowerCase();
  return models.find((m) => m.name.toLowerCase() === wanted || m.modelId.toLowerCase() === wanted);
}
