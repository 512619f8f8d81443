import type { Account, Address, Hex } from "viem";
import { signTypedData } from "viem/actions";
import { TeeTeeContractError } from "../errors.js";
import type { TeeTeeClient } from "../internal/contractCalls.js";
import { paymentEscrowDomain, resolveChainId, voucherTypes } from "../internal/eip712.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { Voucher } from "../types.js";

export type SignVoucherParameters = ContractTarget<"paymentEscrow"> & {
  voucher: Voucher;
  /** The buyer or one of its session signers; defaults to the client's account. */
  account?: Account | Address;
  /** Defaults to the client's chain, or the node's. */
  chainId?: number;
};

export type SignVoucherReturnType = Hex;

/**
 * Signs a voucher (EIP-712, domain "TeeTee PaymentEscrow" v1 on this chain and escrow) with the buyer's key or a
 * session signer's. The amount is cumulative for the channel: sign the session's total so far.
 * @example
 * const signature = await signVoucher(sessionClient, { contracts, voucher: { buyer, modelId, sessionId, route, amount } });
 */
export async function signVoucher(
  client: TeeTeeClient,
  parameters: SignVoucherParameters,
): Promise<SignVoucherReturnType> {
  const account = parameters.account ?? client.account;
  if (account === undefined) throw new TeeTeeContractError("signVoucher needs an account.");
  const chainId = await resolveChainId(client, parameters.chainId);
  return signTypedData(client, {
    account,
    domain: paymentEscrowDomain(chainId, resolveAddress(parameters, "paymentEscrow")),
    types: voucherTypes,
    primaryType: "Voucher",
    message: parameters.voucher,
  });
}
