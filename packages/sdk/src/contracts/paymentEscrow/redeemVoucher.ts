import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hash, Hex } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { Voucher } from "../types.js";

export type RedeemVoucherParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** The voucher. */
    voucher: Voucher;
    /** The buyer's or a session signer's signature (`signVoucher`). */
    signature: Hex;
  };

export type RedeemVoucherReturnType = Hash;

/**
 * Redeems the best voucher of a channel: pays the increase over what the channel already paid, capped by the buyer's balance, and credits the route's contributors and the treasury. Anyone may send it.
 *
 * Calls `redeem` on the PaymentEscrow contract.
 * @example
 * const hash = await redeemVoucher(walletClient, { contracts, voucher, signature });
 */
export async function redeemVoucher(
  client: TeeTeeClient,
  parameters: RedeemVoucherParameters,
): Promise<RedeemVoucherReturnType> {
  const { voucher, signature } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "redeem",
    args: [voucher, signature],
  });
}
