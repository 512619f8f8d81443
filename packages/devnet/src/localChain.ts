import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { LOCAL_CHAIN_ID } from "@teetee/sdk/contracts";
import { type HDAccount, mnemonicToAccount } from "viem/accounts";
import { describeExit, projectNode, type Supervised, spawnSupervised } from "./processes.js";
import { repoRoot } from "./repoRoot.js";

/** Hardhat's well-known development mnemonic: its accounts hold test ether on the local chain only. */
export const LOCAL_MNEMONIC = "test test test test test test test test test test test junk";

export { LOCAL_CHAIN_ID };

const HARDHAT_CLI = join(repoRoot, "node_modules/hardhat/dist/src/cli.js");

export type LocalChain = {
  rpcUrl: string;
  chainId: number;
  accounts: (index: number) => HDAccount;
  stop: () => Promise<void>;
};

/** Finds a free TCP port on loopback by letting the kernel pick one. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForRpc(rpcUrl: string, chain: Supervised, timeoutMs: number): Promise<void> {
  let exit: string | undefined;
  void chain.exited.then((e) => {
    exit = describeExit(e);
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit !== undefined) throw new Error(`hardhat node exited (${exit})`);
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
        signal: AbortSignal.timeout(5_000),
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`hardhat node did not answer on ${rpcUrl} within ${timeoutMs} ms`);
}

/**
 * Starts Hardhat's chain (`hardhat node`) as a child process on loopback only, and resolves once it answers
 * JSON-RPC. Runners and gateways are separate processes, so the chain must be reachable over HTTP. Hardhat runs
 * as one process of the project's Node (no pnpm wrapper), so stopping it waits for the chain itself to exit.
 */
export async function startLocalChain(
  options: { port?: number; timeoutMs?: number; logFile?: string } = {},
): Promise<LocalChain> {
  const port = options.port ?? (await freePort());
  const rpcUrl = `http://127.0.0.1:${port}`;
  const chain = spawnSupervised("chain", projectNode, [
    ...[HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)],
  ]);
  let log: ReturnType<typeof createWriteStream> | undefined;
  if (options.logFile !== undefined) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    log = createWriteStream(options.logFile, { flags: "a" });
    chain.process.stdout?.pipe(log);
  } else {
    chain.process.stdout?.resume();
  }
  let stderr = "";
  chain.process.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    log?.write(chunk);
  });
  try {
    await waitForRpc(rpcUrl, chain, options.timeoutMs ?? 60_000);
  } catch (error) {
    await chain.stop();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    rpcUrl,
    chainId: LOCAL_CHAIN_ID,
    accounts: (index) => mnemonicToAccount(LOCAL_MNEMONIC, { addressIndex: index }),
    stop: chain.stop,
  };
}
