/**
 * Operator commands against a real local chain and a real runner process: `runner register` (the runner started
 * with `--contributor` and no key serves its signed consent) and `deploy compose`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runnerRegistryAbi } from "@teetee/contracts/abi";
import { parseDeployment } from "@teetee/contracts/deployments";
import { PaymentEscrow__factory, RunnerRegistry__factory } from "@teetee/contracts/typechain";
import { createDevTee, type DevTee } from "@teetee/dev-tee";
import { freePort, type Service, spawnService } from "@teetee/devnet";
import { makeTestModel } from "@teetee/inference";
import {
  getRunner,
  getRunners,
  getStake,
  isComposeHashAllowed,
  mintTestToken,
  type TeeTeeContracts,
} from "@teetee/sdk/contracts";
import { JsonRpcProvider } from "ethers";
import { createPublicClient, createWalletClient, getAddress, type Hex, http } from "viem";
import { hardhat } from "viem/chains";
import { repoRoot } from "../src/lib/spawnPackage.js";
import {
  type CliRun,
  parseJson,
  privateKeyOf,
  startTestNetwork,
  type TestNetwork,
  teetee,
} from "./helpers.js";

let net: TestNetwork;
let contracts: TeeTeeContracts;
let env: Record<string, string | undefined>;
let tee: DevTee;
let runnerService: Service;
let modelId: Hex;
const CONTRIBUTOR = 3;
const IMAGE = `ghcr.io/example/teetee-runner@sha256:${"ab".repeat(32)}`;

const run = (args: string[], account?: number, extra: Record<string, string> = {}): Promise<CliRun> =>
  teetee(
    args,
    {
      ...env,
      ...(account === undefined ? {} : { TEETEE_PRIVATE_KEY: privateKeyOf(net.chain, account) }),
      ...extra,
    },
    net.dir,
  );

beforeAll(async () => {
  net = await startTestNetwork();
  contracts = net.deployment;
  env = { TEETEE_RPC_URL: net.chain.rpcUrl, TEETEE_DEPLOYMENT: net.deploymentFile };
  makeTestModel({ dir: join(net.dir, "hf"), numLayers: 4, seed: 5 });
  expect(await run(["model", "shard", "hf", "--out", "shards", "--shards", "2"])).toMatchObject({ code: 0 });
  const registered = await run(
    [
      "--json",
      "model",
      "register",
      "shards",
      "--input-price",
      "2",
      "--output-price",
      "6",
      "--min-stake",
      "100",
    ],
    0,
  );
  modelId = parseJson<{ modelId: Hex }>(registered).modelId;
  tee = await createDevTee({ appName: "operator-test" });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  runnerService = await spawnService({
    name: "runner",
    entry: join(repoRoot, "packages/runner/src/main.ts"),
    url,
    args: [
      ...["--model-dir", join(net.dir, "shards"), "--shard", "0", "--port", String(port)],
      ...["--rpc-url", net.chain.rpcUrl, "--runner-registry", contracts.runnerRegistry],
      ...["--model-registry", contracts.modelRegistry, "--data-dir", join(net.dir, "runner-data")],
      ...["--payment-escrow", contracts.paymentEscrow, "--dstack-endpoint", tee.url, "--threads", "1"],
      ...["--contributor", net.chain.accounts(CONTRIBUTOR).address],
    ],
    env: { TEETEE_LOG_LEVEL: "warn" },
    ready: async () => (await fetch(`${url}/v1/attestation`)).ok,
  });
}, 120_000);

afterAll(async () => {
  await runnerService?.stop();
  await tee?.close();
  await net?.chain.stop();
});

describe("runner register", () => {
  test("refuses a runner whose compose hash the model does not allow (exit 6), before sending anything", async () => {
    const result = await run(["runner", "register", runnerService.url], CONTRIBUTOR);
    expect(result).toMatchObject({ code: 6 });
    expect(result.stdout).toMatch(/✗ .*compose/i);
    expect(result.stderr).toMatch(/failed verification: not registering it/);
  });

  test("an unreachable runner exits 4; a malformed key exits 3", async () => {
    const down = await run(["runner", "register", "http://127.0.0.1:9"], CONTRIBUTOR);
    expect(down).toMatchObject({ code: 4 });
    expect(down.stderr).toMatch(/Cannot reach the runner/);
    const bad = await run(["runner", "register", runnerService.url], undefined, {
      TEETEE_PRIVATE_KEY: "0x1234",
    });
    expect(bad).toMatchObject({ code: 3 });
    expect(bad.stderr).not.toMatch(/0x1234/);
  });

  test("the curator allows the development TEE's compose hash", async () => {
    const allowed = await run(["model", "allow-compose", modelId, tee.identity.composeHash], 0);
    expect(allowed).toMatchObject({ code: 0 });
  });

  test("attack: 11 refuses a runner booting an OS image the model does not allow (exit 6); allow-os admits it", async () => {
    const result = await run(["runner", "register", runnerService.url], CONTRIBUTOR);
    expect(result).toMatchObject({ code: 6 });
    expect(result.stdout).toMatch(/✗ OS image .*allowlist/);
    expect(result.stdout).toMatch(/✓ Compose hash/);
    // The operator reads the OS image to allow off the runner's quote.
    const shown = await run(["runner", "attestation", runnerService.url]);
    expect(shown.stdout).toMatch(new RegExp(`OS image \\(of the quote\\)\\s+${tee.osImage}`));
    const allowed = await run(["model", "allow-os", modelId, tee.osImage], 0);
    expect(allowed).toMatchObject({ code: 0 });
  });

  test("a runner of another shard or model than expected is refused (exit 2)", async () => {
    const shard = await run(["runner", "register", runnerService.url, "--shard", "1"], CONTRIBUTOR);
    expect(shard).toMatchObject({ code: 2 });
    expect(shard.stderr).toMatch(/serves shard 0, not shard 1/);
    const model = await run(
      ["runner", "register", runnerService.url, "--model", `0x${"11".repeat(32)}`],
      CONTRIBUTOR,
    );
    expect(model).toMatchObject({ code: 2 });
    expect(model.stderr).toMatch(/serves model/);
  });

  test("a key other than the contributor the consent names is refused (exit 3)", async () => {
    const result = await run(["runner", "register", runnerService.url], 1);
    expect(result).toMatchObject({ code: 3 });
    expect(result.stderr).toMatch(/consent is for contributor/);
  });

  test("without enough free stake it is refused in words (exit 5)", async () => {
    const result = await run(["--json", "runner", "register", runnerService.url], CONTRIBUTOR);
    expect(result).toMatchObject({ code: 5 });
    expect(JSON.parse(result.stderr)).toMatchObject({
      error: { exitCode: 5, name: "StakingInsufficientFreeStake" },
    });
  });

  test("after staking, it registers the runner for the contributor, and the record verifies", async () => {
    const minter = createWalletClient({
      chain: hardhat,
      account: net.chain.accounts(0),
      transport: http(net.chain.rpcUrl),
    });
    const to = net.chain.accounts(CONTRIBUTOR).address;
    await net.publicClient.waitForTransactionReceipt({
      hash: await mintTestToken(minter, { contracts, to, amount: 100_000_000n }),
    });
    expect(await run(["stake", "100"], CONTRIBUTOR)).toMatchObject({ code: 0 });
    const registered = await run(
      ["--json", "runner", "register", runnerService.url, "--shard", "0"],
      CONTRIBUTOR,
    );
    expect(registered).toMatchObject({ code: 0 });
    const result = parseJson<{ runner: Hex; action: string; functionName: string; verified: boolean }>(
      registered,
    );
    expect(result).toMatchObject({ action: "submitted", functionName: "registerRunner", verified: true });
    const record = await getRunner(net.publicClient, { contracts, runner: result.runner });
    expect(record).toMatchObject({
      active: true,
      contributor: to,
      shardIndex: 0,
      modelId,
      endpoint: runnerService.url,
    });
    expect((await getStake(net.publicClient, { contracts, staker: to })).locked).toBe(100_000_000n);
    expect(await run(["verify", runnerService.url])).toMatchObject({ code: 0 });
  });

  test("registering again finds it registered and attested: nothing to send", async () => {
    const again = parseJson<{ action: string; transactions: unknown[] }>(
      await run(["--json", "runner", "register", runnerService.url], CONTRIBUTOR),
    );
    expect(again).toMatchObject({ action: "unchanged", transactions: [] });
  });
});

describe("integrator examples (README)", () => {
  test("viem: the SDK's actions read a shard's runners, and the as-const ABI reads the same record", async () => {
    const rpcUrl = net.chain.rpcUrl;
    const deploymentJson = readFileSync(net.deploymentFile, "utf8");
    // README: viem
    const client = createPublicClient({ transport: http(rpcUrl) });
    const contracts = parseDeployment(JSON.parse(deploymentJson));
    const { runners } = await getRunners(client, { contracts, modelId, shardIndex: 0 });
    const runner = runners[0]!.runner;
    const record = await client.readContract({
      address: contracts.runnerRegistry,
      abi: runnerRegistryAbi,
      functionName: "getRunner",
      args: [runner],
    });
    // end README
    expect(record.active).toBe(true);
    expect(record.endpoint).toBe(runners[0]!.info.endpoint);
    expect(record.endpoint).toBe(runnerService.url);
  });

  test("ethers v6 with the TypeChain bindings reads the same runner and the contributor's earnings", async () => {
    const rpcUrl = net.chain.rpcUrl;
    const contracts = parseDeployment(JSON.parse(readFileSync(net.deploymentFile, "utf8")));
    const contributor = net.chain.accounts(CONTRIBUTOR).address;
    // README: ethers
    const provider = new JsonRpcProvider(rpcUrl);
    const registry = RunnerRegistry__factory.connect(contracts.runnerRegistry, provider);
    const escrow = PaymentEscrow__factory.connect(contracts.paymentEscrow, provider);
    const [runners, total] = await registry.getRunners(modelId, 0, 0, 10);
    const earnings = await escrow.earnings(contributor);
    // end README
    provider.destroy();
    expect(total).toBe(1n);
    expect(runners[0]!.info.contributor).toBe(contributor);
    expect(earnings).toBe(0n);
  });
});

/** dstack's compose hash, computed independently: SHA-256 of the sorted-key JSON of app-compose.json. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

describe("deploy compose", () => {
  test("writes the CVM's compose files, prints their compose hash and the curator's command, which works", async () => {
    const result = await run([
      "--json",
      "deploy",
      "compose",
      "--image",
      IMAGE,
      "--shard",
      "1",
      "--model",
      modelId,
      "--out",
      "cvm-1",
    ]);
    expect(result).toMatchObject({ code: 0 });
    const out = parseJson<{
      composeHash: Hex;
      allowCompose: string;
      files: { dockerCompose: string; appCompose: string; environment: string };
    }>(result);
    const dockerCompose = readFileSync(out.files.dockerCompose, "utf8");
    expect(dockerCompose).toContain(`image: ${IMAGE}`);
    expect(dockerCompose).toContain("/var/run/dstack.sock:/var/run/dstack.sock");
    const appCompose = JSON.parse(readFileSync(out.files.appCompose, "utf8")) as Record<string, unknown>;
    expect(appCompose["docker_compose_file"]).toBe(dockerCompose);
    expect(appCompose["allowed_envs"]).toEqual(
      expect.arrayContaining(["TEETEE_CONTRIBUTOR", "TEETEE_SHARD_INDEX"]),
    );
    expect(out.composeHash).toBe(`0x${createHash("sha256").update(canonical(appCompose)).digest("hex")}`);
    expect(readFileSync(out.files.environment, "utf8")).toContain(
      `TEETEE_RUNNER_REGISTRY=${getAddress(contracts.runnerRegistry)}`,
    );
    expect(out.allowCompose).toBe(`teetee model allow-compose ${modelId} ${out.composeHash}`);
    const args = out.allowCompose.split(" ").slice(1);
    expect(await run(args, 0)).toMatchObject({ code: 0 });
    expect(
      await isComposeHashAllowed(net.publicClient, { contracts, modelId, composeHash: out.composeHash }),
    ).toBe(true);
  });

  test("another image gives another compose hash", async () => {
    const other = IMAGE.replace("abab", "cdcd");
    const a = parseJson<{ composeHash: Hex }>(
      await run(["--json", "deploy", "compose", "--image", IMAGE, "--shard", "0", "--out", "cvm-a"]),
    );
    const b = parseJson<{ composeHash: Hex }>(
      await run(["--json", "deploy", "compose", "--image", other, "--shard", "0", "--out", "cvm-b"]),
    );
    expect(a.composeHash).not.toBe(b.composeHash);
  });

  test("an image not pinned by digest exits 2; a missing template exits 3", async () => {
    const tag = await run([
      "deploy",
      "compose",
      "--image",
      "ghcr.io/example/teetee-runner:latest",
      "--shard",
      "0",
    ]);
    expect(tag).toMatchObject({ code: 2 });
    expect(tag.stderr).toMatch(/not pinned by digest/);
    const missing = await run([
      "deploy",
      "compose",
      "--image",
      IMAGE,
      "--shard",
      "0",
      "--template",
      "nope.yml",
    ]);
    expect(missing).toMatchObject({ code: 3 });
    expect(await run(["deploy", "compose", "--image", IMAGE])).toMatchObject({ code: 2 });
  });
});
