import { TeeTeeError } from "@teetee/errors";

/** Base of every wire-protocol failure. Decoding and opening throw only these. */
export class WireError extends TeeTeeError {
  override name: string = "WireError";
}

/** The frame ends before a field it announces. */
export class FrameTruncatedError extends WireError {
  override name = "FrameTruncatedError" as const;
}

/** The bytes are not a TeeTee frame or envelope (wrong magic) or use an unknown version. */
export class FrameFormatError extends WireError {
  override name = "FrameFormatError" as const;
}

/** A field holds a value the protocol does not define (kind, dtype, flags, rank, combination). */
export class FrameFieldError extends WireError {
  override name = "FrameFieldError" as const;
}

/** A field or the payload is larger than the limits allow. */
export class FrameTooLargeError extends WireError {
  override name = "FrameTooLargeError" as const;
}

/** The shape does not match the payload's byte length, or the positions it carries. */
export class FrameShapeError extends WireError {
  override name = "FrameShapeError" as const;
}

/** Authentication failed: tampered bytes, the wrong key, or a mangled envelope. */
export class FrameDecryptError extends WireError {
  override name = "FrameDecryptError" as const;
}

/** A frame was seen before, is too old, or is dated too far in the future. */
export class FrameReplayError extends WireError {
  override name = "FrameReplayError" as const;
}

/** The replay guard tracks as many live sessions as it may; the frame is refused, not forgotten. */
export class ReplayGuardFullError extends WireError {
  override name = "ReplayGuardFullError" as const;
}

/** A public or private key is not a valid secp256k1 key. */
export class WireKeyError extends WireError {
  override name = "WireKeyError" as const;
}
