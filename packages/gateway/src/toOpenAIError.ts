import { TeeTeeError } from "@teetee/errors";
import { TokenizerError } from "@teetee/inference";
import { PaymentError } from "@teetee/sdk/payments";
import { PipelineError } from "@teetee/sdk/pipeline";
import { ZodError } from "zod";
import { GatewayError, type OpenAIErrorType } from "./errors.js";

/** OpenAI's error JSON. */
export type OpenAIErrorBody = {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null };
};

const paymentStatus: Record<string, [number, OpenAIErrorType]> = {
  invalid_api_key: [401, "authentication_error"],
  signer_not_authorized: [401, "authentication_error"],
  signer_expired: [401, "authentication_error"],
  signer_revoked: [401, "authentication_error"],
  bad_signature: [401, "authentication_error"],
  signer_limit_exceeded: [402, "insufficient_quota"],
  insufficient_balance: [402, "insufficient_quota"],
  voucher_insufficient: [402, "insufficient_quota"],
  payment_required: [402, "insufficient_quota"],
  too_many_open_requests: [429, "rate_limit_error"],
};

function body(message: string, type: OpenAIErrorType, param?: string, code?: string): OpenAIErrorBody {
  return { error: { message, type, param: param ?? null, code: code ?? null } };
}

/**
 * The one place errors become HTTP answers: OpenAI's error shape with a fitting status. Gateway errors carry
 * their own; invalid input is 400; payment refusals are 401 (key) or 402 (funds); runner failures that no
 * failover could absorb are 503; anything else (a bug, or a `GatewayStartupError`, which only `main` should
 * see) is a 500 that reveals nothing. The body holds sentences only, never a stack or a cause's text.
 */
export function toOpenAIError(error: unknown): {
  status: number;
  body: OpenAIErrorBody;
  /** For HTTP's Retry-After: every 429 has one, a 503 when the error knows when capacity returns. */
  retryAfterSeconds?: number;
} {
  const answer = openAIErrorOf(error);
  const retryAfterSeconds = error instanceof TeeTeeError ? error.retryAfterSeconds : undefined;
  if (answer.status === 503 && retryAfterSeconds !== undefined) return { ...answer, retryAfterSeconds };
  if (answer.status !== 429) return answer;
  return { ...answer, retryAfterSeconds: retryAfterSeconds ?? 1 };
}

function openAIErrorOf(error: unknown): { status: number; body: OpenAIErrorBody } {
  if (error instanceof GatewayError) {
    return {
      status: error.status,
      body: body(withHint(error.shortMessage, error.hint), error.type, error.param, error.code),
    };
  }
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    if (issue?.code === "unrecognized_keys") {
      const key = issue.keys[0] ?? "";
      return {
        status: 400,
        body: body(
          `Unsupported parameter: '${key}' is not supported by this gateway.`,
          "invalid_request_error",
          key,
          "unsupported_parameter",
        ),
      };
    }
    const param = issue?.path.join(".") || undefined;
    const message =
      issue === undefined ? "Invalid request." : `Invalid ${param ?? "request"}: ${issue.message}`;
    return { status: 400, body: body(message, "invalid_request_error", param, "invalid_value") };
  }
  if (error instanceof PaymentError) {
    const [status, type] = paymentStatus[error.code] ?? [400, "invalid_request_error"];
    return { status, body: body(withHint(error.shortMessage, error.hint), type, undefined, error.code) };
  }
  if (error instanceof PipelineError) {
    if (error.status === 402)
      return {
        status: 402,
        body: body(error.shortMessage, "insufficient_quota", undefined, "payment_refused"),
      };
    if (error.status === 429)
      return {
        status: 429,
        body: body(
          `A runner has too many of this buyer's requests at once: ${error.shortMessage}`,
          "rate_limit_error",
          undefined,
          "rate_limited",
        ),
      };
    return {
      status: 503,
      body: body(
        `No runner could complete the request: ${error.shortMessage}`,
        "server_error",
        undefined,
        "no_capacity",
      ),
    };
  }
  if (error instanceof TokenizerError) {
    return {
      status: 400,
      body: body(
        `The messages cannot be formatted for this model: ${error.shortMessage}`,
        "invalid_request_error",
        "messages",
        "invalid_messages",
      ),
    };
  }
  const tooLarge = bodyTooLarge(error);
  if (tooLarge !== undefined) {
    return {
      status: 413,
      body: body(
        `The request body is larger than the gateway accepts (${tooLarge} bytes).`,
        "invalid_request_error",
        undefined,
        "request_too_large",
      ),
    };
  }
  if (isBodyParserError(error)) {
    return {
      status: 400,
      body: body("The request body is not valid JSON.", "invalid_request_error", undefined, "invalid_json"),
    };
  }
  return {
    status: 500,
    body: body("The gateway failed unexpectedly.", "server_error", undefined, "internal_error"),
  };
}

function withHint(message: string, hint: string | undefined): string {
  return hint === undefined ? message : `${message} ${hint}`;
}

function isBodyParserError(error: unknown): boolean {
  return error instanceof SyntaxError && (error as { type?: string }).type === "entity.parse.failed";
}

/** The limit a body exceeded, when body-parser refused it as too large (it checks Content-Length before reading). */
function bodyTooLarge(error: unknown): number | undefined {
  const { type, limit } = (error ?? {}) as { type?: unknown; limit?: unknown };
  return type === "entity.too.large" && typeof limit === "number" ? limit : undefined;
}
