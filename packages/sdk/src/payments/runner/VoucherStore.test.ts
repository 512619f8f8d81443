import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Voucher } from "../../contracts/types.js";
import { channelId } from "../../contracts/voucher/channelId.js";
import { VoucherStore } from "./VoucherStore.js";

const buyer = privateKeyToAccount(generatePrivateKey()).address;
const signer = privateKeyToAccount(generatePrivateKey()).address;
const voucher = (amount: bigint): Voucher => ({
  buyer,
  modelId: keccak256(toHex("m")),
  sessionId: keccak256(toHex("s")),
  route: [signer, buyer],
  amount,
});
const id: Hex = channelId(voucher(0n));
const signature: Hex = `0x${"ab".repeat(65)}`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("VoucherStore", () => {
  test("keeps the best voucher per channel, its usage and what it paid, across a reopen", () => {
    const file = path.join(dir, "v.sqlite");
    const store = VoucherStore.open(file);
    expect(
      store.saveVoucher({ channelId: id, voucher: voucher(10n), signature, signer, deadline: 99, now: 1 }),
    ).toBe(true);
    expect(
      store.saveVoucher({
        channelId: id,
        voucher: voucher(2n ** 200n),
        signature,
        signer,
        deadline: 99,
        now: 2,
      }),
    ).toBe(true);
    expect(
      store.saveVoucher({ channelId: id, voucher: voucher(5n), signature, signer, deadline: 99, now: 3 }),
    ).toBe(false);
    store.saveCompleted(id, { inputTokens: 3n, outputTokens: 4n }, { inputTokens: 1n, outputTokens: 6n }, 4);
    store.markPaid(id, 7n);
    store.close();

    const reopened = VoucherStore.open(file);
    const channel = reopened.get(id);
    expect(channel).toMatchObject({
      voucher: voucher(2n ** 200n),
      signature,
      signer,
      paid: 7n,
      measured: { inputTokens: 3n, outputTokens: 4n },
      declared: { inputTokens: 1n, outputTokens: 6n },
      deadline: 99,
      updatedAt: 4,
    });
    expect(reopened.unredeemed(buyer).map((c) => c.channelId)).toEqual([id]);
    reopened.markPaid(id, 2n ** 200n);
    expect(reopened.unredeemed()).toEqual([]);
    reopened.markPaid(id, 1n);
    expect(reopened.get(id)?.paid).toBe(2n ** 200n);
    reopened.close();
  });

  test("a redemption failure is remembered until a higher voucher arrives", () => {
    const store = VoucherStore.open(":memory:");
    store.saveVoucher({ channelId: id, voucher: voucher(10n), signature, signer, deadline: 0, now: 0 });
    store.markFailed(id, "EscrowSignerExpired");
    expect(store.get(id)?.failure).toBe("EscrowSignerExpired");
    store.saveVoucher({ channelId: id, voucher: voucher(11n), signature, signer, deadline: 0, now: 0 });
    expect(store.get(id)?.failure).toBeUndefined();
    store.close();
  });
});
