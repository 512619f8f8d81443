// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPaymentEscrow
/// @notice Buyers' deposits and runners' earnings. Buyers pay per request with EIP-712 vouchers carrying a
/// cumulative amount per channel; anyone may redeem the best voucher of a channel, which pays only the
/// increase over what the channel already paid, and credits each route runner's contributor by its shard's
/// share and the protocol fee to the treasury. Earnings are pulled.
/// A buyer allocates part of its balance to a route (model + runners in order). A voucher is paid first from its
/// route's allocation, then from the buyer's unallocated balance; an allocation leaves only by paying vouchers of
/// its own route or by a release that thaws like a withdrawal. So what a route's runners can count on is its
/// allocation's unreleased amount: no voucher of another route, and no withdrawal, can spend it first.
/// @dev EIP-712 domain: name "TeeTee PaymentEscrow", version "1", this chain, this contract. Type:
/// Voucher(address buyer,bytes32 modelId,bytes32 sessionId,address[] route,uint256 amount)
/// A channel is keccak256(abi.encode(buyer, modelId, sessionId, keccak256(abi.encodePacked(route)))).
interface IPaymentEscrow {
    struct Voucher {
        address buyer;
        bytes32 modelId;
        bytes32 sessionId;
        address[] route;
        uint256 amount;
    }

    /// @param balance unallocated deposit: pays any route's voucher once that route's allocation is spent, first come
    /// first served (includes `thawing`)
    /// @param thawing part of `balance` the buyer asked to withdraw
    /// @param thawEnd when `thawing` can be withdrawn
    struct Account {
        uint128 balance;
        uint128 thawing;
        uint64 thawEnd;
    }

    /// @notice Part of a buyer's deposit set aside for one route; see `allocationId`.
    /// @param amount what is left for the route's vouchers (includes `releasing`)
    /// @param releasing part of `amount` the buyer asked to move back to its balance
    /// @param releaseEnd when `releasing` can be released
    struct Allocation {
        uint128 amount;
        uint128 releasing;
        uint64 releaseEnd;
    }

    /// @notice A session signer (API key) a buyer authorised. A cut of an unexpired signer's limit or expiry waits
    /// the thaw period, as a revocation does, so vouchers a runner already accepted still settle.
    /// @param spendLimit the most its vouchers may spend in all
    /// @param spent what its vouchers have spent
    /// @param validUntil the earlier of its expiry and the time its revocation (or an expiry cut) takes effect
    /// @param pendingLimitFrom when `pendingLimit` replaces `spendLimit`; 0 when no cut is pending
    /// @param pendingLimit the lower limit the buyer asked for, from `pendingLimitFrom` on
    struct SessionSigner {
        uint128 spendLimit;
        uint128 spent;
        uint64 validUntil;
        uint64 pendingLimitFrom;
        uint128 pendingLimit;
    }

    /// @notice `from` deposited `amount` into `buyer`'s balance.
    /// @param buyer whose balance grew
    /// @param from who paid the tokens (the buyer, or anyone depositing for it)
    /// @param amount payment-token base units deposited
    event Deposited(address indexed buyer, address indexed from, uint256 amount);
    /// @notice `buyer` started thawing `amount` for withdrawal, withdrawable from `thawEnd`.
    /// @param buyer who asked
    /// @param amount the whole amount now thawing (a new request replaces the previous one)
    /// @param thawEnd when it can be withdrawn (unix seconds)
    event WithdrawalRequested(address indexed buyer, uint256 amount, uint64 thawEnd);
    /// @notice `buyer` cancelled its pending withdrawal; the amount is no longer thawing.
    /// @param buyer who cancelled
    event WithdrawalCancelled(address indexed buyer);
    /// @notice `buyer` withdrew `amount` of thawed deposit.
    /// @param buyer who withdrew
    /// @param amount payment-token base units sent (the thawed amount capped by what vouchers left)
    event Withdrawn(address indexed buyer, uint256 amount);
    /// @notice `amount` of the buyer's balance moved into the allocation of route `route` of `modelId`.
    /// @param buyer whose balance moved
    /// @param allocationId keccak256(abi.encode(buyer, modelId, keccak256(abi.encodePacked(route))))
    /// @param modelId the model of the route
    /// @param route the runner on each shard, in order
    /// @param amount payment-token base units allocated
    event Allocated(
        address indexed buyer, bytes32 indexed allocationId, bytes32 indexed modelId, address[] route, uint256 amount
    );
    /// @notice The buyer asked to release `amount` of an allocation; vouchers can spend it until `releaseEnd`.
    /// @param buyer who asked
    /// @param allocationId the allocation
    /// @param amount the whole amount now releasing (a new request replaces the previous one)
    /// @param releaseEnd when it can be released (unix seconds)
    event ReleaseRequested(address indexed buyer, bytes32 indexed allocationId, uint256 amount, uint64 releaseEnd);
    /// @notice `buyer` cancelled the pending release of allocation `allocationId`.
    /// @param buyer who cancelled
    /// @param allocationId the allocation
    event ReleaseCancelled(address indexed buyer, bytes32 indexed allocationId);
    /// @notice `amount` of an allocation went back to the buyer's balance.
    /// @param buyer whose balance grew
    /// @param allocationId the allocation
    /// @param amount payment-token base units released (the releasing amount capped by what vouchers left)
    event Released(address indexed buyer, bytes32 indexed allocationId, uint256 amount);
    /// @notice `buyer` authorised session signer `signer` (an API key), or changed its limit or expiry.
    /// @param buyer whose deposit the signer may spend
    /// @param signer the session signer's address
    /// @param spendLimit the most its vouchers may spend in all, from now on
    /// @param expiry when it stops being valid (unix seconds)
    event SignerAuthorized(address indexed buyer, address indexed signer, uint128 spendLimit, uint64 expiry);
    /// @notice `buyer` revoked session signer `signer`; its vouchers stay valid until `validUntil`.
    /// @param buyer who revoked
    /// @param signer the session signer
    /// @param validUntil when the revocation takes effect (unix seconds), a thaw period away at most
    event SignerRevoked(address indexed buyer, address indexed signer, uint64 validUntil);
    /// @notice A cut of a signer's limit was asked for; it takes effect at `effectiveFrom`, the old limit holds until.
    /// @param buyer who asked
    /// @param signer the session signer
    /// @param spendLimit the lower limit that applies from `effectiveFrom`
    /// @param effectiveFrom when the cut takes effect (unix seconds)
    event SignerLimitCutScheduled(
        address indexed buyer, address indexed signer, uint128 spendLimit, uint64 effectiveFrom
    );
    /// @notice A voucher of a batch paid nothing and was skipped.
    /// @param channelId the voucher's channel
    /// @param reason the selector of the error that voucher's `redeem` reverted with (0 when it had none)
    event VoucherSkipped(bytes32 indexed channelId, bytes4 reason);
    /// @notice A voucher of channel `channelId` was redeemed and paid `paid`, the increase it could cover.
    /// @param channelId keccak256(abi.encode(buyer, modelId, sessionId, keccak256(abi.encodePacked(route))))
    /// @param buyer who pays
    /// @param modelId the model served
    /// @param sessionId the buyer's session
    /// @param signer who signed the voucher: the buyer or one of its session signers
    /// @param cumulativeAmount the voucher's cumulative amount
    /// @param paid payment-token base units paid now, from the route's allocation, then the buyer's balance
    event VoucherRedeemed(
        bytes32 indexed channelId,
        address indexed buyer,
        bytes32 indexed modelId,
        bytes32 sessionId,
        address signer,
        uint256 cumulativeAmount,
        uint256 paid
    );
    /// @notice `contributor` was credited `amount` for the work of `runner` on channel `channelId`.
    /// @param contributor who can withdraw it
    /// @param runner the route runner whose shard's share this is
    /// @param channelId the channel paid
    /// @param amount payment-token base units credited
    event EarningsCredited(
        address indexed contributor, address indexed runner, bytes32 indexed channelId, uint256 amount
    );
    /// @notice The treasury was credited the protocol fee `amount` of a payment on channel `channelId`.
    /// @param channelId the channel paid
    /// @param amount payment-token base units credited
    event FeeCredited(bytes32 indexed channelId, uint256 amount);
    /// @notice `contributor` withdrew `amount` of credited earnings.
    /// @param contributor who withdrew
    /// @param amount payment-token base units sent
    event EarningsWithdrawn(address indexed contributor, uint256 amount);
    /// @notice The fees held for the treasury, `amount`, were sent to `to`.
    /// @param to the treasury address
    /// @param amount payment-token base units sent
    event TreasuryWithdrawn(address indexed to, uint256 amount);

    /// @notice The amount must be greater than zero.
    error EscrowZeroAmount();
    /// @notice An address cannot be zero.
    error EscrowZeroAddress();
    /// @notice Buyer `buyer` has `available` in escrow, less than the `needed` needed; deposit more.
    /// @param buyer whose balance fell short
    /// @param needed payment-token base units the call needed
    /// @param available what the buyer has for it (its balance, less what is thawing where that matters)
    error EscrowInsufficientBalance(address buyer, uint256 needed, uint256 available);
    /// @notice Buyer `buyer` has no withdrawal pending.
    /// @param buyer who tried to cancel or finish a withdrawal
    error EscrowNoWithdrawalPending(address buyer);
    /// @notice The withdrawal of `buyer` thaws until `thawEnd`.
    /// @param buyer who tried to withdraw
    /// @param thawEnd when the thawing amount becomes withdrawable (unix seconds)
    error EscrowStillThawing(address buyer, uint64 thawEnd);
    /// @notice `signer` is not a session signer of buyer `buyer`.
    /// @param buyer the buyer named
    /// @param signer the address that signed, or that was to be revoked
    error EscrowSignerNotAuthorized(address buyer, address signer);
    /// @notice Session signer `signer` of `buyer` stopped being valid at `validUntil`.
    /// @param buyer the buyer
    /// @param signer the session signer
    /// @param validUntil when it expired or its revocation took effect (unix seconds)
    error EscrowSignerExpired(address buyer, address signer, uint64 validUntil);
    /// @notice Session signer `signer` of `buyer` would spend `wouldSpend`, over its limit of `limit`.
    /// @param buyer the buyer
    /// @param signer the session signer
    /// @param limit the most its vouchers may spend in all
    /// @param wouldSpend what it would have spent in all with this voucher
    error EscrowSignerLimitExceeded(address buyer, address signer, uint256 limit, uint256 wouldSpend);
    /// @notice Expiry `expiry` is not in the future.
    /// @param expiry the expiry given (unix seconds)
    error EscrowInvalidExpiry(uint64 expiry);
    /// @notice Channel `channelId` already paid `alreadyPaid`; a voucher for `amount` adds nothing.
    /// @param channelId the voucher's channel
    /// @param amount the voucher's cumulative amount
    /// @param alreadyPaid what the channel has paid so far
    error EscrowVoucherNotIncreasing(bytes32 channelId, uint256 amount, uint256 alreadyPaid);
    /// @notice `account` has nothing to withdraw.
    /// @param account the contributor, or the treasury
    error EscrowNothingToWithdraw(address account);
    /// @notice `vouchers` vouchers but `signatures` signatures; give one signature per voucher.
    /// @param vouchers how many vouchers were given
    /// @param signatures how many signatures were given
    error EscrowBatchLengthMismatch(uint256 vouchers, uint256 signatures);
    /// @notice A thaw period of `thawPeriod` s is outside `min`..`max` s.
    /// @dev Zero would leave served vouchers unpaid, and one near 2^64 would overflow every thaw end.
    /// @param thawPeriod the thaw period given, in seconds
    /// @param min the shortest allowed, in seconds
    /// @param max the longest allowed, in seconds
    error EscrowThawPeriodOutOfRange(uint64 thawPeriod, uint64 min, uint64 max);
    /// @notice Buyer `buyer` has no release of allocation `allocationId` pending.
    /// @param buyer who tried to cancel or finish a release
    /// @param allocationId the allocation
    error EscrowNoReleasePending(address buyer, bytes32 allocationId);
    /// @notice The release of `buyer`'s allocation `allocationId` thaws until `releaseEnd`.
    /// @param buyer who tried to release
    /// @param allocationId the allocation
    /// @param releaseEnd when the releasing amount can be released (unix seconds)
    error EscrowStillReleasing(address buyer, bytes32 allocationId, uint64 releaseEnd);
    /// @notice Allocation `allocationId` holds `available`, less than the `needed` asked to release.
    /// @param allocationId the allocation
    /// @param needed payment-token base units asked for
    /// @param available what the allocation holds
    error EscrowInsufficientAllocation(bytes32 allocationId, uint256 needed, uint256 available);
    /// @notice The route names runner `runner` twice (again at hop `index`); one runner serves one shard.
    /// @param index the later of the two positions that name it
    /// @param runner the runner named twice
    error EscrowRouteRepeatsRunner(uint256 index, address runner);

    /// @notice Deposits `amount` for the caller.
    function deposit(uint256 amount) external;

    /// @notice Deposits `amount` from the caller for `buyer`.
    function depositFor(address buyer, uint256 amount) external;

    /// @notice Deposits for `buyer` using the caller's EIP-2612 permit, in one transaction.
    function depositWithPermit(address buyer, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external;

    /// @notice Starts thawing `amount` for withdrawal (replacing any pending request, restarting the thaw).
    /// Vouchers can still be redeemed against it until it is withdrawn.
    function requestWithdrawal(uint256 amount) external;

    function cancelWithdrawal() external;

    /// @notice Ends the withdrawal request once the thaw period has passed, sending the thawed amount capped by the
    /// current balance (zero when vouchers redeemed during the thaw spent it all).
    function withdraw() external;

    /// @notice Moves `amount` of the caller's available balance (not thawing) into its allocation for `route` of
    /// `modelId`. Only that route's vouchers can spend it; only `requestRelease` + `release` move it back.
    function allocate(bytes32 modelId, address[] calldata route, uint256 amount) external;

    /// @notice Starts thawing `amount` of the caller's allocation for `route` of `modelId` (replacing any pending
    /// release, restarting the thaw). Vouchers of the route can still spend it until it is released.
    function requestRelease(bytes32 modelId, address[] calldata route, uint256 amount) external;

    function cancelRelease(bytes32 modelId, address[] calldata route) external;

    /// @notice Once the thaw period has passed, moves the releasing amount (capped by what vouchers left of the
    /// allocation) back to the caller's balance.
    function release(bytes32 modelId, address[] calldata route) external;

    /// @notice Authorises (or updates) a session signer with a spend limit and an expiry. Amount spent is kept.
    /// Raising either takes effect at once. While the signer is unexpired, lowering the limit waits the thaw period
    /// (`pendingLimit`), and lowering the expiry leaves it valid until the earlier of its old expiry and now plus
    /// the thaw period, so vouchers already served settle.
    function authorizeSigner(address signer, uint128 spendLimit, uint64 expiry) external;

    /// @notice Revokes a session signer; takes effect after the thaw period so served requests can settle.
    function revokeSigner(address signer) external;

    /// @notice Redeems one voucher; reverts unless it pays something. The channel's increase is paid from the
    /// route's allocation, then from the buyer's balance; what neither covers stays owed to the channel. A model's
    /// deactivation does not stop vouchers of its service from settling: runners refuse new requests for an inactive
    /// model off-chain.
    function redeem(Voucher calldata voucher, bytes calldata signature) external returns (uint256 paid);

    /// @notice Redeems many vouchers, each on its own: a voucher whose `redeem` would revert (already paid as far
    /// as it goes, buyer empty, bad signature, bad route, ...) is skipped with `VoucherSkipped` naming its error,
    /// so neither racing redeemers nor one bad voucher block the rest.
    function redeemBatch(Voucher[] calldata vouchers, bytes[] calldata signatures) external returns (uint256 paid);

    /// @notice Sends the caller's credited earnings.
    function withdrawEarnings() external;

    /// @notice Sends the fees held for the treasury to the treasury address.
    function withdrawTreasury() external;

    function getAccount(address buyer) external view returns (Account memory);

    /// @notice Unallocated balance not thawing. Runners cannot count on it: any route's voucher may spend it first.
    function availableBalance(address buyer) external view returns (uint256);

    function getAllocation(bytes32 allocationId) external view returns (Allocation memory);

    /// @notice An allocation less what is releasing: what the route's runners may count on, since only a voucher
    /// of that route (paying them) can lower it before a release the runners see coming a thaw period ahead.
    function availableAllocation(bytes32 allocationId) external view returns (uint256);

    /// @notice keccak256(abi.encode(buyer, modelId, keccak256(abi.encodePacked(route)))).
    function allocationId(address buyer, bytes32 modelId, address[] calldata route)
        external
        pure
        returns (bytes32);

    function getSigner(address buyer, address signer) external view returns (SessionSigner memory);

    function channelId(address buyer, bytes32 modelId, bytes32 sessionId, address[] calldata route)
        external
        pure
        returns (bytes32);

    function channelPaid(bytes32 channelId) external view returns (uint256);

    /// @notice The EIP-712 digest of a voucher.
    function voucherDigest(Voucher calldata voucher) external view returns (bytes32);

    function earnings(address contributor) external view returns (uint256);

    function treasury() external view returns (address);

    function treasuryBalance() external view returns (uint256);

    function thawPeriod() external view returns (uint64);

    /// @notice The shortest thaw period a deployment may have.
    function MIN_THAW_PERIOD() external view returns (uint64);

    /// @notice The longest thaw period a deployment may have.
    function MAX_THAW_PERIOD() external view returns (uint64);

    /// @notice Gas forwarded to a contract buyer's ERC-1271 `isValidSignature`.
    function ERC1271_GAS() external view returns (uint256);

    /// @notice Sum of all buyer balances and allocations.
    function totalDeposits() external view returns (uint256);

    /// @notice Sum of all credited, unwithdrawn earnings.
    function totalEarnings() external view returns (uint256);
}
