import { authorizeSigner } from "@teetee/sdk/contracts";
import { formatApiKey } from "@teetee/sdk/payments";
import type { Command } from "commander";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { optionsOf, outputOf } from "../../lib/command.js";
import { connectWallet } from "../../lib/context.js";
import type { CliIo } from "../../lib/io.js";
import { formatAmount, formatTime, parseDuration, parsePositiveAmount } from "../../lib/units.js";

export function registerKeyCreate(parent: Command, io: CliIo): void {
  parent
    .command("create")
    .description("Make a session key, authorise it on-chain and print the API key (shown only once)")
    .requiredOption("--limit <tokens>", "most the key may ever spend, in payment tokens")
    .option("--expires <duration>", "how long it stays valid (e.g. 12h, 30d)", "30d")
    .action(async (_options: object, command: Command) => {
      const options = optionsOf<{ limit: string; expires: string }>(command);
      const out = outputOf(io, command);
      const ctx = await connectWallet(io, options);
      const spendLimit = parsePositiveAmount(options.limit, ctx.token.decimals, "limit");
      const expiry = BigInt(Math.floor(Date.now() / 1000)) + parseDuration(options.expires, "expiry");
      const sessionKey = generatePrivateKey();
      const signer = privateKeyToAccount(sessionKey).address;
      const receipt = await ctx.send("authorizeSigner", () =>
        authorizeSigner(ctx.walletClient, { contracts: ctx.contracts, signer, spendLimit, expiry }),
      );
      const apiKey = formatApiKey({ buyer: ctx.account.address, sessionPrivateKey: sessionKey });
      out.result(
        {
          apiKey,
          buyer: ctx.account.address,
          signer,
          spendLimit,
          expiry,
          transaction: receipt.transactionHash,
        },
        [
          ["API key", apiKey],
          ["signer", signer],
          ["limit", formatAmount(spendLimit, ctx.token.decimals, ctx.token.symbol)],
          ["expires", formatTime(expiry)],
          ["note", "This is the only time the key is shown: store it now (e.g. TEETEE_API_KEY in .env)."],
        ],
      );
    });
}
