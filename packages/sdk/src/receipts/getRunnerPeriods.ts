import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { getBlock, getContractEvents } from "viem/actions";
import type { TeeTeeClient } from "../contracts/internal/contractCalls.js";
import type { TeeTeeContracts } from "../contracts/types.js";

export type GetRunnerPeriodsParameters = {
  contracts: Pick<TeeTeeContracts, "runnerRegistry">;
  runner: Address;
  /** First block to scan (the deployment's `startBlock`); defaults to 0. */
  fromBlock?: bigint;
};

/** One stretch of a runner's life: registered for a shard at `from`, deactivated at `until` (unix seconds). */
export type RunnerPeriod = {
  modelId: Hex;
  shardIndex: number;
  from: bigint;
  /** `undefined` while the runner is still active. */
  until: bigint | undefined;
};

export type GetRunnerPeriodsReturnType = RunnerPeriod[];

/**
 * When a runner was active, and for which shard, replayed from the registry's `RunnerRegistered` and
 * `RunnerDeactivated` events with their blocks' timestamps: the registry stores only the latest registration, and a
 * runner deactivated and registered again must not vouch for what it signed in between.
 * @example
 * const periods = await getRunnerPeriods(publicClient, { contracts, runner, fromBlock: BigInt(deployment.startBlock) });
 */
export async function getRunnerPeriods(
  client: TeeTeeClient,
  { contracts, runner, fromBlock = 0n }: GetRunnerPeriodsParameters,
): Promise<GetRunnerPeriodsReturnType> {
  const query = {
    address: contracts.runnerRegistry,
    abi: runnerRegistryAbi,
    args: { runner },
    fromBlock,
    strict: true,
  } as const;
  const [registered, deactivated] = await Promise.all([
    getContractEvents(client, { ...query, eventName: "RunnerRegistered" }),
    getContractEvents(client, { ...query, eventName: "RunnerDeactivated" }),
  ]);
  const events = [...registered, ...deactivated].sort(
    (a, b) => Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex,
  );
  const times = new Map<bigint, bigint>();
  await Promise.all(
    [...new Set(events.map((e) => e.blockNumber))].map(async (blockNumber) => {
      times.set(blockNumber, (await getBlock(client, { blockNumber })).timestamp);
    }),
  );
  const periods: RunnerPeriod[] = [];
  for (const event of events) {
    const at = times.get(event.blockNumber)!;
    if (event.eventName === "RunnerRegistered") {
      const { modelId, shardIndex } = event.args;
      periods.push({ modelId, shardIndex, from: at, until: undefined });
    } else {
      const open = periods.at(-1);
      if (open !== undefined && open.until === undefined) open.until = at;
    }
  }
  return periods;
}
