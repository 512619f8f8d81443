import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hash } from "viem";
import { type TeeTeeClient, type WriteOptions, writeTeeTee } from "../internal/contractCalls.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";

export type RevokeSignerParameters = ContractTarget<"paymentEscrow"> &
  WriteOptions & {
    /** The session key's address. */
    signer: Address;
  };

export type RevokeSignerReturnType = Hash;

/**
 * Revokes a session signer; takes effect after the thaw period so served requests can still settle.
 *
 * Calls `revokeSigner` on the PaymentEscrow contract.
 * @example
 * const hash = await revokeSigner(walletClient, { contracts, signer });
 */
export async function revokeSigner(
  client: TeeTeeClient,
  parameters: RevokeSignerParameters,
): Promise<RevokeSignerReturnType> {
  const { signer } = parameters;
  return writeTeeTee(client, parameters, {
    address: resolveAddress(parameters, "paymentEscrow"),
    abi: paymentEscrowAbi,
    functionName: "revokeSigner",
    args: [signer],
  });
}
