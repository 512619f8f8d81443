import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalChain, startLocalChain } from "@teetee/devnet";
import {
  createPaymentMarket,
  type PaymentMarket,
  shareSpec,
  TEST_COMPOSE_HASH,
  TEST_OS_IMAGE,
} from "@teetee/devnet/market";
import { prepareShardedModel, signReceiptBundle } from "@teetee/devnet/testing";
import { loadTokenizer, type Manifest, modelParamsOf, type Tokenizer } from "@teetee/inference";
import { type ReceiptBundle, receiptBundleJson } from "@teetee/sdk/receipts";
import { checkAnswerReceipts } from "./checkAnswerReceipts.js";

// What the Playground shows for an answer's `teetee.receipts`, against a real registry's runners, of a model sharded
// for real so that its tokenizer files can be checked against its id. The gateway's two file routes are played by
// `served` (the gateway's own tests cover them over HTTP; the web e2e test runs the whole path).
const TEXT = " the quick brown fox";
let local: LocalChain;
let market: PaymentMarket;
let bundle: ReceiptBundle;
let manifest: Manifest;
let shardDir: string;
let tokenizer: Tokenizer;
const work = mkdtempSync(join(tmpdir(), "teetee-web-receipts-"));
const config = () => ({ contracts: market.deployment, startBlock: BigInt(market.deployment.startBlock) });

beforeAll(async () => {
  ({ manifest, shardDir } = await prepareShardedModel({
    dir: work,
    shardCount: 2,
    shape: { hiddenSize: 16, intermediateSize: 32, numLayers: 2, numHeads: 2, numKvHeads: 1 },
  }));
  tokenizer = loadTokenizer(shardDir);
  local = await startLocalChain();
  const model = modelParamsOf(manifest, {
    inputPricePerMTok: 2_000_000n,
    outputPricePerMTok: 6_000_000n,
    minStake: 1_000_000n,
    attestationTtl: 3600n,
    shareBps: shareSpec(2, 500),
    composeHashes: [TEST_COMPOSE_HASH],
    osImages: [TEST_OS_IMAGE],
  });
  market = await createPaymentMarket(local, { model });
  bundle = await signReceiptBundle({
    domain: { chainId: local.chainId, runnerRegistry: market.deployment.runnerRegistry },
    modelId: model.modelId,
    signers: market.runners,
    promptTokenIds: tokenizer.encode("Hello world!"),
    completionTokenIds: tokenizer.encode(TEXT, { addSpecialTokens: false }),
    text: TEXT,
    issuedAt: (await market.publicClient.getBlock()).timestamp,
  });
}, 120_000);

afterAll(async () => {
  await local?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A gateway at `url` serving the shard folder's manifest and tokenizer files, each replaceable; counts requests. */
function served(url: string, replace: Record<string, Uint8Array | null> = {}) {
  const requests: string[] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    const href = String(input);
    requests.push(href);
    const name = href.endsWith("/manifest")
      ? "manifest.json"
      : decodeURIComponent(href.split("/files/")[1] ?? "");
    const bytes = name in replace ? replace[name] : new Uint8Array(readFileSync(join(shardDir, name)));
    if (!href.startsWith(`${url}/v1/models/${bundle.modelId}/`) || bytes === null || bytes === undefined) {
      return new Response(JSON.stringify({ error: { message: "Unknown endpoint." } }), { status: 404 });
    }
    return new Response(bytes.slice(), { status: 200 });
  }) as typeof fetch;
  return { gatewayUrl: url, fetch: fetchFn, requests };
}

const check = (receipts: unknown, shown?: Parameters<typeof checkAnswerReceipts>[3]) =>
  checkAnswerReceipts(market.publicClient, config(), receipts, shown);
const statusOf = (report: Awaited<ReturnType<typeof check>>, title: string) =>
  report?.checks.find((c) => c.title === title)?.status;
const TEXT_CHECK = "The text is what the completion tokens decode to";
const TOKENIZER_CHECK = "The tokenizer files are the ones the model id commits to";
const SHOWN_CHECK = "The answer shown is the text the receipts cover";

test("an answer without receipts shows nothing", async () => {
  expect(await check(undefined)).toBeUndefined();
});

test("without the answer shown the text check is skipped", async () => {
  const report = await check(JSON.parse(JSON.stringify(receiptBundleJson(bundle))));
  expect(report?.ok).toBe(true);
  expect(report?.checks.filter((c) => c.status !== "pass").map((c) => c.title)).toEqual([TEXT_CHECK]);
});

test("an honest answer verifies in full, its text decoded by the model's tokenizer from the gateway, fetched once", async () => {
  const gateway = served("http://gateway-a");
  const json = JSON.parse(JSON.stringify(receiptBundleJson(bundle)));
  const report = await check(json, { text: TEXT, ...gateway });
  expect(report?.ok).toBe(true);
  expect(report?.checks.filter((c) => c.status !== "pass")).toEqual([]);
  expect(statusOf(report, TEXT_CHECK)).toBe("pass");
  expect(statusOf(report, TOKENIZER_CHECK)).toBe("pass");
  expect(statusOf(report, SHOWN_CHECK)).toBe("pass");
  expect(gateway.requests).toHaveLength(1 + manifest.tokenizer.files.length);
  expect(await check(json, { text: TEXT, ...gateway })).toMatchObject({ ok: true });
  expect(gateway.requests).toHaveLength(1 + manifest.tokenizer.files.length);
});

test("text the tokens do not decode to fails, and so does an answer shown other than the receipts' text", async () => {
  const lying = await check(receiptBundleJson({ ...bundle, text: " the quick brown cat" }), {
    text: " the quick brown cat",
    ...served("http://gateway-b"),
  });
  expect(lying?.ok).toBe(false);
  expect(statusOf(lying, TEXT_CHECK)).toBe("fail");
  expect(statusOf(lying, SHOWN_CHECK)).toBe("pass");
  const shownOther = await check(receiptBundleJson(bundle), {
    text: " a different answer",
    ...served("http://gateway-c"),
  });
  expect(shownOther?.ok).toBe(false);
  expect(statusOf(shownOther, TEXT_CHECK)).toBe("pass");
  expect(statusOf(shownOther, SHOWN_CHECK)).toBe("fail");
});

test("a gateway serving another tokenizer.json fails the tokenizer check; one not serving it leaves the text unchecked", async () => {
  const original = readFileSync(join(shardDir, "tokenizer.json"));
  const other = new Uint8Array(original);
  other[other.length - 2] = other[other.length - 2]! ^ 1;
  const swapped = await check(receiptBundleJson(bundle), {
    text: TEXT,
    ...served("http://gateway-d", { "tokenizer.json": other }),
  });
  expect(swapped?.ok).toBe(false);
  expect(swapped?.checks.find((c) => c.title === TOKENIZER_CHECK)).toMatchObject({
    status: "fail",
    detail: expect.stringContaining(
      "tokenizer.json from the gateway is not the file the model's manifest records",
    ),
  });
  expect(statusOf(swapped, TEXT_CHECK)).toBe("skip");
  const absent = await check(receiptBundleJson(bundle), {
    text: TEXT,
    ...served("http://gateway-e", { "manifest.json": null }),
  });
  expect(absent?.ok).toBe(true);
  expect(absent?.checks.find((c) => c.title === TOKENIZER_CHECK)).toMatchObject({
    status: "skip",
    detail: expect.stringContaining("HTTP 404"),
  });
  expect(statusOf(absent, TEXT_CHECK)).toBe("skip");
});

test("a tampered bundle shows its failed check; a malformed one says so", async () => {
  const sampled = bundle.completionTokenIds;
  const tampered = await check(
    receiptBundleJson({ ...bundle, completionTokenIds: [...sampled.slice(0, -1), sampled.at(-1)! + 1] }),
  );
  expect(tampered?.ok).toBe(false);
  expect(tampered?.checks.find((c) => c.status === "fail")?.title).toBe(
    "The completion is what the last shard sampled",
  );
  const malformed = await check({ ...receiptBundleJson(bundle), receipts: [] });
  expect(malformed).toMatchObject({
    ok: false,
    checks: [{ title: "Receipts are well-formed", status: "fail" }],
  });
});
