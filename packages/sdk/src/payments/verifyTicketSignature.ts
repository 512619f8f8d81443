import { type Address, type Hex, isAddressEqual, recoverAddress } from "viem";
import { hashVoucher } from "../contracts/voucher/hashVoucher.js";
import { PaymentError } from "./errors.js";
import type { PaymentTicket } from "./paymentTicket.js";

export type VerifyTicketSignatureParameters = {
  ticket: PaymentTicket;
  /** The chain and escrow this verifier settles on. */
  chainId: number;
  paymentEscrow: Address;
  /** Remembers digests already verified (a session re-sends its voucher with every request). */
  cache?: Map<string, Address>;
};

const maxCacheEntries = 10_000;

/**
 * Checks that a ticket's voucher is signed for this chain and escrow by the signer it names, and returns its digest.
 * @throws PaymentError `wrong_domain` for another chain or escrow, `bad_signature` for a tampered voucher or a
 * signature by another key.
 */
export async function verifyTicketSignature(parameters: VerifyTicketSignatureParameters): Promise<Hex> {
  const { ticket, chainId, paymentEscrow, cache } = parameters;
  if (ticket.chainId !== chainId || !isAddressEqual(ticket.paymentEscrow, paymentEscrow)) {
    throw new PaymentError("wrong_domain", "The voucher is signed for another chain or escrow.", {
      details: `voucher: chain ${ticket.chainId}, escrow ${ticket.paymentEscrow}; here: chain ${chainId}, escrow ${paymentEscrow}`,
      hint: "Sign vouchers for the deployment the runner settles on.",
    });
  }
  const digest = hashVoucher({ voucher: ticket.voucher, chainId, paymentEscrow });
  const key = `${digest}${ticket.signature.slice(2)}`;
  let recovered = cache?.get(key);
  if (recovered === undefined) {
    try {
      recovered = await recoverAddress({ hash: digest, signature: ticket.signature });
    } catch (cause) {
      throw new PaymentError("bad_signature", "The voucher signature is malformed.", { cause });
    }
    if (cache !== undefined) {
      if (cache.size >= maxCacheEntries) cache.clear();
      cache.set(key, recovered);
    }
  }
  if (!isAddressEqual(recovered, ticket.signer)) {
    throw new PaymentError("bad_signature", "The voucher was not signed by the signer it names.", {
      details: `recovered ${recovered}, named ${ticket.signer}`,
      hint: "The voucher was altered after signing, or signed with another key.",
    });
  }
  return digest;
}
