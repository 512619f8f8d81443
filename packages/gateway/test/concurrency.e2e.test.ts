/**
 * The paid gateway under concurrency, end to end: two buyers, each with its own deposit, allocations and API key,
 * send chat completions at once through an in-process gateway over runner processes of a 2-shard model (shard 1
 * with a replica) on a real local chain. Every answer is the one the request gets alone (the unsharded model's
 * greedy run), and once the runners' settlers have redeemed, the chain holds exactly what the answers say they
 * cost: per buyer, per channel, and in the contributors' and treasury's credits. Then a replica is killed under four
 * streams, two of them forced onto it, and the money is exact again.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
import {
  computeCost,
  getChannelPaid,
  getEarnings,
  getEscrowTreasuryBalance,
  getModel,
  getShard,
  type Model,
} from "@teetee/sdk/contracts";
import { routesOf } from "@teetee/sdk/payments";
import { parseReceiptBundle, type ReceiptBundleJson } from "@teetee/sdk/receipts";
import OpenAI from "openai";
import type { Hex } from "viem";
import { parseGatewayConfig } from "../src/config.js";
import { type StartedGateway, startGateway } from "../src/startGateway.js";

const SHAPE = {
  seed: 16,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 4,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 256,
};
const REFERENCE = join(repoRoot, "packages/gateway/test/referenceGenerate.ts");
/** Prices per million tokens that do not divide a million: a channel's rounding shows if it is done per request. */
const INPUT_PRICE = 2_345_678_901n;
const OUTPUT_PRICE = 6_543_210_987n;
const DEPOSIT = 10n ** 9n;
/** The runners settle a channel once it has idled for a second (the threshold is out of reach). */
const SETTLE = { pollMs: 300, idleMs: 1000, threshold: 10n ** 30n };
const workDir = mkdtempSync(join(tmpdir(), "teetee-concurrency-e2e-"));

let network: TestNetwork;
let gateway: StartedGateway;
let tokenizer: Tokenizer;
let buyers: FundedBuyer[];
let clients: OpenAI[];
/** Shard 0's runner, shard 1's primary and shard 1's replica. */
let shard0: PaidRunner;
let primary: PaidRunner;
let replica: PaidRunner;
const runners: PaidRunner[] = [];

type Chat = { role: "user"; content: string }[];
const chat = (content: string): Chat => [{ role: "user", content }];

/** Test 1: four requests per buyer, streaming and not, with different lengths. */
const BURST = [
  { buyer: 0, messages: chat("Tell me about shards."), maxTokens: 12, stream: false },
  { buyer: 1, messages: chat("Stream, please."), maxTokens: 20, stream: true },
  { buyer: 0, messages: chat("What is a voucher?"), maxTokens: 7, stream: true },
  { buyer: 1, messages: chat("Count the runners."), maxTokens: 16, stream: false },
  { buyer: 0, messages: chat("Who pays?"), maxTokens: 24, stream: true },
  { buyer: 1, messages: chat("Settle the channel."), maxTokens: 5, stream: true },
  { buyer: 0, messages: chat("Replicas and failover."), maxTokens: 18, stream: false },
  { buyer: 1, messages: chat("Two buyers at once."), maxTokens: 10, stream: false },
];
/** Test 2: long streams (so that the ones on the killed replica are cut off mid-way), one of each kind per buyer. */
const LONG = 200;
const STREAMS = [
  { buyer: 0, messages: chat("A long answer on the replica."), onReplica: true },
  { buyer: 1, messages: chat("Another long one on the replica."), onReplica: true },
  { buyer: 0, messages: chat("A long answer on the primary."), onReplica: false },
  { buyer: 1, messages: chat("Another long one on the primary."), onReplica: false },
];

const references = new Map<string, number[]>();
const referenceKey = (ids: readonly number[], maxTokens: number) => `${ids.join(",")}/${maxTokens}`;

/** The unsharded model's greedy tokens for each job, from a process of its own (see `referenceGenerate.ts`). */
async function computeReferences(dir: string, jobs: [number[], number][]): Promise<void> {
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
  for (const [i, [ids, max]] of jobs.entries()) references.set(referenceKey(ids, max), results[i]!);
}

/** What the request generates alone: the unsharded model's greedy run. */
function alone(messages: Chat, maxTokens: number): number[] {
  const tokens = references.get(referenceKey(tokenizer.encodeChat(messages), maxTokens));
  if (tokens === undefined) throw new Error("no reference computed for this request");
  return tokens;
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const sharded = await prepareShardedModel({ dir: workDir, shardCount: 2, shape: SHAPE });
  const whole = await prepareShardedModel({ dir: workDir, shardCount: 1, shape: SHAPE });
  tokenizer = loadTokenizer(sharded.shardDir);
  const jobs: [number[], number][] = [
    ...BURST.map((r): [number[], number] => [tokenizer.encodeChat(r.messages), r.maxTokens]),
    ...STREAMS.map((r): [number[], number] => [tokenizer.encodeChat(r.messages), LONG]),
  ];
  const referencesDone = computeReferences(whole.shardDir, jobs);
  network = await startTestNetwork({ shardDir: sharded.shardDir });
  const spawnRunner = async (shard: number, name: string) => {
    const runner = await spawnPaidRunner(network, shard, join(workDir, name), SETTLE);
    runners.push(runner);
    return runner;
  };
  [shard0, primary, replica] = await Promise.all([
    spawnRunner(0, "runner-0"),
    spawnRunner(1, "runner-1"),
    spawnRunner(1, "replica-1"),
  ]);
  buyers = [];
  for (let i = 0; i < 2; i++) {
    buyers.push(
      await fundBuyer(network, {
        inputPrice: INPUT_PRICE,
        outputPrice: OUTPUT_PRICE,
        deposit: DEPOSIT,
        spendLimit: DEPOSIT,
        routes: routesOf(runners),
      }),
    );
  }
  const deploymentFile = join(workDir, "deployment.json");
  writeFileSync(
    deploymentFile,
    JSON.stringify({
      ...network.contracts,
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
      // No periodic health sweep: test 2 takes runners out of rotation itself (markDown) and puts them back
      // (checkHealth); a sweep in between would undo that. A failing request still health-checks its route.
      { TEETEE_LOG_LEVEL: "silent", TEETEE_TIMEOUT_MS: "5000", TEETEE_HEALTH_INTERVAL_MS: "600000" },
    ),
  });
  clients = buyers.map((b) => new OpenAI({ apiKey: b.apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 }));
  await until(async () => (await clients[0]!.models.list()).data.length === 1, 60_000);
  await referencesDone;
}, 300_000);

afterAll(async () => {
  await gateway?.close();
  for (const runner of runners) stopPaidRunner(runner);
  await network?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

type TeeTee = {
  route: { runner: string }[];
  failovers: { failed: string[] }[];
  cost: string;
  payment: { channel_id: Hex; voucher_amount: string };
  receipts?: ReceiptBundleJson;
};
type Answer = {
  buyer: number;
  text: string;
  usage: OpenAI.CompletionUsage;
  teetee: TeeTee;
  /** The completion's token ids, from its receipt bundle. */
  tokens: number[];
};

function answerOf(buyer: number, text: string, usage: OpenAI.CompletionUsage | undefined, teetee?: TeeTee) {
  if (usage === undefined || teetee?.receipts === undefined)
    throw new Error("no usage or receipts in the answer");
  const tokens = parseReceiptBundle(teetee.receipts).completionTokenIds;
  return { buyer, text, usage, teetee, tokens };
}

/** A greedy chat completion, not streamed. */
async function ask(buyer: number, messages: Chat, maxTokens: number): Promise<Answer> {
  const completion = await clients[buyer]!.chat.completions.create({
    model: "tiny",
    messages,
    max_tokens: maxTokens,
    temperature: 0,
  });
  const { teetee } = completion as unknown as { teetee: TeeTee };
  return answerOf(buyer, completion.choices[0]!.message.content ?? "", completion.usage, teetee);
}

/** A greedy chat completion, streamed with usage; `first` resolves at its first chunk. */
function streamed(buyer: number, messages: Chat, maxTokens: number) {
  let started!: () => void;
  const first = new Promise<void>((resolve) => (started = resolve));
  const answer = (async (): Promise<Answer> => {
    const stream = await clients[buyer]!.chat.completions.create({
      model: "tiny",
      messages,
      max_tokens: maxTokens,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    let teetee: TeeTee | undefined;
    for await (const chunk of stream) {
      started();
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) {
        usage = chunk.usage;
        teetee = (chunk as unknown as { teetee: TeeTee }).teetee;
      }
    }
    return answerOf(buyer, text, usage, teetee);
  })();
  return { first, answer };
}

/** The answer is token for token what the request generates alone, and its usage counts those tokens. */
function expectAlone(answer: Answer, messages: Chat, maxTokens: number) {
  const expected = alone(messages, maxTokens);
  expect(answer.tokens).toEqual(expected);
  expect(answer.text).toBe(tokenizer.decode(expected));
  expect(answer.usage).toMatchObject({
    prompt_tokens: tokenizer.encodeChat(messages).length,
    completion_tokens: expected.length,
  });
}

/**
 * The on-chain state the money checks compare: each buyer's holdings, each shard's contributor's credited earnings
 * (shard 1's primary and replica share one contributor) and the treasury's.
 */
async function ledger() {
  const { publicClient, contracts } = network;
  return {
    // Not viem's cached block number: each test's redemptions are read from the block after this one.
    block: await publicClient.getBlockNumber({ cacheTime: 0 }),
    held: await Promise.all(buyers.map((b) => escrowHeld(network, b))),
    earnings: await Promise.all(
      [0, 1].map((shard) =>
        getEarnings(publicClient, { contracts, contributor: network.chain.accounts(shard + 1).address }),
      ),
    ),
    treasury: await getEscrowTreasuryBalance(publicClient, { contracts }),
  };
}

/** Every answer of the suite: channels are reused across tests, and a voucher covers all its channel served. */
const history: Answer[] = [];

/** A channel's cumulative cost: its answers' summed usage at the model's on-chain prices. */
function channelCost(answers: Answer[], model: Model): bigint {
  return computeCost({
    inputTokens: BigInt(answers.reduce((n, a) => n + a.usage.prompt_tokens, 0)),
    outputTokens: BigInt(answers.reduce((n, a) => n + a.usage.completion_tokens, 0)),
    inputPricePerMTok: model.inputPricePerMTok,
    outputPricePerMTok: model.outputPricePerMTok,
  });
}

/**
 * Once every channel the answers name is redeemed up to its last voucher: each channel's voucher is the cost of its
 * requests' summed usage at the on-chain prices, each buyer spent on-chain exactly the sum of its answers' costs,
 * what the redemptions paid is the same total, and it went to the contributors by their shards' shares and the rest
 * to the treasury.
 * Exact integers: no tolerance.
 */
async function expectSettledExactly(answers: Answer[], before: Awaited<ReturnType<typeof ledger>>) {
  const { publicClient, contracts } = network;
  history.push(...answers);
  const model = await getModel(publicClient, { contracts, modelId: network.modelId });
  const channels = [...new Set(answers.map((a) => a.teetee.payment.channel_id))];
  const owedBy = buyers.map(() => 0n);
  const amounts = new Map<Hex, bigint>();
  for (const channelId of channels) {
    // One request at a time per channel, so its vouchers grow request by request.
    const onChannel = history
      .filter((a) => a.teetee.payment.channel_id === channelId)
      .sort((a, b) =>
        Number(BigInt(a.teetee.payment.voucher_amount) - BigInt(b.teetee.payment.voucher_amount)),
      );
    let previous = 0n;
    for (const [k, a] of onChannel.entries()) {
      // Each voucher covers the channel's summed usage up to its request; each answer's cost is the increase.
      const voucher = { amount: BigInt(a.teetee.payment.voucher_amount), cost: BigInt(a.teetee.cost) };
      const covered = channelCost(onChannel.slice(0, k + 1), model);
      expect({ channelId, k, ...voucher }).toEqual({
        channelId,
        k,
        amount: covered,
        cost: covered - previous,
      });
      previous = covered;
    }
    const amount = previous;
    const earlier = channelCost(
      onChannel.filter((a) => !answers.includes(a)),
      model,
    );
    amounts.set(channelId, amount);
    owedBy[onChannel[0]!.buyer]! += amount - earlier;
  }
  await until(async () => {
    for (const [channelId, amount] of amounts) {
      if ((await getChannelPaid(publicClient, { contracts, channelId })) < amount) return false;
    }
    return true;
  }, 60_000);
  const after = await ledger();
  for (const [i, owed] of owedBy.entries()) {
    const charged = answers.filter((a) => a.buyer === i).reduce((sum, a) => sum + BigInt(a.teetee.cost), 0n);
    const spent = before.held[i]! - after.held[i]!;
    expect({ buyer: i, spent, charged }).toEqual({ buyer: i, spent: owed, charged: owed });
  }
  const total = owedBy.reduce((a, b) => a + b, 0n);
  expect(total).toBeGreaterThan(0n);
  for (const [channelId, amount] of amounts) {
    expect(await getChannelPaid(publicClient, { contracts, channelId })).toBe(amount);
  }
  const redeemed = await publicClient.getContractEvents({
    address: contracts.paymentEscrow,
    abi: paymentEscrowAbi,
    eventName: "VoucherRedeemed",
    fromBlock: before.block + 1n,
    strict: true,
  });
  const paid = redeemed.map((l) => l.args.paid);
  expect(paid.reduce((a, b) => a + b, 0n)).toBe(total);
  // Each redemption credits each shard's contributor its share, rounded down; the treasury gets the rest.
  const earned = await Promise.all(
    [0, 1].map(async (shard, i) => {
      const { shareBps } = await getShard(publicClient, {
        contracts,
        modelId: network.modelId,
        shardIndex: BigInt(shard),
      });
      const expected = paid.reduce((sum, p) => sum + (p * BigInt(shareBps)) / 10_000n, 0n);
      expect({ shard, earned: after.earnings[i]! - before.earnings[i]! }).toEqual({
        shard,
        earned: expected,
      });
      return expected;
    }),
  );
  expect(earned.reduce((a, b) => a + b, 0n) + (after.treasury - before.treasury)).toBe(total);
}

/** The gateway's failover counter (`teetee_gateway_failovers_total`). */
async function failoverCount(): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("teetee_gateway_failovers_total "));
  return Number(line?.split(" ")[1]);
}

describe("the paid gateway under concurrency", () => {
  test("two buyers' eight concurrent chats: each answer is the lone answer, and the chain holds exactly their cost", async () => {
    const before = await ledger();
    const answers = await Promise.all(
      BURST.map((r) =>
        r.stream ? streamed(r.buyer, r.messages, r.maxTokens).answer : ask(r.buyer, r.messages, r.maxTokens),
      ),
    );
    for (const [i, r] of BURST.entries()) expectAlone(answers[i]!, r.messages, r.maxTokens);
    for (const a of answers) expect(a.teetee.failovers).toEqual([]);
    await expectSettledExactly(answers, before);
  }, 90_000);

  test("a replica killed under four streams: the two on it fail over to the primary, the others continue, every answer is the lone answer, and the money is exact", async () => {
    const { pool } = gateway;
    const before = await ledger();
    const failoversBefore = await failoverCount();
    const start = (onReplica: boolean) =>
      STREAMS.filter((s) => s.onReplica === onReplica).map((s) => ({
        ...s,
        ...streamed(s.buyer, s.messages, LONG),
      }));
    // Not left to the pool's load balancing: with the primary out of rotation, the first two take the replica;
    // with the replica out, the next two take the primary. Each waits until the pool has counted them on it.
    const inflight = (runner: PaidRunner) => pool.get(runner.address)!.inflight;
    pool.markDown(primary.address);
    const onReplica = start(true);
    await until(() => inflight(replica) === 2);
    expect(await pool.checkHealth(primary.address)).toBe(true);
    pool.markDown(replica.address);
    const onPrimary = start(false);
    await until(() => inflight(primary) === 2);
    expect(await pool.checkHealth(replica.address)).toBe(true);
    const streams = [...onReplica, ...onPrimary];
    await Promise.all(streams.map((s) => s.first));
    stopPaidRunner(replica, "SIGKILL");
    const answers = await Promise.all(streams.map((s) => s.answer));

    for (const [i, s] of streams.entries()) {
      const answer = answers[i]!;
      expectAlone(answer, s.messages, LONG);
      expect(answer.teetee.route.map((r) => r.runner.toLowerCase())).toEqual(
        [shard0.address, primary.address].map((a) => a.toLowerCase()),
      );
      if (s.onReplica) {
        expect(answer.teetee.failovers).toHaveLength(1);
        expect(answer.teetee.failovers[0]!.failed.map((a) => a.toLowerCase())).toEqual([
          replica.address.toLowerCase(),
        ]);
        // Cut off mid-way: the survivor was replayed some tokens and generated the rest.
        const bundle = parseReceiptBundle(answer.teetee.receipts!);
        expect(bundle.replayedTokens).toBeGreaterThan(0);
        expect(bundle.replayedTokens).toBeLessThan(answer.tokens.length);
      } else {
        expect(answer.teetee.failovers).toEqual([]);
      }
    }
    expect((await failoverCount()) - failoversBefore).toBe(2);
    await expectSettledExactly(answers, before);
  }, 90_000);

  test("after the failover each buyer is served again at once, on the channels it used before, and the money is exact", async () => {
    const before = await ledger();
    const again = BURST.slice(0, 4);
    const answers = await Promise.all(again.map((r) => ask(r.buyer, r.messages, r.maxTokens)));
    for (const [i, r] of again.entries()) expectAlone(answers[i]!, r.messages, r.maxTokens);
    const used = new Set(history.map((a) => a.teetee.payment.channel_id));
    expect(answers.filter((a) => used.has(a.teetee.payment.channel_id)).length).toBeGreaterThan(0);
    await expectSettledExactly(answers, before);
  }, 60_000);
});
