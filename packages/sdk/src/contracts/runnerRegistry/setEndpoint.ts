import { runnerRegistryAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SetEndpointParameters = ContractTarget<"runnerRegistry"> &
  WriteOptions & {
    /** The runner's address. */
    runner: Address;
    /** The new URL. */
    endpoint: string;
  };

export type SetEndpointReturnType = Hash;

/**
 * Changes a runner's endpoint. Its contributor only.
 *
 * Calls `setEndpoint` on the RunnerRegistry contract.
 * @example
 * const hash = await setEndpoint(walletClient, { contracts, runner, endpoint });
 */
export async function setEndpoint(
  client: TeeTeeClient,
  parameters: SetEndpointParameters,
): Promise<SetEndpointReturnType> {
  const { runner, endpoint } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "runnerRegistry"),
    abi: runnerRegistryAbi,
    functionName: "setEndpoint",
    args: [runner, endpoint],
  });
}
