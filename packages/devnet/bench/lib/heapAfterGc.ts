/**
 * A Node process's live heap, read over its inspector (the process runs with `--inspect=127.0.0.1:0`): a forced
 * full garbage collection, then `process.memoryUsage().heapUsed`. RSS of a V8 process is a sawtooth of lazy
 * collections and heap growth the allocator keeps; the heap after a full GC is what the process still holds, so a
 * slope of it over time is what a leak looks like.
 */

/** What one reading found. */
export type HeapReading = { pid: number; heapUsedMiB: number };

/** The last inspector URL a process printed (`Debugger listening on ws://…`) in `output`, if any. */
export function inspectorUrlOf(output: string): string | undefined {
  const all = [...output.matchAll(/Debugger listening on (ws:\/\/\S+)/g)];
  return all.at(-1)?.[1];
}

/** Forces a full GC in the process behind `url`, then reads its used heap and pid; rejects after `timeoutMs`. */
export async function heapAfterGc(url: string, timeoutMs = 15_000): Promise<HeapReading> {
  const socket = new WebSocket(url);
  const replies = new Map<number, (message: InspectorReply) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as InspectorReply;
    if (message.id !== undefined) replies.get(message.id)?.(message);
  });
  let nextId = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<InspectorReply>((resolve) => {
      const id = ++nextId;
      replies.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`no heap reading from ${url} within ${timeoutMs} ms`)),
      timeoutMs,
    ).unref(),
  );
  try {
    return await Promise.race([timeout, read(socket, call)]);
  } finally {
    // An inspector client left connected would hold the process at exit ("Waiting for the debugger to disconnect").
    socket.close();
  }
}

type InspectorReply = { id?: number; result?: { result?: { value?: unknown } }; error?: { message: string } };

async function read(
  socket: WebSocket,
  call: (method: string, params?: object) => Promise<InspectorReply>,
): Promise<HeapReading> {
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`cannot connect to ${socket.url}`)), {
      once: true,
    });
  });
  const gc = await call("HeapProfiler.collectGarbage");
  if (gc.error !== undefined) throw new Error(`HeapProfiler.collectGarbage: ${gc.error.message}`);
  const reply = await call("Runtime.evaluate", {
    expression: "JSON.stringify({ pid: process.pid, heapUsed: process.memoryUsage().heapUsed })",
    returnByValue: true,
  });
  const value = reply.result?.result?.value;
  if (typeof value !== "string") throw new Error(`Runtime.evaluate answered ${JSON.stringify(reply)}`);
  const { pid, heapUsed } = JSON.parse(value) as { pid: number; heapUsed: number };
  return { pid, heapUsedMiB: Math.round((heapUsed / 1024 ** 2) * 100) / 100 };
}
