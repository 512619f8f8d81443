import { BaseError, ContractFunctionExecutionError, NonceTooLowError } from "viem";
import { isNonceRace } from "./isNonceRace.js";

describe("isNonceRace", () => {
  test("viem's NonceTooLowError, alone or deep in a contract call's causes", () => {
    const nonce = new NonceTooLowError({ nonce: 7 });
    expect(isNonceRace(nonce)).toBe(true);
    const wrapped = new ContractFunctionExecutionError(new BaseError("execution failed", { cause: nonce }), {
      abi: [],
      functionName: "registerRunner",
    });
    expect(isNonceRace(wrapped)).toBe(true);
  });

  test("a node's own wording of the same refusal", () => {
    expect(
      isNonceRace(
        new Error("Nonce provided for the transaction is lower than the current nonce of the account"),
      ),
    ).toBe(true);
    expect(isNonceRace(new Error("nonce too low"))).toBe(true);
  });

  test("anything else is not retried", () => {
    expect(isNonceRace(new Error("execution reverted: RunnerAlreadyRegistered()"))).toBe(false);
    expect(isNonceRace(new Error("nonce too high"))).toBe(false);
    expect(isNonceRace("nonce too low")).toBe(false);
    expect(isNonceRace(undefined)).toBe(false);
  });
});
