import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe } from "@teetee/errors";
import { parseReceiptBundle, type ReceiptBundle } from "@teetee/sdk/receipts";
import { CliError, ExitCode, usageError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";

/**
 * The bundle in `file`: the bundle itself (as `GET /v1/receipts/{id}` answers it), or a gateway answer (or final
 * stream chunk) carrying it in `teetee.receipts`.
 */
export function readReceiptBundle(io: CliIo, file: string): ReceiptBundle {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(resolve(io.cwd, file), "utf8"));
  } catch (cause) {
    throw usageError(`Cannot read ${file} as JSON: ${describe(cause)}`);
  }
  const carried = (json as { teetee?: { receipts?: unknown } } | null)?.teetee?.receipts;
  try {
    return parseReceiptBundle(carried ?? json, file);
  } catch (cause) {
    throw new CliError(describe(cause), { exitCode: ExitCode.usage, cause });
  }
}
