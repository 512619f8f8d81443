import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type DeactivateRunnerParameters = ContractTarget<"runnerRegistry"> &
  WriteOptions & {
    /** The runner's address. */
    runner: Address;
  };

export type DeactivateRunnerReturnType = Hash;

/**
 * Deactivates a runner and releases its locked stake. Its contributor, or RUNNER_ADMIN_ROLE.
 *
 * Calls `deactivateRunner` on the RunnerRegistry contract.
 * @example
 * const hash = await deactivateRunner(walletClient, { contracts, runner });
 */
export async function deactivateRunner(
  client: TeeTeeClient,
  parameters: DeactivateRunnerParameters,
): Promise<DeactivateRunnerReturnType> {
  const { runner } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "deactivateRunner",
    args: [runner],
  });
}
