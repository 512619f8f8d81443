import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha2";
import { type Address, bytesToHex, getAddress, type Hex, hexToBytes, isAddressEqual } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { z } from "zod";
import { RunnerStartupError } from "./errors.js";

/** The dstack key path the sealing key derives from; every instance of the app gets the same key. */
export const SEAL_KEY_PATH = "teetee/runner-key-seal/v1";
export const SEAL_KEY_PURPOSE = "seal";
export const SEALED_KEY_FILE = "runner-key.sealed.json";
const SEAL_INFO = new TextEncoder().encode("TeeTee.RunnerKeySeal.v1/aes-256-gcm");

/** What `DstackClient.getKey` offers; a structural type so tests and other agents can stand in. */
export type SealKeySource = { getKey: (path: string, purpose: string) => Promise<{ key: Uint8Array }> };

const sealedFileSchema = z.object({
  version: z.literal(1),
  address: z.string(),
  nonce: z.string().regex(/^0x[0-9a-f]{24}$/),
  ciphertext: z.string().regex(/^0x[0-9a-f]{64}$/),
  tag: z.string().regex(/^0x[0-9a-f]{32}$/),
});

export type RunnerKey = { privateKey: Hex; address: Address; created: boolean };

async function sealingKey(source: SealKeySource): Promise<Uint8Array> {
  const { key } = await source.getKey(SEAL_KEY_PATH, SEAL_KEY_PURPOSE);
  return hkdf(sha256, key, undefined, SEAL_INFO, 32);
}

/** The address is the AAD: a sealed key cannot be passed off as another runner's. */
function aad(address: Address): Uint8Array {
  return new TextEncoder().encode(`TeeTee.RunnerKeySeal.v1|${address.toLowerCase()}`);
}

/**
 * Unseals the runner's key from `dataDir`, or at first start makes a fresh secp256k1 key inside the TEE and
 * seals it there with AES-256-GCM under a key derived from dstack `getKey`. A dstack key is the same for
 * every instance of an app, so it cannot identify a runner; it only keeps the runner's own key on disk
 * readable by this app alone. A file that does not unseal stops the runner: it never silently makes a new
 * identity over an old one.
 */
export async function loadOrCreateRunnerKey(params: {
  dataDir: string;
  dstack: SealKeySource;
}): Promise<RunnerKey> {
  const file = join(params.dataDir, SEALED_KEY_FILE);
  const existing = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new RunnerStartupError(`Cannot read the sealed runner key ${file}`, { cause: error });
  });
  const key = await sealingKey(params.dstack);
  if (existing !== undefined) return { ...unseal(existing, key, file), created: false };
  const privateKey = generatePrivateKey();
  const address = privateKeyToAddress(privateKey);
  await mkdir(params.dataDir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, seal(privateKey, address, key), { mode: 0o600 });
  await rename(temporary, file);
  return { privateKey, address, created: true };
}

function seal(privateKey: Hex, address: Address, key: Uint8Array): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad(address));
  const ciphertext = Buffer.concat([cipher.update(hexToBytes(privateKey)), cipher.final()]);
  return `${JSON.stringify(
    {
      version: 1,
      address,
      nonce: bytesToHex(nonce),
      ciphertext: bytesToHex(ciphertext),
      tag: bytesToHex(cipher.getAuthTag()),
    },
    null,
    2,
  )}\n`;
}

function unseal(text: string, key: Uint8Array, file: string): Omit<RunnerKey, "created"> {
  let parsed: z.infer<typeof sealedFileSchema>;
  try {
    parsed = sealedFileSchema.parse(JSON.parse(text));
  } catch (cause) {
    throw new RunnerStartupError(`Sealed runner key ${file} is malformed`, { cause });
  }
  const address = getAddress(parsed.address);
  let privateKey: Hex;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, hexToBytes(parsed.nonce as Hex));
    decipher.setAAD(aad(address));
    decipher.setAuthTag(hexToBytes(parsed.tag as Hex));
    privateKey = bytesToHex(
      Buffer.concat([decipher.update(hexToBytes(parsed.ciphertext as Hex)), decipher.final()]),
    );
  } catch (cause) {
    throw new RunnerStartupError(`Sealed runner key ${file} cannot be unsealed in this TEE`, {
      cause,
      details: `runner ${address}`,
      hint: "It was sealed by another app (compose hash) or altered. Move it away only if you mean to start a new runner identity.",
    });
  }
  if (!isAddressEqual(privateKeyToAddress(privateKey), address)) {
    throw new RunnerStartupError(`Sealed runner key ${file} does not match its address`);
  }
  return { privateKey, address };
}
