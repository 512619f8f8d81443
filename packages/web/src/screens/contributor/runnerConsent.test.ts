import { RunnerRegistrationDocumentError } from "@teetee/sdk/protocol";
import { parseRunnerConsent } from "./runnerConsent.js";

const runner = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const word = (byte: string) => `0x${byte.repeat(32)}`;
const args = {
  registration: {
    runner,
    modelId: word("11"),
    shardIndex: 0,
    endpoint: "http://127.0.0.1:8081",
    publicKey: `0x${"04".repeat(64)}`,
    quoteHash: word("22"),
    composeHash: word("33"),
    osImage: word("44"),
    deadline: "1900000000",
  },
  consent: `0x${"ab".repeat(65)}`,
  contributor: runner.toLowerCase(),
};
const call = { contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3", functionName: "registerRunner", args };

describe("parseRunnerConsent: the SDK's registration document, fetched or pasted", () => {
  test.each([
    ["the /v1/registration document", { action: "printed", call }],
    ["the { call } line the runner logs", { call }],
    ["the bare call", call],
  ])("reads %s", (_form, value) => {
    expect(parseRunnerConsent(value)).toEqual({
      registration: { ...args.registration, deadline: 1900000000n },
      consent: args.consent,
      contributor: runner,
      call: expect.objectContaining({ functionName: "registerRunner", contract: call.contract }),
    });
  });

  test("a malformed document is the SDK's error, naming the field", () => {
    const bad = { call: { ...call, args: { ...args, consent: "nope" } } };
    expect(() => parseRunnerConsent(bad)).toThrow(RunnerRegistrationDocumentError);
  });

  test("a runner with nothing to consent to says so", () => {
    expect(() => parseRunnerConsent({ action: "unchanged" })).toThrow(/no registration consent/);
    expect(() =>
      parseRunnerConsent({ call: { ...call, args: { registration: args.registration } } }),
    ).toThrow(/--contributor/);
  });
});
