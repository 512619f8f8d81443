import { secp256k1 } from "@noble/curves/secp256k1";
import fc from "fast-check";
import { getAddress, type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hashVoucher } from "../../contracts/voucher/hashVoucher.js";
import { nativeSecp256k1 } from "./nativeSecp256k1.js";
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

describe.each([
  ["libsecp256k1", {}],
  ["noble", { native: false }],
] as const)("VoucherSignatureVerifier (%s)", (backend, options) => {
  const account = privateKeyToAccount(generatePrivateKey());
  const other = privateKeyToAccount(generatePrivateKey());
  const digest = (i: number) => keccak256(toHex(`voucher ${i}`));
  const sign = (key: typeof account, hash: Hex) => key.sign({ hash });

  test("runs on the backend it names", () => {
    expect(new VoucherSignatureVerifier(options).backend).toBe(backend);
  });

  test("accepts a signer's signatures, first by recovery, then with its cached key", async () => {
    const verifier = new VoucherSignatureVerifier(options);
    for (let i = 0; i < 5; i++) {
      expect(await verifier.verify(digest(i), await sign(account, digest(i)), account.address)).toBe(true);
    }
  });

  test("refuses another key's signature, a tampered digest, a flipped v and a high s, cached or not", async () => {
    for (const warm of [false, true]) {
      const verifier = new VoucherSignatureVerifier(options);
      if (warm) await verifier.verify(digest(0), await sign(account, digest(0)), account.address);
      const signature = await sign(account, digest(1));
      expect(await verifier.verify(digest(1), await sign(other, digest(1)), account.address)).toBe(false);
      expect(await verifier.verify(digest(2), signature, account.address)).toBe(false);
      expect(await verifier.verify(digest(1), flipV(signature), account.address)).toBe(false);
      expect(await verifier.verify(digest(1), highS(signature), account.address)).toBe(false);
      expect(await verifier.verify(digest(1), "0x1234", account.address)).toBe(false);
      expect(await verifier.verify(digest(1), signature, account.address)).toBe(true);
    }
  });
});

describe("VoucherSignatureVerifier on libsecp256k1 and on noble", () => {
  const privateKey = fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .filter((b) => secp256k1.utils.isValidPrivateKey(b))
    .map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);
  const variants = ["valid", "tampered", "highS", "flippedV", "wrongSigner"] as const;

  test("agree on valid, tampered, high-s, flipped-v and wrong-signer vouchers, cached or not", async () => {
    await fc.assert(
      fc.asyncProperty(
        privateKey,
        privateKey,
        bytes32,
        bytes32,
        fc.constantFrom(...variants),
        fc.boolean(),
        async (key, otherKey, hash, otherHash, variant, warm) => {
          fc.pre(key !== otherKey && hash !== otherHash);
          const account = privateKeyToAccount(key);
          const signature = await account.sign({ hash });
          const cases: Record<(typeof variants)[number], [Hex, Hex]> = {
            valid: [hash, signature],
            tampered: [otherHash, signature],
            highS: [hash, highS(signature)],
            flippedV: [hash, flipV(signature)],
            wrongSigner: [hash, await privateKeyToAccount(otherKey).sign({ hash })],
          };
          const [digest, candidate] = cases[variant];
          const verdicts = await Promise.all(
            [{}, { native: false }].map(async (options) => {
              const verifier = new VoucherSignatureVerifier(options);
              if (warm) {
                const warmHash = keccak256(hash);
                await verifier.verify(warmHash, await account.sign({ hash: warmHash }), account.address);
              }
              return verifier.verify(digest, candidate, account.address);
            }),
          );
          expect(verdicts).toEqual([variant === "valid", variant === "valid"]);
        },
      ),
      { numRuns: 150 },
    );
  });

  test("recovers rather than verifies: a flipped v passes ecdsaVerify but recovers another address", async () => {
    const native = nativeSecp256k1();
    if (native === undefined) throw new Error("libsecp256k1 did not load");
    const key = generatePrivateKey();
    const hash = keccak256(toHex("voucher"));
    const signature = flipV(await privateKeyToAccount(key).sign({ hash }));
    const publicKey = Buffer.from(secp256k1.getPublicKey(key.slice(2), false));
    const compact = Buffer.from(signature.slice(2, 130), "hex");
    expect(native.ecdsaVerify(compact, Buffer.from(hash.slice(2), "hex"), publicKey)).toBe(true);
    const verifier = new VoucherSignatureVerifier();
    expect(await verifier.verify(hash, signature, privateKeyToAccount(key).address)).toBe(false);
  });
});

function flipV(signature: Hex): Hex {
  const v = Number.parseInt(signature.slice(130), 16);
  return `${signature.slice(0, 130)}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
}

/** The same signature with s' = n - s and the other recovery id: valid ECDSA, refused by EIP-2. */
function highS(signature: Hex): Hex {
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  return `${signature.slice(0, 66)}${(secp256k1.CURVE.n - s).toString(16).padStart(64, "0")}${flipV(signature).slice(130)}` as Hex;
}
