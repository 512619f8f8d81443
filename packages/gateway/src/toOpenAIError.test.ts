import { TokenizerError } from "@teetee/inference";
import { PaymentError } from "@teetee/sdk/payments";
import { RunnerRefusedError } from "@teetee/sdk/pipeline";
import { GatewayStartupError, ModelNotFoundError, TooManyRequestsError } from "./errors.js";
import { toOpenAIError } from "./toOpenAIError.js";

describe("toOpenAIError: the gateway's one map from errors to answers", () => {
  test("a gateway error answers its status and type, its short message followed by its hint", () => {
    expect(toOpenAIError(new ModelNotFoundError("tiny"))).toEqual({
      status: 404,
      body: {
        error: {
          message: "The model 'tiny' does not exist. GET /v1/models lists the models served now.",
          type: "not_found_error",
          param: "model",
          code: "model_not_found",
        },
      },
    });
  });

  test("kinds are told apart by class: payment refusals, runner refusals, tokenizer failures", () => {
    expect(toOpenAIError(new PaymentError("insufficient_balance", "Deposit too small."))).toMatchObject({
      status: 402,
      body: { error: { type: "insufficient_quota", code: "insufficient_balance" } },
    });
    expect(toOpenAIError(new RunnerRefusedError("runner down", { status: 502 }))).toMatchObject({
      status: 503,
      body: { error: { message: "No runner could complete the request: runner down", code: "no_capacity" } },
    });
    expect(toOpenAIError(new TokenizerError("roles must alternate"))).toMatchObject({
      status: 400,
      body: { error: { message: "The messages cannot be formatted for this model: roles must alternate" } },
    });
  });

  test("every 429 carries a Retry-After, the error's own when it has one", () => {
    expect(toOpenAIError(new TooManyRequestsError("Busy", { retryAfterSeconds: 4 })).retryAfterSeconds).toBe(
      4,
    );
    expect(toOpenAIError(new TooManyRequestsError("Busy")).retryAfterSeconds).toBe(1);
  });

  test("a start-up failure is not an answer: if one ever got here it would be the 500 that says nothing", () => {
    const answer = toOpenAIError(
      new GatewayStartupError("Invalid gateway configuration", { details: "port" }),
    );
    expect(answer.status).toBe(500);
    expect(answer.body.error).toMatchObject({
      message: "The gateway failed unexpectedly.",
      code: "internal_error",
    });
  });

  test("the JSON answered never holds a stack or a cause's text", () => {
    const secret = new Error("ENOENT: /home/operator/.keys/runner.json");
    for (const error of [
      new Error("bug", { cause: secret }),
      new RunnerRefusedError("runner down", { status: 502, cause: secret }),
      new ModelNotFoundError("tiny"),
    ]) {
      const json = JSON.stringify(toOpenAIError(error).body);
      expect(error.stack).toMatch(/\n\s+at /);
      expect(json).not.toMatch(/\n|\bat \S+ \(|stack/);
      expect(json).not.toContain("/home/operator");
    }
  });
});
