/**
 * A runner process with the payments library wired into its payment hook, as an operator would run it until the
 * runner's own CLI does this: every frame is checked by a `PaymentLedger`, vouchers are stored in
 * `<data-dir>/vouchers.sqlite`, and a `Settler` redeems them with the contributor's key.
 *
 *   TEETEE_PAYMENT_ESCROW=0x… TEETEE_CONTRIBUTOR_KEY=0x… tsx packages/gateway/test/paidRunner.ts <runner flags>
 *
 * TEETEE_SETTLE_POLL_MS, TEETEE_SETTLE_IDLE_MS and TEETEE_SETTLE_THRESHOLD tune the settler.
 */
import { join } from "node:path";
import { loadManifest, modelIdOf } from "@teetee/inference";
import { PaymentRequiredError, parseRunnerConfig, startRunner } from "@teetee/runner";
import { createPaymentChainReader, isPaymentError, PaymentLedger, Settler, VoucherStore } from "@teetee/sdk";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  type Hex,
  http,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

async function main(): Promise<void> {
  const config = parseRunnerConfig(process.argv.slice(2), process.env);
  const paymentEscrow = getAddress(process.env["TEETEE_PAYMENT_ESCROW"] ?? "");
  const contributorKey = process.env["TEETEE_CONTRIBUTOR_KEY"] as Hex;
  let ledger: PaymentLedger | undefined;
  const runner = await startRunner({
    config,
    payment: {
      authorize: async (context) => {
        if (ledger === undefined)
          throw new PaymentRequiredError("The runner's payment ledger is not ready yet.");
        try {
          await ledger.authorizeFrame(context);
        } catch (error) {
          if (!isPaymentError(error)) throw error;
          throw new PaymentRequiredError(`${error.code}: ${error.shortMessage}`, { cause: error });
        }
      },
    },
  });
  const manifest = await loadManifest(config.modelDir);
  const publicClient = createPublicClient({ transport: http(config.rpcUrl) }) as PublicClient;
  const chainId = await publicClient.getChainId();
  const chain = defineChain({
    id: chainId,
    name: "local",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
  const contracts = {
    paymentEscrow,
    runnerRegistry: config.runnerRegistry!,
    modelRegistry: config.modelRegistry!,
  };
  const store = VoucherStore.open(join(config.dataDir, "vouchers.sqlite"));
  ledger = new PaymentLedger({
    runner: runner.address,
    modelId: modelIdOf(manifest),
    shardIndex: config.shardIndex,
    shardCount: manifest.shards.length,
    chainId,
    paymentEscrow,
    reader: createPaymentChainReader(publicClient, { contracts, cacheMs: 200 }),
    store,
  });
  const settler = new Settler({
    client: createWalletClient({
      account: privateKeyToAccount(contributorKey),
      chain,
      transport: http(config.rpcUrl),
    }),
    contracts,
    store,
    pollMs: Number(process.env["TEETEE_SETTLE_POLL_MS"] ?? 15_000),
    idleMs: Number(process.env["TEETEE_SETTLE_IDLE_MS"] ?? 600_000),
    thresholdAmount: BigInt(process.env["TEETEE_SETTLE_THRESHOLD"] ?? 1_000_000),
    log: (event) => {
      if (event.type !== "skipped")
        console.log(JSON.stringify(event, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    },
  });
  settler.start();
  const stop = () => {
    settler
      .stop()
      .then(() => runner.close())
      .finally(() => {
        store.close();
        process.exit(0);
      });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
