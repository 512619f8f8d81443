import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalChain, startLocalChain } from "@teetee/devnet";
import { createPaymentMarket, type PaymentMarket } from "@teetee/devnet/market";
import { signReceiptBundle } from "@teetee/devnet/testing";
import { loadTokenizer, makeTestModel } from "@teetee/inference";
import { type ReceiptBundle, receiptBundleJson } from "@teetee/sdk/receipts";
import { parseJson, teetee } from "./helpers.js";

// `teetee receipt verify` on bundles signed by the runners a real registry holds, read back from files.
let local: LocalChain;
let market: PaymentMarket;
let env: Record<string, string>;
let bundle: ReceiptBundle;
const dir = mkdtempSync(join(tmpdir(), "teetee-receipts-"));
const modelDir = join(dir, "model");
const TEXT = " Hello world!";

function write(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

beforeAll(async () => {
  makeTestModel({
    dir: modelDir,
    numLayers: 1,
    hiddenSize: 16,
    intermediateSize: 32,
    numHeads: 2,
    numKvHeads: 1,
  });
  const tokenizer = loadTokenizer(modelDir);
  local = await startLocalChain();
  market = await createPaymentMarket(local, { shardCount: 2 });
  env = { TEETEE_RPC_URL: local.rpcUrl, TEETEE_DEPLOYMENT: write("deployment.json", market.deployment) };
  bundle = await signReceiptBundle({
    domain: { chainId: local.chainId, runnerRegistry: market.deployment.runnerRegistry },
    modelId: market.model.modelId,
    signers: market.runners,
    promptTokenIds: tokenizer.encode("The quick brown fox"),
    completionTokenIds: [...tokenizer.encode(TEXT, { addSpecialTokens: false }), tokenizer.stopTokenIds[0]!],
    text: TEXT,
    issuedAt: (await market.publicClient.getBlock()).timestamp,
  });
}, 120_000);

afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("teetee receipt verify", () => {
  test("a good bundle prints every check ✓ and exits 0; the gateway's answer carrying it reads the same", async () => {
    const file = write("good.json", receiptBundleJson(bundle));
    const run = await teetee(["receipt", "verify", file, "--model-dir", modelDir], env, dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ The text is what the completion tokens decode to/);
    expect(run.stdout).not.toMatch(/✗/);
    expect(run.stdout.trim().endsWith("VERIFIED")).toBe(true);
    const answer = write("answer.json", { id: bundle.id, teetee: { receipts: receiptBundleJson(bundle) } });
    const json = parseJson<{ ok: boolean; checks: { id: string; status: string }[] }>(
      await teetee(["receipt", "verify", answer, "--json"], env, dir),
    );
    expect(json.ok).toBe(true);
    expect(json.checks.find((c) => c.id === "text")?.status).toBe("skip");
  });

  test("a tampered bundle prints the failed check ✗ and exits with the verification code (6)", async () => {
    const file = write("tampered.json", receiptBundleJson({ ...bundle, text: " Hello there!" }));
    const run = await teetee(["receipt", "verify", file, "--tokenizer", modelDir], env, dir);
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/✗ The text is what the completion tokens decode to: The text differs/);
    expect(run.stdout).toMatch(/NOT VERIFIED/);
    const json = parseJson<{ ok: boolean }>(
      await teetee(["receipt", "verify", file, "--json", "--tokenizer", modelDir], env, dir),
    );
    expect(json.ok).toBe(false);
    const [first, last] = bundle.receipts as [ReceiptBundle["receipts"][0], ReceiptBundle["receipts"][0]];
    const resigned = { ...last, receipt: { ...last.receipt, issuedAt: last.receipt.issuedAt + 1n } };
    const forged = write("forged.json", receiptBundleJson({ ...bundle, receipts: [first, resigned] }));
    const forgedRun = await teetee(["receipt", "verify", forged], env, dir);
    expect(forgedRun.code).toBe(6);
    expect(forgedRun.stdout).toMatch(
      /✗ Shard 1's receipt is signed by a runner of that shard: 0x[0-9a-fA-F]{40} is not a registered runner/,
    );
  });

  test("a file that is no bundle is bad input (2)", async () => {
    const file = write("bad.json", { ...receiptBundleJson(bundle), receipts: [] });
    const run = await teetee(["receipt", "verify", file], env, dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/receipts/);
  });
});
