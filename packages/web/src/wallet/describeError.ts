import { describe, TeeTeeError, walk } from "@teetee/errors";
import { decodeContractError } from "@teetee/sdk/contracts";
import { formatToken, type TokenInfo } from "../chain/format.js";

/** A failure in words, with the contract error's name when there was one. */
export type DescribedError = { title: string; message: string; code?: string };

type Walkable = { code?: unknown; name?: unknown; message?: unknown };

/** Whether any error along the cause chain passes `test`; wallets' and viem's errors are known by `code` or `name`. */
function has(error: unknown, test: (link: Walkable) => boolean): boolean {
  return (
    walk(error, (link) => typeof link === "object" && link !== null && test(link as Walkable)) !== undefined
  );
}

/** Raised by the app itself when the wallet is on another chain; carries both ids. */
export class WrongChainError extends TeeTeeError {
  override name = "WrongChainError" as const;
  constructor(
    readonly walletChainId: number,
    readonly expectedChainId: number,
    readonly expectedName: string,
  ) {
    super(
      `Your wallet is on chain ${walletChainId}; TeeTee here runs on ${expectedName} (chain ${expectedChainId}).`,
    );
  }
}

/** Raised before the wallet opens when an amount exceeds what the account holds. */
export class InsufficientBalanceError extends TeeTeeError {
  override name = "InsufficientBalanceError" as const;
}

/**
 * Turns whatever a wallet, the RPC node or a contract threw into a sentence a person understands: a rejected
 * request, a wrong chain, a too-small balance, or the contract's custom error decoded into words.
 */
/** Contract errors about amounts, restated in token units (the SDK's sentences give base units). */
function amountMessage(name: string, args: readonly unknown[], token: TokenInfo): string | undefined {
  const [, needed, available] = args;
  if (typeof needed !== "bigint" || typeof available !== "bigint") return undefined;
  const n = formatToken(needed, token);
  const a = formatToken(available, token);
  if (name === "StakingInsufficientFreeStake")
    return `This needs ${n} of free stake, but you have ${a} free (stake locked behind runners or unbonding does not count).`;
  if (name === "EscrowInsufficientBalance") return `Your deposit has ${a} available; this needs ${n}.`;
  return undefined;
}

export function describeError(error: unknown, token?: TokenInfo): DescribedError {
  if (error instanceof WrongChainError) {
    return { title: "Wrong network", message: `${error.message} Switch networks, then try again.` };
  }
  if (error instanceof InsufficientBalanceError)
    return { title: "Insufficient balance", message: error.message };
  if (has(error, (e) => e.code === 4001 || e.name === "UserRejectedRequestError")) {
    return {
      title: "Request rejected in your wallet",
      message: "You declined the request in your wallet. Nothing was signed or sent, and no funds moved.",
    };
  }
  if (has(error, (e) => e.name === "ChainMismatchError")) {
    return {
      title: "Wrong network",
      message: "Your wallet switched to another network. Switch back to the TeeTee network, then try again.",
    };
  }
  const decoded = decodeContractError(error);
  if (decoded.data !== undefined) {
    const message = (token && amountMessage(decoded.name, decoded.args, token)) ?? decoded.message;
    return { title: "The contract refused this", message, code: decoded.name };
  }
  if (has(error, (e) => typeof e.message === "string" && /insufficient funds for gas/i.test(e.message))) {
    return {
      title: "Not enough ETH for gas",
      message: "Your wallet has too little ETH to pay the network fee for this transaction.",
    };
  }
  return { title: "Something went wrong", message: describe(error) };
}
