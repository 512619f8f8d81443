import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type FindRegistrationPeriodParameters = ContractTarget<"runnerRegistry"> &
  ReadOptions & {
    /** The runner's address. */
    runner: Address;
    modelId: Hex;
    shardIndex: number;
    /** A time (unix seconds), e.g. a receipt's `issuedAt`. */
    at: bigint;
  };

/** The registration's index in the runner's list (`getRegistrationPeriods`), or `undefined` if none holds `at`. */
export type FindRegistrationPeriodReturnType = bigint | undefined;

/**
 * Which registration of a runner for (model, shard), current or past, time `at` falls in: what the ReceiptSlasher
 * asks of each receipt's `issuedAt`, so a runner that moved shard still answers for what it signed before.
 *
 * Calls `findRegistrationPeriod` on the RunnerRegistry contract.
 * @example
 * const index = await findRegistrationPeriod(publicClient, { contracts, runner, modelId, shardIndex, at });
 */
export async function findRegistrationPeriod(
  client: TeeTeeClient,
  parameters: FindRegistrationPeriodParameters,
): Promise<FindRegistrationPeriodReturnType> {
  const { runner, modelId, shardIndex, at } = parameters;
  const [found, index] = await readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "findRegistrationPeriod",
    args: [runner, modelId, shardIndex, at],
  });
  return found ? index : undefined;
}
