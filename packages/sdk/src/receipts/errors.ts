import { TeeTeeError } from "@teetee/errors";

/** A receipt, or a chain of them, cannot be read, built or verified; subclasses name what failed. */
export class ReceiptError extends TeeTeeError {
  override name: string = "ReceiptError";
}

/** A receipt document (JSON) is malformed; `details` lists every bad field. */
export class ReceiptFormatError extends ReceiptError {
  override name = "ReceiptFormatError" as const;
}
