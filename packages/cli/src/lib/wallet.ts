import { approveToken, getTokenAllowance, getTokenBalance } from "@teetee/sdk/contracts";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { parseAddress } from "./command.js";
import type { GlobalOptions, WalletContext } from "./context.js";
import { CliError, configError, ExitCode } from "./errors.js";
import type { CliIo } from "./io.js";
import { findPrivateKey } from "./keys.js";
import { formatAmount } from "./units.js";

/** Checks the sender holds `amount` and lets `spender` pull it, approving only when the allowance is short. */
export async function ensureFundsAndAllowance(
  ctx: WalletContext,
  spender: Address,
  amount: bigint,
): Promise<void> {
  const owner = ctx.account.address;
  const balance = await getTokenBalance(ctx.publicClient, { contracts: ctx.contracts, owner });
  if (balance < amount) {
    const { decimals, symbol } = ctx.token;
    throw new CliError(
      `Insufficient balance: ${owner} holds ${formatAmount(balance, decimals, symbol)}, needs ${formatAmount(amount, decimals, symbol)}.`,
      { exitCode: ExitCode.revert, errorName: "InsufficientTokenBalance" },
    );
  }
  const allowance = await getTokenAllowance(ctx.publicClient, { contracts: ctx.contracts, owner, spender });
  if (allowance < amount) {
    await ctx.send("approve", () =>
      approveToken(ctx.walletClient, { contracts: ctx.contracts, spender, amount }),
    );
  }
}

/** The account a read command is about: `--address`, else the configured key's address. */
export async function subjectAddress(
  io: CliIo,
  options: GlobalOptions & { address?: string },
): Promise<Address> {
  if (options.address !== undefined) return parseAddress(options.address);
  const key = await findPrivateKey(io, options);
  if (key === undefined) {
    throw configError("Which account? Pass --address, or configure a key (TEETEE_PRIVATE_KEY).");
  }
  return privateKeyToAccount(key).address;
}
