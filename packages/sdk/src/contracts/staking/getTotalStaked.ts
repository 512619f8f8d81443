import { stakingAbi } from "@teetee/contracts/abi";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetTotalStakedParameters = ContractTarget<"staking"> & ReadOptions;

export type GetTotalStakedReturnType = bigint;

/**
 * Sum of all stake and unbonding stake.
 *
 * Calls `totalStaked` on the Staking contract.
 * @example
 * const result = await getTotalStaked(publicClient, { contracts });
 */
export async function getTotalStaked(
  client: TeeTeeClient,
  parameters: GetTotalStakedParameters,
): Promise<GetTotalStakedReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "totalStaked",
    args: [],
  });
}
