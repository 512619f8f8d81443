import { testTokenAbi } from "@teetee/contracts/abi";
import { type Account, type Address, type Hex, parseSignature } from "viem";
import { parseAccount } from "viem/accounts";
import { readContract, signTypedData } from "viem/actions";
import { TeeTeeContractError } from "../errors.js";
import type { TeeTeeClient } from "../internal/contractCalls.js";
import { permitTypes, resolveChainId } from "../internal/eip712.js";
import { type ContractTarget, resolveAddress } from "../internal/resolveAddress.js";
import { getPermitNonce } from "../token/getPermitNonce.js";

export type SignPermitParameters = ContractTarget<"token"> & {
  /** Who may pull the tokens (the escrow or staking contract). */
  spender: Address;
  /** Payment-token base units. */
  value: bigint;
  /** When the permit expires (unix seconds). */
  deadline: bigint;
  /** The owner's permit nonce; read from the token when omitted. */
  nonce?: bigint;
  /** The token's EIP-712 domain name and version; read from the token (ERC-5267) when omitted. */
  domain?: { name: string; version: string };
  /** The token owner; defaults to the client's account. */
  account?: Account | Address;
  chainId?: number;
};

export interface SignPermitReturnType {
  signature: Hex;
  deadline: bigint;
  v: number;
  r: Hex;
  s: Hex;
}

/**
 * Signs an EIP-2612 permit for the payment token, split into the `v, r, s` that `depositWithPermit` takes.
 * @example
 * const permit = await signPermit(buyerClient, { contracts, spender: contracts.paymentEscrow, value, deadline });
 * await depositWithPermit(buyerClient, { contracts, buyer, amount: value, permit });
 */
export async function signPermit(
  client: TeeTeeClient,
  parameters: SignPermitParameters,
): Promise<SignPermitReturnType> {
  const account = parameters.account ?? client.account;
  if (account === undefined) throw new TeeTeeContractError("signPermit needs the token owner as account.");
  const owner = parseAccount(account).address;
  const token = resolveAddress(parameters, "token");
  const nonce = parameters.nonce ?? (await getPermitNonce(client, { address: token, owner }));
  const domain = parameters.domain ?? (await readTokenDomain(client, token));
  const chainId = await resolveChainId(client, parameters.chainId);
  const { spender, value, deadline } = parameters;
  const signature = await signTypedData(client, {
    account,
    domain: { ...domain, chainId, verifyingContract: token },
    types: permitTypes,
    primaryType: "Permit",
    message: { owner, spender, value, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { signature, deadline, r, s, v: Number(v ?? BigInt(yParity + 27)) };
}

async function readTokenDomain(
  client: TeeTeeClient,
  token: Address,
): Promise<{ name: string; version: string }> {
  const [, name, version] = await readContract(client, {
    address: token,
    abi: testTokenAbi,
    functionName: "eip712Domain",
  });
  return { name, version };
}
