import { type LocalChain, startLocalChain } from "@teetee/devnet";
import { createPaymentMarket, type PaymentMarket } from "@teetee/devnet/market";
import { signReceiptBundle } from "@teetee/devnet/testing";
import { type ReceiptBundle, receiptBundleJson } from "@teetee/sdk/receipts";
import { checkAnswerReceipts } from "./checkAnswerReceipts.js";

// What the Playground shows for an answer's `teetee.receipts`, against a real registry's runners.
let local: LocalChain;
let market: PaymentMarket;
let bundle: ReceiptBundle;
const config = () => ({ contracts: market.deployment, startBlock: BigInt(market.deployment.startBlock) });

beforeAll(async () => {
  local = await startLocalChain();
  market = await createPaymentMarket(local, { shardCount: 2 });
  bundle = await signReceiptBundle({
    domain: { chainId: local.chainId, runnerRegistry: market.deployment.runnerRegistry },
    modelId: market.model.modelId,
    signers: market.runners,
    promptTokenIds: [1, 2, 3],
    completionTokenIds: [4, 5],
    text: "hi",
    issuedAt: (await market.publicClient.getBlock()).timestamp,
  });
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

const check = (receipts: unknown) => checkAnswerReceipts(market.publicClient, config(), receipts);

test("an answer without receipts shows nothing", async () => {
  expect(await check(undefined)).toBeUndefined();
});

test("an honest bundle, as JSON from the gateway, verifies in the browser with the text check skipped", async () => {
  const report = await check(JSON.parse(JSON.stringify(receiptBundleJson(bundle))));
  expect(report?.ok).toBe(true);
  expect(report?.checks.filter((c) => c.status !== "pass").map((c) => c.title)).toEqual([
    "The text is what the completion tokens decode to",
  ]);
});

test("a tampered bundle shows its failed check; a malformed one says so", async () => {
  const tampered = await check(receiptBundleJson({ ...bundle, completionTokenIds: [4, 6] }));
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
