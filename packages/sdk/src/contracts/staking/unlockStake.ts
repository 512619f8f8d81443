import { stakingAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type UnlockStakeParameters = ContractTarget<"staking"> &
  WriteOptions & {
    /** Whose stake. */
    staker: Address;
    /** The runner whose lock is released (all that is left of it, and nothing else). */
    runner: Address;
  };

export type UnlockStakeReturnType = Hash;

/**
 * Releases what is left of one runner's stake lock. LOCKER_ROLE only (the runner registry does this on deactivation).
 *
 * Calls `unlockStake` on the Staking contract.
 * @example
 * const hash = await unlockStake(walletClient, { contracts, staker, runner });
 */
export async function unlockStake(
  client: TeeTeeClient,
  parameters: UnlockStakeParameters,
): Promise<UnlockStakeReturnType> {
  const { staker, runner } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "unlockStake",
    args: [staker, runner],
  });
}
