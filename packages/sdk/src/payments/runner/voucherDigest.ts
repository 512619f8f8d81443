import { keccak_256 } from "@noble/hashes/sha3";
import {
  type Address,
  bytesToHex,
  encodeAbiParameters,
  type Hex,
  hexToBytes,
  keccak256,
  toBytes,
} from "viem";
import { paymentEscrowDomain } from "../../contracts/internal/eip712.js";
import type { Voucher } from "../../contracts/types.js";

const voucherTypeHash = hexToBytes(
  keccak256(
    toBytes("Voucher(address buyer,bytes32 modelId,bytes32 sessionId,address[] route,uint256 amount)"),
  ),
);
const domainTypeHash = keccak256(
  toBytes("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
);
const domainSeparators = new Map<string, Uint8Array>();

/**
 * A voucher's EIP-712 digest, byte for byte what `hashVoucher` (viem's `hashTypedData`) and the escrow's
 * `voucherDigest` compute, without the generic typed-data machinery: runners hash every voucher they receive.
 */
export function voucherDigest(voucher: Voucher, chainId: number, paymentEscrow: Address): Hex {
  const struct = new Uint8Array(6 * 32);
  struct.set(voucherTypeHash, 0);
  struct.set(word(voucher.buyer), 32);
  struct.set(word(voucher.modelId), 64);
  struct.set(word(voucher.sessionId), 96);
  const route = new Uint8Array(voucher.route.length * 32);
  voucher.route.forEach((hop, i) => {
    route.set(word(hop), i * 32);
  });
  struct.set(keccak_256(route), 128);
  struct.set(word(`0x${voucher.amount.toString(16)}`), 160);
  const message = new Uint8Array(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(domainSeparator(chainId, paymentEscrow), 2);
  message.set(keccak_256(struct), 34);
  return bytesToHex(keccak_256(message));
}

function domainSeparator(chainId: number, paymentEscrow: Address): Uint8Array {
  const key = `${chainId}:${paymentEscrow.toLowerCase()}`;
  let separator = domainSeparators.get(key);
  if (separator === undefined) {
    const domain = paymentEscrowDomain(chainId, paymentEscrow);
    separator = hexToBytes(
      keccak256(
        encodeAbiParameters(
          [
            { type: "bytes32" },
            { type: "bytes32" },
            { type: "bytes32" },
            { type: "uint256" },
            { type: "address" },
          ],
          [
            domainTypeHash,
            keccak256(toBytes(domain.name)),
            keccak256(toBytes(domain.version)),
            BigInt(chainId),
            paymentEscrow,
          ],
        ),
      ),
    );
    domainSeparators.set(key, separator);
  }
  return separator;
}

/** A 20- or 32-byte hex value left-padded to one ABI word. */
function word(value: Hex): Uint8Array {
  const bytes = hexToBytes(value.length % 2 === 0 ? value : `0x0${value.slice(2)}`);
  if (bytes.length > 32) throw new RangeError("value exceeds 32 bytes");
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}
