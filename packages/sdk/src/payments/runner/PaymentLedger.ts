import { type Address, getAddress, type Hex, isAddressEqual } from "viem";
import type { Voucher } from "../../contracts/types.js";
import { allocationId as computeAllocationId } from "../../contracts/voucher/allocationId.js";
import { channelId as computeChannelId } from "../../contracts/voucher/channelId.js";
import { PaymentError } from "../errors.js";
import type { PaymentChainReader } from "../PaymentChainReader.js";
import { decodePaymentTicket, type PaymentTicket, requestIdOf } from "../paymentTicket.js";
import { addCounts, costOfCounts, type ModelPrices, type TokenCounts, zeroCounts } from "../tokenCounts.js";
import {
  allocationCoversRequest,
  buyerChecks,
  channelChecks,
  firstFailure,
  type MoneyContext,
  signerWithinLimit,
} from "./moneyChecks.js";
import type { VoucherStore } from "./VoucherStore.js";
import { VoucherSignatureVerifier, verifyTicketSignature } from "./verifyTicketSignature.js";

export type PaymentLedgerParameters = {
  /** This runner's address, model and shard: the route must name it there. */
  runner: Address;
  modelId: Hex;
  shardIndex: number;
  shardCount: number;
  chainId: number;
  paymentEscrow: Address;
  reader: PaymentChainReader;
  store: VoucherStore;
  /** ms since epoch. */
  now?: () => number;
  /** A signer must stay valid, and a buyer's thaw last, this long after a request so it can settle. Default 300 s. */
  settleMarginSeconds?: number;
  /** Requests of one buyer served at once. Default 8. */
  maxOpenRequestsPerBuyer?: number;
  /** Requests a buyer may abandon (end without a settle voucher) before it must settle again. Default 4. */
  maxAbandonedPerBuyer?: number;
  /**
   * How long an abandoned request counts against its buyer. Default 120 s. A settle clears them at once; this
   * bound keeps a buyer whose every request is refused (so none can settle) from being locked out for good.
   */
  abandonedExpirySeconds?: number;
};

/** A request the ledger let through. */
export type Admission = {
  requestId: Hex;
  channelId: Hex;
  buyer: Address;
  /** A contributor with a routable runner on the model, using it free of charge. */
  free: boolean;
  /** The most the request can add to the channel, reserved against the buyer's balance until it completes. */
  maxCost: bigint;
};

type OpenRequest = Admission & {
  /** The route allocation that pays it. */
  allocationId: Hex;
  signer: Address;
  replayed: bigint;
  measured: TokenCounts;
  prefilled: boolean;
};

/** Request ids remembered against replay; older ones are far beyond any frame's freshness window. */
const maxRememberedRequests = 100_000;

type ChannelUsage = { measured: TokenCounts; declared: TokenCounts };

/**
 * The runner's side of the payments: checks every ticket before a request is served, measures what is served,
 * and keeps each channel's best voucher on disk for the `Settler`. Post-paid with one request of credit: a
 * request's voucher arrives when it completes (`settle`), and a buyer whose completed requests are not covered,
 * who would overdraw its signer's limit or its allocation to this route, or whose key is expired or revoked, is
 * refused. Only the route's allocation counts, never the buyer's unallocated balance: that one any route's voucher
 * (the buyer's own route, too) may spend first, while the allocation pays only this route's vouchers and is released
 * only after a thaw this ledger sees coming.
 *
 * What a request costs is measured here, not taken from the buyer: prompt positions are input, and each token the
 * model produced is output. A replayed context after a failover (`replayedOutputTokens`) may be priced as output
 * instead, but only when that does not lower the cost.
 * @example
 * const admission = await ledger.admit(frame.voucher, { promptTokens: frame.positionCount });
 * ledger.recordFrame(admission.requestId, { kind: "prefill", positionCount });
 * await ledger.settle(settleTicketBytes);
 */
export class PaymentLedger {
  readonly #p: Required<PaymentLedgerParameters>;
  readonly #open = new Map<Hex, OpenRequest>();
  readonly #seen = new Set<Hex>();
  readonly #uncovered = new Map<Hex, { buyer: Address; owed: bigint }>();
  /** Per buyer, when each of its abandoned requests was abandoned (ms). */
  readonly #abandoned = new Map<Address, number[]>();
  readonly #signatures = new VoucherSignatureVerifier();

  constructor(parameters: PaymentLedgerParameters) {
    this.#p = {
      now: Date.now,
      settleMarginSeconds: 300,
      maxOpenRequestsPerBuyer: 8,
      maxAbandonedPerBuyer: 4,
      abandonedExpirySeconds: 120,
      ...parameters,
      runner: getAddress(parameters.runner),
    };
  }

  /**
   * Free use, bounded: only while the buyer has a routable runner on this model (active, backed by its own stake
   * lock, attested within the model's TTL, compose hash still allowed), as the registry says now; a slash of that
   * runner, its attestation going stale or its deactivation ends it.
   */
  #isFreeUse(ticket: PaymentTicket): Promise<boolean> {
    return this.#p.reader.isActiveContributor(ticket.voucher.modelId, ticket.voucher.buyer);
  }

  /**
   * Checks a request's ticket and, when it passes, stores its voucher durably and opens the request.
   * @param promptTokens positions the request's prefill carries (prices the request's maximum cost)
   * @throws PaymentError with the reason of the refusal
   */
  async admit(
    ticketOrBytes: PaymentTicket | Uint8Array,
    request: { promptTokens: number },
  ): Promise<Admission> {
    const ticket = await this.#checkTicket(ticketOrBytes, "request");
    const { voucher } = ticket;
    const requestId = ticket.requestId.toLowerCase() as Hex;
    if (this.#seen.has(requestId)) {
      throw new PaymentError("voucher_replayed", "This request id was already served.", {
        hint: "Each request needs a fresh wire session id.",
      });
    }
    const channelId = computeChannelId(voucher);
    const signer = await this.#checkSigner(ticket);
    const free = await this.#isFreeUse(ticket);
    const prices = await this.#modelPrices();
    const maxCost = free
      ? 0n
      : costOfCounts(
          { inputTokens: BigInt(request.promptTokens), outputTokens: BigInt(ticket.maxOutputTokens) },
          prices,
        ) + 1n;
    if (!free) {
      this.#completeChannelRequests(channelId);
      await this.#checkMoney(ticket, channelId, signer, maxCost, prices);
    }
    const deadline = free ? 0 : await this.#deadline(voucher, signer);
    if (!free) {
      this.#p.store.saveVoucher({
        channelId,
        voucher,
        signature: ticket.signature,
        signer,
        deadline,
        now: this.#p.now(),
      });
    }
    const admission: Admission = { requestId, channelId, buyer: getAddress(voucher.buyer), free, maxCost };
    this.#remember(requestId);
    this.#open.set(requestId, {
      ...admission,
      allocationId: computeAllocationId(voucher),
      signer,
      replayed: BigInt(ticket.replayedOutputTokens),
      measured: zeroCounts,
      prefilled: false,
    });
    return admission;
  }

  /**
   * Measures one forward pass of an open request: prefill positions are input tokens; the prefill's sampled token
   * and each decode position are output tokens.
   */
  recordFrame(requestId: Hex, frame: { kind: "prefill" | "decode"; positionCount: number }): void {
    const open = this.#open.get(requestId.toLowerCase() as Hex);
    if (open === undefined) return;
    const count = BigInt(frame.positionCount);
    const first = frame.kind === "prefill" && !open.prefilled ? 1n : 0n;
    open.prefilled ||= frame.kind === "prefill";
    open.measured =
      frame.kind === "prefill"
        ? addCounts(open.measured, { inputTokens: count, outputTokens: first })
        : addCounts(open.measured, { inputTokens: 0n, outputTokens: count });
  }

  /**
   * The whole payment check of one wire frame, for a runner's payment hook: a request ticket opens the request
   * (once; later frames may repeat it), prefill and decode frames are measured, and a `drop` frame settles the
   * request with the settle ticket it carries, or abandons it without one.
   * @throws PaymentError `payment_required` for a frame of a request that was never admitted
   */
  async authorizeFrame(frame: {
    kind: string;
    sessionId: Uint8Array;
    positionCount: number;
    voucher: Uint8Array;
  }): Promise<void> {
    const requestId = requestIdOf(frame.sessionId);
    const ticket = frame.voucher.length === 0 ? undefined : decodePaymentTicket(frame.voucher);
    if (frame.kind === "drop") {
      if (ticket?.kind === "settle") await this.settle(ticket);
      else this.abandon(requestId);
      return;
    }
    if (ticket?.kind === "request" && !this.#open.has(requestId)) {
      if (ticket.requestId.toLowerCase() !== requestId) {
        throw new PaymentError(
          "invalid_ticket",
          "The ticket names another request than the frame's session.",
        );
      }
      await this.admit(ticket, { promptTokens: frame.positionCount });
    }
    if (!this.#open.has(requestId)) {
      throw new PaymentError("payment_required", "This request carries no payment ticket.", {
        hint: "Send the request ticket (a signed voucher) with the session's first frame.",
      });
    }
    if (frame.kind === "prefill" || frame.kind === "decode")
      this.recordFrame(requestId, { ...frame, kind: frame.kind });
  }

  /** What has been measured so far for an open request. */
  usage(requestId: Hex): TokenCounts | undefined {
    return this.#open.get(requestId.toLowerCase() as Hex)?.measured;
  }

  /**
   * Completes a request with the voucher covering it and stores the voucher durably.
   * @throws PaymentError `voucher_insufficient` when it does not cover the channel's completed requests (the buyer
   * is then refused until a voucher that does arrives).
   */
  async settle(
    ticketOrBytes: PaymentTicket | Uint8Array,
  ): Promise<{ channelId: Hex; amount: bigint; owed: bigint }> {
    const ticket = await this.#checkTicket(ticketOrBytes, "settle");
    const channelId = computeChannelId(ticket.voucher);
    const open = this.#open.get(ticket.requestId.toLowerCase() as Hex);
    if (open !== undefined && open.channelId !== channelId) {
      throw new PaymentError(
        "unknown_request",
        "The settle voucher is for another channel than its request.",
      );
    }
    if (open?.free) {
      this.#open.delete(open.requestId);
      return { channelId, amount: 0n, owed: 0n };
    }
    const signer = await this.#checkSigner(ticket);
    const deadline = await this.#deadline(ticket.voucher, signer);
    this.#abandoned.delete(getAddress(ticket.voucher.buyer));
    const stored = this.#p.store.get(channelId);
    if (stored === undefined) {
      throw new PaymentError("unknown_request", "No request of this channel was served here.");
    }
    const now = this.#p.now();
    // The request's usage and the voucher covering it reach the disk together.
    this.#p.store.transaction(() => {
      if (open !== undefined) this.#complete(open);
      this.#p.store.saveVoucher({
        channelId,
        voucher: ticket.voucher,
        signature: ticket.signature,
        signer,
        deadline,
        now,
      });
    });
    const owed = this.#owed(channelId, await this.#modelPrices());
    const amount = larger(ticket.voucher.amount, stored.voucher.amount);
    if (amount < owed) {
      this.#uncovered.set(channelId, { buyer: getAddress(ticket.voucher.buyer), owed });
      throw new PaymentError(
        "voucher_insufficient",
        "The settle voucher does not cover the completed requests.",
        {
          details: `voucher ${amount}, owed ${owed}`,
        },
      );
    }
    this.#uncovered.delete(channelId);
    return { channelId, amount, owed };
  }

  /**
   * Ends an open request without a settle voucher (the gateway failed over, or went away). Its cost is this
   * runner's credit to the buyer, who may do this `maxAbandonedPerBuyer` times before settling again.
   */
  abandon(requestId: Hex): void {
    const open = this.#open.get(requestId.toLowerCase() as Hex);
    if (open === undefined) return;
    this.#open.delete(open.requestId);
    if (!open.free) this.#abandoned.set(open.buyer, [...this.#liveAbandoned(open.buyer), this.#p.now()]);
  }

  /** Requests admitted and not yet settled or abandoned. */
  get openRequests(): number {
    return this.#open.size;
  }

  async #checkTicket(
    ticketOrBytes: PaymentTicket | Uint8Array,
    kind: PaymentTicket["kind"],
  ): Promise<PaymentTicket> {
    const ticket = ticketOrBytes instanceof Uint8Array ? decodePaymentTicket(ticketOrBytes) : ticketOrBytes;
    if (ticket.kind !== kind)
      throw new PaymentError("invalid_ticket", `Expected a ${kind} ticket, got ${ticket.kind}.`);
    await verifyTicketSignature({
      ticket,
      chainId: this.#p.chainId,
      paymentEscrow: this.#p.paymentEscrow,
      verifier: this.#signatures,
    });
    const { voucher } = ticket;
    if (voucher.modelId.toLowerCase() !== this.#p.modelId.toLowerCase()) {
      throw new PaymentError("wrong_model", "The voucher pays for another model.", {
        details: `voucher ${voucher.modelId}, runner ${this.#p.modelId}`,
      });
    }
    const hop = voucher.route[this.#p.shardIndex];
    if (
      voucher.route.length !== this.#p.shardCount ||
      hop === undefined ||
      !isAddressEqual(hop, this.#p.runner) ||
      repeatsRunner(voucher.route)
    ) {
      throw new PaymentError("wrong_route", "The voucher's route does not name this runner on its shard.", {
        details: `route ${voucher.route.join(",")}; runner ${this.#p.runner} on shard ${this.#p.shardIndex} of ${this.#p.shardCount}; the escrow refuses a route naming one runner twice`,
      });
    }
    return ticket;
  }

  /** The signer's address once it is the buyer itself, or a session signer authorised, unrevoked and unexpired. */
  async #checkSigner(ticket: PaymentTicket): Promise<Address> {
    const buyer = getAddress(ticket.voucher.buyer);
    const signer = getAddress(ticket.signer);
    if (signer === buyer) return signer;
    const [record, revoked] = await Promise.all([
      this.#p.reader.sessionSigner(buyer, signer),
      this.#p.reader.isSignerRevoked(buyer, signer),
    ]);
    if (record.validUntil === 0n) {
      throw new PaymentError("signer_not_authorized", "This API key is not authorised by its buyer.", {
        details: `buyer ${buyer}, signer ${signer}`,
        hint: "Authorise the key on-chain with authorizeSigner (teetee key create).",
      });
    }
    if (revoked) {
      throw new PaymentError("signer_revoked", "This API key was revoked by its buyer.", {
        hint: "Create a new API key.",
      });
    }
    const margin = BigInt(this.#p.settleMarginSeconds);
    if (record.validUntil < BigInt(Math.floor(this.#p.now() / 1000)) + margin) {
      throw new PaymentError("signer_expired", "This API key has expired (or expires too soon to settle).", {
        details: `valid until ${record.validUntil}`,
        hint: "Create a new API key, or extend this one with authorizeSigner.",
      });
    }
    return signer;
  }

  /**
   * The money check ({@link moneyChecks}, first refusal wins), in stages so the chain is read only when the
   * ledger's own state lets the request through: the channel, the buyer's standing, the signer's limit, the route
   * allocation. A voucher that covers its channel clears the channel's uncovered mark, whatever follows.
   */
  async #checkMoney(
    ticket: PaymentTicket,
    channelId: Hex,
    signer: Address,
    maxCost: bigint,
    prices: ModelPrices,
  ): Promise<void> {
    const { voucher } = ticket;
    const buyer = getAddress(voucher.buyer);
    const context: MoneyContext = {
      voucher,
      buyer,
      signer,
      channelId,
      stored: this.#p.store.get(channelId),
      owed: this.#owed(channelId, prices),
      uncoveredElsewhere: [...this.#uncovered]
        .filter(([other, entry]) => other !== channelId && entry.buyer === buyer)
        .map(([other, entry]) => ({ channelId: other, owed: entry.owed })),
      open: [...this.#open.values()].filter((r) => r.buyer === buyer),
      maxCost,
      abandoned: this.#liveAbandoned(buyer),
      channels: this.#p.store.unredeemed(buyer).filter((c) => c.channelId !== channelId),
      now: this.#p.now(),
      maxOpenRequestsPerBuyer: this.#p.maxOpenRequestsPerBuyer,
      maxAbandonedPerBuyer: this.#p.maxAbandonedPerBuyer,
      abandonedExpirySeconds: this.#p.abandonedExpirySeconds,
    };
    refuseOn(firstFailure(channelChecks, context));
    this.#uncovered.delete(channelId);
    refuseOn(firstFailure(buyerChecks, context));
    if (signer !== buyer) {
      context.signerRecord = await this.#p.reader.sessionSigner(buyer, signer);
      refuseOn(signerWithinLimit(context));
    }
    context.allocation = await this.#p.reader.routeAllocation(voucher.buyer, voucher.modelId, voucher.route);
    refuseOn(allocationCoversRequest(context));
  }

  /** The buyer's abandoned requests younger than `abandonedExpirySeconds`; older ones are forgotten. */
  #liveAbandoned(buyer: Address): number[] {
    const since = this.#p.now() - this.#p.abandonedExpirySeconds * 1000;
    const live = (this.#abandoned.get(buyer) ?? []).filter((at) => at > since);
    if (live.length === 0) this.#abandoned.delete(buyer);
    else this.#abandoned.set(buyer, live);
    return live;
  }

  /** Completing an earlier request of the channel is implied by the channel's next request. */
  #completeChannelRequests(channelId: Hex): void {
    for (const open of [...this.#open.values()]) {
      if (open.channelId === channelId && !open.free) this.#complete(open);
    }
  }

  #complete(open: OpenRequest): void {
    this.#open.delete(open.requestId);
    const stored = this.#p.store.get(open.channelId);
    if (stored === undefined) return;
    const replayed = smaller(open.replayed, open.measured.inputTokens);
    const declared: TokenCounts = {
      inputTokens: open.measured.inputTokens - replayed,
      outputTokens: open.measured.outputTokens + replayed,
    };
    const usage: ChannelUsage = {
      measured: addCounts(stored.measured, open.measured),
      declared: addCounts(stored.declared, declared),
    };
    this.#p.store.saveCompleted(open.channelId, usage.measured, usage.declared, this.#p.now());
  }

  /** What the channel's completed requests cost: measured, or as declared when that is lower. */
  #owed(channelId: Hex, prices: ModelPrices): bigint {
    const stored = this.#p.store.get(channelId);
    if (stored === undefined) return 0n;
    const measured = costOfCounts(stored.measured, prices);
    const declared = costOfCounts(stored.declared, prices);
    return smaller(measured, declared);
  }

  /** When the voucher must be redeemed by: the signer's validity, or the end of the route allocation's release. */
  async #deadline(voucher: Voucher, signer: Address): Promise<number> {
    const allocation = await this.#p.reader.routeAllocation(voucher.buyer, voucher.modelId, voucher.route);
    let deadline = Number.MAX_SAFE_INTEGER;
    if (allocation.releasing > 0n) deadline = Number(allocation.releaseEnd);
    if (getAddress(signer) !== getAddress(voucher.buyer)) {
      const record = await this.#p.reader.sessionSigner(voucher.buyer, signer);
      deadline = Math.min(deadline, Number(record.validUntil));
    }
    return deadline;
  }

  /** Read on every request: a curator's price change applies to the whole session, as `computeCost` does. */
  #modelPrices(): Promise<ModelPrices> {
    return this.#p.reader.modelPrices(this.#p.modelId);
  }

  #remember(requestId: Hex): void {
    this.#seen.add(requestId);
    if (this.#seen.size > maxRememberedRequests) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}

function refuseOn(failure: PaymentError | undefined): void {
  if (failure !== undefined) throw failure;
}

function repeatsRunner(route: readonly Address[]): boolean {
  return new Set(route.map((hop) => hop.toLowerCase())).size !== route.length;
}

function smaller(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}

function larger(a: bigint, b: bigint): bigint {
  if (a > b) return a;
  return b;
}
