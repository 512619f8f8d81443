import {
  type GetModelAllowlistsReturnType,
  getModel,
  getModelAllowlists,
  getModelIds,
  getRevenueSplit,
  getRunners,
  getShard,
  type Model,
  type RunnerView,
  type Shard,
} from "@teetee/sdk/contracts";
import type { RunnerLoad } from "@teetee/sdk/protocol";
import type { Hex } from "viem";
import {
  formatBps,
  formatDuration,
  formatPrice,
  formatToken,
  shortAddress,
  shortHex,
} from "../../chain/format.js";
import { fetchLoad, type Health, probeHealth } from "../../chain/runnerHttp.js";
import { useChainNow, useChainRead } from "../../chain/useChainRead.js";
import { Card, Empty, ErrorNote, Pill } from "../../components/ui.js";
import { useWallet } from "../../wallet/WalletContext.js";
import { AttestationAge, HealthCell } from "../contributor/RunnersCard.js";
import { Playground } from "./Playground.js";

type ShardRow = Shard & {
  index: number;
  runners: (RunnerView & { health: Health; load: RunnerLoad | undefined })[];
};
type ModelRow = {
  id: Hex;
  model: Model;
  feeBps: number;
  allowlists: GetModelAllowlistsReturnType;
  shards: ShardRow[];
};

function useModels() {
  const { publicClient, config } = useWallet();
  const contracts = config.contracts;
  return useChainRead(
    async (): Promise<ModelRow[]> => {
      const { ids } = await getModelIds(publicClient, { contracts, limit: 50n });
      return Promise.all(
        ids.map(async (id) => {
          const [model, split, allowlists] = await Promise.all([
            getModel(publicClient, { contracts, modelId: id }),
            getRevenueSplit(publicClient, { contracts, modelId: id }),
            getModelAllowlists(publicClient, { contracts, modelId: id, fromBlock: config.startBlock }),
          ]);
          const shards = await Promise.all(
            Array.from({ length: model.shardCount }, async (_, index) => {
              const [shard, { runners }] = await Promise.all([
                getShard(publicClient, { contracts, modelId: id, shardIndex: BigInt(index) }),
                getRunners(publicClient, { contracts, modelId: id, shardIndex: index, limit: 20n }),
              ]);
              const withHealth = await Promise.all(
                runners.map(async (r) => {
                  if (!r.info.active)
                    return { ...r, health: { ok: false, error: "inactive" } as const, load: undefined };
                  const [health, load] = await Promise.all([
                    probeHealth(config, r.info.endpoint),
                    fetchLoad(config, r.info.endpoint),
                  ]);
                  return { ...r, health, load };
                }),
              );
              return { ...shard, index, runners: withHealth };
            }),
          );
          return { id, model, feeBps: split.feeBps, allowlists, shards };
        }),
      );
    },
    [publicClient],
    15_000,
  );
}

/** Sessions held, the last batch and how busy the shard was: "unknown" when the runner publishes no load. */
function LoadCell({ load }: { load: RunnerLoad | undefined }) {
  if (load === undefined) return <span className="muted small">unknown</span>;
  const busy = Math.round(load.utilization * 100);
  return (
    <span className="stack">
      <span>
        {load.sessions}/{load.maxSessions} sessions · {load.queuedSteps} queued
      </span>
      <span className="muted small">
        batch {load.lastBatchSize}/{load.maxBatchSize} · {busy}% busy over {load.windowSeconds} s
      </span>
    </span>
  );
}

function ShardTable({ row, now }: { row: ModelRow; now: number }) {
  const ttl = Number(row.model.attestationTtl);
  return (
    <div className="shards">
      {row.shards.map((shard) => (
        <div className="shard" key={shard.index} data-testid={`shard-${shard.index}`}>
          <div className="shard-head">
            <strong>Shard {shard.index}</strong>
            <span className="muted">
              layers {shard.firstLayer}–{shard.endLayer - 1} · {formatBps(shard.shareBps)} of revenue
            </span>
            <Pill tone={shard.runners.some((r) => r.info.active) ? "ok" : "warn"}>
              {shard.runners.filter((r) => r.info.active).length} active runner
              {shard.runners.filter((r) => r.info.active).length === 1 ? "" : "s"}
            </Pill>
          </div>
          {shard.runners.length === 0 ? (
            <p className="muted small">No runner serves this shard yet.</p>
          ) : (
            <div className="table-wrap">
              <table className="table table-compact">
                <thead>
                  <tr>
                    <th>Runner</th>
                    <th>Contributor</th>
                    <th>Attestation</th>
                    <th>Health</th>
                    <th>Load</th>
                  </tr>
                </thead>
                <tbody>
                  {shard.runners.map((r) => (
                    <tr key={r.runner}>
                      <td data-label="Runner" className="mono" title={r.runner}>
                        {shortAddress(r.runner)}
                      </td>
                      <td data-label="Contributor" className="mono" title={r.info.contributor}>
                        {shortAddress(r.info.contributor)}
                      </td>
                      <td data-label="Attestation">
                        {r.info.active ? (
                          <AttestationAge attestedAt={Number(r.info.attestedAt)} ttl={ttl} now={now} />
                        ) : (
                          <Pill tone="neutral">Left</Pill>
                        )}
                      </td>
                      <td data-label="Health">
                        <HealthCell health={r.health} />
                      </td>
                      <td data-label="Load" data-testid={`load-${r.runner}`}>
                        <LoadCell load={r.load} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      ))}
    </div>
  );
}

/** A model's allowlist: its runners must measure one of these values, or nothing is routed to them. */
function AllowedList({ title, values, testId }: { title: string; values: readonly Hex[]; testId: string }) {
  return (
    <div>
      <dt>{title}</dt>
      <dd className="mono break small" data-testid={testId}>
        {values.length === 0
          ? "none: no runner can register"
          : values.map((value) => <div key={value}>{value}</div>)}
      </dd>
    </div>
  );
}

function ModelCard({ row, now }: { row: ModelRow; now: number }) {
  const { token } = useWallet();
  const { model } = row;
  return (
    <Card
      title={`Model ${shortHex(row.id, 10, 6)}`}
      subtitle={
        <>
          {model.numLayers} layers in {model.shardCount} shards · curated by{" "}
          <span className="mono">{shortAddress(model.curator)}</span>
        </>
      }
      actions={<Pill tone={model.active ? "ok" : "neutral"}>{model.active ? "Active" : "Inactive"}</Pill>}
      testId="model"
    >
      <dl className="facts facts-grid">
        <div>
          <dt>Input price</dt>
          <dd data-testid="input-price">{formatPrice(model.inputPricePerMTok, token)}</dd>
        </div>
        <div>
          <dt>Output price</dt>
          <dd>{formatPrice(model.outputPricePerMTok, token)}</dd>
        </div>
        <div>
          <dt>Stake per runner</dt>
          <dd>{formatToken(model.minStake, token)}</dd>
        </div>
        <div>
          <dt>Attestation valid for</dt>
          <dd>{formatDuration(Number(model.attestationTtl))}</dd>
        </div>
        <div>
          <dt>Protocol fee</dt>
          <dd>{formatBps(row.feeBps)}</dd>
        </div>
        <div>
          <dt>Model id (manifest hash)</dt>
          <dd className="mono break small">{row.id}</dd>
        </div>
        <AllowedList
          title="Allowed compose hashes"
          values={row.allowlists.composeHashes}
          testId="compose-hashes"
        />
        <AllowedList
          title="Allowed OS images (SHA-256 of MRTD, RTMR0-2)"
          values={row.allowlists.osImages}
          testId="os-images"
        />
      </dl>
      <ShardTable row={row} now={now} />
    </Card>
  );
}

/** Anyone: the models, their shards, prices and shares, each shard's runners; and the playground. */
export function ExplorerScreen() {
  const models = useModels();
  const now = useChainNow();
  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Network</h1>
        <p className="muted">
          Every model, its shards and the attested runners serving them, read live from the chain. No wallet
          needed.
        </p>
      </div>
      <ErrorNote message={models.error} />
      {models.loading && <p className="muted">Reading the chain…</p>}
      {models.data?.length === 0 && <Empty>No models are registered on this network yet.</Empty>}
      {models.data?.map((row) => (
        <ModelCard key={row.id} row={row} now={now} />
      ))}
      <Playground />
    </div>
  );
}
