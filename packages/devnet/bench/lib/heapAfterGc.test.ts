import { type ChildProcess, spawn } from "node:child_process";
import { heapAfterGc, inspectorUrlOf } from "./heapAfterGc.js";

/** A real node process with an inspector on a free port, running `script`; resolves with its inspector URL. */
async function inspectable(script: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--inspect=127.0.0.1:0", "-e", script], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = inspectorUrlOf(stderr);
      if (found !== undefined && stderr.includes("ready")) resolve(found);
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code}: ${stderr}`)));
  });
  return { child, url };
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
});

describe("heapAfterGc", () => {
  test("reads the live heap of a real process: what it holds counts, garbage it dropped does not", async () => {
    // Each child builds ~64 MiB of JS objects; one keeps them, the other drops them, then both idle.
    const build = "Array.from({ length: 2e6 }, (_, i) => ({ i, s: 'x' + i }))";
    const holder = await inspectable(
      `globalThis.kept = ${build}; console.error("ready"); setInterval(() => {}, 1000);`,
    );
    const dropper = await inspectable(
      `${build}.length; console.error("ready"); setInterval(() => {}, 1000);`,
    );
    children.push(holder.child, dropper.child);
    const held = await heapAfterGc(holder.url);
    const dropped = await heapAfterGc(dropper.url);
    expect(held.pid).toBe(holder.child.pid);
    expect(dropped.pid).toBe(dropper.child.pid);
    expect(held.heapUsedMiB).toBeGreaterThan(64);
    expect(dropped.heapUsedMiB).toBeLessThan(16);
    // A second reading works too: the first disconnected cleanly.
    expect((await heapAfterGc(holder.url)).heapUsedMiB).toBeGreaterThan(64);
  }, 60_000);

  test("the inspector URL is the last one a process printed", () => {
    const output =
      "Debugger listening on ws://127.0.0.1:4001/aaa\nFor help, see: https://nodejs.org/en/docs/inspector\n" +
      "Debugger listening on ws://127.0.0.1:4002/bbb\n";
    expect(inspectorUrlOf(output)).toBe("ws://127.0.0.1:4002/bbb");
    expect(inspectorUrlOf("no inspector here")).toBeUndefined();
  });

  test("an unreachable inspector is an error, not a hang", async () => {
    await expect(heapAfterGc("ws://127.0.0.1:9/none", 5_000)).rejects.toThrow(/cannot connect|within/);
  });
});
