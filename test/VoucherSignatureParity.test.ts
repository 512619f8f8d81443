import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redeemVoucher, verifyVoucher } from "@teetee/sdk/contracts";
import { VoucherSignatureVerifier, verifyTicketSignature } from "@teetee/sdk/payments/runner";
import { concat, type Hex, numberToHex, pad, toHex } from "viem";
import { fixtures, networkHelpers, signedVoucher } from "./helpers/fixture.js";

const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The same signature bytes, malleated the ways a buyer could try to have the runner accept what the escrow won't. */
function malleations(signature: Hex): Record<string, Hex> {
  const r = signature.slice(0, 66) as Hex;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  const highS = pad(numberToHex(n - s), { size: 32 });
  const flipped = v === 27 ? 28 : 27;
  const yParityAndS = pad(numberToHex(s | (BigInt(v - 27) << 255n)), { size: 32 });
  return {
    "as signed (v 27/28)": signature,
    "v as a bare parity 0/1": concat([r, pad(numberToHex(s), { size: 32 }), toHex(v - 27, { size: 1 })]),
    "v 29/30": concat([r, pad(numberToHex(s), { size: 32 }), toHex(v + 2, { size: 1 })]),
    "high s with the other v": concat([r, highS, toHex(flipped, { size: 1 })]),
    "EIP-2098 compact (64 bytes)": concat([r, yParityAndS]),
    "a trailing byte (66 bytes)": concat([signature, "0x00"]),
    "cut to 64 bytes": signature.slice(0, 130) as Hex,
  };
}

describe("voucher signatures: the runner accepts exactly what the escrow redeems", () => {
  it("attack: 9 a malleated signature (v 0/1, high s, compact, padded) is served only if the escrow redeems it", async () => {
    const base = await networkHelpers.loadFixture(fixtures.market1);
    const chainId = await base.publicClient.getChainId();
    const { voucher, signature } = await signedVoucher(base, 10_000n);
    const verifiers = [new VoucherSignatureVerifier(), new VoucherSignatureVerifier({ native: false })];
    let redeemed = 0;
    for (const [form, bytes] of Object.entries(malleations(signature))) {
      const m = await networkHelpers.loadFixture(fixtures.market1);
      const c = { contracts: m.contracts };
      const escrow = await redeemVoucher(m.stranger, { ...c, voucher, signature: bytes })
        .then(async (hash) => (await m.publicClient.waitForTransactionReceipt({ hash })).status === "success")
        .catch(() => false);
      if (escrow) redeemed++;
      const ticket = { chainId, paymentEscrow: m.contracts.paymentEscrow, voucher, signature: bytes };
      for (const verifier of verifiers) {
        const sdk = await verifyTicketSignature({
          ticket: {
            ...ticket,
            kind: "settle",
            signer: voucher.buyer,
            requestId: pad("0x01", { size: 32 }),
            maxOutputTokens: 1,
            replayedOutputTokens: 0,
          },
          chainId,
          paymentEscrow: m.contracts.paymentEscrow,
          verifier,
        }).then(
          () => true,
          () => false,
        );
        assert.equal(sdk, escrow, `${form} (${verifier.backend}): runner ${sdk}, escrow ${escrow}`);
      }
      const viaVerifyVoucher = await verifyVoucher({ ...ticket, signature: bytes });
      assert.equal(
        viaVerifyVoucher,
        escrow,
        `${form} (verifyVoucher): sdk ${viaVerifyVoucher}, escrow ${escrow}`,
      );
    }
    assert.equal(redeemed, 1, "only the signature as signed redeems");
  });
});
