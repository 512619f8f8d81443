import { stakingAbi } from "@teetee/contracts/abi";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetStakingTreasuryBalanceParameters = ContractTarget<"staking"> & ReadOptions;

export type GetStakingTreasuryBalanceReturnType = bigint;

/**
 * Slashed stake not yet sent to the treasury.
 *
 * Calls `treasuryBalance` on the Staking contract.
 * @example
 * const result = await getStakingTreasuryBalance(publicClient, { contracts });
 */
export async function getStakingTreasuryBalance(
  client: TeeTeeClient,
  parameters: GetStakingTreasuryBalanceParameters,
): Promise<GetStakingTreasuryBalanceReturnType> {
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "treasuryBalance",
    args: [],
  });
}
