// One-off (not committed): fp32 / int8 / int4 unsharded bench model decoded in lockstep, per-step wall and CPU.

import { BENCH_PROMPT } from "./scripts/benchModel.js";
import { forwardChain } from "./src/generate.js";
import { loadManifest } from "./src/manifest.js";
import { ShardSession } from "./src/ShardSession.js";
import { argmax } from "./src/sample.js";

const dirs = {
  fp32: ".models/quant-fp32",
  int8: ".models/quant-int8-32-acc4",
  int4: ".models/quant-int4-32-acc4",
} as const;
const names = Object.keys(dirs) as (keyof typeof dirs)[];
const sessions = new Map<string, ShardSession>();
for (const n of names) {
  const dir = dirs[n];
  sessions.set(
    n,
    await ShardSession.create({
      dir,
      shardIndex: 0,
      manifest: await loadManifest(dir),
      verify: false,
      intraOpNumThreads: 1,
    }),
  );
}
const steps = Number(process.argv[2] ?? 64);
const state = new Map(names.map((n) => [n, { ms: [] as number[], cpu: [] as number[], last: 0 }]));
for (const n of names)
  state.get(n)!.last = argmax(
    await forwardChain([sessions.get(n)!], { sessionId: "s", inputIds: BENCH_PROMPT }),
  );
for (let step = 0; step < steps; step++) {
  const order = [...names.slice(step % 3), ...names.slice(0, step % 3)];
  for (const n of step % 2 ? order.reverse() : order) {
    const s = state.get(n)!;
    const cpu = process.cpuUsage();
    const t = performance.now();
    s.last = argmax(await forwardChain([sessions.get(n)!], { sessionId: "s", inputIds: [s.last] }));
    s.ms.push(performance.now() - t);
    const u = process.cpuUsage(cpu);
    s.cpu.push((u.user + u.system) / 1000);
  }
}
const med = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
const q = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) * p)]!;
const base = state.get("fp32")!;
for (const n of names) {
  const s = state.get(n)!;
  const ratios = s.ms.map((m, i) => base.ms[i]! / m);
  console.log(
    JSON.stringify({
      format: n,
      medianStepMs: +med(s.ms).toFixed(2),
      tokPerS: +(1000 / med(s.ms)).toFixed(1),
      iqrMs: [+q(s.ms, 0.25).toFixed(2), +q(s.ms, 0.75).toFixed(2)],
      cpuMsPerToken: +med(s.cpu).toFixed(2),
      speedVsFp32Paired: +med(ratios).toFixed(3),
      speedIqr: [+q(ratios, 0.25).toFixed(3), +q(ratios, 0.75).toFixed(3)],
    }),
  );
}
