import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type GetChannelPaidParameters = ContractTarget<"paymentEscrow"> &
  ReadOptions & {
    /** The channel id. */
    channelId: Hex;
  };

export type GetChannelPaidReturnType = bigint;

/**
 * What a channel has paid so far (compute its id with `channelId`).
 *
 * Calls `channelPaid` on the PaymentEscrow contract.
 * @example
 * const result = await getChannelPaid(publicClient, { contracts, channelId });
 */
export async function getChannelPaid(
  client: TeeTeeClient,
  parameters: GetChannelPaidParameters,
): Promise<GetChannelPaidReturnType> {
  const { channelId } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "channelPaid",
    args: [channelId],
  });
}
