import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetRegistrationPeriodsParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The runner's address. */
    runner: Address;
  };

/** One registration as the registry keeps it: `endedAt` is 0 while it lasts. */
export type RegistrationPeriod = {
  modelId: Hex;
  shardIndex: number;
  registeredAt: bigint;
  endedAt: bigint;
};

export type GetRegistrationPeriodsReturnType = RegistrationPeriod[];

/**
 * Every registration of a runner, oldest first, as stored on-chain (the same periods `getRunnerPeriods` replays
 * from events, with `endedAt` 0 for `until: undefined`).
 *
 * Calls `registrationPeriodCount` and `getRegistrationPeriod` on the RunnerRegistry contract.
 * @example
 * const periods = await getRegistrationPeriods(publicClient, { contracts, runner });
 */
export async function getRegistrationPeriods(
  client: TeeTeeClient,
  parameters: GetRegistrationPeriodsParameters,
): Promise<GetRegistrationPeriodsReturnType> {
  const address = resolveAddress(parameters, "runnerRegistry");
  const { runner } = parameters;
  const count = await readTeeTee(client, parameters, {
    address,
    abi: runnerRegistryAbi,
    functionName: "registrationPeriodCount",
    args: [runner],
  });
  return Promise.all(
    Array.from({ length: Number(count) }, (_, i) =>
      readTeeTee(client, parameters, {
        address,
        abi: runnerRegistryAbi,
        functionName: "getRegistrationPeriod",
        args: [runner, BigInt(i)],
      }),
    ),
  );
}
