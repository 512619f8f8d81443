import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { type HDAccount, mnemonicToAccount } from "viem/accounts";

/** Hardhat's well-known development mnemonic: its accounts hold test ether on the local chain only. */
export const LOCAL_MNEMONIC = "test test test test test test test test test test test junk";

export const LOCAL_CHAIN_ID = 31337;

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

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

async function waitForRpc(rpcUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited with code ${child.exitCode}`);
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
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
 * JSON-RPC. Runners and gateways are separate processes, so the chain must be reachable over HTTP.
 */
export async function startLocalChain(
  options: { port?: number; timeoutMs?: number } = {},
): Promise<LocalChain> {
  const port = options.port ?? (await freePort());
  const rpcUrl = `http://127.0.0.1:${port}`;
  const child = spawn(
    "pnpm",
    ["exec", "hardhat", "node", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitForRpc(rpcUrl, child, options.timeoutMs ?? 60_000);
  } catch (error) {
    killGroup(child);
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    rpcUrl,
    chainId: LOCAL_CHAIN_ID,
    accounts: (index) => mnemonicToAccount(LOCAL_MNEMONIC, { addressIndex: index }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      killGroup(child);
      await exited;
    },
  };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
}
