import { stakingAbi } from "@teetee/contracts";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SlashParameters = ContractTarget<"staking"> &
  WriteOptions & {
    /** Whose stake. */
    staker: Address;
    /** Payment-token base units. */
    amount: bigint;
    /** Hash of the evidence, for the record. */
    evidenceHash: Hex;
  };

export type SlashReturnType = Hash;

/**
 * Takes stake (free, then locked, then unbonding) on evidence; the funds go to the treasury. SLASHER_ROLE only.
 *
 * Calls `slash` on the Staking contract.
 * @example
 * const hash = await slash(walletClient, { contracts, staker, amount, evidenceHash });
 */
export async function slash(client: TeeTeeClient, parameters: SlashParameters): Promise<SlashReturnType> {
  const { staker, amount, evidenceHash } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "slash",
    args: [staker, amount, evidenceHash],
  });
}
