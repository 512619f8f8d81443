import { ContractRevertError, decodeContractError, TeeTeeContractError } from "@teetee/sdk/contracts";

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

/** The one error the CLI reports: a short message, what to do next, and the exit code it maps to. */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  /** The decoded custom error's name for reverts (`StakingInsufficientFreeStake`). */
  readonly errorName: string | undefined;

  constructor(
    message: string,
    options: { exitCode: ExitCodeValue; hint?: string; cause?: unknown; errorName?: string },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode;
    this.hint = options.hint;
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

function chainText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 12 && current instanceof Error; depth++) {
    const record = current as Error & { code?: unknown; details?: unknown };
    parts.push(current.name, current.message, String(record.code ?? ""), String(record.details ?? ""));
    current = current.cause;
  }
  return parts.join("\n");
}

/** Whether an error (anywhere along its cause chain) is a connection failure rather than an answer. */
export function isNetworkError(error: unknown): boolean {
  const text = chainText(error);
  return networkPatterns.some((pattern) => pattern.test(text));
}

/** Maps anything thrown by a command to a `CliError`, decoding contract reverts into words. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
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
    return new CliError(`Network error: ${firstLine(error)}`, {
      exitCode: ExitCode.network,
      hint: "Check the URL (--rpc-url, TEETEE_RPC_URL) and that the service is running.",
      cause: error,
    });
  }
  if (error instanceof TeeTeeContractError) {
    return new CliError(error.shortMessage, {
      exitCode: ExitCode.unexpected,
      hint: error.hint,
      cause: error,
    });
  }
  const hinted = error as { shortMessage?: unknown; hint?: unknown };
  return new CliError(typeof hinted.shortMessage === "string" ? hinted.shortMessage : firstLine(error), {
    exitCode: ExitCode.unexpected,
    hint: typeof hinted.hint === "string" ? hinted.hint : undefined,
    cause: error,
  });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
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
