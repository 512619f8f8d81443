import { createECDH } from "node:crypto";
const ecdh = createECDH("secp256k1");
const other = createECDH("secp256k1"); other.generateKeys();
const Q = other.getPublicKey();
const k = Buffer.alloc(32, 7);
let t0 = performance.now();
for (let i = 0; i < 2000; i++) { k[31] = i & 255; k[30] = i >> 8; ecdh.setPrivateKey(k); ecdh.getPublicKey(); }
console.log("k*G /s", 2000 / (performance.now() - t0) * 1000);
t0 = performance.now();
for (let i = 0; i < 2000; i++) { k[31] = i & 255; k[30] = i >> 8; ecdh.setPrivateKey(k); ecdh.computeSecret(Q); }
console.log("setPriv + k*Q /s", 2000 / (performance.now() - t0) * 1000);
