import { PaymentError } from "@teetee/sdk/payments";
import { retryAfterOf } from "@teetee/sdk/wire";
import { messageOf, statusOf } from "./errors.js";
import { paymentRefusal } from "./runnerPayments.js";

describe("a payment refusal as the runner answers it", () => {
  test("a buyer over its concurrency limit is told 429 and when to retry, not 402", () => {
    const refusal = paymentRefusal(
      new PaymentError("too_many_open_requests", "Too many of this buyer's requests are open at once.", {
        retryAfterSeconds: 7,
      }),
    );
    expect(statusOf(refusal)).toBe(429);
    expect(messageOf(refusal)).toMatch(/^too_many_open_requests: /);
    expect(retryAfterOf(messageOf(refusal))).toBe(7);
  });

  test.each([
    "insufficient_balance",
    "signer_limit_exceeded",
    "voucher_insufficient",
    "payment_required",
  ] as const)("%s is 402 with no retry hint", (code) => {
    const refusal = paymentRefusal(new PaymentError(code, "No."));
    expect(statusOf(refusal)).toBe(402);
    expect(retryAfterOf(messageOf(refusal))).toBeUndefined();
  });
});
