import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address } from "viem";
import { type ReadOptions, readTeeTee, type TeeTeeClient } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import type { SessionSigner } from "../types.js";

export type GetSessionSignerParameters = ContractTarget<"paymentEscrow"> &
  ReadOptions & {
    /** The buyer. */
    buyer: Address;
    /** The session key's address. */
    signer: Address;
  };

export type GetSessionSignerReturnType = SessionSigner;

/**
 * A session signer's spend limit, amount spent and validity.
 *
 * Calls `getSigner` on the PaymentEscrow contract.
 * @example
 * const result = await getSessionSigner(publicClient, { contracts, buyer, signer });
 */
export async function getSessionSigner(
  client: TeeTeeClient,
  parameters: GetSessionSignerParameters,
): Promise<GetSessionSignerReturnType> {
  const { buyer, signer } = parameters;
  return readTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "getSigner",
    args: [buyer, signer],
  });
}
