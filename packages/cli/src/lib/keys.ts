import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Wallet } from "ethers";
import type { Hex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { configError } from "./errors.js";
import type { CliIo } from "./io.js";

/** Where the signing key comes from; the first that is set wins, in this order. */
export interface KeyOptions {
  /** A 0x private key on the command line (visible to other local users: prefer an env variable or keystore). */
  key?: string;
  /** The environment variable (or `.env` entry) holding the key. Default `TEETEE_PRIVATE_KEY`. */
  keyEnv?: string;
  /** An encrypted JSON keystore (geth/ethers/viem scrypt format). Default from `TEETEE_KEYSTORE`. */
  keystore?: string;
  /** The environment variable holding the keystore's password. Default `TEETEE_KEYSTORE_PASSWORD`. */
  passwordEnv?: string;
}

const privateKeyPattern = /^0x[0-9a-fA-F]{64}$/;

function checkedKey(value: string, source: string): Hex {
  const key = value.trim();
  if (!privateKeyPattern.test(key)) {
    throw configError(`The key from ${source} is not a private key (0x + 64 hex digits).`);
  }
  return key as Hex;
}

async function keyFromKeystore(io: CliIo, file: string, passwordEnv: string): Promise<Hex> {
  const password = io.env[passwordEnv];
  if (password === undefined) {
    throw configError(
      `The keystore ${file} needs its password in ${passwordEnv}.`,
      `Set ${passwordEnv} in .env.`,
    );
  }
  let json: string;
  try {
    json = await readFile(resolve(io.cwd, file), "utf8");
  } catch {
    throw configError(`Cannot read the keystore ${file}.`);
  }
  try {
    const wallet = await Wallet.fromEncryptedJson(json, password);
    return wallet.privateKey as Hex;
  } catch {
    throw configError(`Cannot decrypt the keystore ${file}: wrong password or not a keystore.`);
  }
}

/** The private key named by the options, or undefined when none is configured. Never printed. */
export async function findPrivateKey(io: CliIo, options: KeyOptions): Promise<Hex | undefined> {
  if (options.key !== undefined) return checkedKey(options.key, "--key");
  const keyEnv = options.keyEnv ?? "TEETEE_PRIVATE_KEY";
  const fromEnv = io.env[keyEnv];
  if (options.keyEnv !== undefined && fromEnv === undefined) {
    throw configError(`${keyEnv} is not set.`, `Put ${keyEnv}=0x… in .env or the environment.`);
  }
  if (fromEnv !== undefined && options.keystore === undefined) return checkedKey(fromEnv, keyEnv);
  const keystore = options.keystore ?? io.env["TEETEE_KEYSTORE"];
  if (keystore !== undefined) {
    return keyFromKeystore(io, keystore, options.passwordEnv ?? "TEETEE_KEYSTORE_PASSWORD");
  }
  return undefined;
}

/** The account that signs this command's transactions. */
export async function resolveAccount(io: CliIo, options: KeyOptions): Promise<PrivateKeyAccount> {
  const key = await findPrivateKey(io, options);
  if (key === undefined) {
    throw configError(
      "This command sends a transaction and needs a key.",
      "Set TEETEE_PRIVATE_KEY in .env, or pass --key-env NAME, or --keystore FILE with TEETEE_KEYSTORE_PASSWORD.",
    );
  }
  return privateKeyToAccount(key);
}

/** Encrypts a private key into a keystore JSON (scrypt), readable by ethers, viem-based tools and geth. */
export async function encryptKeystore(privateKey: Hex, password: string): Promise<string> {
  return new Wallet(privateKey).encrypt(password);
}
