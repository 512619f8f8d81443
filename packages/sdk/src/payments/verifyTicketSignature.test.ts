import { secp256k1 } from "@noble/curves/secp256k1";
import fc from "fast-check";
import { getAddress, type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hashVoucher } from "../contracts/voucher/hashVoucher.js";
import { VoucherSignatureVerifier } from "./verifyTicketSignature.js";
import { voucherDigest } from "./voucherDigest.js";

const address = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .map((b) => getAddress(`0x${Buffer.from(b).toString("hex")}`));
const bytes32 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);

describe("voucherDigest", () => {
  test("equals viem's EIP-712 hash of the voucher (the escrow's voucherDigest)", () => {
    fc.assert(
      fc.property(
        fc.record({
          buyer: address,
          modelId: bytes32,
          sessionId: bytes32,
          route: fc.array(address, { maxLength: 8 }),
          amount: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        address,
        (voucher, chainId, paymentEscrow) => {
          expect(voucherDigest(voucher, chainId, paymentEscrow)).toBe(
            hashVoucher({ voucher, chainId, paymentEscrow }),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("VoucherSignatureVerifier", () => {
  const account = privateKeyToAccount(generatePrivateKey());
  const other = privateKeyToAccount(generatePrivateKey());
  const digest = (i: number) => keccak256(toHex(`voucher ${i}`));
  const sign = (key: typeof account, hash: Hex) => key.sign({ hash });

  test("accepts a signer's signatures, first by recovery, then with its cached key", async () => {
    const verifier = new VoucherSignatureVerifier();
    for (let i = 0; i < 5; i++) {
      expect(await verifier.verify(digest(i), await sign(account, digest(i)), account.address)).toBe(true);
    }
  });

  test("refuses another key's signature, a tampered digest, a flipped v and a high s, cached or not", async () => {
    for (const warm of [false, true]) {
      const verifier = new VoucherSignatureVerifier();
      if (warm) await verifier.verify(digest(0), await sign(account, digest(0)), account.address);
      const signature = await sign(account, digest(1));
      expect(await verifier.verify(digest(1), await sign(other, digest(1)), account.address)).toBe(false);
      expect(await verifier.verify(digest(2), signature, account.address)).toBe(false);
      const v = Number.parseInt(signature.slice(130), 16);
      const flipped = `${signature.slice(0, 130)}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
      expect(await verifier.verify(digest(1), flipped, account.address)).toBe(false);
      const s = BigInt(`0x${signature.slice(66, 130)}`);
      const highS =
        `${signature.slice(0, 66)}${(secp256k1.CURVE.n - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
      expect(await verifier.verify(digest(1), highS, account.address)).toBe(false);
      expect(await verifier.verify(digest(1), "0x1234", account.address)).toBe(false);
      expect(await verifier.verify(digest(1), signature, account.address)).toBe(true);
    }
  });
});
