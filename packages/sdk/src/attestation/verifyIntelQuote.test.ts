import { PINNED_TDX_TIME, readCollateral, readFixture } from "../../test/fixtures.js";
import { CollateralExpiredError, QuoteSignatureError, TcbStatusRejectedError } from "./errors.js";
import { verifyIntelQuote } from "./verifyIntelQuote.js";

const tdxQuote = readFixture("tdx/tdx_quote");
const tdxCollateral = readCollateral("tdx/tdx_quote_collateral.json");

describe("verifyIntelQuote", () => {
  test("the real TDX quote verifies UpToDate at its pinned time", () => {
    const result = verifyIntelQuote({
      quote: tdxQuote,
      collateral: tdxCollateral,
      nowSeconds: PINNED_TDX_TIME,
    });
    expect(result.tcbStatus).toBe("UpToDate");
  });

  test("the same quote at today's date fails with the named expiry error", () => {
    const verify = () =>
      verifyIntelQuote({ quote: tdxQuote, collateral: tdxCollateral, nowSeconds: Date.now() / 1000 });
    expect(verify).toThrow(CollateralExpiredError);
    expect(verify).toThrow(/TCBInfo expired/);
  });

  test("collateral used before its issue date is an expiry error too", () => {
    expect(() =>
      verifyIntelQuote({
        quote: tdxQuote,
        collateral: tdxCollateral,
        nowSeconds: PINNED_TDX_TIME - 365 * 86400,
      }),
    ).toThrow(CollateralExpiredError);
  });

  test.each([100, 600, 2000])("a quote with byte %i flipped is refused", (offset) => {
    const tampered = tdxQuote.slice();
    tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
    expect(() =>
      verifyIntelQuote({ quote: tampered, collateral: tdxCollateral, nowSeconds: PINNED_TDX_TIME }),
    ).toThrow(QuoteSignatureError);
  });

  test("a TCB status outside the policy is refused by name", () => {
    expect(() =>
      verifyIntelQuote({
        quote: readFixture("tdx/sgx_quote"),
        collateral: readCollateral("tdx/sgx_quote_collateral.json"),
        nowSeconds: PINNED_TDX_TIME,
        acceptedTcbStatuses: ["UpToDate"],
      }),
    ).toThrow(TcbStatusRejectedError);
  });
});
