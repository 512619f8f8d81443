import { type ApiKey, parseApiKey } from "@teetee/sdk/payments";
import type { Address, Hex } from "viem";
import { PaymentSessionPool } from "./PaymentSessionPool.js";

const modelId = `0x${"11".repeat(32)}` as Hex;
const route: Address[] = [
  "0x00000000000000000000000000000000000000a1",
  "0x00000000000000000000000000000000000000a2",
];
const prices = { inputPricePerMTok: 1_000n, outputPricePerMTok: 2_000n };
const paymentEscrow = "0x00000000000000000000000000000000000000e5" as Address;

function keyOf(i: number): ApiKey {
  const buyer = (i + 1).toString(16).padStart(40, "0");
  return parseApiKey(`tt_${buyer}_${(i + 1).toString(16).padStart(64, "0")}`);
}

describe("PaymentSessionPool", () => {
  test("a settled session is handed back and reused by the key's next request on the route", () => {
    const pool = new PaymentSessionPool({ chainId: 31337, paymentEscrow });
    const key = keyOf(0);
    const first = pool.lease(key, modelId, route, prices);
    expect(pool.lease(key, modelId, route, prices)).not.toBe(first);
    pool.release(key, first);
    expect(pool.idle).toBe(1);
    expect(pool.lease(key, modelId, route, prices)).toBe(first);
    expect(pool.idle).toBe(0);
  });

  test("idle sessions of keys not used again are dropped after maxIdleMs, so many keys over time stay bounded", () => {
    let now = 0;
    const pool = new PaymentSessionPool({ chainId: 31337, paymentEscrow, maxIdleMs: 60_000, now: () => now });
    // 200 API keys, one request each, one every 10 s: only the last minute's sessions may still be reused.
    for (let i = 0; i < 200; i++) {
      now = i * 10_000;
      const key = keyOf(i);
      pool.release(key, pool.lease(key, modelId, route, prices));
    }
    expect(pool.idle).toBeLessThanOrEqual(7);
    expect(pool.idle).toBeGreaterThan(0);
  });

  test("a session idle past maxIdleMs is not reused: the key's next request opens a new one", () => {
    let now = 0;
    const pool = new PaymentSessionPool({ chainId: 31337, paymentEscrow, maxIdleMs: 60_000, now: () => now });
    const key = keyOf(0);
    const old = pool.lease(key, modelId, route, prices);
    pool.release(key, old);
    now = 60_001;
    expect(pool.lease(key, modelId, route, prices)).not.toBe(old);
  });

  test("sessions at prices the model no longer has are dropped when the key next leases", () => {
    const pool = new PaymentSessionPool({ chainId: 31337, paymentEscrow });
    const key = keyOf(0);
    pool.release(key, pool.lease(key, modelId, route, prices));
    const repriced = { ...prices, outputPricePerMTok: 3_000n };
    const next = pool.lease(key, modelId, route, repriced);
    expect(next.prices).toEqual(repriced);
    expect(pool.idle).toBe(0);
  });
});
