import fc from "fast-check";
import { getAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type FormatApiKeyParameters, formatApiKey, parseApiKey } from "./apiKey.js";
import { PaymentError } from "./errors.js";

const buyer: Hex = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const sessionPrivateKey: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/** secp256k1's group order: private keys are 1 .. n - 1. */
const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const hexDigits = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: length, maxLength: length });
const address = hexDigits(40).map((digits) => `0x${digits}` as Hex);
const privateKey = fc
  .bigInt({ min: 1n, max: curveOrder - 1n })
  .map((scalar) => `0x${scalar.toString(16).padStart(64, "0")}` as Hex);

function refusal(key: string): unknown {
  try {
    parseApiKey(key);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("formatApiKey and parseApiKey", () => {
  test("format and parse: tt_<buyer>_<session key>", () => {
    const key = formatApiKey({ buyer, sessionPrivateKey });
    expect(key).toBe(`tt_${buyer.slice(2).toLowerCase()}_${sessionPrivateKey.slice(2)}`);
    const parsed = parseApiKey(key);
    expect(parsed.buyer).toBe(buyer);
    expect(parsed.signer.address).toBe(buyer);
  });

  test("format -> parse gives back the buyer and the signer, and formatting is lower case (property)", () => {
    fc.assert(
      fc.property(address, privateKey, (buyerAddress, key) => {
        const apiKey = formatApiKey({ buyer: buyerAddress, sessionPrivateKey: key });
        expect(apiKey).toMatch(/^tt_[0-9a-f]{40}_[0-9a-f]{64}$/);
        const parsed = parseApiKey(apiKey);
        expect(parsed.buyer).toBe(getAddress(buyerAddress.toLowerCase()));
        expect(parsed.signer.address).toBe(privateKeyToAccount(key.toLowerCase() as Hex).address);
        expect(formatApiKey({ buyer: parsed.buyer, sessionPrivateKey: key })).toBe(apiKey);
      }),
      { numRuns: 200 },
    );
  });

  // The CLI's own parser once refused upper-case hex that the SDK's accepted: a key is read the same everywhere.
  test("hex digits in any case name the same buyer and signer (property)", () => {
    const lower = formatApiKey({ buyer, sessionPrivateKey });
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: lower.length, maxLength: lower.length }), (upper) => {
        const body = [...lower.slice(3)].map((c, i) => (upper[i + 3] ? c.toUpperCase() : c)).join("");
        const parsed = parseApiKey(`tt_${body}`);
        expect(parsed.buyer).toBe(buyer);
        expect(parsed.signer.address).toBe(buyer);
      }),
    );
    expect(parseApiKey(`tt_${lower.slice(3).toUpperCase()}`).buyer).toBe(buyer);
  });

  test("surrounding whitespace is ignored", () => {
    expect(parseApiKey(` ${formatApiKey({ buyer, sessionPrivateKey })}\n`).buyer).toBe(buyer);
  });

  test.each([
    "",
    "tt_",
    "sk-abc",
    `tt_${"g".repeat(40)}_${"1".repeat(64)}`,
    `tt_${"1".repeat(40)}_${"0".repeat(64)}`, // the zero scalar is no private key
    `tt_${"1".repeat(40)}_${curveOrder.toString(16)}`, // nor is the group order
    `TT_${"1".repeat(40)}_${"1".repeat(64)}`, // the prefix is lower case
    `tt_0x${"1".repeat(38)}_${"1".repeat(64)}`,
    `tt_${"1".repeat(40)}_0x${"1".repeat(62)}`,
    `tt_${"1".repeat(40)}${"1".repeat(64)}`,
    `tt_${"1".repeat(40)}_${"1".repeat(64)}_`,
    `tt_${"1".repeat(40)} ${"1".repeat(64)}`,
    `Bearer tt_${"1".repeat(40)}_${"1".repeat(64)}`,
  ])("refuses %j with invalid_api_key and a hint", (key) => {
    const failure = refusal(key);
    expect(failure instanceof PaymentError && failure.code).toBe("invalid_api_key");
    expect(failure instanceof PaymentError && failure.hint).toMatch(/tt_<buyer address without 0x>/);
  });

  test("refuses keys whose parts have the wrong length or a non-hex digit (property)", () => {
    const part = (length: number) =>
      fc.oneof(
        hexDigits(length),
        fc
          .integer({ min: 0, max: 80 })
          .filter((n) => n !== length)
          .chain(hexDigits),
        fc
          .tuple(hexDigits(length), fc.integer({ min: 0, max: length - 1 }), fc.constantFrom(..."gxz-_ .:G"))
          .map(([digits, at, bad]) => digits.slice(0, at) + bad + digits.slice(at + 1)),
      );
    fc.assert(
      fc.property(part(40), part(64), (buyerPart, keyPart) => {
        fc.pre(!/^[0-9a-fA-F]{40}$/.test(buyerPart) || !/^[0-9a-fA-F]{64}$/.test(keyPart));
        const failure = refusal(`tt_${buyerPart}_${keyPart}`);
        expect(failure instanceof PaymentError && failure.code).toBe("invalid_api_key");
      }),
    );
  });

  test("refuses arbitrary strings that are not a key (property)", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!/^\s*tt_[0-9a-fA-F]{40}_[0-9a-fA-F]{64}\s*$/.test(text));
        const failure = refusal(text);
        expect(failure instanceof PaymentError && failure.code).toBe("invalid_api_key");
      }),
    );
  });

  test.each<[FormatApiKeyParameters, RegExp]>([
    [{ buyer: "0x1234", sessionPrivateKey }, /buyer is not an address/],
    [{ buyer, sessionPrivateKey: "0x1234" }, /64 hex digits/],
    [{ buyer, sessionPrivateKey: sessionPrivateKey.slice(2) as Hex }, /64 hex digits/],
  ])("formatApiKey refuses %j", (parameters, message) => {
    expect(() => formatApiKey(parameters)).toThrow(message);
    expect(() => formatApiKey(parameters)).toThrow(PaymentError);
  });
});
