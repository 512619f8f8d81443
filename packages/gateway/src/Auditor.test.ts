import { Registry } from "prom-client";
import type { Hex } from "viem";
import {
  AuditConfigError,
  type AuditJob,
  Auditor,
  createAuditMetrics,
  parseAuditKey,
  startAuditor,
} from "./Auditor.js";
import { parseGatewayConfig } from "./config.js";
import { GatewayStartupError } from "./errors.js";

const job = (requestId: string): AuditJob => ({
  requestId,
  modelId: `0x${"11".repeat(32)}` as Hex,
  prices: { inputPricePerMTok: 1n, outputPricePerMTok: 1n },
  promptIds: [1, 2, 3],
  tokens: [4, 5],
  sampling: { temperature: 0, topK: 0, topP: 1, seed: 0 },
  route: [],
});

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** An audit that waits until released, so the queue's state can be looked at while it runs. */
function gatedAudits() {
  const started: string[] = [];
  const gates: Array<() => void> = [];
  const audit = (j: AuditJob) => {
    started.push(j.requestId);
    return new Promise<{ reproduced: boolean; shards: [] }>((resolve) =>
      gates.push(() => resolve({ reproduced: true, shards: [] })),
    );
  };
  return { started, gates, audit };
}

async function counts(registry: Registry) {
  const text = await registry.metrics();
  const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? 0);
  return {
    run: value(/teetee_gateway_audits_total\{outcome="run"\} (\d+)/),
    failed: value(/teetee_gateway_audits_total\{outcome="failed"\} (\d+)/),
    skipped: value(/teetee_gateway_audits_total\{outcome="skipped"\} (\d+)/),
    dropped: value(/teetee_gateway_audits_dropped_total (\d+)/),
  };
}

describe("Auditor", () => {
  test("runs `concurrency` audits at once, queues up to maxQueued more and drops (and counts) the rest", async () => {
    const registry = new Registry();
    const { started, gates, audit } = gatedAudits();
    const auditor = new Auditor({
      sampler: { shouldAudit: () => true },
      audit,
      metrics: createAuditMetrics(registry),
      logger: silent,
      maxQueued: 2,
      concurrency: 1,
    });
    const offered = ["a", "b", "c", "d", "e"].map((id) => auditor.offer(job(id)));
    expect(offered).toEqual([true, true, true, false, false]);
    expect(auditor.depth).toEqual({ queued: 2, running: 1 });
    expect(started).toEqual(["a"]);
    expect(await counts(registry)).toMatchObject({ dropped: 2, run: 1 });
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gates[i]!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await auditor.idle();
    expect(started).toEqual(["a", "b", "c"]);
    expect(await counts(registry)).toMatchObject({ dropped: 2, run: 3, skipped: 3 });
  });

  test("an audit's failure never reaches the caller: offer returns at once, the failure is logged and counted", async () => {
    const registry = new Registry();
    const warnings: string[] = [];
    const auditor = new Auditor({
      sampler: { shouldAudit: () => true },
      audit: async () => {
        throw new Error("replica unreachable");
      },
      metrics: createAuditMetrics(registry),
      logger: { ...silent, warn: ((_: unknown, message: string) => void warnings.push(message)) as never },
    });
    expect(auditor.offer(job("x"))).toBe(true);
    await auditor.idle();
    expect(warnings).toEqual(["audit failed"]);
    expect(await counts(registry)).toMatchObject({ run: 1, failed: 1 });
  });

  test("a sampler that throws does not throw out of offer, and unsampled requests are not audited", async () => {
    const registry = new Registry();
    const { started, audit } = gatedAudits();
    let calls = 0;
    const auditor = new Auditor({
      sampler: {
        shouldAudit: () => {
          calls++;
          if (calls === 1) throw new Error("broken sampler");
          return false;
        },
      },
      audit,
      metrics: createAuditMetrics(registry),
      logger: silent,
    });
    expect(auditor.offer(job("a"))).toBe(false);
    expect(auditor.offer(job("b"))).toBe(false);
    expect(started).toEqual([]);
    expect(await counts(registry)).toMatchObject({ run: 0, dropped: 0 });
  });

  test("a bad auditor key is a start-up error naming TEETEE_AUDIT_KEY", () => {
    expect(() => parseAuditKey("not-a-key")).toThrow(GatewayStartupError);
    expect(() => parseAuditKey("not-a-key")).toThrow(/TEETEE_AUDIT_KEY/);
  });

  test("the audit options come from flags or env; the auditor's and the slasher's keys from the environment only", () => {
    const key = `0x${"ab".repeat(32)}`;
    const config = parseGatewayConfig(["--model", "/m", "--audit-rate", "0.5", "--audit-seed", "3"], {
      TEETEE_AUDIT_KEY: "tt_key",
      TEETEE_SLASHER_KEY: key,
      TEETEE_AUDIT_MAX_QUEUED: "4",
    });
    expect(config).toMatchObject({
      auditRate: 0.5,
      auditSeed: 3,
      auditMaxQueued: 4,
      auditConcurrency: 1,
      auditKey: "tt_key",
      slasherKey: key,
    });
    expect(() => parseGatewayConfig(["--model", "/m", "--audit-key", "tt_key"], {})).toThrow(/audit-key/);
    expect(() => parseGatewayConfig(["--model", "/m", "--audit-rate", "2"], {})).toThrow(GatewayStartupError);
  });

  test("an audit rate without the auditor's key is refused at start-up: nobody else pays for audits", async () => {
    const config = parseGatewayConfig(["--model", "/m", "--audit-rate", "0.1"], {});
    const started = startAuditor({
      config,
      chain: {} as never,
      models: [],
      pool: {} as never,
      registry: new Registry(),
      logger: silent as never,
    });
    await expect(started).rejects.toThrow(AuditConfigError);
    await expect(started).rejects.toThrow(/TEETEE_AUDIT_KEY/);
    const off = await startAuditor({ config: { ...config, auditRate: 0 } } as never);
    expect(off.value).toBeUndefined();
  });
});
