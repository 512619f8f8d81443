import type { Address } from "viem";
import { getChainId } from "viem/actions";
import type { TeeTeeClient } from "./contractCalls.js";

/** EIP-712 types of `IPaymentEscrow`. */
export const voucherTypes = {
  Voucher: [
    { name: "buyer", type: "address" },
    { name: "modelId", type: "bytes32" },
    { name: "sessionId", type: "bytes32" },
    { name: "route", type: "address[]" },
    { name: "amount", type: "uint256" },
  ],
} as const;

/** EIP-712 types of `IRunnerRegistry` registrations. */
export const runnerRegistrationTypes = {
  RunnerRegistration: [
    { name: "runner", type: "address" },
    { name: "contributor", type: "address" },
    { name: "modelId", type: "bytes32" },
    { name: "shardIndex", type: "uint16" },
    { name: "endpoint", type: "string" },
    { name: "publicKey", type: "bytes" },
    { name: "quoteHash", type: "bytes32" },
    { name: "composeHash", type: "bytes32" },
    { name: "osImage", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** EIP-712 types of `IRunnerRegistry` attestation refreshes. */
export const attestationRefreshTypes = {
  AttestationRefresh: [
    { name: "runner", type: "address" },
    { name: "quoteHash", type: "bytes32" },
    { name: "composeHash", type: "bytes32" },
    { name: "osImage", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** EIP-2612 permit types. */
export const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** The escrow's EIP-712 domain: vouchers are bound to one chain and one escrow. */
export function paymentEscrowDomain(chainId: number, verifyingContract: Address) {
  return { name: "TeeTee PaymentEscrow", version: "1", chainId, verifyingContract } as const;
}

/** The runner registry's EIP-712 domain. */
export function runnerRegistryDomain(chainId: number, verifyingContract: Address) {
  return { name: "TeeTee RunnerRegistry", version: "1", chainId, verifyingContract } as const;
}

/** The chain id to sign for: given, the client's chain, or asked from the node. */
export async function resolveChainId(client: TeeTeeClient, chainId: number | undefined): Promise<number> {
  return chainId ?? client.chain?.id ?? (await getChainId(client));
}
