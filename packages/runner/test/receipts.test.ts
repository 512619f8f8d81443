/**
 * Receipts from real runner processes: three runners on a local chain sign what they computed for a session, and
 * the chain of receipts holds together and commits to the tokens, in both topologies and activation dtypes.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  prepareShardedModel,
  type SpawnedRunner,
  startTestNetwork,
  type TestNetwork,
} from "@teetee/devnet/testing";
import {
  createPipelineSession,
  FrameLink,
  PartialReceiptsError,
  type PipelineTopology,
  type RouteRunner,
  RunnerRefusedError,
} from "@teetee/sdk/pipeline";
import {
  hashReceipt,
  type ReceiptFrame,
  ReceiptHasher,
  receiptParamsHash,
  recoverReceiptSigner,
  type SignedReceipt,
  ZERO_HASH,
} from "@teetee/sdk/receipts";
import type { Frame } from "@teetee/sdk/wire";
import { bytesToHex } from "viem";

const SHAPE = {
  seed: 7,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 6,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 256,
};
const PROMPT = [5, 17, 42, 99, 7, 63, 12, 30];
const NEW_TOKENS = 12;
const GREEDY = { temperature: 0, topK: 0, topP: 1, seed: 0 };

let network: TestNetwork;
let runners: SpawnedRunner[];
let route: RouteRunner[];
let domain: { chainId: number; runnerRegistry: `0x${string}` };
const workDir = mkdtempSync(join(tmpdir(), "teetee-receipts-test-"));

beforeAll(async () => {
  const sharded = await prepareShardedModel({ dir: workDir, shardCount: 3, shape: SHAPE });
  network = await startTestNetwork({ shardDir: sharded.shardDir });
  runners = await Promise.all([0, 1, 2].map((index) => network.spawnRunner(index)));
  route = runners.map(({ runner, endpoint, publicKey }) => ({ runner, endpoint, publicKey }));
  domain = { chainId: network.chain.chainId, runnerRegistry: network.contracts.runnerRegistry };
}, 240_000);

afterAll(async () => {
  await network?.stop();
});

/** Runs a session to NEW_TOKENS and asks for its receipts, leaving it open for more frames. */
async function generateWithReceipts(options: {
  topology: PipelineTopology;
  activationDtype: "fp16" | "fp32";
  chunk?: number;
}) {
  const session = createPipelineSession({ route, ...options });
  const tokens: number[] = [];
  let token = await session.prefill(PROMPT, options.chunk === undefined ? {} : { chunk: options.chunk });
  tokens.push(token.tokenId);
  while (tokens.length < NEW_TOKENS) {
    token = await session.decode(token.tokenId);
    tokens.push(token.tokenId);
  }
  return { session, tokens, receipts: await session.receipts() };
}

/** The frames each runner computed: the prompt (in chunks), then one decode per token but the last. */
function framesOf(chunk = PROMPT.length): ReceiptFrame[] {
  const frames: ReceiptFrame[] = [];
  for (let start = 0; start < PROMPT.length; start += chunk) {
    const count = Math.min(chunk, PROMPT.length - start);
    frames.push({ positionStart: start, positionCount: count, skipSample: start + count < PROMPT.length });
  }
  for (let i = 0; i < NEW_TOKENS - 1; i++)
    frames.push({ positionStart: PROMPT.length + i, positionCount: 1 });
  return frames;
}

async function expectHonestChain(
  receipts: SignedReceipt[],
  session: { sessionId: Uint8Array },
  tokens: number[],
  params: { activationDtype: "fp16" | "fp32"; chunk?: number },
): Promise<void> {
  expect(receipts).toHaveLength(3);
  const positions = PROMPT.length + NEW_TOKENS - 1;
  for (const [k, { receipt }] of receipts.entries()) {
    expect(receipt).toMatchObject({
      modelId: network.modelId,
      shardIndex: k,
      sessionId: bytesToHex(session.sessionId),
      positionStart: 0,
      positionCount: positions,
    });
    expect(Number(receipt.issuedAt)).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(await recoverReceiptSigner(receipts[k]!, domain)).toBe(runners[k]!.runner);
    if (k === 0) expect(receipt.previousReceipt).toBe(ZERO_HASH);
    else {
      const previous = receipts[k - 1]!.receipt;
      expect(receipt.inputHash).toBe(previous.outputHash);
      expect(receipt.previousReceipt).toBe(hashReceipt({ receipt: previous, ...domain }));
    }
    expect(receipt.paramsHash).toBe(
      receiptParamsHash({
        sampling: GREEDY,
        logprobs: false,
        activationDtype: k === 2 ? undefined : params.activationDtype,
        frames: framesOf(params.chunk),
      }),
    );
  }
  const input = new ReceiptHasher();
  input.tokens(0, [...PROMPT, ...tokens.slice(0, -1)]);
  expect(receipts[0]!.receipt.inputHash).toBe(input.digest());
  const output = new ReceiptHasher();
  output.tokens(PROMPT.length, tokens);
  expect(receipts[2]!.receipt.outputHash).toBe(output.digest());
  // Activations hash as the bytes that travel: fp16 and fp32 links differ.
  expect(receipts[0]!.receipt.outputHash).not.toBe(receipts[1]!.receipt.outputHash);
}

describe("receipts from three runner processes", () => {
  test.each([
    ["the gateway calls each runner, fp32", "gateway", "fp32", undefined],
    ["the gateway calls each runner, fp16", "gateway", "fp16", undefined],
    ["runners forward, fp32", "forward", "fp32", undefined],
    ["runners forward, fp16", "forward", "fp16", undefined],
    ["runners forward, fp16, chunked prefill", "forward", "fp16", 3],
    ["the gateway calls each runner, fp32, chunked prefill", "gateway", "fp32", 5],
  ] as const)(
    "%s: the chain links, is signed by the route's keys and commits to the tokens",
    async (_label, topology, activationDtype, chunk) => {
      const { session, tokens, receipts } = await generateWithReceipts({
        topology,
        activationDtype,
        ...(chunk === undefined ? {} : { chunk }),
      });
      await session.close();
      await expectHonestChain(receipts, session, tokens, {
        activationDtype,
        ...(chunk === undefined ? {} : { chunk }),
      });
    },
  );

  test("fp16 and fp32 sessions of the same tokens agree on the token digests and differ on the activation ones", async () => {
    const fp16 = await generateWithReceipts({ topology: "forward", activationDtype: "fp16" });
    const fp32 = await generateWithReceipts({ topology: "forward", activationDtype: "fp32" });
    await Promise.all([fp16.session.close(), fp32.session.close()]);
    expect(fp16.tokens).toEqual(fp32.tokens);
    expect(fp16.receipts[0]!.receipt.inputHash).toBe(fp32.receipts[0]!.receipt.inputHash);
    expect(fp16.receipts[2]!.receipt.outputHash).toBe(fp32.receipts[2]!.receipt.outputHash);
    expect(fp16.receipts[0]!.receipt.outputHash).not.toBe(fp32.receipts[0]!.receipt.outputHash);
  });

  describe("asked directly", () => {
    const link = (k: number) => new FrameLink({ runner: route[k]!, hop: k });
    const ask = (sessionId: Uint8Array, step: number, previous?: SignedReceipt): Frame => ({
      kind: "receipt",
      sessionId,
      step,
      sentAt: Date.now(),
      positionStart: 0,
      positionCount: 0,
      payload: previous === undefined ? { type: "empty" } : { type: "receipts", receipts: [previous] },
    });
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => {
          throw new Error("expected a refusal");
        },
        (error: unknown) => error as RunnerRefusedError,
      );

    test("asking twice gives the same receipt; the session then takes no more frames (409)", async () => {
      const { session, receipts } = await generateWithReceipts({
        topology: "gateway",
        activationDtype: "fp16",
      });
      const again = await link(1).exchange(ask(session.sessionId, 10_000, receipts[0]));
      expect(again.reply.payload).toEqual({ type: "receipts", receipts: [receipts[1]] });
      const decode = await refusal(
        link(0).exchange({
          kind: "decode",
          sessionId: session.sessionId,
          step: 10_001,
          sentAt: Date.now(),
          positionStart: PROMPT.length + NEW_TOKENS - 1,
          positionCount: 1,
          payload: { type: "tokens", tokenIds: Uint32Array.of(1) },
        }),
      );
      expect(decode).toBeInstanceOf(RunnerRefusedError);
      expect(decode.status).toBe(409);
      expect(decode.message).toMatch(/receipt is signed/);
      await expect(session.decode(1)).rejects.toThrow(/takes no more tokens/);
      await session.close();
    });

    test("a receipt frame for an unknown session: 404; a later shard without the previous receipt, or shard 0 with one: 400", async () => {
      const unknown = await refusal(link(0).exchange(ask(crypto.getRandomValues(new Uint8Array(16)), 0)));
      expect(unknown.status).toBe(404);
      expect(unknown.message).toMatch(/Unknown session/);
      const session = createPipelineSession({ route, topology: "gateway" });
      await session.prefill(PROMPT);
      // Steps the session's own receipt frames (1, 2, 3) still fit behind, in the replay window.
      const missing = await refusal(link(1).exchange(ask(session.sessionId, 40)));
      expect(missing.status).toBe(400);
      expect(missing.message).toMatch(/links its receipt to shard 0's/);
      const [first] = await session.receipts();
      const shard0 = await refusal(link(0).exchange(ask(session.sessionId, 41, first)));
      expect(shard0.status).toBe(400);
      const foreign = {
        ...first!,
        receipt: { ...first!.receipt, sessionId: `0x${"00".repeat(16)}` as const },
      };
      const wrong = await refusal(link(1).exchange(ask(session.sessionId, 42, foreign)));
      expect(wrong.status).toBe(400);
      expect(wrong.message).toMatch(/not this session's/);
      await session.close();
    });

    test("a broken link is signed anyway: the runner links the receipt it was given, the verifier flags the break", async () => {
      const session = createPipelineSession({ route, topology: "gateway" });
      await session.prefill(PROMPT);
      const honest = await link(0).exchange(ask(session.sessionId, 10_000));
      const [first] = honest.reply.payload.type === "receipts" ? honest.reply.payload.receipts : [];
      const forged = { ...first!, receipt: { ...first!.receipt, outputHash: ZERO_HASH } };
      const signed = await link(1).exchange(ask(session.sessionId, 10_001, forged));
      const [second] = signed.reply.payload.type === "receipts" ? signed.reply.payload.receipts : [];
      expect(second!.receipt.previousReceipt).toBe(hashReceipt({ receipt: forged.receipt, ...domain }));
      expect(second!.receipt.inputHash).toBe(first!.receipt.outputHash);
      expect(second!.receipt.inputHash).not.toBe(forged.receipt.outputHash);
      await session.close();
    });
  });
});

/**
 * Forwarding over a route whose runner further on fails: the runners before it still sign what they computed, and
 * the sender gets that partial chain with the failure.
 */
describe("receipts of a route that fails down the line (forwarding)", () => {
  const toRouteRunner = ({ runner, endpoint, publicKey }: SpawnedRunner): RouteRunner => ({
    runner,
    endpoint,
    publicKey,
  });
  const partial = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error("expected the receipts to come back partial");
      },
      (error: unknown) => error as PartialReceiptsError,
    );

  /** Prefills PROMPT and decodes `decodes` tokens; the tokens fed to shard 0 after the prompt. */
  async function generateSome(session: ReturnType<typeof createPipelineSession>, decodes: number) {
    const fed: number[] = [];
    let token = await session.prefill(PROMPT);
    for (let i = 0; i < decodes; i++) {
      fed.push(token.tokenId);
      token = await session.decode(token.tokenId);
    }
    return { fed, next: token.tokenId };
  }

  /** The receipt of runner `k` of `route`, for everything it computed of the session's tokens `input`. */
  async function expectSignedReceipt(
    signed: SignedReceipt,
    k: number,
    signer: SpawnedRunner,
    session: { sessionId: Uint8Array },
    input: number[],
    previous: SignedReceipt | undefined,
  ): Promise<void> {
    expect(signed.receipt).toMatchObject({
      modelId: network.modelId,
      shardIndex: k,
      sessionId: bytesToHex(session.sessionId),
      positionStart: 0,
      positionCount: input.length,
      previousReceipt:
        previous === undefined ? ZERO_HASH : hashReceipt({ receipt: previous.receipt, ...domain }),
    });
    expect(await recoverReceiptSigner(signed, domain)).toBe(signer.runner);
    const frames: ReceiptFrame[] = [{ positionStart: 0, positionCount: PROMPT.length }];
    for (let p = PROMPT.length; p < input.length; p++) frames.push({ positionStart: p, positionCount: 1 });
    expect(signed.receipt.paramsHash).toBe(
      receiptParamsHash({ sampling: GREEDY, logprobs: false, activationDtype: "fp16", frames }),
    );
    if (previous === undefined) {
      const hasher = new ReceiptHasher();
      hasher.tokens(0, input);
      expect(signed.receipt.inputHash).toBe(hasher.digest());
    } else expect(signed.receipt.inputHash).toBe(previous.receipt.outputHash);
  }

  test("the second runner killed: the first runner's receipt still comes back, signed and valid", async () => {
    const doomed = await network.spawnRunner(1, { dataDir: mkdtempSync(join(tmpdir(), "teetee-doomed-")) });
    const session = createPipelineSession({
      route: [route[0]!, toRouteRunner(doomed), route[2]!],
      topology: "forward",
      timeoutMs: 20_000,
    });
    const { fed, next } = await generateSome(session, 2);
    await doomed.stop();
    await expect(session.decode(next)).rejects.toThrow(RunnerRefusedError);
    const error = await partial(session.receipts());
    expect(error).toBeInstanceOf(PartialReceiptsError);
    expect(error.missingShards).toEqual([1, 2]);
    expect(error.receipts).toHaveLength(1);
    // Runner 0 computed the failed step too: its receipt covers it.
    await expectSignedReceipt(
      error.receipts[0]!,
      0,
      runners[0]!,
      session,
      [...PROMPT, ...fed, next],
      undefined,
    );
    // Asking again gives the same partial chain.
    await expect(session.receipts()).rejects.toBe(error);
    await session.close();
  }, 120_000);

  test("the last runner restarted (it answers 404 for the session): the first two receipts come back linked", async () => {
    const first = await network.spawnRunner(2, { dataDir: mkdtempSync(join(tmpdir(), "teetee-forgetful-")) });
    const port = Number(new URL(first.url).port);
    const session = createPipelineSession({
      route: [route[0]!, route[1]!, toRouteRunner(first)],
      topology: "forward",
      timeoutMs: 20_000,
    });
    const { fed, next } = await generateSome(session, 3);
    await first.stop();
    const restarted = await network.spawnRunner(2, { dataDir: first.dataDir, port });
    try {
      expect(restarted.runner).toBe(first.runner);
      await expect(session.decode(next)).rejects.toThrow(/Unknown session/);
      const error = await partial(session.receipts());
      expect(error.missingShards).toEqual([2]);
      expect(error.receipts).toHaveLength(2);
      const input = [...PROMPT, ...fed, next];
      await expectSignedReceipt(error.receipts[0]!, 0, runners[0]!, session, input, undefined);
      await expectSignedReceipt(error.receipts[1]!, 1, runners[1]!, session, input, error.receipts[0]);
      expect(error.message).toMatch(/Unknown session/);
      await session.close();
    } finally {
      await restarted.stop();
    }
  }, 120_000);
});
