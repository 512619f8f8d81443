import { stakingAbi } from "@teetee/contracts/abi";
import type { Address, Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type SlashWithRewardParameters = ContractTarget<"staking"> &
  WriteOptions & {
    /** Whose stake. */
    staker: Address;
    /** The runner the evidence is against: its lock is taken first. */
    runner: Address;
    /** The most to take, in payment-token base units; less is taken when less is there. */
    amount: bigint;
    /** Hash of the evidence, for the record. */
    evidenceHash: Hex;
    /** Who is paid the reward (whoever brought the evidence). */
    rewardRecipient: Address;
    /** The reward's part of what is taken, in basis points (at most 10,000). */
    rewardBps: bigint;
  };

export type SlashWithRewardReturnType = Hash;

/**
 * `slash`, paying `rewardBps` of what it takes to `rewardRecipient` at once and the rest to the treasury (the
 * `Slashed` and `SlashRewardPaid` events say how much). SLASHER_ROLE only; the ReceiptSlasher uses it.
 *
 * Calls `slashWithReward` on the Staking contract.
 * @example
 * const hash = await slashWithReward(walletClient, { contracts, staker, runner, amount, evidenceHash,
 *   rewardRecipient, rewardBps: 1000n });
 */
export async function slashWithReward(
  client: TeeTeeClient,
  parameters: SlashWithRewardParameters,
): Promise<SlashWithRewardReturnType> {
  const { staker, runner, amount, evidenceHash, rewardRecipient, rewardBps } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "staking"),
    abi: stakingAbi,
    functionName: "slashWithReward",
    args: [staker, runner, amount, evidenceHash, rewardRecipient, rewardBps],
  });
}
