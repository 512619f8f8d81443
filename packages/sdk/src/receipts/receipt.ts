import {
  type Address,
  type Hex,
  hashTypedData,
  type LocalAccount,
  type RecoverTypedDataAddressReturnType,
  recoverTypedDataAddress,
} from "viem";

/**
 * What a runner signs for each request it served, as EIP-712 typed data (`Receipt`): the contracts check two of
 * them for equivocation, wallets can show them, and anyone verifies a route's chain of them offline.
 *
 * - `inputHash` / `outputHash`: {@link ReceiptHasher} digests of the positions the runner read and wrote, one
 *   record per position (token ids on shard 0's input, activation rows between shards, sampled token ids on the
 *   last shard's output). Runner k's `inputHash` equals runner k-1's `outputHash`: that is the chain's link.
 * - `paramsHash`: everything besides the inputs that decides the outputs ({@link receiptParamsHash}: sampling,
 *   logprobs, the activation dtype sent on, and how the positions were split into frames), so that two receipts
 *   with equal model, shard, session, positions, params and input cannot honestly differ in output.
 * - `previousReceipt`: the EIP-712 digest ({@link hashReceipt}) of the previous runner's receipt; zero on shard 0.
 * - `issuedAt`: unix seconds when the runner signed, so a verifier can ask whether it was registered then.
 */
export type Receipt = {
  modelId: Hex;
  shardIndex: number;
  /** The request's 16-byte session id (the frames' `sessionId`). */
  sessionId: Hex;
  positionStart: number;
  positionCount: number;
  paramsHash: Hex;
  inputHash: Hex;
  outputHash: Hex;
  previousReceipt: Hex;
  issuedAt: bigint;
};

/** A receipt with its runner's signature over {@link hashReceipt}. */
export type SignedReceipt = { receipt: Receipt; signature: Hex };

/** The EIP-712 struct; `IReceiptSlasher.Receipt` in Solidity declares the same one and hashes it in `ReceiptLib`. */
export const receiptTypes = {
  Receipt: [
    { name: "modelId", type: "bytes32" },
    { name: "shardIndex", type: "uint16" },
    { name: "sessionId", type: "bytes16" },
    { name: "positionStart", type: "uint32" },
    { name: "positionCount", type: "uint32" },
    { name: "paramsHash", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "previousReceipt", type: "bytes32" },
    { name: "issuedAt", type: "uint64" },
  ],
} as const;

export const ZERO_HASH: Hex = `0x${"00".repeat(32)}`;

/** Where a receipt is valid: one chain, one deployment (its RunnerRegistry, which knows the runner keys). */
export type ReceiptDomainParameters = { chainId: number; runnerRegistry: Address };

/** The receipts' EIP-712 domain: `TeeTee Receipt` v1 on the chain, bound to the deployment's RunnerRegistry. */
export function receiptDomain({ chainId, runnerRegistry }: ReceiptDomainParameters) {
  return { name: "TeeTee Receipt", version: "1", chainId, verifyingContract: runnerRegistry } as const;
}

/**
 * A receipt's EIP-712 digest: what its runner signs, what the next receipt names as `previousReceipt`, and what
 * the slashing contract recovers signers from.
 * @example
 * const link = hashReceipt({ receipt: first.receipt, chainId, runnerRegistry });
 */
export function hashReceipt({ receipt, ...domain }: ReceiptDomainParameters & { receipt: Receipt }): Hex {
  return hashTypedData({
    domain: receiptDomain(domain),
    types: receiptTypes,
    primaryType: "Receipt",
    message: receipt,
  });
}

/** Signs a receipt with the runner's key. */
export async function signReceipt(
  account: LocalAccount,
  { receipt, ...domain }: ReceiptDomainParameters & { receipt: Receipt },
): Promise<SignedReceipt> {
  const signature = await account.signTypedData({
    domain: receiptDomain(domain),
    types: receiptTypes,
    primaryType: "Receipt",
    message: receipt,
  });
  return { receipt, signature };
}

/** The address that signed a receipt (whoever it is: a verifier then asks the chain whose key that is). */
export async function recoverReceiptSigner(
  { receipt, signature }: SignedReceipt,
  domain: ReceiptDomainParameters,
): Promise<RecoverTypedDataAddressReturnType> {
  return recoverTypedDataAddress({
    domain: receiptDomain(domain),
    types: receiptTypes,
    primaryType: "Receipt",
    message: receipt,
    signature,
  });
}
