import { contractErrorNotices } from "@teetee/contracts/errorNotices";
import type { AbiParameter, Address, ContractErrorArgs, ContractErrorName, Hex } from "viem";
import { teeTeeErrorAbi } from "./errorAbi.js";

type ErrorAbi = typeof teeTeeErrorAbi;

/** Names of every custom error a TeeTee contract can revert with. */
export type TeeTeeErrorName = ContractErrorName<ErrorAbi>;

type Message<name extends TeeTeeErrorName> = (args: ContractErrorArgs<ErrorAbi, name>) => string;
type Messages = { [name in TeeTeeErrorName]: Message<name> };
/** The errors TeeTee's own contracts declare: their sentence is their NatSpec notice. */
type NoticeErrorName = keyof typeof contractErrorNotices & TeeTeeErrorName;
/** The errors of the OpenZeppelin libraries the contracts use, whose NatSpec is written for developers. */
type LibraryErrorName = Exclude<TeeTeeErrorName, NoticeErrorName>;

const short = (value: Address | Hex): string => `${value.slice(0, 10)}…${value.slice(-4)}`;
const time = (seconds: bigint | number): string => new Date(Number(seconds) * 1000).toISOString();

/** Arguments that are points in time (unix seconds), shown as ISO dates. */
const timestampName = /End$|^deadline$|^expiry$|^validUntil$/;

function formatArgument(input: AbiParameter, value: unknown): string {
  if (input.type === "bytes32") return short(value as Hex);
  if (input.name !== undefined && timestampName.test(input.name)) return time(value as bigint);
  return String(value);
}

/** The error's sentence: its notice with each `argument` replaced by the argument's value. */
function fromNotice(name: NoticeErrorName): (args: readonly unknown[]) => string {
  const notice: string = contractErrorNotices[name];
  const inputs = teeTeeErrorAbi.find((item) => item.type === "error" && item.name === name)?.inputs ?? [];
  return (args) =>
    notice.replace(/`(\w+)`/g, (text, argument: string) => {
      const index = inputs.findIndex((input) => input.name === argument);
      return index < 0 ? text : formatArgument(inputs[index] as AbiParameter, args[index]);
    });
}

const noticeMessages = Object.fromEntries(
  (Object.keys(contractErrorNotices) as NoticeErrorName[]).map((name) => [name, fromNotice(name)]),
) as unknown as { [name in NoticeErrorName]: Message<name> };

const libraryMessages: { [name in LibraryErrorName]: Message<name> } = {
  AccessControlUnauthorizedAccount: ([account, role]) => `${account} lacks role ${short(role)}.`,
  AccessControlBadConfirmation: () => "A role can only be renounced by its holder.",
  AccessControlEnforcedDefaultAdminRules: () =>
    "The admin role moves only in two steps: beginDefaultAdminTransfer, then acceptDefaultAdminTransfer after the delay.",
  AccessControlEnforcedDefaultAdminDelay: ([schedule]) =>
    `The admin transfer can be accepted only from ${time(schedule)}.`,
  AccessControlInvalidDefaultAdmin: ([account]) =>
    `${account} cannot accept the admin role: it was not proposed.`,
  ECDSAInvalidSignature: () => "The signature is invalid.",
  ECDSAInvalidSignatureLength: ([length]) => `A signature must be 65 bytes; got ${length}.`,
  ECDSAInvalidSignatureS: ([s]) => `The signature's s value ${short(s)} is malleable.`,
  ERC20InsufficientBalance: ([sender, balance, needed]) =>
    `${sender} holds ${balance} tokens, less than the ${needed} needed.`,
  ERC20InsufficientAllowance: ([spender, allowance, needed]) =>
    `${spender} may spend ${allowance} tokens, less than the ${needed} needed; approve more or use a permit.`,
  ERC20InvalidApprover: ([approver]) => `${approver} cannot approve.`,
  ERC20InvalidReceiver: ([receiver]) => `${receiver} cannot receive tokens.`,
  ERC20InvalidSender: ([sender]) => `${sender} cannot send tokens.`,
  ERC20InvalidSpender: ([spender]) => `${spender} cannot be a spender.`,
  ERC2612ExpiredSignature: ([deadline]) => `The permit expired at ${time(deadline)}.`,
  ERC2612InvalidSigner: ([signer, owner]) => `The permit was signed by ${signer}, not by owner ${owner}.`,
  InvalidAccountNonce: ([account, nonce]) => `Nonce ${nonce} is not the current one of ${account}.`,
  InvalidShortString: () => "Invalid short string.",
  StringTooLong: ([text]) => `String too long: ${text}.`,
  SafeERC20FailedOperation: ([token]) => `Token ${token} refused the transfer.`,
  ReentrancyGuardReentrantCall: () => "Re-entering this contract is not allowed.",
  SafeCastOverflowedUintDowncast: ([bits, value]) => `${value} does not fit in ${bits} bits.`,
};

/**
 * One human sentence per custom error, for the CLI and web app. TeeTee's own errors read their NatSpec notice
 * (generated into `@teetee/contracts/errorNotices` by `pnpm build:contracts`); the libraries' errors have theirs
 * here. The type forces a sentence for every error in the ABIs, so a new contract error cannot ship without one.
 */
export const teeTeeErrorMessages: Messages = { ...noticeMessages, ...libraryMessages };
