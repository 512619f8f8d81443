import { RunnerRegistrationDocumentError } from "./errors.js";
import {
  parseRunnerRegistrationDocument,
  runnerRegistrationDocumentJson,
} from "./runnerRegistrationDocument.js";

const runner = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const word = (byte: string) => `0x${byte.repeat(32)}`;

const registration = {
  runner: runner.toLowerCase(),
  modelId: word("11"),
  shardIndex: 1,
  endpoint: "http://127.0.0.1:8081",
  publicKey: `0x${"04".repeat(64)}`,
  quoteHash: word("22"),
  composeHash: word("33"),
  osImage: word("44"),
  deadline: "1900000000",
};

const printedRegister = {
  action: "printed",
  call: {
    contract: registry,
    functionName: "registerRunner",
    args: { registration, consent: `0x${"ab".repeat(65)}`, contributor: runner },
  },
};

const printedRefresh = {
  action: "printed",
  call: {
    contract: registry,
    functionName: "refreshAttestation",
    args: {
      runner,
      quoteHash: word("22"),
      composeHash: word("33"),
      osImage: word("44"),
      deadline: 1900000000,
      consent: `0x${"cd".repeat(65)}`,
    },
  },
};

function refusal(value: unknown): RunnerRegistrationDocumentError {
  try {
    parseRunnerRegistrationDocument(value);
  } catch (error) {
    if (error instanceof RunnerRegistrationDocumentError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("parseRunnerRegistrationDocument", () => {
  test.each([
    [{ action: "registered", transaction: word("aa") }],
    [{ action: "refreshed", transaction: word("bb") }],
    [{ action: "unchanged" }],
  ])("reads %j", (document) => {
    expect(parseRunnerRegistrationDocument(document)).toEqual(document);
  });

  test("reads a printed registerRunner call: addresses checksummed, the deadline a bigint", () => {
    const document = parseRunnerRegistrationDocument(printedRegister);
    expect(document).toMatchObject({ action: "printed", call: { functionName: "registerRunner" } });
    if (document.action !== "printed" || document.call.functionName !== "registerRunner") return;
    expect(document.call.args.registration.runner).toBe(runner);
    expect(document.call.args.registration.deadline).toBe(1900000000n);
    expect(document.call.args.contributor).toBe(runner);
  });

  test("a registerRunner call may come without consent or contributor (no --contributor)", () => {
    const document = parseRunnerRegistrationDocument({
      ...printedRegister,
      call: { ...printedRegister.call, args: { registration } },
    });
    expect(document.action === "printed" && document.call.args).toEqual({
      registration: { ...registration, runner, deadline: 1900000000n },
    });
  });

  test("reads a printed refreshAttestation call, a deadline given as a JSON number", () => {
    const document = parseRunnerRegistrationDocument(printedRefresh);
    expect(document.action === "printed" && document.call.args).toMatchObject({ deadline: 1900000000n });
  });

  test("what the runner serves reads back as it was (JSON round trip)", () => {
    for (const value of [printedRegister, printedRefresh, { action: "unchanged" }]) {
      const document = parseRunnerRegistrationDocument(value);
      const served = JSON.parse(JSON.stringify(runnerRegistrationDocumentJson(document)));
      expect(parseRunnerRegistrationDocument(served)).toEqual(document);
    }
  });

  test.each([
    ["not an object", "registered", /expected object/],
    ["no action", {}, /action/],
    ["an unknown action", { action: "deleted" }, /action/],
    [
      "a short transaction hash",
      { action: "registered", transaction: "0x12" },
      /32 bytes[\s\S]*at transaction/,
    ],
    [
      "an unknown function",
      { action: "printed", call: { ...printedRegister.call, functionName: "deactivateRunner" } },
      /functionName/,
    ],
    [
      "a bad runner address",
      {
        ...printedRegister,
        call: { ...printedRegister.call, args: { registration: { ...registration, runner: "0x1234" } } },
      },
      /expected an address[\s\S]*at call\.args\.registration\.runner/,
    ],
    [
      "a negative deadline",
      {
        ...printedRegister,
        call: { ...printedRegister.call, args: { registration: { ...registration, deadline: "-1" } } },
      },
      /deadline/,
    ],
    [
      "a shard index out of range",
      {
        ...printedRegister,
        call: { ...printedRegister.call, args: { registration: { ...registration, shardIndex: 70000 } } },
      },
      /shardIndex/,
    ],
    [
      "a refresh without consent",
      {
        ...printedRefresh,
        call: { ...printedRefresh.call, args: { ...printedRefresh.call.args, consent: undefined } },
      },
      /consent/,
    ],
    [
      "non-hex consent",
      {
        ...printedRegister,
        call: { ...printedRegister.call, args: { ...printedRegister.call.args, consent: "0xzz" } },
      },
      /hex[\s\S]*at call\.args\.consent/,
    ],
  ])("refuses %s, naming the field", (_what, value, field) => {
    const error = refusal(value);
    expect(error.shortMessage).toBe("The runner's registration document is malformed");
    expect(error.details).toMatch(field);
    expect(error.hint).toMatch(/TeeTee runner/);
  });

  test("names its source", () => {
    expect(() => parseRunnerRegistrationDocument(null, "registration at http://x")).toThrow(
      "The runner's registration at http://x is malformed",
    );
  });
});
