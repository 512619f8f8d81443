import { causeChain, describe, hintOf, TeeTeeError } from "@teetee/errors";
import { ContractRevertError, decodeContractError } from "@teetee/sdk/contracts";
import { PaymentError } from "@teetee/sdk/payments";

/**
 * Exit codes of `teetee`, stable for scripts:
 * 0 success; 1 unexpected failure; 2 bad usage or input; 3 configuration (key, keystore, deployment);
 * 4 network (chain RPC, runner, gateway or TEE unreachable); 5 the contract reverted; 6 verification failed.
 */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  config: 3,
  network: 4,
  revert: 5,
  verification: 6,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error the CLI reports: `describe` of it (its short message, then its causes') is the line printed after
 * `Error:`, `hint` the next line, and `exitCode` what the process exits with.
 */
export class CliError extends TeeTeeError {
  override name = "CliError" as const;
  readonly exitCode: ExitCodeValue;
  /** The decoded custom error's name for reverts (`StakingInsufficientFreeStake`). */
  readonly errorName: string | undefined;

  constructor(
    message: string,
    options: { exitCode: ExitCodeValue; hint?: string; cause?: unknown; errorName?: string },
  ) {
    super(message, { hint: options.hint, cause: options.cause });
    this.exitCode = options.exitCode;
    this.errorName = options.errorName;
  }
}

const networkPatterns = [
  /ECONNREFUSED/,
  /ENOTFOUND/,
  /EAI_AGAIN/,
  /ECONNRESET/,
  /fetch failed/i,
  /HTTP request failed/i,
  /timed out/i,
  /socket hang up/i,
];

/** Names, messages, codes and details along the cause chain: where Node, undici and viem say "connection". */
function chainText(error: unknown): string {
  return causeChain(error)
    .filter((link): link is Error & { code?: unknown; details?: unknown } => link instanceof Error)
    .flatMap((link) => [link.name, link.message, String(link.code ?? ""), String(link.details ?? "")])
    .join("\n");
}

/** Whether an error (anywhere along its cause chain) is a connection failure rather than an answer. */
export function isNetworkError(error: unknown): boolean {
  const text = chainText(error);
  return networkPatterns.some((pattern) => pattern.test(text));
}

/**
 * The one place the CLI maps errors to exit codes: anything thrown by a command becomes a `CliError`, contract
 * reverts decoded into words, connection failures and everything else said by `describe`.
 */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof PaymentError && error.code === "invalid_api_key") {
    return new CliError(error.shortMessage, { exitCode: ExitCode.usage, hint: error.hint, cause: error });
  }
  if (error instanceof ContractRevertError) {
    return new CliError(error.revert.message, {
      exitCode: ExitCode.revert,
      errorName: error.revert.name,
      cause: error,
    });
  }
  const decoded = decodeContractError(error);
  if (decoded.data !== undefined) {
    return new CliError(decoded.message, {
      exitCode: ExitCode.revert,
      errorName: decoded.name,
      cause: error,
    });
  }
  if (isNetworkError(error)) {
    return new CliError(`Network error: ${describe(error)}`, {
      exitCode: ExitCode.network,
      hint: "Check the URL (--rpc-url, TEETEE_RPC_URL) and that the service is running.",
      cause: error,
    });
  }
  return new CliError(describe(error), {
    exitCode: ExitCode.unexpected,
    hint: hintOf(error),
    cause: error,
  });
}

/**
 * The exit code for a service's HTTP refusal, on the same scale as every other failure: the request itself is
 * bad (400, 404: 2), the key is (401, 403: 3), the money is short (402: 5), the service cannot serve it now (408,
 * 429, 502-504: 4, like an unreachable one), anything else is unexpected (1).
 */
export function exitCodeOfStatus(status: number): ExitCodeValue {
  if (status === 400 || status === 404 || status === 413 || status === 422) return ExitCode.usage;
  if (status === 401 || status === 403) return ExitCode.config;
  if (status === 402) return ExitCode.revert;
  if (status === 408 || status === 429 || status === 502 || status === 503 || status === 504)
    return ExitCode.network;
  return ExitCode.unexpected;
}

export const usageError = (message: string, hint?: string): CliError =>
  new CliError(message, { exitCode: ExitCode.usage, hint });

export const configError = (message: string, hint?: string): CliError =>
  new CliError(message, { exitCode: ExitCode.config, hint });
