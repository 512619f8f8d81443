/**
 * The paid gateway end to end: the official `openai` client against a gateway over three runner processes (plus a
 * replica of shard 1) on a real local chain, with dev-TEE attestations, vouchers checked by every runner and
 * redeemed by their settlers.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { paymentEscrowAbi } from "@teetee/contracts/abi";
import {
  escrowHeld,
  type FundedBuyer,
  fundBuyer,
  type PaidRunner,
  prepareShardedModel,
  repoRoot,
  spawnPaidRunner,
  startTestNetwork,
  stopPaidRunner,
  type TestNetwork,
} from "@teetee/devnet/testing";
import { loadTokenizer, type Tokenizer } from "@teetee/inference";
import { computeCost, getChannelPaid } from "@teetee/sdk/contracts";
import { formatApiKey, routesOf } from "@teetee/sdk/payments";
import {
  hashReceipt,
  parseReceiptBundle,
  ReceiptHasher,
  recoverReceiptSigner,
  verifyReceipts,
  ZERO_HASH,
} from "@teetee/sdk/receipts";
import OpenAI from "openai";
import { bytesToHex, getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { parseGatewayConfig } from "../src/config.js";
import { type StartedGateway, startGateway } from "../src/startGateway.js";

const SHAPE = {
  seed: 11,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 6,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 256,
};
const REFERENCE = join(repoRoot, "packages/gateway/test/referenceGenerate.ts");
/** Set by the curator before the gateway starts, so that every share of a request's cost is non-zero. */
const INPUT_PRICE = 2_000_000_000n;
const OUTPUT_PRICE = 6_000_000_000n;
const DEPOSIT = 10n ** 9n;
const workDir = mkdtempSync(join(tmpdir(), "teetee-gateway-e2e-"));

let network: TestNetwork;
let gateway: StartedGateway;
let tokenizer: Tokenizer;
let client: OpenAI;
let apiKey: string;
const runners: PaidRunner[] = [];
let buyer: FundedBuyer;
let startBlock: bigint;

/** The suite's runners settle a channel once it has idled for a second (the threshold is out of reach). */
const SETTLE = { pollMs: 500, idleMs: 1000, threshold: 10n ** 30n };

async function spawnRunner(shardIndex: number, name: string, settle = SETTLE): Promise<PaidRunner> {
  const runner = await spawnPaidRunner(network, shardIndex, join(workDir, name), settle);
  runners.push(runner);
  return runner;
}

/** Resolves once a runner's process has exited (at once if it already has). */
function exited(runner: PaidRunner): Promise<void> {
  const child = runner.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** The prompts of the suite and what the unsharded model generates greedily for them (computed once). */
const CHAT_1 = [{ role: "user" as const, content: "Tell me about shards." }];
const CHAT_2 = [{ role: "user" as const, content: "Stream, please." }];
const IDS_1 = [5, 17, 42, 99, 7, 63, 12, 30];
const IDS_2 = [3, 1, 4, 1, 5, 9, 2, 6];
/** What the gateway's runners sample with for `temperature: 0.8, seed: 1234` (no top-p, no top-k). */
const SEEDED = { temperature: 0.8, topK: 0, topP: 1, seed: 1234 };
const references = new Map<string, number[]>();

type ReferenceJob = [promptIds: number[], maxTokens: number, sampling?: typeof SEEDED];
const referenceKey = ([ids, max, sampling]: ReferenceJob) =>
  `${ids.join(",")}/${max}/${JSON.stringify(sampling)}`;

async function computeReferences(dir: string, jobs: ReferenceJob[]): Promise<void> {
  const child = spawn("pnpm", ["exec", "tsx", REFERENCE, dir, JSON.stringify(jobs)], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? -1)));
  if (code !== 0) throw new Error(`reference generation failed\n${err}`);
  const results = JSON.parse(out.trim().split("\n").at(-1)!) as number[][];
  for (const [i, job] of jobs.entries()) references.set(referenceKey(job), results[i]!);
}

async function reference(
  promptIds: number[],
  maxTokens: number,
  sampling?: typeof SEEDED,
): Promise<number[]> {
  const tokens = references.get(referenceKey([promptIds, maxTokens, sampling]));
  if (tokens === undefined) throw new Error("no reference computed for this prompt");
  return tokens;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const sharded = await prepareShardedModel({ dir: workDir, shardCount: 3, shape: SHAPE });
  const whole = await prepareShardedModel({ dir: workDir, shardCount: 1, shape: SHAPE });
  tokenizer = loadTokenizer(sharded.shardDir);
  await computeReferences(whole.shardDir, [
    [tokenizer.encodeChat(CHAT_1), 24],
    [tokenizer.encodeChat(CHAT_2), 30],
    [IDS_1, 20],
    [IDS_2, 200],
    [IDS_2, 200, SEEDED],
  ]);
  network = await startTestNetwork({ shardDir: sharded.shardDir });
  startBlock = await network.publicClient.getBlockNumber();
  await Promise.all([0, 1, 2].map((i) => spawnRunner(i, `runner-${i}`)));
  // Two replicas of shard 1: each mid-stream kill below takes one out.
  await spawnRunner(1, "replica-1");
  await spawnRunner(1, "replica-1b");
  buyer = await fundBuyer(network, {
    inputPrice: INPUT_PRICE,
    outputPrice: OUTPUT_PRICE,
    deposit: DEPOSIT,
    spendLimit: DEPOSIT,
    routes: routesOf(runners),
  });
  apiKey = buyer.apiKey;
  const contracts = network.contracts;

  const deploymentFile = join(workDir, "deployment.json");
  writeFileSync(
    deploymentFile,
    JSON.stringify({
      ...contracts,
      chainId: network.chain.chainId,
      treasury: network.chain.accounts(0).address,
      startBlock: 0,
    }),
  );
  gateway = await startGateway({
    config: parseGatewayConfig(
      [
        "--model",
        `tiny=${sharded.shardDir}`,
        "--rpc-url",
        network.chain.rpcUrl,
        "--deployment",
        deploymentFile,
        "--port",
        "0",
      ],
      { TEETEE_LOG_LEVEL: "silent", TEETEE_TIMEOUT_MS: "5000", TEETEE_HEALTH_INTERVAL_MS: "1000" },
    ),
  });
  client = new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  await until(async () => (await client.models.list()).data.length === 1, 60_000);
}, 300_000);

afterAll(async () => {
  await gateway?.close();
  for (const runner of runners) stopPaidRunner(runner);
  await network?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** Every paid response of the suite, for the settlement check. */
const charged: { channel: Hex; cost: bigint; amount: bigint }[] = [];
function remember(teetee: { cost: string; payment: { channel_id: Hex; voucher_amount: string } }) {
  charged.push({
    channel: teetee.payment.channel_id,
    cost: BigInt(teetee.cost),
    amount: BigInt(teetee.payment.voucher_amount),
  });
}

/**
 * A bundle's receipts chain from the route that answered and commit to its tokens: each signed by that route's
 * runner, each link's input the previous output, shard 0's input the prompt and every completion token but the last,
 * the last shard's output the completion tokens it sampled (after those replayed to it on a failover).
 */
async function expectConsistentBundle(
  json: unknown,
  answer: {
    id: string;
    text: string;
    route: { runner: string }[];
    promptIds: number[];
    completion: number[];
  },
) {
  const bundle = parseReceiptBundle(json);
  const domain = {
    chainId: network.chain.chainId,
    runnerRegistry: getAddress(network.contracts.runnerRegistry),
  };
  expect(bundle).toMatchObject({
    id: answer.id,
    ...domain,
    modelId: network.modelId,
    promptTokenIds: answer.promptIds,
    completionTokenIds: answer.completion,
    text: answer.text,
  });
  expect(bundle.receipts).toHaveLength(3);
  const positions = answer.promptIds.length + answer.completion.length - 1;
  for (const [k, signed] of bundle.receipts.entries()) {
    const { receipt } = signed;
    expect(receipt).toMatchObject({ shardIndex: k, sessionId: bundle.sessionId, positionCount: positions });
    expect((await recoverReceiptSigner(signed, domain)).toLowerCase()).toBe(
      answer.route[k]!.runner.toLowerCase(),
    );
    const previous = bundle.receipts[k - 1]?.receipt;
    expect(receipt.previousReceipt).toBe(
      previous === undefined ? ZERO_HASH : hashReceipt({ receipt: previous, ...domain }),
    );
    if (previous !== undefined) expect(receipt.inputHash).toBe(previous.outputHash);
  }
  const input = new ReceiptHasher();
  input.tokens(0, [...answer.promptIds, ...answer.completion.slice(0, -1)]);
  expect(bundle.receipts[0]!.receipt.inputHash).toBe(input.digest());
  const output = new ReceiptHasher();
  output.tokens(
    answer.promptIds.length + bundle.replayedTokens,
    answer.completion.slice(bundle.replayedTokens),
  );
  expect(bundle.receipts[2]!.receipt.outputHash).toBe(output.digest());
  // And the SDK's offline verifier, the buyer's own check, agrees, text included.
  expect((await verifyOffline(bundle)).checks.filter((c) => c.status !== "pass")).toEqual([]);
  savedBundles.push(JSON.stringify(json));
  return bundle;
}

/** The buyer's own offline check of a bundle: the SDK's verifier against the chain, text included. */
function verifyOffline(bundle: ReturnType<typeof parseReceiptBundle>) {
  return verifyReceipts(network.publicClient, {
    bundle,
    contracts: network.contracts,
    tokenizer,
    fromBlock: startBlock,
  });
}

/** Every bundle the suite received, as JSON text: verified again from files once the services are gone. */
const savedBundles: string[] = [];

describe("the official openai client against the paid gateway", () => {
  test("lists the model once a complete route is attested", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["tiny"]);
  });

  test("non-streaming chat: greedy text equals the unsharded model's, usage and cost are right", async () => {
    const messages = CHAT_1;
    const promptIds = tokenizer.encodeChat(messages);
    const expected = await reference(promptIds, 24);
    const completion = await client.chat.completions.create({
      model: "tiny",
      messages,
      max_tokens: 24,
      temperature: 0,
    });
    expect(completion.choices[0]!.message.content).toBe(tokenizer.decode(expected));
    expect(completion.usage).toEqual(
      expect.objectContaining({ prompt_tokens: promptIds.length, completion_tokens: expected.length }),
    );
    const teetee = (
      completion as unknown as {
        teetee: Parameters<typeof remember>[0] & { route: { attestation: { status: string } }[] };
      }
    ).teetee;
    expect(teetee.route.map((r) => r.attestation.status)).toEqual(["verified", "verified", "verified"]);
    const { receipts, receipts_url } = teetee as unknown as { receipts: unknown; receipts_url: string };
    await expectConsistentBundle(receipts, {
      id: completion.id,
      text: completion.choices[0]!.message.content!,
      route: teetee.route as unknown as { runner: string }[],
      promptIds,
      completion: expected,
    });
    // Fetched again later with the same key, and not with another buyer's.
    const again = await fetch(`${gateway.url}${receipts_url}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(receipts);
    const stranger = generatePrivateKey();
    const strangerKey = formatApiKey({
      buyer: privateKeyToAccount(stranger).address,
      sessionPrivateKey: stranger,
    });
    const refused = await fetch(`${gateway.url}${receipts_url}`, {
      headers: { authorization: `Bearer ${strangerKey}` },
    });
    expect(refused.status).toBe(404);
    expect(BigInt(teetee.cost)).toBe(
      computeCost({
        inputTokens: BigInt(promptIds.length),
        outputTokens: BigInt(expected.length),
        inputPricePerMTok: INPUT_PRICE,
        outputPricePerMTok: OUTPUT_PRICE,
      }),
    );
    remember(teetee);
  });

  test("streaming chat with include_usage: the same text, chunk by chunk", async () => {
    const messages = CHAT_2;
    const promptIds = tokenizer.encodeChat(messages);
    const expected = await reference(promptIds, 30);
    const { data: stream, response } = await client.chat.completions
      .create({
        model: "tiny",
        messages,
        max_tokens: 30,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    let text = "";
    let id = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let teetee: Parameters<typeof remember>[0] | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      id = chunk.id;
      if (chunk.usage) {
        usage = chunk.usage;
        teetee = (chunk as unknown as { teetee: Parameters<typeof remember>[0] }).teetee;
      }
    }
    expect(text).toBe(tokenizer.decode(expected));
    expect(usage).toEqual(
      expect.objectContaining({ prompt_tokens: promptIds.length, completion_tokens: expected.length }),
    );
    expect(response.headers.get("teetee-receipts")).toBe(`/v1/receipts/${id}`);
    const withReceipts = teetee as unknown as { receipts: unknown; route: { runner: string }[] };
    await expectConsistentBundle(withReceipts.receipts, {
      id,
      text,
      route: withReceipts.route,
      promptIds,
      completion: expected,
    });
    remember(teetee!);
  });

  test("completions: a token-id prompt, greedy", async () => {
    const promptIds = IDS_1;
    const expected = await reference(promptIds, 20);
    const completion = await client.completions.create({
      model: "tiny",
      prompt: promptIds,
      max_tokens: 20,
      temperature: 0,
    });
    expect(completion.choices[0]!.text).toBe(tokenizer.decode(expected));
    expect(completion.usage?.completion_tokens).toBe(expected.length);
    remember((completion as unknown as { teetee: Parameters<typeof remember>[0] }).teetee);
  });

  type Interrupted = {
    id: string;
    text: string;
    usage: OpenAI.CompletionUsage | undefined;
    teetee: Parameters<typeof remember>[0] & { failovers: unknown[]; route: { runner: string }[] };
    victim: PaidRunner;
  };

  /** Streams a completion and SIGKILLs the route's shard-1 runner after the third chunk. */
  async function streamKillingShard1(
    promptIds: number[],
    maxTokens: number,
    sampling: { temperature: number; seed?: number },
  ): Promise<Interrupted> {
    const { data: stream, response } = await client.completions
      .create({
        model: "tiny",
        prompt: promptIds,
        max_tokens: maxTokens,
        ...sampling,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    const route = (response.headers.get("x-teetee-route") ?? "").split(",");
    const victim = runners.find(
      (r) => r.shardIndex === 1 && r.address.toLowerCase() === route[1]?.toLowerCase(),
    );
    expect(victim).toBeDefined();
    let text = "";
    let id = "";
    let chunks = 0;
    let teetee: Interrupted["teetee"] | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      id = chunk.id;
      chunks += 1;
      if (chunks === 3) stopPaidRunner(victim!, "SIGKILL");
      if (chunk.usage) {
        usage = chunk.usage;
        teetee = (chunk as unknown as { teetee: typeof teetee }).teetee;
      }
    }
    return { id, text, usage, teetee: teetee!, victim: victim! };
  }

  /** A failover happened, to another shard-1 runner, and the buyer was charged once, as if uninterrupted. */
  function expectFailedOverOnce({ teetee, victim }: Interrupted, promptIds: number[], outputTokens: number) {
    expect(teetee.failovers).toHaveLength(1);
    expect(teetee.route[1]!.runner.toLowerCase()).not.toBe(victim.address.toLowerCase());
    const uninterrupted = computeCost({
      inputTokens: BigInt(promptIds.length),
      outputTokens: BigInt(outputTokens),
      inputPricePerMTok: INPUT_PRICE,
      outputPricePerMTok: OUTPUT_PRICE,
    });
    // Exactly the uninterrupted cost, up to the one unit a cumulative channel's rounding can move.
    expect(BigInt(teetee.cost) - uninterrupted).toBeGreaterThanOrEqual(-1n);
    expect(BigInt(teetee.cost) - uninterrupted).toBeLessThanOrEqual(1n);
    remember(teetee);
  }

  test("a runner killed mid-stream: a replica takes over, the text is the uninterrupted greedy run, charged once", async () => {
    const expected = await reference(IDS_2, 200);
    expect(expected.length).toBeGreaterThan(40);
    const run = await streamKillingShard1(IDS_2, 200, { temperature: 0 });
    expect(run.text).toBe(tokenizer.decode(expected));
    expect(run.usage?.completion_tokens).toBe(expected.length);
    expectFailedOverOnce(run, IDS_2, expected.length);
    // The bundle covers the route that finished: the tokens before the failover reached it as context.
    const bundle = await expectConsistentBundle((run.teetee as unknown as { receipts: unknown }).receipts, {
      id: run.id,
      text: run.text,
      route: run.teetee.route,
      promptIds: IDS_2,
      completion: expected,
    });
    expect(bundle.replayedTokens).toBeGreaterThan(0);
    expect(bundle.replayedTokens).toBeLessThan(expected.length);
  });

  test("a runner killed mid-stream with seeded sampling: the text is the uninterrupted run's with that seed, charged once", async () => {
    // The unsharded model's run with the same seed: the answer depends on neither the shard count nor the route.
    const expected = await reference(IDS_2, 200, SEEDED);
    expect(expected.length).toBeGreaterThan(40);
    expect(expected).not.toEqual(await reference(IDS_2, 200));
    const run = await streamKillingShard1(IDS_2, 200, { temperature: SEEDED.temperature, seed: SEEDED.seed });
    expect(run.text).toBe(tokenizer.decode(expected));
    expect(run.usage?.completion_tokens).toBe(expected.length);
    expectFailedOverOnce(run, IDS_2, expected.length);
  });

  test("after settlement the buyer paid exactly what was charged; contributors and treasury got their shares", async () => {
    const contracts = network.contracts;
    const finals = new Map<Hex, bigint>();
    for (const c of charged)
      finals.set(c.channel, c.amount > (finals.get(c.channel) ?? 0n) ? c.amount : finals.get(c.channel)!);
    expect(charged.length).toBe(5);
    const total = charged.reduce((sum, c) => sum + c.cost, 0n);
    expect([...finals.values()].reduce((a, b) => a + b, 0n)).toBe(total);
    await until(async () => {
      for (const [channelId, amount] of finals) {
        if ((await getChannelPaid(network.publicClient, { contracts, channelId })) < amount) return false;
      }
      return true;
    }, 60_000);
    expect(DEPOSIT - (await escrowHeld(network, buyer))).toBe(total);
    const logs = await network.publicClient.getContractEvents({
      address: contracts.paymentEscrow,
      abi: paymentEscrowAbi,
      fromBlock: startBlock,
      strict: true,
    });
    const redeemed = logs.filter((l) => l.eventName === "VoucherRedeemed");
    const credited = logs.filter((l) => l.eventName === "EarningsCredited");
    const fees = logs.filter((l) => l.eventName === "FeeCredited");
    const shareBps = [9500 - 3166 * 2, 3166, 3166];
    for (const log of redeemed) {
      const { channelId, paid } = log.args as { channelId: Hex; paid: bigint };
      const credits = credited.filter(
        (l) =>
          l.transactionHash === log.transactionHash && (l.args as { channelId: Hex }).channelId === channelId,
      );
      const amounts = credits.map((l) => (l.args as { amount: bigint }).amount);
      expect(amounts).toEqual(shareBps.map((bps) => (paid * BigInt(bps)) / 10_000n));
      const fee = fees.find(
        (l) =>
          l.transactionHash === log.transactionHash && (l.args as { channelId: Hex }).channelId === channelId,
      );
      expect((fee?.args as { amount: bigint } | undefined)?.amount ?? 0n).toBe(
        paid - amounts.reduce((a, b) => a + b, 0n),
      );
    }
    expect(redeemed.reduce((sum, l) => sum + (l.args as { paid: bigint }).paid, 0n)).toBe(total);
  }, 90_000);

  test("refuses a malformed key (401) and a buyer without funds (402)", async () => {
    const bad = new OpenAI({ apiKey: "sk-not-teetee", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await expect(
      bad.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({
      status: 401,
    });
    const poor = formatApiKey({
      buyer: privateKeyToAccount(generatePrivateKey()).address,
      sessionPrivateKey: generatePrivateKey(),
    });
    const unauthorised = new OpenAI({ apiKey: poor, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await expect(
      unauthorised.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({
      status: 401,
    });
    const brokeKey = generatePrivateKey();
    const own = formatApiKey({ buyer: privateKeyToAccount(brokeKey).address, sessionPrivateKey: brokeKey });
    const penniless = new OpenAI({ apiKey: own, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await expect(
      penniless.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({
      status: 402,
    });
  });

  test("an active contributor of the model uses it free with its own key", async () => {
    const contributor = network.chain.accounts(1);
    const key = formatApiKey({
      buyer: contributor.address,
      sessionPrivateKey: bytesToHex(contributor.getHdKey().privateKey!),
    });
    const free = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const completion = await free.completions.create({
      model: "tiny",
      prompt: [1, 2, 3],
      max_tokens: 5,
      temperature: 0,
    });
    const teetee = (completion as unknown as { teetee: { cost: string; payment: { free: boolean } } }).teetee;
    expect(teetee).toMatchObject({ cost: "0", payment: { free: true } });
  });

  test("a burst of one buyer's requests, more than a runner admits at once, is served in full, and so is the next", async () => {
    const buyer = await fundBuyer(network, {
      inputPrice: INPUT_PRICE,
      outputPrice: OUTPUT_PRICE,
      deposit: DEPOSIT,
      spendLimit: DEPOSIT,
      routes: routesOf(runners.filter((r) => r.process.exitCode === null && r.process.signalCode === null)),
    });
    const bursting = new OpenAI({ apiKey: buyer.apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const ask = () =>
      bursting.completions
        .create({ model: "tiny", prompt: IDS_1, max_tokens: 4, temperature: 0 })
        .then((c) => ({ status: 200, text: c.choices[0]!.text }))
        .catch((error: { status?: number }) => ({ status: error.status ?? 0, text: "" }));
    // A runner admits 8 of one buyer's requests at once; the gateway must not send it more.
    const burst = await Promise.all(Array.from({ length: 12 }, ask));
    const expected = tokenizer.decode((await reference(IDS_1, 20)).slice(0, 4));
    expect(burst).toEqual(Array(12).fill({ status: 200, text: expected }));
    expect(await ask()).toEqual({ status: 200, text: expected });
  }, 120_000);

  test("a buyer with no allocation on any route that can serve now is told so at once (402 route_unfunded)", async () => {
    const live = runners.filter((r) => r.process.exitCode === null && r.process.signalCode === null);
    const dead = runners.filter((r) => !live.includes(r));
    // Funded only a route through a runner that is gone: no route that can serve is funded.
    const buyer = await fundBuyer(network, {
      inputPrice: INPUT_PRICE,
      outputPrice: OUTPUT_PRICE,
      deposit: DEPOSIT,
      spendLimit: DEPOSIT,
      routes: routesOf([
        ...live.filter((r) => r.shardIndex !== 1),
        ...dead.filter((r) => r.shardIndex === 1),
      ]),
    });
    const unfunded = new OpenAI({ apiKey: buyer.apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await expect(
      unfunded.completions.create({ model: "tiny", prompt: IDS_1, max_tokens: 4, temperature: 0 }),
    ).rejects.toMatchObject({ status: 402, code: "route_unfunded" });
  });

  // Last, because it replaces every runner: its request is charged to a buyer of its own, not counted above.
  test("a runner restarted after accepting vouchers redeems them afterwards (nothing lost)", async () => {
    const contracts = network.contracts;
    // Every runner of the route must hold the voucher without settling it, so the suite's runners (which settle
    // after a second of idleness) leave and three whose settlers never fire on their own replace them.
    const quiet = { pollMs: 500, idleMs: 2_000_000_000, threshold: 10n ** 30n };
    const leaving = [...runners];
    for (const runner of leaving) stopPaidRunner(runner);
    await Promise.all(leaving.map(exited));
    const fresh = await Promise.all([0, 1, 2].map((i) => spawnRunner(i, `quiet-${i}`, quiet)));
    const freshAddresses = fresh.map((r) => r.address.toLowerCase());
    // Drive what the gateway would do on its own timers, and wait on each step: it reads the new registrations,
    // a health check finds each stopped runner gone, and each new runner is verified (the pool retries a runner
    // whose first verification found it not yet listening). Only the quiet ones are then routable.
    await gateway.directory.reload();
    const poolEntry = (address: Hex) =>
      [0, 1, 2]
        .flatMap((shard) => gateway.pool.runners(network.modelId, shard))
        .find((r) => r.runner.toLowerCase() === address.toLowerCase());
    const entries = (list: PaidRunner[]) => list.map((r) => poolEntry(r.address)!.runner);
    expect(await Promise.all(entries(leaving).map((r) => gateway.pool.checkHealth(r)))).toEqual(
      leaving.map(() => false),
    );
    expect(await Promise.all(entries(fresh).map((r) => gateway.pool.checkHealth(r)))).toEqual([
      true,
      true,
      true,
    ]);
    expect(await Promise.all(entries(fresh).map((r) => gateway.pool.verify(r)))).toEqual([true, true, true]);
    for (const shard of [0, 1, 2]) {
      const usable = gateway.pool
        .runners(network.modelId, shard)
        .filter((r) => r.downUntil <= Date.now() && r.attestation.status === "verified");
      expect(usable.map((r) => r.runner.toLowerCase())).toEqual([freshAddresses[shard]]);
    }

    const quietBuyer = await fundBuyer(network, {
      inputPrice: INPUT_PRICE,
      outputPrice: OUTPUT_PRICE,
      deposit: DEPOSIT,
      spendLimit: DEPOSIT,
      routes: routesOf(fresh),
    });
    const own = new OpenAI({ apiKey: quietBuyer.apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const { data: completion, response } = await own.completions
      .create({ model: "tiny", prompt: IDS_1, max_tokens: 20, temperature: 0 })
      .withResponse();
    expect((response.headers.get("x-teetee-route") ?? "").toLowerCase().split(",")).toEqual(freshAddresses);
    const { teetee } = completion as unknown as { teetee: Parameters<typeof remember>[0] };
    const channelId = teetee.payment.channel_id;
    const amount = BigInt(teetee.payment.voucher_amount);
    expect(amount).toBe(BigInt(teetee.cost));
    expect(amount).toBeGreaterThan(0n);

    // SIGKILL: no shutdown settlement. A few settler polls later, nothing of the channel is paid on-chain.
    const victim = fresh[1]!;
    stopPaidRunner(victim, "SIGKILL");
    await exited(victim);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await getChannelPaid(network.publicClient, { contracts, channelId })).toBe(0n);

    // The same data dir, now settling at once: the voucher it stored before answering is redeemed.
    const restarted = await spawnRunner(1, "quiet-1", { pollMs: 200, idleMs: 0, threshold: 10n ** 30n });
    expect(restarted.address.toLowerCase()).toBe(victim.address.toLowerCase());
    await until(
      async () => (await getChannelPaid(network.publicClient, { contracts, channelId })) >= amount,
      60_000,
    );
    expect(await getChannelPaid(network.publicClient, { contracts, channelId })).toBe(amount);
    expect(DEPOSIT - (await escrowHeld(network, quietBuyer))).toBe(amount);
    // Redeemed by shard 1's contributor, i.e. by the restarted runner: the other two never settle on their own.
    const redeemed = (
      await network.publicClient.getContractEvents({
        address: contracts.paymentEscrow,
        abi: paymentEscrowAbi,
        eventName: "VoucherRedeemed",
        fromBlock: startBlock,
        strict: true,
      })
    ).filter((l) => (l.args as { channelId: Hex }).channelId.toLowerCase() === channelId.toLowerCase());
    expect(redeemed).toHaveLength(1);
    const transaction = await network.publicClient.getTransaction({ hash: redeemed[0]!.transactionHash });
    expect(transaction.from.toLowerCase()).toBe(network.chain.accounts(2).address.toLowerCase());
  }, 300_000);
});

describe("receipts outlive the services", () => {
  test("every bundle of the suite, saved to a file, verifies from the file and the chain alone once the gateway and runners are stopped", async () => {
    expect(savedBundles.length).toBeGreaterThanOrEqual(3);
    const files = savedBundles.map((text, i) => {
      const file = join(workDir, `bundle-${i}.json`);
      writeFileSync(file, text);
      return file;
    });
    await gateway.close();
    for (const runner of runners) stopPaidRunner(runner);
    await Promise.all(runners.map((runner) => exited(runner)));
    for (const file of files) {
      const bundle = parseReceiptBundle(JSON.parse(readFileSync(file, "utf8")));
      const verdict = await verifyOffline(bundle);
      expect(verdict.checks.filter((c) => c.status !== "pass")).toEqual([]);
      expect(verdict.ok).toBe(true);
    }
  }, 120_000);
});
