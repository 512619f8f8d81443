import { mkdtempSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareShardedModel, runToExit, startTestNetwork, type TestNetwork } from "@teetee/devnet/testing";
import { describe as describeError } from "@teetee/errors";
import { ShardSession } from "@teetee/inference";
import { Settler, VoucherStore } from "@teetee/sdk/payments/runner";
import { bytesToHex } from "viem";
import { parseRunnerConfig } from "../src/config.js";
import { RunnerListenError, RunnerStartupError } from "../src/errors.js";
import { startRunner, UNVERIFIED_WEIGHTS_ENV } from "../src/startRunner.js";

const SHAPE = {
  seed: 5,
  hiddenSize: 32,
  intermediateSize: 64,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  maxPositions: 64,
};

let network: TestNetwork;
let blocker: Server;
let takenPort: number;

beforeAll(async () => {
  const work = mkdtempSync(join(tmpdir(), "teetee-rollback-"));
  const { shardDir } = await prepareShardedModel({ dir: work, shardCount: 2, shape: SHAPE });
  network = await startTestNetwork({ shardDir });
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  takenPort = (blocker.address() as { port: number }).port;
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => blocker?.close(resolve));
  await network?.stop();
});

/** A paid runner (voucher store and settler) of shard 0 on the port another server holds. */
function argsOnTakenPort(dataDir: string): string[] {
  return [
    "--model-dir",
    network.shardDir,
    "--shard",
    "0",
    "--host",
    "127.0.0.1",
    "--port",
    String(takenPort),
    "--rpc-url",
    network.chain.rpcUrl,
    "--runner-registry",
    network.contracts.runnerRegistry,
    "--model-registry",
    network.contracts.modelRegistry,
    "--payment-escrow",
    network.contracts.paymentEscrow,
    "--data-dir",
    dataDir,
    "--dstack-endpoint",
    network.devTees[0]!.url,
  ];
}

const settlerKey = () => bytesToHex(network.chain.accounts(5).getHdKey().privateKey!);

const resources = (kind: string) => process.getActiveResourcesInfo().filter((each) => each === kind).length;

test("a runner whose port is taken rejects naming the port, and leaves no session, store or timer open", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "teetee-rollback-data-"));
  const config = parseRunnerConfig(argsOnTakenPort(dataDir), { TEETEE_SETTLER_KEY: settlerKey() });
  // The instances startRunner builds, seen as they are made: the test checks their state afterwards.
  const sessions: ShardSession[] = [];
  const stores: VoucherStore[] = [];
  const create = ShardSession.create;
  const open = VoucherStore.open;
  ShardSession.create = async (params) => {
    const session = await create.call(ShardSession, params);
    sessions.push(session);
    return session;
  };
  const settlers: Settler[] = [];
  const start = Settler.prototype.start;
  Settler.prototype.start = function (this: Settler) {
    settlers.push(this);
    start.call(this);
  };
  VoucherStore.open = (path) => {
    const store = open.call(VoucherStore, path);
    stores.push(store);
    return store;
  };
  const before = { servers: resources("TCPServerWrap") };
  try {
    const failure = await startRunner({ config }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RunnerListenError);
    expect(failure).toBeInstanceOf(RunnerStartupError);
    expect(describeError(failure)).toContain(`Cannot listen on 127.0.0.1:${takenPort}`);
    expect(describeError(failure)).toContain("already in use");
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.released).toBe(true);
    expect(stores).toHaveLength(1);
    expect(stores[0]!.isOpen).toBe(false);
    expect(settlers).toHaveLength(1);
    // Its timer is unref'd, so no resource count shows it: its own state does.
    expect(settlers[0]!.polling).toBe(false);
    // A server that failed to listen lets its handle go a moment later (libuv closes it asynchronously).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(resources("TCPServerWrap")).toBe(before.servers);
  } finally {
    ShardSession.create = create;
    VoucherStore.open = open;
    Settler.prototype.start = start;
  }
}, 120_000);

test("the runner's command exits 1 with the port named when its port is taken", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "teetee-rollback-cli-"));
  const { code, output } = await runToExit(argsOnTakenPort(dataDir), { TEETEE_SETTLER_KEY: settlerKey() });
  expect(code).toBe(1);
  expect(output).toContain(
    `teetee-runner: Cannot listen on 127.0.0.1:${takenPort}: the port is already in use`,
  );
  expect(output).toContain("Hint:");
}, 120_000);

test("the unverified-weights test seam is refused on a chain that is not local, before anything is attested", async () => {
  // A JSON-RPC endpoint that says it is chain 1 (Ethereum mainnet): all the runner asks before refusing.
  const asked: string[] = [];
  const mainnet = createHttpServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const { id, method } = JSON.parse(body) as { id: number; method: string };
      asked.push(method);
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ jsonrpc: "2.0", id, result: method === "eth_chainId" ? "0x1" : null }));
    });
  });
  await new Promise<void>((resolve) => mainnet.listen(0, "127.0.0.1", resolve));
  const rpcUrl = `http://127.0.0.1:${(mainnet.address() as { port: number }).port}`;
  const args = argsOnTakenPort(mkdtempSync(join(tmpdir(), "teetee-seam-")));
  args[args.indexOf("--rpc-url") + 1] = rpcUrl;
  process.env[UNVERIFIED_WEIGHTS_ENV] = "1";
  try {
    const failure = await startRunner({
      config: parseRunnerConfig(args, { TEETEE_SETTLER_KEY: settlerKey() }),
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RunnerStartupError);
    expect(describeError(failure)).toContain(`${UNVERIFIED_WEIGHTS_ENV} is refused on chain 1`);
    expect(asked).toEqual(["eth_chainId"]);
  } finally {
    delete process.env[UNVERIFIED_WEIGHTS_ENV];
    await new Promise((resolve) => mainnet.close(resolve));
  }
}, 120_000);
