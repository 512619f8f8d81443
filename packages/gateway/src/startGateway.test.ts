import { mkdtempSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployTeeTee } from "@teetee/contracts/deploy";
import { type LocalChain, startLocalChain } from "@teetee/devnet";
import { describe as describeError } from "@teetee/errors";
import { makeTestModel, shardModel } from "@teetee/inference";
import { defineChainAt } from "@teetee/sdk/contracts";
import { createPublicClient, createWalletClient, http, type PublicClient } from "viem";
import { ChainDirectory } from "./ChainDirectory.js";
import { parseGatewayConfig } from "./config.js";
import { GatewayError, GatewayListenError, GatewayStartupError } from "./errors.js";
import { RunnerPool } from "./RunnerPool.js";
import { startGateway } from "./startGateway.js";

test("a gateway that cannot reach its chain fails to start, saying which URL, with no HTTP status", async () => {
  const config = parseGatewayConfig(["--model", "/nonexistent", "--rpc-url", "http://127.0.0.1:9"], {});
  const failure = await startGateway({ config }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(GatewayStartupError);
  expect(failure).not.toBeInstanceOf(GatewayError);
  expect(describeError(failure)).toMatch(/^Cannot reach the chain at http:\/\/127\.0\.0\.1:9/);
});

describe("a gateway whose port is taken", () => {
  let local: LocalChain;
  let blocker: Server;
  let args: string[];

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), "teetee-gateway-port-"));
    makeTestModel({ dir: join(work, "model"), seed: 7, hiddenSize: 32, intermediateSize: 64, numLayers: 2 });
    await shardModel({
      modelDir: join(work, "model"),
      outDir: join(work, "shards"),
      shardCount: 1,
      quiet: true,
    });
    local = await startLocalChain();
    const chain = defineChainAt({ id: local.chainId, rpcUrl: local.rpcUrl, name: "hardhat" });
    const deployment = await deployTeeTee({
      walletClient: createWalletClient({ account: local.accounts(0), chain, transport: http(local.rpcUrl) }),
      publicClient: createPublicClient({ chain, transport: http(local.rpcUrl) }) as PublicClient,
      outDir: false,
    });
    writeFileSync(join(work, "deployment.json"), JSON.stringify(deployment));
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    args = [
      "--model",
      join(work, "shards"),
      "--rpc-url",
      local.rpcUrl,
      "--deployment",
      join(work, "deployment.json"),
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
    ];
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => blocker?.close(resolve));
    await local?.stop();
  });

  test("rejects naming the port, and leaves no polling loop or listening socket behind", async () => {
    const config = parseGatewayConfig(args, {});
    const servers = () => process.getActiveResourcesInfo().filter((kind) => kind === "TCPServerWrap").length;
    // What startGateway starts, seen as it starts: the loops' timers are unref'd, so no resource count shows them.
    const started: { polling: boolean }[] = [];
    const startDirectory = ChainDirectory.prototype.start;
    const startPool = RunnerPool.prototype.start;
    ChainDirectory.prototype.start = function (this: ChainDirectory) {
      started.push(this);
      return startDirectory.call(this);
    };
    RunnerPool.prototype.start = function (this: RunnerPool) {
      started.push(this);
      startPool.call(this);
    };
    const before = servers();
    try {
      const failure = await startGateway({ config }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(GatewayListenError);
      expect(failure).toBeInstanceOf(GatewayStartupError);
      expect(describeError(failure)).toBe(
        `Cannot listen on 127.0.0.1:${config.port}: the port is already in use — listen EADDRINUSE: address already in use 127.0.0.1:${config.port}`,
      );
      expect(started).toHaveLength(2);
      expect(started.map((loop) => loop.polling)).toEqual([false, false]);
      // A server that failed to listen lets its handle go a moment later (libuv closes it asynchronously).
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(servers()).toBe(before);
    } finally {
      ChainDirectory.prototype.start = startDirectory;
      RunnerPool.prototype.start = startPool;
    }
  }, 60_000);
});
