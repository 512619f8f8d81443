import { type Address, encodeAbiParameters, type Hex, keccak256 } from "viem";
import {
  hashReceipt,
  type ReceiptDomainParameters,
  recoverReceiptSigner,
  type SignedReceipt,
} from "./receipt.js";

export type FindEquivocationsParameters = ReceiptDomainParameters & {
  /** Signed receipts from any number of bundles or files, in any order; duplicates are ignored. */
  receipts: readonly SignedReceipt[];
};

/** Two receipts one runner key signed for the same work with different outputs: what `reportEquivocation` takes. */
export type Equivocation = {
  /** The key that signed both. */
  runner: Address;
  first: SignedReceipt;
  second: SignedReceipt;
  /** Their EIP-712 digests, in the order of `first`, `second`. */
  digests: [Hex, Hex];
  /** What the ReceiptSlasher records the pair as (`isEquivocationEvidenceUsed`): keccak256 of the lower digest, then
   * the higher. */
  evidenceHash: Hex;
};

export type FindEquivocationsReturnType = Equivocation[];

/**
 * Every pair of receipts signed by one key with equal model, shard, session, positions, params and input hash and
 * different output hashes: the ReceiptSlasher's rule, checked offline (signatures recovered, nothing asked of the
 * chain; whether the key was registered then is the contract's, or `findRegistrationPeriodWithin`'s, question).
 * @example
 * const [equivocation] = await findEquivocations({ receipts: bundle.receipts.concat(other.receipts), chainId, runnerRegistry });
 */
export async function findEquivocations({
  receipts,
  ...domain
}: FindEquivocationsParameters): Promise<FindEquivocationsReturnType> {
  const groups = new Map<string, { runner: Address; digest: Hex; signed: SignedReceipt }[]>();
  const seen = new Set<Hex>();
  for (const signed of receipts) {
    const digest = hashReceipt({ receipt: signed.receipt, ...domain });
    if (seen.has(digest)) continue;
    seen.add(digest);
    const runner = await recoverReceiptSigner(signed, domain).catch(() => undefined);
    if (runner === undefined) continue;
    const key = workKey(runner, signed);
    groups.set(key, [...(groups.get(key) ?? []), { runner, digest, signed }]);
  }
  const found: Equivocation[] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const [a, b] = [group[i]!, group[j]!];
        if (a.signed.receipt.outputHash.toLowerCase() === b.signed.receipt.outputHash.toLowerCase()) continue;
        found.push({
          runner: a.runner,
          first: a.signed,
          second: b.signed,
          digests: [a.digest, b.digest],
          evidenceHash: equivocationEvidenceHash(a.digest, b.digest),
        });
      }
    }
  }
  return found;
}

/** The ReceiptSlasher's evidence hash of two receipt digests, the same in either order. */
export function equivocationEvidenceHash(first: Hex, second: Hex): Hex {
  const [low, high] = BigInt(first) < BigInt(second) ? [first, second] : [second, first];
  return keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [low, high]));
}

/** Signer and every field that must agree for two outputs to contradict each other. */
function workKey(runner: Address, { receipt: r }: SignedReceipt): string {
  return [
    runner,
    r.modelId,
    r.shardIndex,
    r.sessionId,
    r.positionStart,
    r.positionCount,
    r.paramsHash,
    r.inputHash,
  ]
    .map((v) => String(v).toLowerCase())
    .join("|");
}
