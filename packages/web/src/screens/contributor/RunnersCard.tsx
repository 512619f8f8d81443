import { getContributorRunners, getModel, type RunnerView } from "@teetee/sdk/contracts";
import { useState } from "react";
import type { Address } from "viem";
import { formatDuration, formatToken, shortAddress, shortHex } from "../../chain/format.js";
import { type Health, probeHealth } from "../../chain/runnerHttp.js";
import { useChainNow, useChainRead } from "../../chain/useChainRead.js";
import { Card, Empty, ErrorNote, Pill } from "../../components/ui.js";
import { useWallet } from "../../wallet/WalletContext.js";
import { RegisterRunner } from "./RegisterRunner.js";

type Row = RunnerView & { ttl: number; health: Health };

function useRunners(contributor: Address) {
  const { publicClient, config } = useWallet();
  return useChainRead(
    async (): Promise<Row[]> => {
      const { runners } = await getContributorRunners(publicClient, {
        contracts: config.contracts,
        contributor,
      });
      const ttls = new Map<string, number>();
      for (const r of runners) {
        if (!ttls.has(r.info.modelId)) {
          const model = await getModel(publicClient, {
            contracts: config.contracts,
            modelId: r.info.modelId,
          });
          ttls.set(r.info.modelId, Number(model.attestationTtl));
        }
      }
      return Promise.all(
        runners.map(async (r) => ({
          ...r,
          ttl: ttls.get(r.info.modelId) ?? 0,
          health: r.info.active
            ? await probeHealth(config, r.info.endpoint)
            : { ok: false as const, error: "inactive" },
        })),
      );
    },
    [contributor, publicClient],
    15_000,
  );
}

export function AttestationAge({ attestedAt, ttl, now }: { attestedAt: number; ttl: number; now: number }) {
  const age = Math.max(0, now - attestedAt);
  const fresh = age < ttl;
  return (
    <span className="stack">
      <Pill tone={fresh ? "ok" : "bad"}>{fresh ? "Attested" : "Attestation expired"}</Pill>
      <span className="muted small">
        {formatDuration(age)} ago · valid {formatDuration(ttl)}
      </span>
    </span>
  );
}

export function HealthCell({ health }: { health: Health }) {
  return health.ok ? (
    <span className="stack">
      <Pill tone="ok">Online</Pill>
      <span className="muted small">{health.latencyMs} ms</span>
    </span>
  ) : (
    <Pill tone={health.error === "inactive" ? "neutral" : "bad"}>
      {health.error === "inactive" ? "Inactive" : "Offline"}
    </Pill>
  );
}

/** The contributor's runners with health and attestation age, and registering a new one. */
export function RunnersCard({ contributor }: { contributor: Address }) {
  const { token } = useWallet();
  const now = useChainNow();
  const runners = useRunners(contributor);
  const [adding, setAdding] = useState(false);
  return (
    <Card
      title="Your runners"
      subtitle="Each runner serves one shard of one model from inside a TEE"
      testId="runners"
      actions={
        <button type="button" className="btn" onClick={() => setAdding((a) => !a)}>
          {adding ? "Close" : "Register a runner"}
        </button>
      }
    >
      {adding && <RegisterRunner contributor={contributor} onDone={() => setAdding(false)} />}
      <ErrorNote message={runners.error} />
      {runners.data?.length === 0 && (
        <Empty>No runners yet. Start a runner in a TEE, then register it here with its URL.</Empty>
      )}
      {runners.data && runners.data.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Runner</th>
                <th>Model · shard</th>
                <th>Health</th>
                <th>Attestation</th>
                <th className="num">Locked stake</th>
              </tr>
            </thead>
            <tbody>
              {runners.data.map((r) => (
                <tr key={r.runner}>
                  <td>
                    <span className="mono" title={r.runner}>
                      {shortAddress(r.runner)}
                    </span>
                    <div className="muted small break">{r.info.endpoint}</div>
                  </td>
                  <td data-label="Model · shard">
                    <span className="mono" title={r.info.modelId}>
                      {shortHex(r.info.modelId, 8, 4)}
                    </span>{" "}
                    · {r.info.shardIndex}
                  </td>
                  <td data-label="Health">
                    <HealthCell health={r.health} />
                  </td>
                  <td data-label="Attestation">
                    <AttestationAge attestedAt={Number(r.info.attestedAt)} ttl={r.ttl} now={now} />
                  </td>
                  <td data-label="Locked stake" className="num nowrap">
                    {formatToken(r.info.lockedStake, token)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
