import type { Account, Address, Hex } from "viem";
import { parseAccount } from "viem/accounts";
import { signTypedData } from "viem/actions";
import { TeeTeeContractError } from "../errors.js";
import type { TeeTeeClient } from "../internal/contractCalls.js";
import { attestationRefreshTypes, resolveChainId, runnerRegistryDomain } from "../internal/eip712.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import { getRunnerNonce } from "../runnerRegistry/getRunnerNonce.js";

export type SignAttestationRefreshParameters = ContractTarget<"runnerRegistry"> & {
  /** keccak256 of the fresh raw quote. */
  quoteHash: Hex;
  /** The compose hash the quote measures. */
  composeHash: Hex;
  /** The OS image the quote measures (`osImageMeasurement` of its TD report). */
  osImage: Hex;
  /** When the signature expires (unix seconds). */
  deadline: bigint;
  /** The runner's current `runnerNonce`; read from the chain when omitted. */
  nonce?: bigint;
  /** The runner key; defaults to the client's account. */
  account?: Account | Address;
  /** Defaults to the client's chain, or the node's. */
  chainId?: number;
};

export type SignAttestationRefreshReturnType = Hex;

/**
 * Signs, with the runner's TEE key, a fresh attestation record (EIP-712 AttestationRefresh) that anyone can then
 * submit with `refreshAttestation`.
 * @example
 * const consent = await signAttestationRefresh(runnerClient, { contracts, quoteHash, composeHash, osImage, deadline });
 */
export async function signAttestationRefresh(
  client: TeeTeeClient,
  parameters: SignAttestationRefreshParameters,
): Promise<SignAttestationRefreshReturnType> {
  const account = parameters.account ?? client.account;
  if (account === undefined)
    throw new TeeTeeContractError("signAttestationRefresh needs the runner key as account.");
  const runner = parseAccount(account).address;
  const runnerRegistry = resolveAddress(parameters, "runnerRegistry");
  const nonce = parameters.nonce ?? (await getRunnerNonce(client, { address: runnerRegistry, runner }));
  const chainId = await resolveChainId(client, parameters.chainId);
  const { quoteHash, composeHash, osImage, deadline } = parameters;
  return signTypedData(client, {
    account,
    domain: runnerRegistryDomain(chainId, runnerRegistry),
    types: attestationRefreshTypes,
    primaryType: "AttestationRefresh",
    message: { runner, quoteHash, composeHash, osImage, nonce, deadline },
  });
}
