import {
  type Address,
  bytesToHex,
  decodeAbiParameters,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hexToBytes,
} from "viem";
import type { Voucher } from "../contracts/types.js";
import { PaymentError } from "./errors.js";

/**
 * What a gateway hands a runner with a request (`request`) or right after it (`settle`): the channel's latest
 * cumulative voucher, its signature, and the facts a runner needs to price the request. It travels as the
 * opaque `voucher` bytes of a wire frame (encrypted to the runner) or in a settle call.
 */
export type PaymentTicket = {
  /** `request` opens a request; `settle` carries the voucher covering a completed one. */
  kind: "request" | "settle";
  /** The chain and escrow the voucher is signed for (refused early, and clearly, when foreign). */
  chainId: number;
  paymentEscrow: Address;
  voucher: Voucher;
  signature: Hex;
  /** Who claims to have signed: the buyer or one of its session signers. */
  signer: Address;
  /** The request: the wire session id (16 bytes), right-padded to 32. */
  requestId: Hex;
  /** Most tokens the request may generate; prices the request's maximum cost. */
  maxOutputTokens: number;
  /**
   * On a failover, tokens already generated that the gateway replays as context: the runner sees them as
   * prompt positions but the buyer pays them as output, so they are not charged twice.
   */
  replayedOutputTokens: number;
};

const TICKET_VERSION = 1;
const kinds = ["request", "settle"] as const;

const ticketAbi = [
  { type: "uint8", name: "version" },
  { type: "uint8", name: "kind" },
  { type: "uint64", name: "chainId" },
  { type: "address", name: "paymentEscrow" },
  {
    type: "tuple",
    name: "voucher",
    components: [
      { type: "address", name: "buyer" },
      { type: "bytes32", name: "modelId" },
      { type: "bytes32", name: "sessionId" },
      { type: "address[]", name: "route" },
      { type: "uint256", name: "amount" },
    ],
  },
  { type: "bytes", name: "signature" },
  { type: "address", name: "signer" },
  { type: "bytes32", name: "requestId" },
  { type: "uint32", name: "maxOutputTokens" },
  { type: "uint32", name: "replayedOutputTokens" },
] as const;

/** The bytes of a ticket (ABI-encoded, versioned), for a wire frame's `voucher` field. */
export function encodePaymentTicket(ticket: PaymentTicket): Uint8Array {
  return hexToBytes(
    encodeAbiParameters(ticketAbi, [
      TICKET_VERSION,
      kinds.indexOf(ticket.kind),
      BigInt(ticket.chainId),
      ticket.paymentEscrow,
      ticket.voucher,
      ticket.signature,
      ticket.signer,
      ticket.requestId,
      ticket.maxOutputTokens,
      ticket.replayedOutputTokens,
    ]),
  );
}

/**
 * Reads ticket bytes.
 * @throws PaymentError `invalid_ticket` when they are not a ticket of this version.
 */
export function decodePaymentTicket(bytes: Uint8Array | Hex): PaymentTicket {
  const hex = typeof bytes === "string" ? bytes : bytesToHex(bytes);
  let fields: ReturnType<typeof decodeAbiParameters<typeof ticketAbi>>;
  try {
    fields = decodeAbiParameters(ticketAbi, hex);
  } catch (cause) {
    throw new PaymentError("invalid_ticket", "The payment ticket cannot be decoded.", { cause });
  }
  const [version, kindCode, chainId, paymentEscrow, voucher, signature, signer, requestId, maxOut, replayed] =
    fields;
  const kind = kinds[kindCode];
  if (version !== TICKET_VERSION || kind === undefined) {
    throw new PaymentError(
      "invalid_ticket",
      `Unsupported payment ticket (version ${version}, kind ${kindCode}).`,
    );
  }
  return {
    kind,
    chainId: Number(chainId),
    paymentEscrow: getAddress(paymentEscrow),
    voucher: { ...voucher, route: [...voucher.route] },
    signature,
    signer: getAddress(signer),
    requestId,
    maxOutputTokens: maxOut,
    replayedOutputTokens: replayed,
  };
}

/** A wire session id (16 bytes) as a ticket's 32-byte request id. */
export function requestIdOf(wireSessionId: Uint8Array | Hex): Hex {
  const bytes = typeof wireSessionId === "string" ? hexToBytes(wireSessionId) : wireSessionId;
  const padded = new Uint8Array(32);
  padded.set(bytes.subarray(0, 32));
  return bytesToHex(padded);
}
