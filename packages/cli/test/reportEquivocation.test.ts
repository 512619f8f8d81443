import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalChain, startLocalChain } from "@teetee/devnet";
import { createPaymentMarket, type PaymentMarket } from "@teetee/devnet/market";
import { signReceiptBundle } from "@teetee/devnet/testing";
import { isEquivocationEvidenceUsed } from "@teetee/sdk/contracts";
import { type ReceiptBundle, receiptBundleJson, type SignedReceipt, signReceipt } from "@teetee/sdk/receipts";
import { erc20Abi, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { parseJson, privateKeyOf, teetee } from "./helpers.js";

// `teetee receipt report-equivocation` against a real registry: receipts signed with the registered runners' own
// keys (what a cheating runner's signatures are), the report sent to the real ReceiptSlasher.
let local: LocalChain;
let market: PaymentMarket;
let env: Record<string, string>;
let honest: ReceiptBundle;
let cheating: ReceiptBundle;
const dir = mkdtempSync(join(tmpdir(), "teetee-equivocation-"));
const REPORTER = 12;

function write(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

const bundleFile = (name: string, bundle: ReceiptBundle) => write(name, receiptBundleJson(bundle));

async function bundleOf(completion: number[], signers = market.runners): Promise<ReceiptBundle> {
  return signReceiptBundle({
    domain: { chainId: local.chainId, runnerRegistry: market.deployment.runnerRegistry },
    modelId: market.model.modelId,
    signers,
    promptTokenIds: [1, 5, 9, 13],
    completionTokenIds: completion,
    text: "",
    issuedAt: (await market.publicClient.getBlock()).timestamp,
  });
}

/** The last shard's receipt of `bundle` with `change` applied, signed again by the same runner. */
async function resigned(
  bundle: ReceiptBundle,
  change: Partial<SignedReceipt["receipt"]>,
): Promise<ReceiptBundle> {
  const last = bundle.receipts.at(-1)!;
  const signed = await signReceipt(market.runners.at(-1)!, {
    receipt: { ...last.receipt, ...change },
    chainId: local.chainId,
    runnerRegistry: market.deployment.runnerRegistry,
  });
  return { ...bundle, id: `${bundle.id}-changed`, receipts: [...bundle.receipts.slice(0, -1), signed] };
}

const reporterBalance = () =>
  market.publicClient.readContract({
    address: market.deployment.token,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [local.accounts(REPORTER).address],
  });

beforeAll(async () => {
  local = await startLocalChain();
  market = await createPaymentMarket(local, { shardCount: 2 });
  env = {
    TEETEE_RPC_URL: local.rpcUrl,
    TEETEE_DEPLOYMENT: write("deployment.json", market.deployment),
    TEETEE_PRIVATE_KEY: privateKeyOf(local, REPORTER),
  };
  // The same prompt and session, the last shard signing two different last tokens.
  honest = await bundleOf([7, 8, 2]);
  cheating = await bundleOf([7, 8, 3]);
}, 120_000);

afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("teetee receipt report-equivocation", () => {
  test("--dry-run names the runner, shard and evidence and what would be slashed, and sends nothing", async () => {
    const before = await reporterBalance();
    const run = await teetee(
      [
        "receipt",
        "report-equivocation",
        bundleFile("a.json", honest),
        bundleFile("b.json", cheating),
        "--dry-run",
      ],
      env,
      dir,
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(market.runners[1]!.address);
    expect(run.stdout).toMatch(/shard\s+1/);
    expect(run.stdout).toMatch(/would slash/);
    expect(run.stdout).toMatch(/nothing \(--dry-run\)/);
    const json = parseJson<{ evidenceHash: Hex; digests: [Hex, Hex]; slashAmount: string }>(
      await teetee(
        ["receipt", "report-equivocation", join(dir, "a.json"), join(dir, "b.json"), "--dry-run", "--json"],
        env,
        dir,
      ),
    );
    expect(BigInt(json.slashAmount)).toBeGreaterThan(0n);
    expect(
      await isEquivocationEvidenceUsed(market.publicClient, {
        contracts: market.deployment,
        digests: json.digests,
      }),
    ).toBe(false);
    expect(await reporterBalance()).toBe(before);
  });

  test("receipts with the same output, or the same work on different inputs, are no equivocation: refused before any transaction", async () => {
    const copy = { ...honest, id: "chatcmpl-copy" };
    const same = await teetee(
      ["receipt", "report-equivocation", bundleFile("a.json", honest), bundleFile("copy.json", copy)],
      env,
      dir,
    );
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/No equivocation/);
    const otherInput = await resigned(cheating, { inputHash: `0x${"ab".repeat(32)}` });
    const inputs = await teetee(
      ["receipt", "report-equivocation", bundleFile("a.json", honest), bundleFile("input.json", otherInput)],
      env,
      dir,
    );
    expect(inputs.code).toBe(2);
    expect(inputs.stderr).toMatch(/No equivocation/);
  });

  test("a key that is no registered runner is refused before any transaction", async () => {
    const stranger = [market.runners[0]!, privateKeyToAccount(generatePrivateKey())];
    const run = await teetee(
      [
        "receipt",
        "report-equivocation",
        bundleFile("s1.json", await bundleOf([7, 8, 2], stranger)),
        bundleFile("s2.json", await bundleOf([7, 8, 3], stranger)),
      ],
      env,
      dir,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`${stranger[1]!.address} was not a runner registered for model`));
  });

  test("a report slashes the runner and pays the reporter its share; the same evidence twice is refused by name", async () => {
    const before = await reporterBalance();
    const json = parseJson<{ runner: string; slashed: string; reward: string; transaction: Hex }>(
      await teetee(
        [
          "receipt",
          "report-equivocation",
          bundleFile("a.json", honest),
          bundleFile("b.json", cheating),
          "--json",
        ],
        env,
        dir,
      ),
    );
    expect(json.runner).toBe(market.runners[1]!.address);
    const [slashed, reward] = [BigInt(json.slashed), BigInt(json.reward)];
    expect(slashed).toBeGreaterThan(0n);
    expect(reward).toBe((slashed * 1000n) / 10_000n);
    expect(await reporterBalance()).toBe(before + reward);
    const again = await teetee(
      ["receipt", "report-equivocation", join(dir, "a.json"), join(dir, "b.json")],
      env,
      dir,
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already reported/);
    expect(await reporterBalance()).toBe(before + reward);
  });
});
