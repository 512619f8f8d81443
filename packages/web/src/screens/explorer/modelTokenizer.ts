import type { Tokenizer } from "@teetee/inference/tokenizer";
import type { Hex } from "viem";

/** A model's manifest and tokenizer files as a gateway served them, checked by nobody yet. */
export type ServedTokenizerFiles = { manifest: unknown; files: Record<string, Uint8Array> };

/**
 * Downloads model `modelId`'s manifest and the tokenizer files it lists from the gateway
 * (`GET /v1/models/{id}/manifest`, `GET /v1/models/{id}/files/{file}`). Throws when the gateway does not answer
 * them; what they hold is checked by `checkedTokenizer`, not here.
 */
export async function downloadTokenizerFiles(
  gatewayUrl: string,
  modelId: Hex,
  fetchFn: typeof fetch = fetch,
): Promise<ServedTokenizerFiles> {
  const base = `${gatewayUrl.replace(/\/+$/, "")}/v1/models/${modelId}`;
  const get = async (path: string) => {
    const response = await fetchFn(`${base}/${path}`);
    if (!response.ok) throw new Error(`GET ${base}/${path} answered HTTP ${response.status}.`);
    return response;
  };
  const manifest: unknown = await (await get("manifest")).json();
  const listed = (manifest as { tokenizer?: { files?: { path?: unknown }[] } }).tokenizer?.files ?? [];
  const names = listed.map((file) => file.path).filter((path): path is string => typeof path === "string");
  const files: Record<string, Uint8Array> = {};
  for (const name of names) {
    files[name] = new Uint8Array(await (await get(`files/${encodeURIComponent(name)}`)).arrayBuffer());
  }
  return { manifest, files };
}

/**
 * The tokenizer of `modelId` from files a gateway served, trusting none of them (`tokenizerFromModelFiles`: the
 * manifest must hash to the model id, each file to the manifest's SHA-256). The tokenizer code is loaded only
 * when an answer is first checked.
 */
export async function checkedTokenizer(modelId: Hex, served: ServedTokenizerFiles): Promise<Tokenizer> {
  const { tokenizerFromModelFiles } = await import("@teetee/inference/tokenizer");
  return tokenizerFromModelFiles({ modelId, ...served, source: "the gateway" });
}
