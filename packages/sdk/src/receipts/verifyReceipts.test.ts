import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalChain, startLocalChain } from "@teetee/devnet";
import {
  createPaymentMarket,
  type PaymentMarket,
  TEST_COMPOSE_HASH,
  TEST_OS_IMAGE,
} from "@teetee/devnet/market";
import { signReceiptBundle } from "@teetee/devnet/testing";
import { loadTokenizer, makeTestModel, type Tokenizer } from "@teetee/inference";
import { createTestClient, createWalletClient, getAddress, type Hex, http, keccak256, toHex } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { signRunnerConsent } from "../contracts/runnerConsent/signRunnerConsent.js";
import { deactivateRunner } from "../contracts/runnerRegistry/deactivateRunner.js";
import { registerRunner } from "../contracts/runnerRegistry/registerRunner.js";
import {
  assertReceipts,
  getRunnerPeriods,
  parseReceiptBundle,
  RECEIPT_CLOCK_SKEW_SECONDS,
  type Receipt,
  type ReceiptBundle,
  ReceiptChainError,
  ReceiptDomainError,
  ReceiptError,
  ReceiptFromTheFutureError,
  ReceiptLinkError,
  ReceiptModelError,
  ReceiptRunnerInactiveError,
  ReceiptSignerError,
  ReceiptTextError,
  ReceiptTokensError,
  RouteReceiptsIncompleteError,
  receiptBundleJson,
  type SignedReceipt,
  verifyReceipts,
  ZERO_HASH,
} from "./index.js";

// A real chain of receipts, signed by the runners a real RunnerRegistry holds for a 3-shard model, over the
// ReceiptHasher digests of a real tokenizer's tokens and of activation rows passed between the shards.
let local: LocalChain;
let market: PaymentMarket;
let tokenizer: Tokenizer;
let domain: { chainId: number; runnerRegistry: Hex };
let chainNow: bigint;
const dir = mkdtempSync(path.join(tmpdir(), "verify-receipts-"));
const sessionId: Hex = `0x${"5e".repeat(16)}`;

let prompt: number[];
let completion: number[];
const TEXT = " How are you today?";

beforeAll(async () => {
  makeTestModel({ dir, numLayers: 1, hiddenSize: 16, intermediateSize: 32, numHeads: 2, numKvHeads: 1 });
  tokenizer = loadTokenizer(dir);
  prompt = tokenizer.encode("Hello world!");
  completion = [...tokenizer.encode(TEXT, { addSpecialTokens: false }), tokenizer.stopTokenIds[0]!];
  local = await startLocalChain();
  market = await createPaymentMarket(local, { shardCount: 3 });
  domain = { chainId: local.chainId, runnerRegistry: market.deployment.runnerRegistry };
  chainNow = (await market.publicClient.getBlock()).timestamp;
}, 120_000);

afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const contracts = () => market.deployment;

type BundleOptions = {
  signers?: PrivateKeyAccount[];
  issuedAt?: bigint;
  prompt?: number[];
  completion?: number[];
  replayedTokens?: number;
  text?: string;
};

/** An honest bundle: shard 0 reads the tokens, each shard signs over the last one's receipt, the last samples. */
const bundleOf = (options: BundleOptions = {}): Promise<ReceiptBundle> =>
  signReceiptBundle({
    domain,
    modelId: market.model.modelId,
    sessionId,
    signers: options.signers ?? market.runners,
    promptTokenIds: options.prompt ?? prompt,
    completionTokenIds: options.completion ?? completion,
    replayedTokens: options.replayedTokens ?? 0,
    text: options.text ?? TEXT,
    issuedAt: options.issuedAt ?? chainNow,
  });

const verify = (bundle: ReceiptBundle, extra: { stops?: string[]; tokenizer?: Tokenizer | undefined } = {}) =>
  verifyReceipts(market.publicClient, { bundle, contracts: contracts(), tokenizer, ...extra });

async function refusal(bundle: ReceiptBundle, extra: { stops?: string[] } = {}): Promise<ReceiptError> {
  const error = await assertReceipts(market.publicClient, {
    bundle,
    contracts: contracts(),
    tokenizer,
    ...extra,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReceiptError);
  return error as ReceiptError;
}

const statusOf = async (bundle: ReceiptBundle, id: string) =>
  (await verify(bundle)).checks.find((c) => c.id === id)?.status;

function withReceipt(bundle: ReceiptBundle, index: number, change: Partial<Receipt>): ReceiptBundle {
  const receipts = bundle.receipts.map((signed, i) =>
    i === index ? { ...signed, receipt: { ...signed.receipt, ...change } } : signed,
  );
  return { ...bundle, receipts };
}

describe("verifyReceipts: an honest bundle", () => {
  test("passes every check, the text decoded by the gateway's rules; its JSON form verifies too", async () => {
    const bundle = await bundleOf();
    const result = await verify(bundle);
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ["domain", "pass"],
      ["model", "pass"],
      ["chain", "pass"],
      ["links", "pass"],
      ["issued:0", "pass"],
      ["issued:1", "pass"],
      ["issued:2", "pass"],
      ["signer:0", "pass"],
      ["active:0", "pass"],
      ["signer:1", "pass"],
      ["active:1", "pass"],
      ["signer:2", "pass"],
      ["active:2", "pass"],
      ["prompt-tokens", "pass"],
      ["completion-tokens", "pass"],
      ["text", "pass"],
    ]);
    expect(result.ok).toBe(true);
    expect(result.signers).toEqual(market.runners.map((r) => r.address));
    const json = JSON.parse(JSON.stringify(receiptBundleJson(bundle)));
    await expect(
      assertReceipts(market.publicClient, { bundle: parseReceiptBundle(json), contracts: contracts() }),
    ).resolves.toMatchObject({ ok: true });
  });

  test("without a tokenizer the text check is skipped, not failed", async () => {
    const result = await verify(await bundleOf({ text: "anything" }), { tokenizer: undefined });
    expect(result.checks.at(-1)).toMatchObject({ id: "text", status: "skip" });
    expect(result.ok).toBe(true);
  });

  test("after a failover, replayed tokens are covered as input and the rest as the last shard's output", async () => {
    expect((await verify(await bundleOf({ replayedTokens: 2 }))).ok).toBe(true);
  });
});

describe("verifyReceipts: tampered receipts", () => {
  const fields: [keyof Receipt, unknown][] = [
    ["modelId", keccak256(toHex("another model"))],
    ["shardIndex", 5],
    ["sessionId", `0x${"ee".repeat(16)}`],
    ["positionStart", 1],
    ["positionCount", 3],
    ["paramsHash", ZERO_HASH],
    ["inputHash", keccak256(toHex("in"))],
    ["outputHash", keccak256(toHex("out"))],
    ["previousReceipt", keccak256(toHex("previous"))],
    ["issuedAt", 12n],
  ];
  // A middle receipt's change breaks a link (the next names its hash); the last one's only its signature.
  const middle: Record<keyof Receipt, typeof ReceiptError> = {
    modelId: ReceiptModelError,
    shardIndex: ReceiptChainError,
    sessionId: ReceiptLinkError,
    positionStart: ReceiptLinkError,
    positionCount: ReceiptLinkError,
    paramsHash: ReceiptLinkError,
    inputHash: ReceiptLinkError,
    outputHash: ReceiptLinkError,
    previousReceipt: ReceiptLinkError,
    issuedAt: ReceiptLinkError,
  };
  const last = {
    ...middle,
    paramsHash: ReceiptSignerError,
    outputHash: ReceiptSignerError,
    issuedAt: ReceiptSignerError,
  };

  test.each(fields)(
    "changing %s of the middle receipt is refused with its named error",
    async (field, value) => {
      const error = await refusal(withReceipt(await bundleOf(), 1, { [field]: value }));
      expect(error).toBeInstanceOf(middle[field]);
    },
  );

  test.each(fields)(
    "changing %s of the last receipt is refused with its named error",
    async (field, value) => {
      const error = await refusal(withReceipt(await bundleOf(), 2, { [field]: value }));
      expect(error).toBeInstanceOf(last[field]);
    },
  );

  test("changing any field of the first receipt is refused", async () => {
    for (const [field, value] of fields) {
      await refusal(withReceipt(await bundleOf(), 0, { [field]: value }));
    }
  });

  test("a tampered signature is a ReceiptSignerError", async () => {
    const bundle = await bundleOf();
    const signature = bundle.receipts[2]!.signature;
    const flipped =
      `${signature.slice(0, 10)}${signature[10] === "0" ? "1" : "0"}${signature.slice(11)}` as Hex;
    const tampered = {
      ...bundle,
      receipts: [...bundle.receipts.slice(0, 2), { ...bundle.receipts[2]!, signature: flipped }],
    };
    expect(await refusal(tampered)).toBeInstanceOf(ReceiptSignerError);
  });
});

describe("verifyReceipts: the chain's shape", () => {
  test("a missing link is a ReceiptChainError", async () => {
    const bundle = await bundleOf();
    const error = await refusal({ ...bundle, receipts: [bundle.receipts[0]!, bundle.receipts[2]!] });
    expect(error).toBeInstanceOf(ReceiptChainError);
    expect(error.shortMessage).toMatch(/no receipt of shard 1/);
  });

  test("a reordered or duplicated chain is a ReceiptChainError", async () => {
    const [a, b, c] = (await bundleOf()).receipts as [SignedReceipt, SignedReceipt, SignedReceipt];
    const bundle = await bundleOf();
    const reordered = await refusal({ ...bundle, receipts: [a, c, b] });
    expect(reordered).toBeInstanceOf(ReceiptChainError);
    expect(reordered.shortMessage).toMatch(/out of order: shards 0, 2, 1/);
    const duplicated = await refusal({ ...bundle, receipts: [a, b, b] });
    expect(duplicated.shortMessage).toMatch(/shard 1 appears twice/);
  });
});

describe("verifyReceipts: a request that failed for good (the route signed part of its chain)", () => {
  /**
   * What the gateway stores when the final route failed past shard 1: shards 0 and 1 signed everything they
   * computed, the failed step included, so shard 0 read the prompt and every completion token delivered.
   */
  async function partialBundle(): Promise<ReceiptBundle> {
    const delivered = completion.slice(0, 3);
    const signed = await bundleOf({ completion: [...delivered, 0] });
    return {
      ...signed,
      completionTokenIds: delivered,
      text: tokenizer.decode(delivered),
      receipts: signed.receipts.slice(0, 2),
      incomplete: { error: "Runner 0xabc (shard 2) refused: unreachable" },
    };
  }

  test("assertReceipts throws RouteReceiptsIncompleteError naming the missing shard; what is there verifies", async () => {
    const bundle = await partialBundle();
    const error = await refusal(bundle);
    expect(error).toBeInstanceOf(RouteReceiptsIncompleteError);
    expect(error.shortMessage).toMatch(/shards 0–1 of the model's 3: no receipt of shard 2/);
    expect((error as RouteReceiptsIncompleteError).missingShards).toEqual([2]);
    const { checks, ok } = await verify(bundle);
    expect(ok).toBe(false);
    expect(checks.map((c) => [c.id, c.status, c.errorName])).toEqual([
      ["domain", "pass", undefined],
      ["model", "pass", undefined],
      ["chain", "fail", "RouteReceiptsIncompleteError"],
      ["links", "pass", undefined],
      ["issued:0", "pass", undefined],
      ["issued:1", "pass", undefined],
      ["signer:0", "pass", undefined],
      ["active:0", "pass", undefined],
      ["signer:1", "pass", undefined],
      ["active:1", "pass", undefined],
      ["prompt-tokens", "pass", undefined],
      ["completion-tokens", "skip", undefined],
      ["text", "pass", undefined],
    ]);
  });

  test("a chain cut short without the mark is incomplete too; a gap in it stays a ReceiptChainError", async () => {
    const bundle = await bundleOf();
    const short = await refusal({ ...bundle, receipts: bundle.receipts.slice(0, 1) });
    expect(short).toBeInstanceOf(RouteReceiptsIncompleteError);
    expect((short as RouteReceiptsIncompleteError).missingShards).toEqual([1, 2]);
    expect(short.shortMessage).toMatch(/no receipt of shards 1, 2/);
    const gap = await refusal({ ...bundle, receipts: [bundle.receipts[0]!, bundle.receipts[2]!] });
    expect(gap).not.toBeInstanceOf(RouteReceiptsIncompleteError);
    expect(gap).toBeInstanceOf(ReceiptChainError);
  });

  test("the mark survives JSON; a marked bundle's prompt check counts every delivered token as read", async () => {
    const bundle = await partialBundle();
    const parsed = parseReceiptBundle(JSON.parse(JSON.stringify(receiptBundleJson(bundle))));
    expect(parsed.incomplete).toEqual(bundle.incomplete);
    const unmarked = { ...parsed, incomplete: undefined };
    expect(await statusOf(unmarked, "prompt-tokens")).toBe("fail");
    expect(await statusOf(parsed, "prompt-tokens")).toBe("pass");
  });
});

describe("verifyReceipts: signers", () => {
  test("a key no registry knows is a ReceiptSignerError", async () => {
    const stranger = privateKeyToAccount(generatePrivateKey());
    const [r0, , r2] = market.runners;
    const error = await refusal(await bundleOf({ signers: [r0!, stranger, r2!] }));
    expect(error).toBeInstanceOf(ReceiptSignerError);
    expect(error.shortMessage).toBe(`${stranger.address} is not a registered runner.`);
  });

  test("a runner of another shard is a ReceiptSignerError", async () => {
    const [, r1, r2] = market.runners;
    const error = await refusal(await bundleOf({ signers: [r1!, r1!, r2!] }));
    expect(error).toBeInstanceOf(ReceiptSignerError);
    expect(error.shortMessage).toMatch(/a runner of shard 1 of model .*, not of shard 0/);
  });

  test("a receipt dated before its runner was registered is a ReceiptRunnerInactiveError", async () => {
    expect(await refusal(await bundleOf({ issuedAt: 1_000n }))).toBeInstanceOf(ReceiptRunnerInactiveError);
  });

  test("a receipt dated up to RECEIPT_CLOCK_SKEW_SECONDS before its runner's registration verifies; one more second does not", async () => {
    const registeredAt = await Promise.all(
      market.runners.map(
        async (r) =>
          (await getRunnerPeriods(market.publicClient, { contracts: contracts(), runner: r.address }))[0]!
            .from,
      ),
    );
    const sorted = registeredAt.toSorted((a, b) => Number(a - b));
    const earliest = sorted[0]!;
    const latest = sorted.at(-1)!;
    expect(RECEIPT_CLOCK_SKEW_SECONDS).toBe(300n);
    expect((await verify(await bundleOf({ issuedAt: latest - RECEIPT_CLOCK_SKEW_SECONDS }))).ok).toBe(true);
    const early = await bundleOf({ issuedAt: earliest - RECEIPT_CLOCK_SKEW_SECONDS - 1n });
    expect(await refusal(early)).toBeInstanceOf(ReceiptRunnerInactiveError);
  });
});

describe("verifyReceipts: receipts from the future", () => {
  test("a receipt dated more than RECEIPT_CLOCK_SKEW_SECONDS after the latest block is a ReceiptFromTheFutureError", async () => {
    const latest = (await market.publicClient.getBlock()).timestamp;
    const ahead = await bundleOf({ issuedAt: latest + RECEIPT_CLOCK_SKEW_SECONDS + 1n });
    const result = await verify(ahead);
    expect(result.ok).toBe(false);
    expect(result.checks.filter((c) => c.id.startsWith("issued:")).map((c) => c.status)).toEqual([
      "fail",
      "fail",
      "fail",
    ]);
    const error = await refusal(ahead);
    expect(error).toBeInstanceOf(ReceiptFromTheFutureError);
    expect(error.shortMessage).toMatch(/301 s after/);
  });

  test("exactly RECEIPT_CLOCK_SKEW_SECONDS ahead is still accepted", async () => {
    const latest = (await market.publicClient.getBlock()).timestamp;
    const result = await verify(await bundleOf({ issuedAt: latest + RECEIPT_CLOCK_SKEW_SECONDS }));
    expect(result.checks.filter((c) => c.id.startsWith("issued:")).map((c) => c.status)).toEqual([
      "pass",
      "pass",
      "pass",
    ]);
    expect(result.ok).toBe(true);
  });

  test("the verifying moment can be given as `now`", async () => {
    const bundle = await bundleOf({ issuedAt: chainNow });
    const at = (now: bigint) =>
      assertReceipts(market.publicClient, { bundle, contracts: contracts(), tokenizer, now }).then(
        () => "ok",
        (e: unknown) => (e as Error).name,
      );
    expect(await at(chainNow - RECEIPT_CLOCK_SKEW_SECONDS)).toBe("ok");
    expect(await at(chainNow - RECEIPT_CLOCK_SKEW_SECONDS - 1n)).toBe("ReceiptFromTheFutureError");
  });
});

describe("verifyReceipts: tokens and text", () => {
  test("completion tokens that are not the last shard's output are a ReceiptTokensError", async () => {
    const bundle = await bundleOf();
    const changed = [...completion.slice(0, -1), completion.at(-1)! + 1];
    const error = await refusal({ ...bundle, completionTokenIds: changed });
    expect(error).toBeInstanceOf(ReceiptTokensError);
    expect(error.details).toMatch(/completion-tokens/);
    expect(await statusOf({ ...bundle, completionTokenIds: changed }, "prompt-tokens")).toBe("pass");
    expect(await refusal({ ...bundle, replayedTokens: 1 })).toBeInstanceOf(ReceiptTokensError);
  });

  test("prompt tokens that are not what shard 0 read are a ReceiptTokensError", async () => {
    const bundle = await bundleOf();
    const changed = [prompt[0]!, prompt[1]! + 1, ...prompt.slice(2)];
    const error = await refusal({ ...bundle, promptTokenIds: changed });
    expect(error).toBeInstanceOf(ReceiptTokensError);
    expect(error.details).toMatch(/prompt-tokens/);
    expect(await statusOf({ ...bundle, promptTokenIds: changed }, "completion-tokens")).toBe("pass");
  });

  test("text the tokens do not decode to is a ReceiptTextError", async () => {
    const error = await refusal(await bundleOf({ text: " How are you tonight?" }));
    expect(error).toBeInstanceOf(ReceiptTextError);
    expect(error.shortMessage).toMatch(/at character 15/);
  });

  test("a stop sequence cuts the text where the gateway cut it, and tokens may not go on past it", async () => {
    const upToStop = tokenizer.encode(" How are", { addSpecialTokens: false });
    const stopped = await bundleOf({ completion: upToStop, text: " How" });
    expect((await verify(stopped, { stops: [" are"] })).ok).toBe(true);
    expect(await refusal(stopped)).toBeInstanceOf(ReceiptTextError);
    const error = await refusal(await bundleOf({ text: " How" }), { stops: [" are"] });
    expect(error.shortMessage).toMatch(/stop sequence ended the answer at token/);
  });
});

describe("verifyReceipts: chain, registry and model", () => {
  test("a bundle for another chain or registry is a ReceiptDomainError", async () => {
    const bundle = await bundleOf();
    expect(await refusal({ ...bundle, chainId: 1 })).toBeInstanceOf(ReceiptDomainError);
    const elsewhere = getAddress(`0x${"11".repeat(20)}`);
    expect(await refusal({ ...bundle, runnerRegistry: elsewhere })).toBeInstanceOf(ReceiptDomainError);
  });

  test("a model the chain does not know is a ReceiptModelError", async () => {
    const bundle = await bundleOf();
    expect(await refusal({ ...bundle, modelId: keccak256(toHex("unknown")) })).toBeInstanceOf(
      ReceiptModelError,
    );
  });
});

// Last: these change the registry.
describe("verifyReceipts: runners deactivated", () => {
  test("a runner deactivated before it signed is refused; what it signed before still verifies", async () => {
    const before = await bundleOf();
    const runner = market.runners[1]!;
    const contributor = market.contributors[1]!;
    await market.send(deactivateRunner(contributor, { contracts: contracts(), runner: runner.address }));
    const deactivatedAt = (await market.publicClient.getBlock()).timestamp;
    expect((await verify(before)).ok).toBe(true);
    // Within the clock tolerance after the deactivation it is still the registration's receipt.
    expect(
      (await verify(await bundleOf({ issuedAt: deactivatedAt + RECEIPT_CLOCK_SKEW_SECONDS - 1n }))).ok,
    ).toBe(true);
    const after = await bundleOf({ issuedAt: deactivatedAt + RECEIPT_CLOCK_SKEW_SECONDS });
    const error = await refusal(after);
    expect(error).toBeInstanceOf(ReceiptRunnerInactiveError);
    expect(error.shortMessage).toMatch(
      /outside its registrations \(give or take 300 s\): registered .*, deactivated /,
    );

    // Registered again well after, it vouches from then on, not for the gap.
    const testClient = createTestClient({
      mode: "hardhat",
      chain: market.chain,
      transport: http(local.rpcUrl),
    });
    await testClient.increaseTime({ seconds: Number(3n * RECEIPT_CLOCK_SKEW_SECONDS) });
    await testClient.mine({ blocks: 1 });
    const registration = {
      runner: runner.address,
      modelId: market.model.modelId,
      shardIndex: 1,
      endpoint: "http://127.0.0.1:1/again",
      publicKey: `0x${runner.publicKey.slice(4)}` as Hex,
      quoteHash: keccak256(toHex("quote again")),
      composeHash: TEST_COMPOSE_HASH,
      osImage: TEST_OS_IMAGE,
      deadline: 2n ** 40n,
    };
    const runnerClient = createWalletClient({
      account: runner,
      chain: market.chain,
      transport: http(local.rpcUrl),
    });
    const consent = await signRunnerConsent(runnerClient, {
      contracts: contracts(),
      registration,
      contributor: contributor.account.address,
    });
    await market.send(registerRunner(contributor, { contracts: contracts(), registration, consent }));
    const registeredAgainAt = (await market.publicClient.getBlock()).timestamp;
    expect(await refusal(after)).toBeInstanceOf(ReceiptRunnerInactiveError);
    expect((await verify(await bundleOf({ issuedAt: registeredAgainAt }))).ok).toBe(true);
  });
});
