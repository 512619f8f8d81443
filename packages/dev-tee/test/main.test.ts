import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { DstackClient } from "@phala/dstack-sdk";

const mainPath = new URL("../src/main.ts", import.meta.url).pathname;
const composeHash = `0x${"c1".repeat(32)}`;

/** Starts the CLI as its own process (Node running tsx), as an operator would. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", mainPath, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const match = /DSTACK_SIMULATOR_ENDPOINT=(\S+)/.exec(line);
    if (match?.[1] !== undefined) return { child, url: match[1] };
  }
  throw new Error("dev-tee CLI exited without printing its endpoint");
}

describe("dev-tee CLI", () => {
  test("serves the compose hash it was given, on loopback, and stops on SIGTERM", async () => {
    const { child, url } = await startCli(["--port", "0", "--compose-hash", composeHash]);
    try {
      expect(new URL(url).hostname).toBe("127.0.0.1");
      const info = await new DstackClient(url).info();
      expect(info.compose_hash).toBe(composeHash.slice(2));
    } finally {
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      expect(code).toBe(0);
    }
  });

  test("refuses a malformed compose hash", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", mainPath, "--port", "0", "--compose-hash", "0x12"],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
  });
});
