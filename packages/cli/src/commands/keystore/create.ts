import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { optionsOf, outputOf } from "../../lib/command.js";
import { configError } from "../../lib/errors.js";
import type { CliIo } from "../../lib/io.js";
import { encryptKeystore, findPrivateKey } from "../../lib/keys.js";

export function registerKeystoreCreate(parent: Command, io: CliIo): void {
  parent
    .command("create")
    .description("Write the configured key (or, with --new, a fresh one) into an encrypted keystore")
    .requiredOption("--out <file>", "keystore file to write")
    .option("--new", "generate a new key instead of encrypting the configured one")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{ out: string; new?: boolean; passwordEnv?: string }>(command);
      const out = outputOf(io, command);
      const passwordEnv = options.passwordEnv ?? "TEETEE_KEYSTORE_PASSWORD";
      const password = io.env[passwordEnv];
      if (password === undefined || password.length < 8) {
        throw configError(`Set ${passwordEnv} to the keystore password (8 characters or more).`);
      }
      const key = options.new
        ? generatePrivateKey()
        : await findPrivateKey(io, { ...options, keystore: undefined });
      if (key === undefined) throw configError("No key to encrypt: set TEETEE_PRIVATE_KEY or pass --new.");
      const file = resolve(io.cwd, options.out);
      await writeFile(file, await encryptKeystore(key, password), { mode: 0o600 });
      const address = privateKeyToAccount(key).address;
      out.result({ address, file }, [
        ["address", address],
        ["keystore", file],
      ]);
    });
}
