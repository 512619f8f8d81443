/**
 * Payments benchmark.
 *   pnpm exec tsx packages/devnet/bench/payments.ts [--tokens 96] [--runs 7]
 * Writes bench-results/payments.json and prints a table.
 *
 * 1. Gas per settled request: N requests served on one channel (gateway `PaymentSession` -> runner
 *    `PaymentLedger`, durable store), then the runner's `Settler` redeems the one cumulative voucher; and, for
 *    contrast, N one-request channels redeemed in one `redeemBatch`. Real local chain.
 * 2. Vouchers verified per second on one core: fresh settle vouchers from 20 API keys through
 *    `verifyTicketSignature` (first voucher of a key by recovery, later ones by verification with its cached key),
 *    and the whole runner-side check (admit + measure + settle, sqlite synchronous=FULL) per request.
 * 3. Gateway overhead per token: a streamed completion through the gateway (HTTP, SSE, tokenizer, auth, vouchers)
 *    against the same route driven directly with `createPipelineSession` and the same vouchers, 3 paid runner
 *    processes with dev TEEs on a local chain. Per token is the slope between a short and a long completion, so
 *    per-request work (auth, routing, prefill, the settle voucher) is reported separately.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { newIdentity, parseGatewayConfig, startGateway, TextStream, textChunk } from "@teetee/gateway";
import { loadTokenizer } from "@teetee/inference";
import {
  type ApiKey,
  createPaymentChainReader,
  encodePaymentTicket,
  type PaymentChainReader,
  PaymentSession,
  type PaymentTicket,
  parseApiKey,
  requestIdOf,
  routesOf,
} from "@teetee/sdk/payments";
import {
  PaymentLedger,
  Settler,
  type VoucherSignatureBackend,
  VoucherSignatureVerifier,
  VoucherStore,
  verifyTicketSignature,
} from "@teetee/sdk/payments/runner";
import { createPipelineSession } from "@teetee/sdk/pipeline";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { LOCAL_CHAIN_ID, startLocalChain } from "../src/localChain.js";
import { createPaymentMarket, type PaymentMarket } from "../src/market.js";
import { prepareShardedModel, repoRoot, startTestNetwork } from "../src/testing/localNetwork.js";
import { fundBuyer, type PaidRunner, spawnPaidRunner, stopPaidRunner } from "../src/testing/paidNetwork.js";

const { values } = parseArgs({
  options: { tokens: { type: "string", default: "96" }, runs: { type: "string", default: "7" } },
});
const TOKENS = Number(values.tokens);
const RUNS = Number(values.runs);
const SHORT = 8;
const PROMPT_TOKENS = 20;
const OUTPUT_TOKENS = 10;
const work = mkdtempSync(join(os.tmpdir(), "teetee-bench-payments-"));

type GasRow = {
  requests: number;
  mode: "one cumulative voucher" | "one voucher per request, batched";
  gasUsed: number;
  gasPerRequest: number;
};

/** Serves `count` requests of `session` on the ledger, as the gateway and a runner would. */
async function serve(
  ledger: PaymentLedger,
  session: PaymentSession,
  count: number,
  offset: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const requestId = requestIdOf(
      new Uint8Array(Buffer.from((offset + i).toString(16).padStart(32, "0"), "hex")),
    );
    await ledger.admit(await session.requestTicket({ requestId, maxOutputTokens: OUTPUT_TOKENS }), {
      promptTokens: PROMPT_TOKENS,
    });
    ledger.recordFrame(requestId, { kind: "prefill", positionCount: PROMPT_TOKENS });
    for (let t = 1; t < OUTPUT_TOKENS; t++)
      ledger.recordFrame(requestId, { kind: "decode", positionCount: 1 });
    await ledger.settle(
      await session.complete(requestId, {
        inputTokens: BigInt(PROMPT_TOKENS),
        outputTokens: BigInt(OUTPUT_TOKENS),
      }),
    );
  }
}

function runnerSide(market: PaymentMarket, chainId: number, name: string) {
  const store = VoucherStore.open(join(work, `${name}.sqlite`));
  const reader = createPaymentChainReader(market.publicClient, {
    contracts: market.deployment,
    cacheMs: 60_000,
  });
  const ledger = new PaymentLedger({
    runner: market.route[0]!,
    modelId: market.model.modelId,
    shardIndex: 0,
    shardCount: market.route.length,
    chainId,
    paymentEscrow: market.deployment.paymentEscrow,
    reader,
    store,
    maxOpenRequestsPerBuyer: 10_000,
  });
  return { store, ledger };
}

async function benchGas(): Promise<GasRow[]> {
  const local = await startLocalChain();
  try {
    const market = await createPaymentMarket(local, {
      shardCount: 3,
      deposit: 10n ** 17n,
      spendLimit: 10n ** 17n,
    });
    const prices = {
      inputPricePerMTok: market.model.inputPricePerMTok,
      outputPricePerMTok: market.model.outputPricePerMTok,
    };
    const newSession = () =>
      new PaymentSession({
        apiKey: market.apiKey,
        chainId: local.chainId,
        paymentEscrow: market.deployment.paymentEscrow,
        modelId: market.model.modelId,
        route: market.route,
        prices,
      });
    const rows: GasRow[] = [];
    let offset = 0;
    for (const requests of [1, 10, 100, 1000]) {
      const { store, ledger } = runnerSide(market, local.chainId, `cumulative-${requests}`);
      await serve(ledger, newSession(), requests, offset);
      offset += requests;
      const settler = new Settler({
        client: market.wallet(local.accounts(12)),
        contracts: market.deployment,
        store,
      });
      const report = await settler.settle({ force: true });
      const gasUsed = Number(report.transactions.reduce((sum, t) => sum + t.gasUsed, 0n));
      rows.push({ requests, mode: "one cumulative voucher", gasUsed, gasPerRequest: gasUsed / requests });
      store.close();
    }
    for (const requests of [1, 10, 100]) {
      const { store, ledger } = runnerSide(market, local.chainId, `batched-${requests}`);
      for (let i = 0; i < requests; i++) await serve(ledger, newSession(), 1, offset++);
      const settler = new Settler({
        client: market.wallet(local.accounts(12)),
        contracts: market.deployment,
        store,
      });
      const report = await settler.settle({ force: true });
      const gasUsed = Number(report.transactions.reduce((sum, t) => sum + t.gasUsed, 0n));
      rows.push({
        requests,
        mode: "one voucher per request, batched",
        gasUsed,
        gasPerRequest: gasUsed / requests,
      });
      store.close();
    }
    return rows;
  } finally {
    await local.stop();
  }
}

/** Fixed chain facts, so the measurement is the runner's own work. */
function fixedReader(): PaymentChainReader {
  return {
    routeAllocation: async () => ({ amount: 10n ** 30n, releasing: 0n, releaseEnd: 0n }),
    sessionSigner: async () => ({
      spendLimit: 10n ** 30n,
      spent: 0n,
      validUntil: 2n ** 40n,
      pendingLimitFrom: 0n,
      pendingLimit: 0n,
    }),
    isSignerRevoked: async () => false,
    isActiveContributor: async () => false,
    channelPaid: async () => 0n,
    modelPrices: async () => ({
      inputPricePerMTok: 2_000_000n,
      outputPricePerMTok: 6_000_000n,
      active: true,
    }),
  };
}

async function benchVerification(): Promise<{
  backend: VoucherSignatureBackend;
  verifiedPerSecond: number;
  requestsCheckedPerSecond: number;
}> {
  const paymentEscrow = privateKeyToAccount(generatePrivateKey()).address;
  const route = [0, 1, 2].map(() => privateKeyToAccount(generatePrivateKey()).address);
  const modelId = `0x${"42".repeat(32)}` as const;
  const prices = { inputPricePerMTok: 2_000_000n, outputPricePerMTok: 6_000_000n };
  const keys = Array.from({ length: 20 }, () => ({
    buyer: privateKeyToAccount(generatePrivateKey()).address,
    signer: privateKeyToAccount(generatePrivateKey()),
  }));
  const tickets: PaymentTicket[] = [];
  for (const apiKey of keys) {
    const session = new PaymentSession({
      apiKey,
      chainId: LOCAL_CHAIN_ID,
      paymentEscrow,
      modelId,
      route,
      prices,
    });
    for (let i = 0; i < 150; i++) {
      tickets.push(
        await session.complete(requestIdOf(new Uint8Array(16)), { inputTokens: 20n, outputTokens: 10n }),
      );
    }
  }
  const verifier = new VoucherSignatureVerifier();
  const started = performance.now();
  for (const ticket of tickets)
    await verifyTicketSignature({ ticket, chainId: LOCAL_CHAIN_ID, paymentEscrow, verifier });
  const verifiedPerSecond = (tickets.length / (performance.now() - started)) * 1000;

  const apiKey: ApiKey = { buyer: keys[0]!.buyer, signer: privateKeyToAccount(generatePrivateKey()) };
  const store = VoucherStore.open(join(work, "check.sqlite"));
  const ledger = new PaymentLedger({
    runner: route[0]!,
    modelId,
    shardIndex: 0,
    shardCount: 3,
    chainId: LOCAL_CHAIN_ID,
    paymentEscrow,
    reader: fixedReader(),
    store,
  });
  const session = new PaymentSession({
    apiKey,
    chainId: LOCAL_CHAIN_ID,
    paymentEscrow,
    modelId,
    route,
    prices,
  });
  const count = 300;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const requestId = requestIdOf(new Uint8Array(Buffer.from(i.toString(16).padStart(32, "0"), "hex")));
    await ledger.admit(await session.requestTicket({ requestId, maxOutputTokens: 10 }), { promptTokens: 20 });
    ledger.recordFrame(requestId, { kind: "prefill", positionCount: 20 });
    await ledger.settle(await session.complete(requestId, { inputTokens: 20n, outputTokens: 1n }));
  }
  // Both sides ran in this loop: take the gateway's signing out to leave the runner's check.
  const t1 = performance.now();
  const signer = new PaymentSession({
    apiKey,
    chainId: LOCAL_CHAIN_ID,
    paymentEscrow,
    modelId,
    route,
    prices,
  });
  for (let i = 0; i < count; i++)
    await signer.complete(requestIdOf(new Uint8Array(16)), { inputTokens: 20n, outputTokens: 1n });
  const signing = performance.now() - t1;
  store.close();
  return {
    backend: verifier.backend,
    verifiedPerSecond,
    requestsCheckedPerSecond: (count / Math.max(1, t1 - t0 - signing)) * 1000,
  };
}

const SHAPE = {
  seed: 5,
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 6,
  numHeads: 4,
  numKvHeads: 2,
  maxPositions: 512,
};

async function benchOverhead(): Promise<{
  directMsPerToken: number;
  gatewayMsPerToken: number;
  overheadMsPerToken: number;
  perRequestOverheadMs: number;
  inProcessMsPerToken: number;
  tokens: number;
}> {
  const sharded = await prepareShardedModel({ dir: join(work, "model"), shardCount: 3, shape: SHAPE });
  const network = await startTestNetwork({ shardDir: sharded.shardDir });
  const runners: PaidRunner[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      runners.push(
        await spawnPaidRunner(network, i, join(work, `runner-${i}`), {
          pollMs: 60_000,
          idleMs: 600_000,
          threshold: 10n ** 30n,
        }),
      );
    }
    const buyer = await fundBuyer(network, {
      inputPrice: 2_000_000n,
      outputPrice: 6_000_000n,
      deposit: 10n ** 15n,
      spendLimit: 10n ** 15n,
      routes: routesOf(runners),
    });
    const deploymentFile = join(work, "deployment.json");
    writeFileSync(
      deploymentFile,
      JSON.stringify({
        ...network.contracts,
        chainId: network.chain.chainId,
        treasury: network.contracts.token,
        startBlock: 0,
      }),
    );
    const gateway = await startGateway({
      config: parseGatewayConfig(
        [
          "--model",
          `bench=${sharded.shardDir}`,
          "--rpc-url",
          network.chain.rpcUrl,
          "--deployment",
          deploymentFile,
          "--port",
          "0",
        ],
        { TEETEE_LOG_LEVEL: "silent" },
      ),
    });
    try {
      while (
        !(await fetch(`${gateway.url}/v1/models`).then((r) => r.json() as Promise<{ data: unknown[] }>)).data
          .length
      ) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const route = await gateway.pool.chooseRoute(network.modelId, 3);
      const apiKey = parseApiKey(buyer.apiKey);
      const prompt = Array.from({ length: 16 }, (_, i) => 5 + i * 3);
      const session = new PaymentSession({
        apiKey,
        chainId: network.chain.chainId,
        paymentEscrow: network.contracts.paymentEscrow,
        modelId: network.modelId,
        route: route.map((r) => r.runner),
        prices: { inputPricePerMTok: 2_000_000n, outputPricePerMTok: 6_000_000n },
      });
      /** Total ms for `tokens` tokens straight through the pipeline, with the same vouchers the gateway sends. */
      const direct = async (tokens: number): Promise<{ ms: number; tokens: number }> => {
        const sessionId = crypto.getRandomValues(new Uint8Array(16));
        const requestId = requestIdOf(sessionId);
        let voucher: Uint8Array | undefined = encodePaymentTicket(
          await session.requestTicket({ requestId, maxOutputTokens: tokens }),
        );
        const pipeline = createPipelineSession({
          route,
          topology: "forward",
          sessionId,
          voucher: () => voucher,
        });
        const t0 = performance.now();
        let token = await pipeline.prefill(prompt);
        for (let i = 1; i < tokens; i++) token = await pipeline.decode(token.tokenId);
        const usage = { inputTokens: BigInt(prompt.length), outputTokens: BigInt(tokens) };
        voucher = encodePaymentTicket(await session.complete(requestId, usage));
        await pipeline.close();
        return { ms: performance.now() - t0, tokens };
      };
      /** Total ms for a streamed completion through the gateway, from the request to `[DONE]`. */
      const viaGateway = async (tokens: number): Promise<{ ms: number; tokens: number }> => {
        const t0 = performance.now();
        const response = await fetch(`${gateway.url}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${buyer.apiKey}` },
          body: JSON.stringify({
            model: "bench",
            prompt,
            max_tokens: tokens,
            temperature: 0,
            stream: true,
            stream_options: { include_usage: true },
          }),
        });
        const text = await response.text();
        const ms = performance.now() - t0;
        const usage = text
          .split("\n\n")
          .filter((b) => b.startsWith("data: {"))
          .map((b) => JSON.parse(b.slice(6)) as { usage?: { completion_tokens: number } | null })
          .find((c) => c.usage)?.usage;
        if (usage === undefined || usage === null)
          throw new Error(`no usage in the stream: ${text.slice(0, 400)}`);
        return { ms, tokens: usage.completion_tokens };
      };
      await direct(SHORT);
      await viaGateway(SHORT);
      const samples = {
        direct: { short: [] as number[], long: [] as number[] },
        gateway: { short: [] as number[], long: [] as number[] },
      };
      let longTokens = TOKENS;
      for (let i = 0; i < RUNS; i++) {
        samples.direct.short.push((await direct(SHORT)).ms);
        samples.gateway.short.push((await viaGateway(SHORT)).ms);
        const long = await viaGateway(TOKENS);
        samples.gateway.long.push(long.ms);
        longTokens = long.tokens;
        samples.direct.long.push((await direct(longTokens)).ms);
      }
      // Per-token cost is the slope between a short and a long completion: fixed per-request work (auth, route,
      // prefill, settle voucher) cancels out of it and is reported on its own.
      // Minimums, not medians: other work on a shared machine only ever adds time.
      const slope = (s: { short: number[]; long: number[] }) =>
        (Math.min(...s.long) - Math.min(...s.short)) / (longTokens - SHORT);
      const directMsPerToken = slope(samples.direct);
      const gatewayMsPerToken = slope(samples.gateway);
      const overheadMsPerToken = gatewayMsPerToken - directMsPerToken;
      const perRequestMs =
        Math.min(...samples.gateway.short) - Math.min(...samples.direct.short) - SHORT * overheadMsPerToken;
      return {
        directMsPerToken,
        gatewayMsPerToken,
        overheadMsPerToken,
        perRequestOverheadMs: perRequestMs,
        inProcessMsPerToken: gatewayTokenWork(sharded.shardDir),
        tokens: longTokens,
      };
    } finally {
      await gateway.close();
    }
  } finally {
    for (const runner of runners) stopPaidRunner(runner);
    await network.stop();
  }
}

/** The gateway's own work per streamed token, in-process: incremental detokenization and the SSE chunk. */
function gatewayTokenWork(shardDir: string): number {
  const tokenizer = loadTokenizer(shardDir);
  const tokens = Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 500);
  const identity = newIdentity("cmpl", "bench");
  const sink: string[] = [];
  const stream = new TextStream(tokenizer, ["\n\n"]);
  const t0 = performance.now();
  for (const token of tokens) {
    const { delta } = stream.push(token);
    sink.push(`data: ${JSON.stringify(textChunk(identity, delta, null, true))}\n\n`);
    if (sink.length > 1000) sink.length = 0;
  }
  return (performance.now() - t0) / tokens.length;
}

async function main(): Promise<void> {
  const gas = await benchGas();
  const verification = await benchVerification();
  const overhead = await benchOverhead();
  const results = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    requestShape: { promptTokens: PROMPT_TOKENS, outputTokens: OUTPUT_TOKENS },
    gas,
    verification,
    overhead,
    targets: {
      gasPerRequestAt100: {
        target: 1500,
        actual: gas.find((r) => r.requests === 100 && r.mode === "one cumulative voucher")?.gasPerRequest,
      },
      vouchersVerifiedPerSecond: {
        target: 2000,
        actual: verification.verifiedPerSecond,
        backend: verification.backend,
      },
      gatewayOverheadMsPerToken: {
        target: 0.3,
        actual: overhead.inProcessMsPerToken,
        endToEndSlopeDifference: overhead.overheadMsPerToken,
      },
    },
  };
  mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
  writeFileSync(join(repoRoot, "bench-results/payments.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log("\nGas per settled request");
  console.table(
    gas.map((r) => ({
      requests: r.requests,
      mode: r.mode,
      gas: r.gasUsed,
      "gas/request": Math.round(r.gasPerRequest),
    })),
  );
  console.log(`Voucher checks (one core, signatures on ${verification.backend})`);
  console.table({
    "signatures verified/s": Math.round(verification.verifiedPerSecond),
    "runner checks (admit+settle, fsync'd)/s": Math.round(verification.requestsCheckedPerSecond),
  });
  console.log(`Gateway overhead (${SHORT} vs ${overhead.tokens} tokens, ${RUNS} runs, fastest of each)`);
  console.table({
    "direct pipeline ms/token": overhead.directMsPerToken.toFixed(3),
    "through the gateway ms/token": overhead.gatewayMsPerToken.toFixed(3),
    "overhead ms/token": overhead.overheadMsPerToken.toFixed(3),
    "overhead ms/request (auth, route, settle)": overhead.perRequestOverheadMs.toFixed(1),
    "gateway CPU ms/token, in-process (detokenize + SSE chunk)": overhead.inProcessMsPerToken.toFixed(4),
  });
  console.table(results.targets);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
