import { parseReceiptBundle, RECEIPT_CLOCK_SKEW_SECONDS, signReceipt, ZERO_HASH } from "@teetee/sdk/receipts";
import { keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { buildReceiptBundle } from "./buildReceiptBundle.js";
import { testModelId, testReceiptsContext } from "./testFixtures.js";

const { domain } = testReceiptsContext();
const sessionId = `0x${"5e".repeat(16)}` as const;
const now = 1_800_000_000n;

/** A one-shard route's receipt, really signed, dated `issuedAt`. */
async function resultDated(issuedAt: bigint) {
  const signed = await signReceipt(privateKeyToAccount(generatePrivateKey()), {
    ...domain,
    receipt: {
      modelId: testModelId,
      shardIndex: 0,
      sessionId,
      positionStart: 0,
      positionCount: 3,
      paramsHash: keccak256(toHex("params")),
      inputHash: keccak256(toHex("input")),
      outputHash: keccak256(toHex("output")),
      previousReceipt: ZERO_HASH,
      issuedAt,
    },
  });
  return { tokens: [7, 8], receipts: { sessionId, replayedTokens: 0, receipts: [signed] } };
}

const build = async (issuedAt: bigint) =>
  buildReceiptBundle({
    id: "chatcmpl-1",
    domain,
    modelId: testModelId,
    promptIds: [1, 2],
    result: await resultDated(issuedAt),
    text: "hi",
    now,
  });

test("a bundle whose receipts are dated up to RECEIPT_CLOCK_SKEW_SECONDS after now is delivered", async () => {
  const built = await build(now + RECEIPT_CLOCK_SKEW_SECONDS);
  expect("bundle" in built && parseReceiptBundle(built.bundle).receipts[0]!.receipt.issuedAt).toBe(
    now + RECEIPT_CLOCK_SKEW_SECONDS,
  );
  expect("withheld" in built).toBe(false);
});

test("a bundle with a receipt dated more than RECEIPT_CLOCK_SKEW_SECONDS after now is withheld, saying why", async () => {
  const built = await build(now + RECEIPT_CLOCK_SKEW_SECONDS + 1n);
  expect("bundle" in built).toBe(false);
  expect("error" in built && built.error).toMatch(
    /withheld: shard 0's receipt is dated 301 s after the latest block/,
  );
  expect("withheld" in built && built.withheld).toEqual({ shardIndex: 0, issuedAt: now + 301n, now });
});
