import { type Address, encodeAbiParameters, encodePacked, type Hex, keccak256 } from "viem";

export interface ChannelIdParameters {
  buyer: Address;
  modelId: Hex;
  sessionId: Hex;
  /** One runner per shard, in order. */
  route: readonly Address[];
}

export type ChannelIdReturnType = Hex;

/**
 * A payment channel's id: keccak256(abi.encode(buyer, modelId, sessionId, keccak256(abi.encodePacked(route)))),
 * the same value `PaymentEscrow.channelId` returns. Vouchers on different routes never share a channel.
 * @example
 * const id = channelId({ buyer, modelId, sessionId, route: [runnerA, runnerB] });
 */
export function channelId({ buyer, modelId, sessionId, route }: ChannelIdParameters): ChannelIdReturnType {
  const routeHash = keccak256(encodePacked(["address[]"], [route]));
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }],
      [buyer, modelId, sessionId, routeHash],
    ),
  );
}
