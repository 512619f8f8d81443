import { DatabaseSync } from "node:sqlite";
import { type Address, getAddress, type Hex } from "viem";
import type { Voucher } from "../../contracts/types.js";
import type { TokenCounts } from "../tokenCounts.js";

/** A channel as a runner remembers it: its best voucher, what it has paid, and what it has served. */
export type StoredChannel = {
  channelId: Hex;
  voucher: Voucher;
  signature: Hex;
  signer: Address;
  /** What the channel has paid on-chain, as far as this runner knows. */
  paid: bigint;
  /** Usage of the channel's completed requests as this runner measured it. */
  measured: TokenCounts;
  /** The same usage as the gateway declared it (replayed context counted as output). */
  declared: TokenCounts;
  /** Unix seconds by which the voucher must be redeemed (signer validity or the buyer's thaw). */
  deadline: number;
  /** Last change, ms since epoch: the settler redeems channels idle for a while. */
  updatedAt: number;
  /** Why the last redemption of this voucher reverted, if it did; cleared by a higher voucher. */
  failure: string | undefined;
};

type Row = {
  channel_id: string;
  buyer: string;
  signer: string;
  model_id: string;
  session_id: string;
  route: string;
  amount: string;
  signature: string;
  paid: string;
  measured_in: string;
  measured_out: string;
  declared_in: string;
  declared_out: string;
  deadline: number;
  updated_at: number;
  failure: string | null;
};

const schema = `
CREATE TABLE IF NOT EXISTS channels (
  channel_id TEXT PRIMARY KEY,
  buyer TEXT NOT NULL,
  signer TEXT NOT NULL,
  model_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  route TEXT NOT NULL,
  amount TEXT NOT NULL,
  signature TEXT NOT NULL,
  paid TEXT NOT NULL DEFAULT '0',
  measured_in TEXT NOT NULL DEFAULT '0',
  measured_out TEXT NOT NULL DEFAULT '0',
  declared_in TEXT NOT NULL DEFAULT '0',
  declared_out TEXT NOT NULL DEFAULT '0',
  deadline INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  failure TEXT,
  unredeemed INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS channels_unredeemed ON channels (unredeemed, buyer);
`;

/**
 * The best voucher of every channel a runner served, in SQLite (`node:sqlite`) with `synchronous=FULL`: a call
 * that stores a voucher returns only once it is on disk, so a runner acknowledges nothing it could lose in a crash.
 * Amounts are kept as decimal text (they exceed 2^63).
 * @example
 * const store = VoucherStore.open(".teetee/vouchers.sqlite");
 * store.saveVoucher({ channelId, voucher, signature, signer, deadline, now: Date.now() });
 */
export class VoucherStore {
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (creating if needed) the store at `path`; `:memory:` for tests that need no durability. */
  static open(path: string): VoucherStore {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    db.exec(schema);
    return new VoucherStore(db);
  }

  get(channelId: Hex): StoredChannel | undefined {
    const row = this.#db.prepare("SELECT * FROM channels WHERE channel_id = ?").get(channelId.toLowerCase());
    return row === undefined ? undefined : fromRow(row as Row);
  }

  /**
   * Stores `voucher` if its channel is new or it is higher than the stored one; returns whether it was stored.
   * A higher voucher clears a previous redemption failure.
   */
  saveVoucher(entry: {
    channelId: Hex;
    voucher: Voucher;
    signature: Hex;
    signer: Address;
    deadline: number;
    now: number;
  }): boolean {
    const existing = this.get(entry.channelId);
    if (existing !== undefined) {
      if (entry.voucher.amount <= existing.voucher.amount) return false;
      this.#db
        .prepare(
          `UPDATE channels SET amount = ?, signature = ?, signer = ?, deadline = ?, updated_at = ?, failure = NULL,
           unredeemed = ? WHERE channel_id = ?`,
        )
        .run(
          entry.voucher.amount.toString(),
          entry.signature,
          entry.signer,
          entry.deadline,
          entry.now,
          entry.voucher.amount > existing.paid ? 1 : 0,
          entry.channelId.toLowerCase(),
        );
      return true;
    }
    const { voucher } = entry;
    this.#db
      .prepare(
        `INSERT INTO channels (channel_id, buyer, signer, model_id, session_id, route, amount, signature, deadline,
         updated_at, unredeemed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.channelId.toLowerCase(),
        getAddress(voucher.buyer),
        getAddress(entry.signer),
        voucher.modelId,
        voucher.sessionId,
        JSON.stringify(voucher.route),
        voucher.amount.toString(),
        entry.signature,
        entry.deadline,
        entry.now,
        voucher.amount > 0n ? 1 : 0,
      );
    return true;
  }

  /** Records the usage of the channel's completed requests (cumulative). */
  saveCompleted(channelId: Hex, measured: TokenCounts, declared: TokenCounts, now: number): void {
    this.#db
      .prepare(
        `UPDATE channels SET measured_in = ?, measured_out = ?, declared_in = ?, declared_out = ?, updated_at = ?
         WHERE channel_id = ?`,
      )
      .run(
        measured.inputTokens.toString(),
        measured.outputTokens.toString(),
        declared.inputTokens.toString(),
        declared.outputTokens.toString(),
        now,
        channelId.toLowerCase(),
      );
  }

  /** Records what the channel has paid on-chain (never lowers it). */
  markPaid(channelId: Hex, paid: bigint): void {
    const existing = this.get(channelId);
    if (existing === undefined || paid <= existing.paid) return;
    this.#db
      .prepare("UPDATE channels SET paid = ?, unredeemed = ?, failure = NULL WHERE channel_id = ?")
      .run(paid.toString(), existing.voucher.amount > paid ? 1 : 0, channelId.toLowerCase());
  }

  /** Records why redeeming the stored voucher reverted, so the settler stops retrying it. */
  markFailed(channelId: Hex, reason: string): void {
    this.#db
      .prepare("UPDATE channels SET failure = ? WHERE channel_id = ?")
      .run(reason, channelId.toLowerCase());
  }

  /** Channels whose best voucher is above what they paid, optionally of one buyer. */
  unredeemed(buyer?: Address): StoredChannel[] {
    const rows =
      buyer === undefined
        ? this.#db.prepare("SELECT * FROM channels WHERE unredeemed = 1").all()
        : this.#db
            .prepare("SELECT * FROM channels WHERE unredeemed = 1 AND buyer = ?")
            .all(getAddress(buyer));
    return (rows as Row[]).map(fromRow);
  }

  /** Runs `write` in one transaction: one fsync for several changes, all or none of them on disk. */
  transaction<T>(write: () => T): T {
    if (this.#db.isTransaction) return write();
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = write();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Whether the database is still open: false once {@link close} ran. */
  get isOpen(): boolean {
    return this.#db.isOpen;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

function fromRow(row: Row): StoredChannel {
  return {
    channelId: row.channel_id as Hex,
    voucher: {
      buyer: getAddress(row.buyer),
      modelId: row.model_id as Hex,
      sessionId: row.session_id as Hex,
      route: (JSON.parse(row.route) as string[]).map((a) => getAddress(a)),
      amount: BigInt(row.amount),
    },
    signature: row.signature as Hex,
    signer: getAddress(row.signer),
    paid: BigInt(row.paid),
    measured: { inputTokens: BigInt(row.measured_in), outputTokens: BigInt(row.measured_out) },
    declared: { inputTokens: BigInt(row.declared_in), outputTokens: BigInt(row.declared_out) },
    deadline: row.deadline,
    updatedAt: row.updated_at,
    failure: row.failure ?? undefined,
  };
}
