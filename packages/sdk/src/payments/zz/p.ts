import { privateKeyToAccount, generatePrivateKey } from "viem/accounts";
import { secp256k1 } from "@noble/curves/secp256k1";
import { PaymentSession, requestIdOf, voucherDigest, VoucherSignatureVerifier } from "../../index.js";
async function main() {
  const key = { buyer: privateKeyToAccount(generatePrivateKey()).address, signer: privateKeyToAccount(generatePrivateKey()) };
  const escrow = key.buyer;
  const tickets = [];
  const s = new PaymentSession({ apiKey: key, chainId: 31337, paymentEscrow: escrow, modelId: `0x${"11".repeat(32)}`, route: [escrow, escrow, escrow], prices: { inputPricePerMTok: 1n, outputPricePerMTok: 1n } });
  for (let i = 0; i < 2000; i++) tickets.push(await s.complete(requestIdOf(new Uint8Array(16)), { inputTokens: 1n, outputTokens: 1n }));
  let t0 = performance.now();
  const d = tickets.map((t) => voucherDigest(t.voucher, 31337, escrow));
  console.log("digest/s", 2000 / (performance.now() - t0) * 1000);
  for (const w of [8, 10, 12]) {
    const v = new VoucherSignatureVerifier(w);
    await v.verify(d[0]!, tickets[0]!.signature, key.signer.address);
    await v.verify(d[1]!, tickets[1]!.signature, key.signer.address);
    t0 = performance.now();
    let ok = 0;
    for (let i = 0; i < 2000; i++) if (await v.verify(d[i]!, tickets[i]!.signature, key.signer.address)) ok++;
    console.log("W", w, "verify/s", 2000 / (performance.now() - t0) * 1000, ok);
  }
}
main();
