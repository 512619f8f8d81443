// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPaymentEscrow
/// @notice Buyers' deposits and runners' earnings. Buyers pay per request with EIP-712 vouchers carrying a
/// cumulative amount per channel; anyone may redeem the best voucher of a channel, which pays only the
/// increase over what the channel already paid, capped by the buyer's balance, and credits each route
/// runner's contributor by its shard's share and the protocol fee to the treasury. Earnings are pulled.
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

    /// @param balance deposit available to vouchers (includes `thawing`)
    /// @param thawing part of `balance` the buyer asked to withdraw
    /// @param thawEnd when `thawing` can be withdrawn
    struct Account {
        uint128 balance;
        uint128 thawing;
        uint64 thawEnd;
    }

    /// @notice A session signer (API key) a buyer authorised.
    /// @param validUntil the earlier of its expiry and the time its revocation takes effect
    struct SessionSigner {
        uint128 spendLimit;
        uint128 spent;
        uint64 validUntil;
    }

    event Deposited(address indexed buyer, address indexed from, uint256 amount);
    event WithdrawalRequested(address indexed buyer, uint256 amount, uint64 thawEnd);
    event WithdrawalCancelled(address indexed buyer);
    event Withdrawn(address indexed buyer, uint256 amount);
    event SignerAuthorized(address indexed buyer, address indexed signer, uint128 spendLimit, uint64 expiry);
    event SignerRevoked(address indexed buyer, address indexed signer, uint64 validUntil);
    event VoucherRedeemed(
        bytes32 indexed channelId,
        address indexed buyer,
        bytes32 indexed modelId,
        bytes32 sessionId,
        address signer,
        uint256 cumulativeAmount,
        uint256 paid
    );
    event EarningsCredited(
        address indexed contributor, address indexed runner, bytes32 indexed channelId, uint256 amount
    );
    event FeeCredited(bytes32 indexed channelId, uint256 amount);
    event EarningsWithdrawn(address indexed contributor, uint256 amount);
    event TreasuryWithdrawn(address indexed to, uint256 amount);

    error EscrowZeroAmount();
    error EscrowZeroAddress();
    error EscrowInsufficientBalance(address buyer, uint256 needed, uint256 available);
    error EscrowNoWithdrawalPending(address buyer);
    error EscrowStillThawing(address buyer, uint64 thawEnd);
    error EscrowSignerNotAuthorized(address buyer, address signer);
    error EscrowSignerExpired(address buyer, address signer, uint64 validUntil);
    error EscrowSignerLimitExceeded(address buyer, address signer, uint256 limit, uint256 wouldSpend);
    error EscrowInvalidExpiry(uint64 expiry);
    error EscrowVoucherNotIncreasing(bytes32 channelId, uint256 amount, uint256 alreadyPaid);
    error EscrowModelInactive(bytes32 modelId);
    error EscrowNothingToWithdraw(address account);
    error EscrowBatchLengthMismatch(uint256 vouchers, uint256 signatures);

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

    /// @notice Authorises (or updates) a session signer with a spend limit and an expiry. Amount spent is kept.
    function authorizeSigner(address signer, uint128 spendLimit, uint64 expiry) external;

    /// @notice Revokes a session signer; takes effect after the thaw period so served requests can settle.
    function revokeSigner(address signer) external;

    /// @notice Redeems one voucher; reverts unless it pays something.
    function redeem(Voucher calldata voucher, bytes calldata signature) external returns (uint256 paid);

    /// @notice Redeems many vouchers; vouchers whose channel is already paid as far as they go, or whose buyer
    /// has nothing left, are skipped instead of reverting, so racing redeemers do not block each other.
    function redeemBatch(Voucher[] calldata vouchers, bytes[] calldata signatures) external returns (uint256 paid);

    /// @notice Sends the caller's credited earnings.
    function withdrawEarnings() external;

    /// @notice Sends the fees held for the treasury to the treasury address.
    function withdrawTreasury() external;

    function getAccount(address buyer) external view returns (Account memory);

    /// @notice Balance not thawing: what a runner may count on.
    function availableBalance(address buyer) external view returns (uint256);

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

    /// @notice Sum of all buyer balances.
    function totalDeposits() external view returns (uint256);

    /// @notice Sum of all credited, unwithdrawn earnings.
    function totalEarnings() external view returns (uint256);
}
