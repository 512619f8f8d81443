import type { Address, Hex } from "viem";
import type { RouteAllocation, SessionSigner, Voucher } from "../../contracts/types.js";
import { allocationId as computeAllocationId } from "../../contracts/voucher/allocationId.js";
import { PaymentError } from "../errors.js";
import type { StoredChannel } from "./VoucherStore.js";

/** An open request as the money checks see it: what it may still cost, and which allocation pays it. */
export type ReservedRequest = { maxCost: bigint; allocationId: Hex };

/**
 * Everything the money check of one request decides on, read beforehand: the ledger's own state first, then, only
 * when those checks pass, the signer's record and the route allocation from the chain.
 */
export type MoneyContext = {
  voucher: Voucher;
  /** The buyer and signer, checksummed. */
  buyer: Address;
  signer: Address;
  channelId: Hex;
  /** This channel's stored best voucher, if any. */
  stored: StoredChannel | undefined;
  /** What the channel's completed requests cost. */
  owed: bigint;
  /** The buyer's other channels whose last settle voucher fell short. */
  uncoveredElsewhere: readonly { channelId: Hex; owed: bigint }[];
  /** The buyer's open requests. */
  open: readonly ReservedRequest[];
  /** The most this request can cost. */
  maxCost: bigint;
  /** When the buyer's requests abandoned within the expiry were abandoned (ms), oldest first. */
  abandoned: readonly number[];
  /** The buyer's unredeemed channels here other than this one. */
  channels: readonly StoredChannel[];
  /** ms since epoch. */
  now: number;
  maxOpenRequestsPerBuyer: number;
  maxAbandonedPerBuyer: number;
  abandonedExpirySeconds: number;
  /** The session signer's record; read only for a signer that is not the buyer. */
  signerRecord?: SessionSigner;
  /** The route's allocation. */
  allocation?: RouteAllocation;
};

/** One pure rule of the money check: `undefined` when the request passes it, else why it is refused. */
export type MoneyCheck = (context: MoneyContext) => PaymentError | undefined;

/** A voucher may never go down: the escrow redeems a channel's highest one. */
export const voucherNotLower: MoneyCheck = ({ voucher, stored }) => {
  if (stored === undefined || voucher.amount >= stored.voucher.amount) return undefined;
  return new PaymentError("voucher_not_increasing", "The voucher is lower than one already received.", {
    details: `voucher ${voucher.amount}, best received ${stored.voucher.amount}`,
  });
};

/** The voucher covers the channel's completed requests (one request of credit, no more). */
export const voucherCoversChannel: MoneyCheck = ({ voucher, owed }) => {
  if (voucher.amount >= owed) return undefined;
  return new PaymentError(
    "voucher_insufficient",
    "The voucher does not cover the session's earlier requests.",
    {
      details: `voucher ${voucher.amount}, owed ${owed}`,
    },
  );
};

/** No other channel of the buyer is left short by its settle voucher. */
export const buyerCoversOtherChannels: MoneyCheck = ({ uncoveredElsewhere }) => {
  const other = uncoveredElsewhere[0];
  if (other === undefined) return undefined;
  return new PaymentError("voucher_insufficient", "An earlier request of this buyer is not covered.", {
    details: `channel ${other.channelId} owes ${other.owed}`,
  });
};

/** The buyer has fewer than `maxOpenRequestsPerBuyer` requests open here. */
export const openRequestsWithinLimit: MoneyCheck = ({ open, maxOpenRequestsPerBuyer }) => {
  if (open.length < maxOpenRequestsPerBuyer) return undefined;
  return new PaymentError("too_many_open_requests", "Too many of this buyer's requests are open at once.", {
    details: `${open.length} open, at most ${maxOpenRequestsPerBuyer}`,
    hint: "Send fewer requests at once; retry when one has finished.",
    retryAfterSeconds: 1,
  });
};

/** The buyer abandoned fewer than `maxAbandonedPerBuyer` requests lately; retry once the oldest expires. */
export const abandonedWithinLimit: MoneyCheck = (context) => {
  const { abandoned, maxAbandonedPerBuyer, abandonedExpirySeconds, now } = context;
  if (abandoned.length < maxAbandonedPerBuyer) return undefined;
  const expires = abandoned[0]! + abandonedExpirySeconds * 1000;
  return new PaymentError(
    "too_many_open_requests",
    "Too many of this buyer's requests ended unsettled here lately.",
    {
      details: `${abandoned.length} abandoned within ${abandonedExpirySeconds} s, at most ${maxAbandonedPerBuyer}`,
      hint: "A settled request clears them; otherwise the oldest is forgotten when it expires.",
      retryAfterSeconds: Math.max(1, Math.ceil((expires - now) / 1000)),
    },
  );
};

/** What this channel's voucher adds beyond what the channel already paid on-chain. */
function thisChannel({ voucher, stored }: MoneyContext): bigint {
  return voucher.amount - (stored?.paid ?? 0n);
}

/**
 * A session signer's spend limit covers what it spent, its unredeemed vouchers here, this channel and every open
 * request of the buyer. A cut the buyer scheduled binds from its start: counting it now keeps every voucher
 * accepted redeemable. Passes for the buyer's own key, or when the record was not read.
 */
export const signerWithinLimit: MoneyCheck = (context) => {
  const { buyer, signer, signerRecord: record } = context;
  if (signer === buyer || record === undefined) return undefined;
  const reserved = context.open.reduce((sum, r) => sum + r.maxCost, 0n) + context.maxCost;
  const bySigner = context.channels
    .filter((c) => c.signer === signer)
    .reduce((s, c) => s + c.voucher.amount - c.paid, 0n);
  const needed = record.spent + bySigner + thisChannel(context) + reserved;
  const limit =
    record.pendingLimitFrom === 0n ? record.spendLimit : smaller(record.spendLimit, record.pendingLimit);
  if (needed <= limit) return undefined;
  return new PaymentError("signer_limit_exceeded", "This API key's spend limit would be exceeded.", {
    details: `limit ${limit}, spent ${record.spent}, would need ${needed}`,
    hint: "Raise the key's limit with authorizeSigner, or create a new key.",
  });
};

/**
 * The route's allocation, less what is releasing, covers every unredeemed voucher of this route here, the open
 * requests on it and this one. Vouchers of the buyer's other routes are paid by their own allocations. Passes
 * when the allocation was not read.
 */
export const allocationCoversRequest: MoneyCheck = (context) => {
  const { voucher, allocation } = context;
  if (allocation === undefined) return undefined;
  const id = computeAllocationId(voucher);
  const unredeemed =
    context.channels
      .filter((c) => computeAllocationId(c.voucher) === id)
      .reduce((sum, c) => sum + c.voucher.amount - c.paid, 0n) + thisChannel(context);
  const reserved =
    context.open.filter((r) => r.allocationId === id).reduce((sum, r) => sum + r.maxCost, 0n) +
    context.maxCost;
  const available = allocation.amount > allocation.releasing ? allocation.amount - allocation.releasing : 0n;
  if (available >= unredeemed + reserved) return undefined;
  return new PaymentError(
    "insufficient_balance",
    "The buyer's allocation to this route does not cover this request.",
    {
      details: `allocation available ${available}, needed ${unredeemed + reserved} (unredeemed ${unredeemed}, this and open requests ${reserved}); allocation ${id}`,
      hint: "Allocate to this route in the PaymentEscrow (allocate), or cancel a pending release. The unallocated balance does not count: any route may spend it first.",
    },
  );
};

/** The checks of the channel itself; a voucher that passes them clears the channel's uncovered mark. */
export const channelChecks: readonly MoneyCheck[] = [voucherNotLower, voucherCoversChannel];

/** The checks of the buyer's standing here, from the ledger's own state. */
export const buyerChecks: readonly MoneyCheck[] = [
  buyerCoversOtherChannels,
  openRequestsWithinLimit,
  abandonedWithinLimit,
];

/** The whole money check, in order: the ledger runs it in these stages, reading the chain only when needed. */
export const moneyChecks: readonly MoneyCheck[] = [
  ...channelChecks,
  ...buyerChecks,
  signerWithinLimit,
  allocationCoversRequest,
];

/** The first check's refusal, in order, or `undefined` when the request passes them all. */
export function firstFailure(checks: readonly MoneyCheck[], context: MoneyContext): PaymentError | undefined {
  for (const check of checks) {
    const failure = check(context);
    if (failure !== undefined) return failure;
  }
  return undefined;
}

function smaller(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
