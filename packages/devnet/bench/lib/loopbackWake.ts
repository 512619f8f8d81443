import { spawn } from "node:child_process";
import { connect } from "node:net";
import { median } from "./median.js";

const ECHO_SERVER = `
const server = require("node:net").createServer((socket) => {
  socket.setNoDelay(true);
  socket.on("data", (chunk) => socket.write(chunk));
});
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port) + "\\n"));
`;

export type LoopbackRoundTrip = {
  /** Median round trip of a 1,100-byte message to an echo process, back to back (both processes awake). */
  hotUs: number;
  /** The same after each side slept `idleMs` first, as a runner sleeps while the others compute. */
  afterIdleUs: number;
  idleMs: number;
};

/**
 * What one hop costs this machine before any TeeTee code runs: a TCP round trip on loopback to another process,
 * awake and after an idle gap. On a VM a sleeping process's vCPU halts, and waking it costs far more than the
 * bytes; the pipeline benchmark prints this beside its per-hop overhead so the two can be read together.
 */
export async function measureLoopbackRoundTrip(idleMs = 20, samples = 200): Promise<LoopbackRoundTrip> {
  const child = spawn(process.execPath, ["-e", ECHO_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      child.once("error", reject);
    });
    const socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const message = Buffer.alloc(1100, 7);
    let received = 0;
    let done: () => void = () => undefined;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received >= message.length) {
        received = 0;
        done();
      }
    });
    const roundTrip = async () => {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        done = resolve;
        socket.write(message);
      });
      return (performance.now() - started) * 1000;
    };
    for (let i = 0; i < 50; i++) await roundTrip();
    const hot: number[] = [];
    for (let i = 0; i < samples; i++) hot.push(await roundTrip());
    const idle: number[] = [];
    for (let i = 0; i < samples / 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, idleMs));
      idle.push(await roundTrip());
    }
    socket.destroy();
    return { hotUs: Math.round(median(hot)), afterIdleUs: Math.round(median(idle)), idleMs };
  } finally {
    child.kill();
  }
}
