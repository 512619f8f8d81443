import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Hex } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { Voucher } from "../types.js";

export type GetVoucherDigestParameters = ContractTarget<"paymentEscrow"> &
  ReadOptions & {
    /** The voucher. */
    voucher: Voucher;
  };

export type GetVoucherDigestReturnType = Hex;

/**
 * A voucher's EIP-712 digest, as the contract computes it.
 *
 * Calls `voucherDigest` on the PaymentEscrow contract.
 * @example
 * const result = await getVoucherDigest(publicClient, { contracts, voucher });
 */
export async function getVoucherDigest(
  client: TeeTeeClient,
  parameters: GetVoucherDigestParameters,
): Promise<GetVoucherDigestReturnType> {
  const { voucher } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "voucherDigest",
    args: [voucher],
  });
}
