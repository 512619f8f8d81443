/**
 * The main job: brings up a local TeeTee network on Hardhat's chain and keeps it running until Ctrl-C.
 *
 *   pnpm start            start the chain, deploy the contracts, print what a person needs, keep running
 *   pnpm start --once     the same, then stop everything and exit 0 only when every step succeeded
 *   pnpm start --port N   the chain's JSON-RPC port (default: a free one)
 */
import { parseArgs } from "node:util";
import { createPublicClient, createWalletClient, http } from "viem";
import { hardhat } from "viem/chains";
import { deployTeeTee } from "./deploy.js";
import { startLocalChain } from "./lib/localChain.js";
import { step } from "./lib/step.js";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { once: { type: "boolean" }, port: { type: "string" } } });
  const chain = await step("Start Hardhat's chain", () =>
    startLocalChain(values.port === undefined ? {} : { port: Number(values.port) }),
  );
  const stopAll = async () => {
    await chain.stop();
  };
  try {
    const transport = http(chain.rpcUrl);
    const publicClient = createPublicClient({ chain: hardhat, transport });
    const walletClient = createWalletClient({ chain: hardhat, account: chain.accounts(0), transport });
    const deployment = await step("Deploy the contracts", () =>
      deployTeeTee({ walletClient, publicClient, thawPeriod: 3600n, unbondingPeriod: 3600n }),
    );
    console.log("\nTeeTee local network");
    console.log(`  chain RPC        ${chain.rpcUrl} (chain id ${chain.chainId})`);
    console.log(`  payment token    ${deployment.token}`);
    console.log(`  ModelRegistry    ${deployment.modelRegistry}`);
    console.log(`  Staking          ${deployment.staking}`);
    console.log(`  RunnerRegistry   ${deployment.runnerRegistry}`);
    console.log(`  PaymentEscrow    ${deployment.paymentEscrow}`);
    console.log(`  treasury         ${deployment.treasury}`);
  } catch (error) {
    await stopAll();
    throw error;
  }
  if (values.once) {
    await stopAll();
    return;
  }
  console.log("\nRunning. Press Ctrl-C to stop every process.");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await stopAll();
}

main().catch((error: unknown) => {
  console.error(`\n${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
