import { stakingAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetStakingTreasuryParameters = ContractTarget<"staking"> & ReadOptions;

export type GetStakingTreasuryReturnType = Address;

/**
 * Where slashed stake goes.
 *
 * Calls `treasury` on the Staking contract.
 * @example
 * const result = await getStakingTreasury(publicClient, { contracts });
 */
export async function getStakingTreasury(
  client: TeeTeeClient,
  parameters: GetStakingTreasuryParameters,
): Promise<GetStakingTreasuryReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "treasury",
    args: [],
  });
}
