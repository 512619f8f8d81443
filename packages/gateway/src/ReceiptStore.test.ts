import { ReceiptStore } from "./ReceiptStore.js";

const buyer = "0x3333333333333333333333333333333333333333";
const other = "0x4444444444444444444444444444444444444444";
const modelId = `0x${"ab".repeat(32)}` as const;
const entry = (error: string) => ({ buyer, modelId, receipts: { error } }) as const;

describe("ReceiptStore", () => {
  test("answers only the buyer it stored for", () => {
    const store = new ReceiptStore();
    store.put("cmpl-1", entry("one"));
    expect(store.get("cmpl-1", buyer)).toEqual({ error: "one" });
    expect(store.get("cmpl-1", buyer.toUpperCase().replace("0X", "0x") as typeof buyer)).toEqual({
      error: "one",
    });
    expect(store.get("cmpl-1", other)).toBeUndefined();
    expect(store.get("cmpl-2", buyer)).toBeUndefined();
    expect(store.modelOf("cmpl-1")).toBe(modelId);
  });

  test("is bounded by count (the oldest goes first) and by age", () => {
    let now = 0;
    const store = new ReceiptStore({ maxEntries: 2, maxAgeMs: 1000 }, () => now);
    store.put("a", entry("a"));
    now = 400;
    store.put("b", entry("b"));
    store.put("c", entry("c"));
    expect(store.size).toBe(2);
    expect(store.get("a", buyer)).toBeUndefined();
    expect(store.get("b", buyer)).toEqual({ error: "b" });
    now = 1401;
    expect(store.get("b", buyer)).toBeUndefined();
    expect(store.get("c", buyer)).toBeUndefined();
    expect(store.size).toBe(0);
  });
});
