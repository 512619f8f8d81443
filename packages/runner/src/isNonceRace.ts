/** A transaction refused because another one from the same account took its nonce first. */
export function isNonceRace(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (
      e.name === "NonceTooLowError" ||
      /nonce (provided for the transaction )?(is )?(too )?low/i.test(e.message)
    ) {
      return true;
    }
  }
  return false;
}
