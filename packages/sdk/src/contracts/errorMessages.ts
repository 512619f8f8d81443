import type { Address, ContractErrorArgs, ContractErrorName, Hex } from "viem";
import type { teeTeeErrorAbi } from "./errorAbi.js";

type ErrorAbi = typeof teeTeeErrorAbi;

/** Names of every custom error a TeeTee contract can revert with. */
export type TeeTeeErrorName = ContractErrorName<ErrorAbi>;

type Messages = { [name in TeeTeeErrorName]: (args: ContractErrorArgs<ErrorAbi, name>) => string };

const short = (value: Address | Hex): string => `${value.slice(0, 10)}…${value.slice(-4)}`;
const time = (seconds: bigint | number): string => new Date(Number(seconds) * 1000).toISOString();

/**
 * One human sentence per custom error, for the CLI and web app. The type forces a message for every error
 * in the ABIs, so a new contract error cannot ship without one.
 */
export const teeTeeErrorMessages: Messages = {
  ModelAlreadyRegistered: ([id]) => `Model ${short(id)} is already registered.`,
  ModelNotFound: ([id]) => `No model ${short(id)} is registered.`,
  ModelNotCurator: ([id, caller]) => `${caller} is not the curator of model ${short(id)}.`,
  ModelInvalidShardCount: ([count]) =>
    `A model needs between 1 and the maximum number of shards; got ${count}.`,
  ModelInvalidLayerRange: ([index, first, end]) =>
    `Shard ${index} covers layers [${first}, ${end}); shards must be non-empty, contiguous from layer 0 and end at the model's layer count.`,
  ModelInvalidShares: ([shares, fee]) =>
    `Shard shares (${shares} bps) plus the protocol fee (${fee} bps) must add up to 10000 bps.`,
  ModelInvalidAttestationTtl: ([ttl]) => `An attestation TTL of ${ttl} s is not allowed.`,
  ModelZeroId: () => "A model id cannot be zero.",
  ModelInvalidCurator: ([curator]) => `${curator} cannot be a model's curator.`,
  ModelNotPendingCurator: ([id, caller]) =>
    `${caller} was not proposed as curator of model ${short(id)}; its curator must call transferCuratorship first.`,
  StakingZeroAmount: () => "The amount must be greater than zero.",
  StakingZeroAddress: () => "An address cannot be zero.",
  StakingInsufficientFreeStake: ([staker, needed, available]) =>
    `${staker} has ${available} free stake but ${needed} is needed; stake more or deactivate a runner.`,
  StakingNothingToWithdraw: ([staker]) => `${staker} has no unbonded stake to withdraw.`,
  StakingStillUnbonding: ([staker, end]) => `Stake of ${staker} is unbonding until ${time(end)}.`,
  StakingUnbondingPeriodTooLong: ([period, max]) =>
    `An unbonding period of ${period} s exceeds the maximum of ${max} s.`,
  RunnerAlreadyActive: ([runner]) => `Runner ${runner} is already active.`,
  RunnerNotFound: ([runner]) => `Runner ${runner} was never registered.`,
  RunnerNotActive: ([runner]) => `Runner ${runner} is not active.`,
  RunnerModelInactive: ([id]) => `Model ${short(id)} is not active, so it takes no new runners.`,
  RunnerInvalidShard: ([id, index]) => `Model ${short(id)} has no shard ${index}.`,
  RunnerComposeHashNotAllowed: ([id, hash]) =>
    `Compose hash ${short(hash)} is not in model ${short(id)}'s allowlist; run an allowed image.`,
  RunnerInvalidConsent: ([runner, signer]) =>
    `The consent was signed by ${signer}, not by runner key ${runner} (or signs other values).`,
  RunnerConsentExpired: ([deadline]) => `The runner's signature expired at ${time(deadline)}; sign again.`,
  RunnerPublicKeyMismatch: ([runner]) => `The public key given does not belong to runner ${runner}.`,
  RunnerContributorMismatch: ([runner, contributor]) =>
    `Runner ${runner} belongs to contributor ${contributor}; only they can re-register it.`,
  RunnerNotAuthorized: ([runner, caller]) => `${caller} may not manage runner ${runner}.`,
  RunnerQuoteHashMismatch: ([expected, actual]) =>
    `The quote hashes to ${short(actual)}, not the ${short(expected)} signed.`,
  RunnerReportDataMismatch: ([expected, actual]) =>
    `The quote's report data ${short(actual)} does not commit to this runner (expected ${short(expected)}).`,
  RunnerOsImageNotAllowed: ([id, osImage]) =>
    `OS image ${short(osImage)} is not in model ${short(id)}'s allowlist; boot an allowed dstack OS image.`,
  RunnerOsImageMismatch: ([expected, actual]) =>
    `The quote measures OS image ${short(actual)}, not the ${short(expected)} signed.`,
  RunnerComposeHashMismatch: ([expected, actual]) =>
    `The quote measures compose hash ${short(actual)}, not the ${short(expected)} signed.`,
  RunnerRouteLengthMismatch: ([expected, actual]) =>
    `A route needs ${expected} runners, one per shard; got ${actual}.`,
  RunnerRouteInvalid: ([index, runner]) =>
    `Runner ${runner} was not registered for shard ${index} of this model.`,
  EscrowZeroAmount: () => "The amount must be greater than zero.",
  EscrowZeroAddress: () => "An address cannot be zero.",
  EscrowInsufficientBalance: ([buyer, needed, available]) =>
    `Buyer ${buyer} has ${available} in escrow, less than the ${needed} needed; deposit more.`,
  EscrowNoWithdrawalPending: ([buyer]) => `Buyer ${buyer} has no withdrawal pending.`,
  EscrowStillThawing: ([buyer, end]) => `The withdrawal of ${buyer} thaws until ${time(end)}.`,
  EscrowInsufficientAllocation: ([id, needed, available]) =>
    `Allocation ${short(id)} holds ${available}, less than the ${needed} asked to release.`,
  EscrowNoReleasePending: ([buyer, id]) =>
    `Buyer ${buyer} has no release of allocation ${short(id)} pending.`,
  EscrowStillReleasing: ([buyer, id, end]) =>
    `The release of ${buyer}'s allocation ${short(id)} thaws until ${time(end)}.`,
  EscrowSignerNotAuthorized: ([buyer, signer]) => `${signer} is not a session signer of buyer ${buyer}.`,
  EscrowSignerExpired: ([buyer, signer, until]) =>
    `Session signer ${signer} of ${buyer} stopped being valid at ${time(until)}.`,
  EscrowSignerLimitExceeded: ([buyer, signer, limit, wouldSpend]) =>
    `Session signer ${signer} of ${buyer} would spend ${wouldSpend}, over its limit of ${limit}.`,
  EscrowInvalidExpiry: ([expiry]) => `Expiry ${time(expiry)} is not in the future.`,
  EscrowVoucherNotIncreasing: ([channel, amount, paid]) =>
    `Channel ${short(channel)} already paid ${paid}; a voucher for ${amount} adds nothing.`,
  EscrowNothingToWithdraw: ([account]) => `${account} has nothing to withdraw.`,
  EscrowBatchLengthMismatch: ([vouchers, signatures]) =>
    `${vouchers} vouchers but ${signatures} signatures; give one signature per voucher.`,
  EscrowThawPeriodOutOfRange: ([thaw, min, max]) => `A thaw period of ${thaw} s is outside ${min}..${max} s.`,
  EscrowRouteRepeatsRunner: ([index, runner]) =>
    `The route names runner ${runner} twice (again at hop ${index}); one runner serves one shard.`,
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
