import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type AuthorizeSignerParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** The session key's address. */
    signer: Address;
    /** Most it may spend in total, in payment-token base units. */
    spendLimit: bigint;
    /** When it stops being valid (unix seconds). */
    expiry: bigint;
  };

export type AuthorizeSignerReturnType = Hash;

/**
 * Authorises (or updates) a session signer (an API key) with a spend limit and an expiry; what it spent is kept.
 *
 * Calls `authorizeSigner` on the PaymentEscrow contract.
 * @example
 * const hash = await authorizeSigner(walletClient, { contracts, signer, spendLimit, expiry });
 */
export async function authorizeSigner(
  client: TeeTeeClient,
  parameters: AuthorizeSignerParameters,
): Promise<AuthorizeSignerReturnType> {
  const { signer, spendLimit, expiry } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "authorizeSigner",
    args: [signer, spendLimit, expiry],
  });
}
