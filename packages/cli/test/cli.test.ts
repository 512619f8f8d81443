import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTestModel } from "@teetee/inference";
import {
  allocationId,
  getAllocation,
  getEarnings,
  getEscrowAccount,
  getModel,
  getSessionSigner,
  getStake,
  isComposeHashAllowed,
  isOsImageAllowed,
  mintTestToken,
  type TeeTeeContracts,
} from "@teetee/sdk/contracts";
import { createWalletClient, getAddress, type Hex, http, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
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
const composeHash = `0x${"c0".repeat(32)}` as Hex;
const osImage = `0x${"05".repeat(32)}` as Hex;

/** Runs teetee with the test network's RPC and deployment, signing with Hardhat account `account`. */
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

const mint = async (account: number, amount: bigint) => {
  const walletClient = createWalletClient({
    chain: hardhat,
    account: net.chain.accounts(0),
    transport: http(net.chain.rpcUrl),
  });
  const hash = await mintTestToken(walletClient, {
    contracts,
    to: net.chain.accounts(account).address,
    amount,
  });
  await net.publicClient.waitForTransactionReceipt({ hash });
};

beforeAll(async () => {
  net = await startTestNetwork();
  contracts = net.deployment;
  env = { TEETEE_RPC_URL: net.chain.rpcUrl, TEETEE_DEPLOYMENT: net.deploymentFile };
  makeTestModel({ dir: join(net.dir, "hf"), numLayers: 4, seed: 3 });
  await mint(1, 1_000_000_000n);
  await mint(2, 1_000_000_000n);
  await mint(4, 1_000_000_000n);
}, 90_000);

afterAll(async () => {
  await net?.chain.stop();
});

describe("curator commands", () => {
  let modelId: Hex;

  test("model shard writes shards and a manifest; model inspect reads the same model id", async () => {
    const shard = await run(["--json", "model", "shard", "hf", "--out", "shards", "--shards", "2"]);
    expect(shard).toMatchObject({ code: 0 });
    const sharded = parseJson<{ modelId: Hex; shards: { layerStart: number; layerEnd: number }[] }>(shard);
    expect(sharded.shards.map((s) => [s.layerStart, s.layerEnd])).toEqual([
      [0, 2],
      [2, 4],
    ]);
    const inspect = await run(["--json", "model", "inspect", "shards"]);
    expect(parseJson<{ modelId: Hex; numLayers: number }>(inspect)).toMatchObject({
      modelId: sharded.modelId,
      numLayers: 4,
    });
    modelId = sharded.modelId;
  });

  test("model shard --quant int4 --block-size 32 records the format in the manifest; an unknown format is refused", async () => {
    const shard = await run([
      "--json",
      "model",
      "shard",
      "hf",
      "--out",
      "shards-int4",
      "--shards",
      "2",
      "--quant",
      "int4",
      "--block-size",
      "32",
    ]);
    expect(shard).toMatchObject({ code: 0 });
    const sharded = parseJson<{ modelId: Hex; weights: unknown }>(shard);
    expect(sharded.weights).toEqual({ format: "int4", blockSize: 32 });
    expect(sharded.modelId).not.toBe(modelId);
    const bad = await run(["model", "shard", "hf", "--out", "shards-bad", "--quant", "int3"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown weight format "int3"');
  });

  test("model register records the manifest, prices and stake on-chain", async () => {
    const register = await run(
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
        "--ttl",
        "1h",
      ],
      0,
    );
    expect(register).toMatchObject({ code: 0 });
    expect(parseJson<{ shares: number[]; feeBps: number }>(register)).toMatchObject({
      shares: [4750, 4750],
      feeBps: 500,
    });
    const model = await getModel(net.publicClient, { contracts, modelId });
    expect(model).toMatchObject({
      numLayers: 4,
      inputPricePerMTok: 2_000_000n,
      outputPricePerMTok: 6_000_000n,
      minStake: 100_000_000n,
    });
    expect(model.attestationTtl).toBe(3600n);
  });

  test("registering again, or without CURATOR_ROLE, is refused in words (exit 5)", async () => {
    const again = await run(
      ["model", "register", "shards", "--input-price", "2", "--output-price", "6", "--min-stake", "100"],
      0,
    );
    expect(again).toMatchObject({ code: 5 });
    expect(again.stderr).toMatch(/ModelAlreadyRegistered/);
    const stranger = await run(
      ["model", "register", "shards", "--input-price", "2", "--output-price", "6", "--min-stake", "100"],
      5,
    );
    expect(stranger).toMatchObject({ code: 5 });
    expect(stranger.stderr).toMatch(/AccessControlUnauthorizedAccount/);
  });

  test("model allow-compose and model prices change the model; only its curator may", async () => {
    expect(await run(["model", "allow-compose", modelId, composeHash], 0)).toMatchObject({ code: 0 });
    expect(await isComposeHashAllowed(net.publicClient, { contracts, modelId, composeHash })).toBe(true);
    const prices = await run(["--json", "model", "prices", modelId, "--input", "3", "--output", "9"], 0);
    expect(parseJson<{ inputPricePerMTok: string }>(prices).inputPricePerMTok).toBe("3000000");
    expect((await getModel(net.publicClient, { contracts, modelId })).outputPricePerMTok).toBe(9_000_000n);
    const notCurator = await run(["model", "prices", modelId, "--input", "1", "--output", "1"], 2);
    expect(notCurator).toMatchObject({ code: 5 });
    expect(notCurator.stderr).toMatch(/ModelNotCurator/);
    const shown = await run(["model", "prices", modelId]);
    expect(shown.stdout).toMatch(/input \/ 1M tokens\s+3 tUSD/);
    const inspect = await run(["--json", "model", "inspect", modelId]);
    expect(parseJson<{ shards: unknown[]; curator: string }>(inspect)).toMatchObject({
      curator: net.chain.accounts(0).address,
    });
  });

  test("model allow-os sets, model inspect shows and --disallow withdraws an OS image; only the curator may", async () => {
    const allowed = await run(["--json", "model", "allow-os", modelId, osImage], 0);
    expect(allowed).toMatchObject({ code: 0 });
    expect(parseJson<{ osImage: Hex; allowed: boolean }>(allowed)).toMatchObject({ osImage, allowed: true });
    expect(await isOsImageAllowed(net.publicClient, { contracts, modelId, osImage })).toBe(true);
    const inspect = parseJson<{ osImages: Hex[]; composeHashes: Hex[] }>(
      await run(["--json", "model", "inspect", modelId]),
    );
    expect(inspect.osImages).toEqual([osImage]);
    expect(inspect.composeHashes).toEqual([composeHash]);
    expect((await run(["model", "inspect", modelId])).stdout).toMatch(new RegExp(`OS images\\s+${osImage}`));
    const stranger = await run(["model", "allow-os", modelId, osImage], 2);
    expect(stranger).toMatchObject({ code: 5 });
    expect(stranger.stderr).toMatch(/ModelNotCurator/);
    expect(await run(["model", "allow-os", modelId, osImage, "--disallow"], 0)).toMatchObject({ code: 0 });
    expect(await isOsImageAllowed(net.publicClient, { contracts, modelId, osImage })).toBe(false);
    expect(
      parseJson<{ osImages: Hex[] }>(await run(["--json", "model", "inspect", modelId])).osImages,
    ).toEqual([]);
  });
});

describe("contributor commands", () => {
  test("stake approves and stakes; runners shows the stake", async () => {
    const staked = await run(["--json", "stake", "150"], 1);
    expect(staked).toMatchObject({ code: 0 });
    const info = await getStake(net.publicClient, { contracts, staker: net.chain.accounts(1).address });
    expect(info.staked).toBe(150_000_000n);
    const runners = parseJson<{ stake: { staked: string; free: string }; runners: unknown[] }>(
      await run(["--json", "runners"], 1),
    );
    expect(runners.stake).toMatchObject({ staked: "150000000", free: "150000000" });
    expect(runners.runners).toEqual([]);
  });

  test("unstake starts unbonding; withdraw-stake before the period ends is refused", async () => {
    const unstake = await run(["--json", "unstake", "50"], 1);
    expect(parseJson<{ unbonding: string }>(unstake).unbonding).toBe("50000000");
    const early = await run(["withdraw-stake"], 1);
    expect(early).toMatchObject({ code: 5 });
    expect(early.stderr).toMatch(/StakingStillUnbonding/);
  });

  test("unstake without stake is refused in words", async () => {
    const result = await run(["unstake", "10"], 3);
    expect(result).toMatchObject({ code: 5 });
    expect(result.stderr).toMatch(/StakingInsufficientFreeStake/);
  });

  test("stake beyond the wallet's balance says so before sending anything", async () => {
    const result = await run(["stake", "5000"], 1);
    expect(result).toMatchObject({ code: 5 });
    expect(result.stderr).toMatch(/Insufficient balance/);
  });

  test("earnings reads the chain; withdraw earnings with nothing earned is refused", async () => {
    const earnings = parseJson<{ earnings: string }>(
      await run(["--json", "earnings", "--address", net.chain.accounts(1).address]),
    );
    expect(earnings.earnings).toBe(
      String(await getEarnings(net.publicClient, { contracts, contributor: net.chain.accounts(1).address })),
    );
    const withdraw = await run(["withdraw", "earnings"], 1);
    expect(withdraw).toMatchObject({ code: 5 });
    expect(withdraw.stderr).toMatch(/EscrowNothingToWithdraw/);
  });
});

describe("buyer commands", () => {
  const buyer = () => net.chain.accounts(4).address;

  test("deposit (permit), balance, key create and key revoke", async () => {
    expect(await run(["deposit", "40"], 4)).toMatchObject({ code: 0 });
    expect(await run(["deposit", "10", "--no-permit"], 4)).toMatchObject({ code: 0 });
    const account = await getEscrowAccount(net.publicClient, { contracts, buyer: buyer() });
    expect(account.balance).toBe(50_000_000n);

    const created = parseJson<{ apiKey: string; signer: Hex; spendLimit: string }>(
      await run(["--json", "key", "create", "--limit", "5", "--expires", "7d"], 4),
    );
    expect(created.apiKey).toMatch(/^tt_[0-9a-f]{40}_[0-9a-f]{64}$/);
    expect(privateKeyToAccount(`0x${created.apiKey.slice(44)}` as Hex).address).toBe(
      getAddress(created.signer),
    );
    const signer = await getSessionSigner(net.publicClient, {
      contracts,
      buyer: buyer(),
      signer: created.signer,
    });
    expect(signer.spendLimit).toBe(5_000_000n);

    const balance = parseJson<{
      escrow: { balance: string };
      available: string;
      signer: { spendLimit: string };
    }>(await run(["--json", "balance", "--signer", created.signer], 4));
    expect(balance).toMatchObject({
      escrow: { balance: "50000000" },
      available: "50000000",
      signer: { spendLimit: "5000000" },
    });

    const revoked = parseJson<{ validUntil: string }>(
      await run(["--json", "key", "revoke", created.apiKey], 4),
    );
    const after = await getSessionSigner(net.publicClient, {
      contracts,
      buyer: buyer(),
      signer: created.signer,
    });
    expect(revoked.validUntil).toBe(String(after.validUntil));
    expect(after.validUntil).toBeLessThan(signer.validUntil);
    const unknown = await run(["key", "revoke", net.chain.accounts(9).address], 4);
    expect(unknown).toMatchObject({ code: 5 });
    expect(unknown.stderr).toMatch(/EscrowSignerNotAuthorized/);
  });

  test("withdraw deposit thaws first; withdrawing early or more than the balance is refused", async () => {
    const request = parseJson<{ thawing: string }>(await run(["--json", "withdraw", "deposit", "20"], 4));
    expect(request.thawing).toBe("20000000");
    const early = await run(["withdraw", "deposit"], 4);
    expect(early).toMatchObject({ code: 5 });
    expect(early.stderr).toMatch(/EscrowStillThawing/);
    const tooMuch = await run(["withdraw", "deposit", "500"], 4);
    expect(tooMuch).toMatchObject({ code: 5 });
    expect(tooMuch.stderr).toMatch(/EscrowInsufficientBalance/);
    expect(await run(["withdraw", "cancel"], 4)).toMatchObject({ code: 0 });
  });

  test("allocate sets part of the deposit aside for a route; release thaws first, and can be cancelled", async () => {
    const modelId = keccak256(toHex("any model"));
    const route = [net.chain.accounts(7).address, net.chain.accounts(8).address];
    const where = ["--model", modelId, "--route", route.join(",")];
    const allocated = parseJson<{ id: Hex; amount: string }>(
      await run(["--json", "allocate", "10", ...where], 4),
    );
    expect(allocated.id).toBe(allocationId({ buyer: buyer(), modelId, route }));
    expect((await getAllocation(net.publicClient, { contracts, allocationId: allocated.id })).amount).toBe(
      10_000_000n,
    );
    const releasing = parseJson<{ releasing: string }>(await run(["--json", "release", "4", ...where], 4));
    expect(releasing.releasing).toBe("4000000");
    const early = await run(["release", ...where], 4);
    expect(early).toMatchObject({ code: 5 });
    expect(early.stderr).toMatch(/EscrowStillReleasing/);
    expect(await run(["release", "--cancel", ...where], 4)).toMatchObject({ code: 0 });
    const badRoute = await run(["allocate", "1", "--model", modelId, "--route", "0x12"], 4);
    expect(badRoute).toMatchObject({ code: 2 });
  });

  test("deposit beyond the wallet's balance is refused (insufficient balance)", async () => {
    const result = await run(["deposit", "100000"], 4);
    expect(result).toMatchObject({ code: 5 });
    expect(result.stderr).toMatch(/Insufficient balance/);
  });
});

describe("configuration and network errors", () => {
  test("a malformed key, a missing key and bad input exit 3, 3 and 2", async () => {
    const bad = await run(["stake", "1"], undefined, { TEETEE_PRIVATE_KEY: "0x1234" });
    expect(bad).toMatchObject({ code: 3 });
    expect(bad.stderr).toMatch(/not a private key/);
    expect(bad.stderr).not.toMatch(/0x1234/);
    expect(await run(["stake", "1"])).toMatchObject({ code: 3 });
    const badAmount = await run(["stake", "lots"], 1);
    expect(badAmount).toMatchObject({ code: 2 });
    expect(await run(["no-such-command"])).toMatchObject({ code: 2 });
  });

  test("an unreachable RPC exits 4; a deployment for another chain state exits 3", async () => {
    const down = await run([
      "--rpc-url",
      "http://127.0.0.1:9",
      "balance",
      "--address",
      net.chain.accounts(4).address,
    ]);
    expect(down).toMatchObject({ code: 4 });
    expect(down.stderr).toMatch(/Cannot reach the chain/);
    const stale = join(net.dir, "stale.json");
    const deployment = JSON.parse(readFileSync(net.deploymentFile, "utf8")) as Record<string, unknown>;
    writeFileSync(
      stale,
      JSON.stringify({ ...deployment, modelRegistry: "0x000000000000000000000000000000000000dEaD" }),
    );
    const result = await run(["--deployment", stale, "balance", "--address", net.chain.accounts(4).address]);
    expect(result).toMatchObject({ code: 3 });
    expect(result.stderr).toMatch(/stale/);
  });

  test("--json errors are one JSON object on stderr", async () => {
    const result = await run(["--json", "unstake", "10"], 3);
    expect(JSON.parse(result.stderr)).toMatchObject({
      error: { exitCode: 5, name: "StakingInsufficientFreeStake" },
    });
  });

  test("an encrypted keystore signs in place of a key in the environment", async () => {
    const password = { TEETEE_KEYSTORE_PASSWORD: "correct horse battery" };
    const created = await run(["--json", "keystore", "create", "--out", "k2.json"], 2, password);
    expect(parseJson<{ address: string }>(created).address).toBe(net.chain.accounts(2).address);
    const staked = await run(["--keystore", "k2.json", "stake", "20"], undefined, password);
    expect(staked).toMatchObject({ code: 0 });
    expect(
      (await getStake(net.publicClient, { contracts, staker: net.chain.accounts(2).address })).staked,
    ).toBe(20_000_000n);
    const wrong = await run(["--keystore", "k2.json", "stake", "1"], undefined, {
      TEETEE_KEYSTORE_PASSWORD: "wrong",
    });
    expect(wrong).toMatchObject({ code: 3 });
    expect(wrong.stderr).toMatch(/wrong password/);
  }, 60_000);
});

describe("operators and deployment", () => {
  test("deploy contracts --network local deploys a working set and writes its file", async () => {
    const result = await run(["--json", "deploy", "contracts", "--network", "local", "--out", "second"], 0);
    expect(result).toMatchObject({ code: 0 });
    const deployment = parseJson<{ file: string; paymentEscrow: Hex }>(result);
    expect(await net.publicClient.getCode({ address: deployment.paymentEscrow })).not.toBe("0x");
    const balance = await run([
      "--deployment",
      deployment.file,
      "balance",
      "--address",
      net.chain.accounts(4).address,
    ]);
    expect(balance.stdout).toMatch(/escrow balance\s+0 tUSD/);
    expect(await run(["deploy", "contracts", "--network", "nowhere"], 0)).toMatchObject({ code: 2 });
  });

  test("verify of an unreachable runner exits 4", async () => {
    const result = await run(["verify", "http://127.0.0.1:9"]);
    expect(result).toMatchObject({ code: 4 });
  });

  test("bin/teetee.js runs as a real process and returns the documented exit code", () => {
    const bin = fileURLToPath(new URL("../bin/teetee.js", import.meta.url));
    const result = spawnSync(
      process.execPath,
      [bin, "--rpc-url", "http://127.0.0.1:9", "earnings", "--address", net.chain.accounts(1).address],
      {
        encoding: "utf8",
        env: { ...process.env, TEETEE_DEPLOYMENT: net.deploymentFile },
      },
    );
    expect(result.status).toBe(4);
    expect(result.stderr).toMatch(/Cannot reach the chain/);
  });
});
