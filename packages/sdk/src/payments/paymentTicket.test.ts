import fc from "fast-check";
import { getAddress, type Hex } from "viem";
import { PaymentError } from "./errors.js";
import {
  decodePaymentTicket,
  encodePaymentTicket,
  type PaymentTicket,
  requestIdOf,
} from "./paymentTicket.js";

const address = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .map((b) => getAddress(`0x${Buffer.from(b).toString("hex")}`));
const bytes32 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);

const ticket: fc.Arbitrary<PaymentTicket> = fc.record({
  kind: fc.constantFrom("request" as const, "settle" as const),
  chainId: fc.integer({ min: 1, max: 2 ** 40 }),
  paymentEscrow: address,
  voucher: fc.record({
    buyer: address,
    modelId: bytes32,
    sessionId: bytes32,
    route: fc.array(address, { minLength: 1, maxLength: 16 }),
    amount: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
  }),
  signature: fc
    .uint8Array({ minLength: 65, maxLength: 65 })
    .map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex),
  signer: address,
  requestId: bytes32,
  maxOutputTokens: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  replayedOutputTokens: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});

describe("payment tickets", () => {
  test("round-trip through their bytes, within a wire frame's voucher limit", () => {
    fc.assert(
      fc.property(ticket, (t) => {
        const encoded = encodePaymentTicket(t);
        expect(encoded.length).toBeLessThanOrEqual(4096);
        expect(decodePaymentTicket(encoded)).toEqual(t);
      }),
    );
  });

  test("garbage is refused as an invalid ticket", () => {
    let failure: unknown;
    try {
      decodePaymentTicket(new Uint8Array([1, 2, 3]));
    } catch (error) {
      failure = error;
    }
    expect(failure instanceof PaymentError && failure.code).toBe("invalid_ticket");
  });

  test("a wire session id pads to a 32-byte request id", () => {
    expect(requestIdOf(new Uint8Array(16).fill(0xff))).toBe(`0x${"ff".repeat(16)}${"00".repeat(16)}`);
  });
});
