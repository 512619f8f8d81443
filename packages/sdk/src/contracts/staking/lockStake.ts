import { stakingAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type LockStakeParameters = ContractTarget<"staking"> &
  WriteOptions & {
    /** Whose stake. */
    staker: Address;
    /** The runner the stake backs: the lock is that runner's own. */
    runner: Address;
    /** Payment-token base units. */
    amount: bigint;
  };

export type LockStakeReturnType = Hash;

/**
 * Locks free stake behind one runner (its own lock). LOCKER_ROLE only (the runner registry does this on registration).
 *
 * Calls `lockStake` on the Staking contract.
 * @example
 * const hash = await lockStake(walletClient, { contracts, staker, runner, amount });
 */
export async function lockStake(
  client: TeeTeeClient,
  parameters: LockStakeParameters,
): Promise<LockStakeReturnType> {
  const { staker, runner, amount } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "lockStake",
    args: [staker, runner, amount],
  });
}
