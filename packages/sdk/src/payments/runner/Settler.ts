import { paymentEscrowAbi } from "@teetee/contracts/abi";
import { type Hash, type Hex, parseEventLogs, type TransactionReceipt } from "viem";
import { simulateContract, waitForTransactionReceipt } from "viem/actions";
import { ContractRevertError } from "../../contracts/errors.js";
import { type TeeTeeClient, toTeeTeeError } from "../../contracts/internal/contractCalls.js";
import { getChannelPaid } from "../../contracts/paymentEscrow/getChannelPaid.js";
import { redeemVouchers } from "../../contracts/paymentEscrow/redeemVouchers.js";
import type { TeeTeeContracts } from "../../contracts/types.js";
import { type RetryOptions, withRetry } from "../withRetry.js";
import type { StoredChannel, VoucherStore } from "./VoucherStore.js";

export type SettlerParameters = {
  /** A wallet client whose account pays the gas (any account may redeem). */
  client: TeeTeeClient;
  contracts: Pick<TeeTeeContracts, "paymentEscrow">;
  store: VoucherStore;
  /** Redeem everything once this much is unredeemed. Default 1e6 base units. */
  thresholdAmount?: bigint;
  /** Redeem a channel idle this long, ms. Default 10 minutes. */
  idleMs?: number;
  /** Redeem a channel this long before its signer or the buyer's thaw would end, seconds. Default 3600. */
  deadlineMarginSeconds?: number;
  /** How often `start` looks, ms. Default 15 s. */
  pollMs?: number;
  /** Vouchers per transaction. Default 100. */
  maxBatch?: number;
  /** Backoff for RPC failures (reverts are not retried). */
  retry?: RetryOptions;
  now?: () => number;
  log?: (event: SettlerEvent) => void;
};

export type SettlerEvent =
  | { type: "redeemed"; hash: Hash; vouchers: number; gasUsed: bigint }
  | { type: "skipped"; channelId: Hex; paid: bigint }
  | { type: "failed"; channelId: Hex; reason: string }
  | { type: "error"; error: unknown };

export type SettleReport = {
  /** Channels redeemed (their increase paid). */
  redeemed: Hex[];
  /** Channels someone had already settled as far as their voucher goes. */
  skipped: Hex[];
  /** Channels whose voucher reverted (recorded, not retried until a higher voucher arrives). */
  failed: Hex[];
  transactions: { hash: Hash; gasUsed: bigint; vouchers: number }[];
};

/**
 * Redeems a runner's stored vouchers with `redeemBatch`: everything once the unredeemed total passes a threshold,
 * and otherwise each channel that has been idle a while or whose signer or buyer thaw is about to end. Channels
 * already paid as far as their voucher goes (another runner of the route redeemed them) are skipped; RPC failures
 * are retried with backoff; a voucher the batch skipped (`VoucherSkipped`) is simulated alone for its reason and
 * recorded as failed; a batch that reverts as a whole is split.
 * @example
 * const settler = new Settler({ client: runnerWallet, contracts, store });
 * settler.start();
 */
export class Settler {
  readonly #p: Required<Omit<SettlerParameters, "log" | "retry">> & Pick<SettlerParameters, "log" | "retry">;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SettleReport> | undefined;

  constructor(parameters: SettlerParameters) {
    this.#p = {
      thresholdAmount: 1_000_000n,
      idleMs: 600_000,
      deadlineMarginSeconds: 3600,
      pollMs: 15_000,
      maxBatch: 100,
      now: Date.now,
      ...parameters,
    };
  }

  /** Looks every `pollMs` and settles what is due. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running === undefined) {
        this.settle().catch((error: unknown) => this.#p.log?.({ type: "error", error }));
      }
    }, this.#p.pollMs);
    this.#timer.unref();
  }

  /** Whether it looks every `pollMs`: between {@link start} and {@link stop}. */
  get polling(): boolean {
    return this.#timer !== undefined;
  }

  /** Stops looking, after any settlement in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Settles what is due now, or every unredeemed voucher with `force` (e.g. on shutdown). */
  settle(options: { force?: boolean } = {}): Promise<SettleReport> {
    const run = (this.#running ?? Promise.resolve()).then(() => this.#settle(options.force ?? false));
    const tracked = run.finally(() => {
      if (this.#running === tracked) this.#running = undefined;
    });
    this.#running = tracked;
    return tracked;
  }

  /** Channels due for redemption now. */
  due(force = false): StoredChannel[] {
    const channels = this.#p.store.unredeemed().filter((c) => c.failure === undefined);
    const total = channels.reduce((sum, c) => sum + c.voucher.amount - c.paid, 0n);
    if (force || total >= this.#p.thresholdAmount) return channels;
    const now = this.#p.now();
    const horizon = Math.floor(now / 1000) + this.#p.deadlineMarginSeconds;
    return channels.filter((c) => now - c.updatedAt >= this.#p.idleMs || c.deadline <= horizon);
  }

  async #settle(force: boolean): Promise<SettleReport> {
    const report: SettleReport = { redeemed: [], skipped: [], failed: [], transactions: [] };
    const pending: StoredChannel[] = [];
    for (const channel of this.due(force)) {
      const paid = await this.#channelPaid(channel.channelId);
      this.#p.store.markPaid(channel.channelId, paid);
      if (paid >= channel.voucher.amount) {
        report.skipped.push(channel.channelId);
        this.#p.log?.({ type: "skipped", channelId: channel.channelId, paid });
      } else {
        pending.push(channel);
      }
    }
    for (let i = 0; i < pending.length; i += this.#p.maxBatch) {
      await this.#redeem(pending.slice(i, i + this.#p.maxBatch), report);
    }
    return report;
  }

  async #redeem(batch: StoredChannel[], report: SettleReport): Promise<void> {
    try {
      const receipt = await withRetry(async () => {
        const hash = await redeemVouchers(this.#p.client, {
          contracts: this.#p.contracts,
          vouchers: batch.map((c) => ({ voucher: c.voucher, signature: c.signature })),
        });
        return waitForTransactionReceipt(this.#p.client, { hash });
      }, this.#retryOptions());
      if (receipt.status !== "success") throw new Error(`redeemBatch ${receipt.transactionHash} reverted`);
      report.transactions.push({
        hash: receipt.transactionHash,
        gasUsed: receipt.gasUsed,
        vouchers: batch.length,
      });
      this.#p.log?.({
        type: "redeemed",
        hash: receipt.transactionHash,
        vouchers: batch.length,
        gasUsed: receipt.gasUsed,
      });
      const skipped = skippedChannels(receipt);
      for (const channel of batch) {
        const paid = await this.#channelPaid(channel.channelId);
        this.#p.store.markPaid(channel.channelId, paid);
        if (!skipped.has(channel.channelId.toLowerCase())) report.redeemed.push(channel.channelId);
        else if (paid >= channel.voucher.amount) report.skipped.push(channel.channelId);
        else await this.#explainSkip(channel, report);
      }
    } catch (error) {
      if (!(error instanceof ContractRevertError)) throw error;
      if (batch.length > 1) {
        for (const channel of batch) await this.#redeem([channel], report);
        return;
      }
      const [channel] = batch;
      if (channel === undefined) return;
      this.#p.store.markFailed(channel.channelId, error.shortMessage);
      report.failed.push(channel.channelId);
      this.#p.log?.({ type: "failed", channelId: channel.channelId, reason: error.shortMessage });
    }
  }

  /**
   * A voucher the batch skipped: its reason comes from simulating it alone. One that would now pass (the batch ran
   * short of gas, say) stays due; one that reverts is recorded as failed and not retried.
   */
  async #explainSkip(channel: StoredChannel, report: SettleReport): Promise<void> {
    try {
      await simulateContract(this.#p.client, {
        address: this.#p.contracts.paymentEscrow,
        abi: paymentEscrowAbi,
        functionName: "redeem",
        args: [channel.voucher, channel.signature],
        account: this.#p.client.account,
      });
    } catch (error) {
      const reason = toTeeTeeError(error, "redeem");
      if (!(reason instanceof ContractRevertError)) throw reason;
      this.#p.store.markFailed(channel.channelId, reason.shortMessage);
      report.failed.push(channel.channelId);
      this.#p.log?.({ type: "failed", channelId: channel.channelId, reason: reason.shortMessage });
    }
  }

  #channelPaid(channelId: Hex): Promise<bigint> {
    return withRetry(
      () => getChannelPaid(this.#p.client, { contracts: this.#p.contracts, channelId }),
      this.#retryOptions(),
    );
  }

  #retryOptions(): RetryOptions {
    return { ...this.#p.retry, retryable: (error) => !(error instanceof ContractRevertError) };
  }
}

/** Channels whose voucher `redeemBatch` skipped (`VoucherSkipped`), lowercase. */
function skippedChannels(receipt: TransactionReceipt): Set<string> {
  const logs = parseEventLogs({ abi: paymentEscrowAbi, logs: receipt.logs, eventName: "VoucherSkipped" });
  return new Set(logs.map((log) => log.args.channelId.toLowerCase()));
}
