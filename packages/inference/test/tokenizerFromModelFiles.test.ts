import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ManifestError, TokenizerError } from "../src/errors.js";
import { loadTokenizer } from "../src/loadTokenizer.js";
import { makeTestModel } from "../src/makeTestModel.js";
import { type Manifest, modelIdOf, sha256Hex } from "../src/manifest.js";
import { shardModel } from "../src/shardModel.js";
import { tokenizerFromModelFiles } from "../src/tokenizer.js";
import { tempDir } from "./helpers.js";

// A buyer's browser gets a model's tokenizer from a gateway it does not trust: the files must be the ones the
// on-chain model id commits to, through the manifest.
const tmp = tempDir("teetee-tokenizer-files-");
afterAll(() => tmp.cleanup());

let manifest: Manifest;
let modelId: string;
let files: Record<string, Uint8Array>;

beforeAll(async () => {
  const modelDir = join(tmp.path, "model");
  const outDir = join(tmp.path, "shards");
  makeTestModel({ dir: modelDir, numLayers: 2 });
  // A generation_config.json with a second stop token, so that all three files are served and checked.
  writeFileSync(join(modelDir, "generation_config.json"), JSON.stringify({ eos_token_id: [2, 3] }));
  ({ manifest, modelId } = await shardModel({ modelDir, outDir, shardCount: 2, quiet: true }));
  files = Object.fromEntries(
    manifest.tokenizer.files.map((file) => [
      file.path,
      new Uint8Array(readFileSync(join(outDir, file.path))),
    ]),
  );
  expect(Object.keys(files)).toEqual(["tokenizer.json", "tokenizer_config.json", "generation_config.json"]);
}, 60_000);

const asServed = (value: unknown) => JSON.parse(JSON.stringify(value));

test("the served files give the tokenizer the shard folder holds", () => {
  const served = tokenizerFromModelFiles({ modelId, manifest: asServed(manifest), files });
  const local = loadTokenizer(join(tmp.path, "shards"));
  const ids = local.encode("The quick brown fox, ünïcödé 🙂", { addSpecialTokens: false });
  expect(served.decode(ids)).toBe(local.decode(ids));
  expect(served.encode("Hello world!")).toEqual(local.encode("Hello world!"));
  expect(served.stopTokenIds).toEqual(local.stopTokenIds);
  expect(served.stopTokenIds).toContain(3);
});

test("a tokenizer file changed by one byte, cut short or missing is a TokenizerError naming it", () => {
  for (const name of Object.keys(files)) {
    const original = files[name]!;
    const flipped = original.slice();
    flipped[flipped.length - 2] = flipped[flipped.length - 2]! ^ 1;
    for (const bytes of [flipped, original.subarray(0, original.length - 1)]) {
      const attempt = () =>
        tokenizerFromModelFiles({
          modelId,
          manifest: asServed(manifest),
          files: { ...files, [name]: bytes },
        });
      expect(attempt).toThrow(TokenizerError);
      expect(attempt).toThrow(`${name} from the served files is not the file the model's manifest records`);
    }
    const { [name]: _dropped, ...rest } = files;
    expect(() => tokenizerFromModelFiles({ modelId, manifest: asServed(manifest), files: rest })).toThrow(
      `${name} is missing from the served files`,
    );
  }
});

test("a manifest edited to match other tokenizer files no longer hashes to the model id", () => {
  const other = new TextEncoder().encode(
    JSON.stringify({ ...JSON.parse(new TextDecoder().decode(files["tokenizer.json"]!)), added_tokens: [] }),
  );
  const edited = asServed(manifest) as Manifest;
  const entry = edited.tokenizer.files.find((file) => file.path === "tokenizer.json")!;
  entry.bytes = other.length;
  entry.sha256 = sha256Hex(other);
  expect(modelIdOf(edited)).not.toBe(modelId);
  expect(() =>
    tokenizerFromModelFiles({ modelId, manifest: edited, files: { ...files, "tokenizer.json": other } }),
  ).toThrow(ManifestError);
});

test("a manifest that is not one, or of another model, is a ManifestError", () => {
  expect(() => tokenizerFromModelFiles({ modelId, manifest: { format: "other" }, files })).toThrow(
    ManifestError,
  );
  expect(() =>
    tokenizerFromModelFiles({ modelId: `0x${"11".repeat(32)}`, manifest: asServed(manifest), files }),
  ).toThrow(/does not match the expected model id/);
});
