import { stakingAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SlashParameters = ContractTarget<"staking"> &
  WriteOptions & {
    /** Whose stake. */
    staker: Address;
    /** The runner the evidence is against: its lock is taken first. The zero address slashes free and unbonding
     * stake only. */
    runner: Address;
    /** The most to take, in payment-token base units; less is taken when less is there. */
    amount: bigint;
    /** Hash of the evidence, for the record. */
    evidenceHash: Hex;
  };

export type SlashReturnType = Hash;

/**
 * Takes up to `amount` of stake on evidence (the runner's lock, then free, then unbonding stake, as much as is
 * there; the `Slashed` event says how much); the funds go to the treasury. SLASHER_ROLE only.
 *
 * Calls `slash` on the Staking contract.
 * @example
 * const hash = await slash(walletClient, { contracts, staker, runner, amount, evidenceHash });
 */
export async function slash(client: TeeTeeClient, parameters: SlashParameters): Promise<SlashReturnType> {
  const { staker, runner, amount, evidenceHash } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "slash",
    args: [staker, runner, amount, evidenceHash],
  });
}
