import { type Address, encodeAbiParameters, encodePacked, type Hex, keccak256 } from "viem";

export interface AllocationIdParameters {
  buyer: Address;
  modelId: Hex;
  /** One runner per shard, in order. */
  route: readonly Address[];
}

export type AllocationIdReturnType = Hex;

/**
 * The id of a buyer's allocation for one route of a model: keccak256(abi.encode(buyer, modelId,
 * keccak256(abi.encodePacked(route)))), the same value `PaymentEscrow.allocationId` returns.
 * @example
 * const id = allocationId({ buyer, modelId, route: [runnerA, runnerB] });
 */
export function allocationId({ buyer, modelId, route }: AllocationIdParameters): AllocationIdReturnType {
  const routeHash = keccak256(encodePacked(["address[]"], [route]));
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
      [buyer, modelId, routeHash],
    ),
  );
}
