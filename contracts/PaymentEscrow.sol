// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IPaymentEscrow} from "./interfaces/IPaymentEscrow.sol";
import {IRunnerRegistry} from "./interfaces/IRunnerRegistry.sol";
import {RevenueLib} from "./libraries/RevenueLib.sol";
import {VoucherLib} from "./libraries/VoucherLib.sol";

/// @title PaymentEscrow
/// @notice Buyers' deposits, route allocations, vouchers and contributors' earnings. A channel pays only the
/// increase of its cumulative voucher, from its route's allocation first and then from the buyer's balance;
/// payments are split by the model's shares and pulled.
/// @dev Invariant: token balance == totalDeposits + totalEarnings + treasuryBalance (direct transfers excepted), and
/// totalDeposits == sum of balances + sum of allocations.
contract PaymentEscrow is IPaymentEscrow, AccessControlDefaultAdminRules, EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev Both totals in one slot: a redemption moves value from one to the other with a single write.
    struct Totals {
        uint128 deposits;
        uint128 earnings;
    }

    IERC20 private immutable _token;
    IModelRegistry private immutable _models;
    IRunnerRegistry private immutable _runners;
    address private immutable _treasury;
    uint64 private immutable _thawPeriod;

    mapping(address buyer => Account) private _accounts;
    mapping(bytes32 allocationId => Allocation) private _allocations;
    mapping(address buyer => mapping(address signer => SessionSigner)) private _signers;
    mapping(bytes32 channelId => uint256) private _channelPaid;
    mapping(address contributor => uint256) private _earnings;
    Totals private _totals;
    uint256 private _treasuryBalance;

    /// @param token_ the payment token
    /// @param models the model registry (revenue splits)
    /// @param runners the runner registry (route checks)
    /// @param admin holder of DEFAULT_ADMIN_ROLE
    /// @param adminDelay seconds a DEFAULT_ADMIN_ROLE transfer waits before it can be accepted
    /// @param treasury_ receiver of protocol fees
    /// @param thawPeriod_ seconds a withdrawal (or a signer revocation) waits so served requests can settle
    constructor(
        IERC20 token_,
        IModelRegistry models,
        IRunnerRegistry runners,
        address admin,
        uint48 adminDelay,
        address treasury_,
        uint64 thawPeriod_
    ) AccessControlDefaultAdminRules(adminDelay, admin) EIP712("TeeTee PaymentEscrow", "1") {
        if (
            address(token_) == address(0) || address(models) == address(0) || address(runners) == address(0)
                || treasury_ == address(0)
        ) revert EscrowZeroAddress();
        if (thawPeriod_ < MIN_THAW_PERIOD || thawPeriod_ > MAX_THAW_PERIOD) {
            revert EscrowThawPeriodOutOfRange(thawPeriod_, MIN_THAW_PERIOD, MAX_THAW_PERIOD);
        }
        _token = token_;
        _models = models;
        _runners = runners;
        _treasury = treasury_;
        _thawPeriod = thawPeriod_;
    }

    /// @inheritdoc IPaymentEscrow
    function deposit(uint256 amount) external nonReentrant {
        _deposit(msg.sender, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function depositFor(address buyer, uint256 amount) external nonReentrant {
        _deposit(buyer, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function depositWithPermit(address buyer, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
    {
        // A permit seen in the mempool can be submitted first by anyone; the allowance is then already set and the
        // deposit goes ahead. Without one, the transfer below reverts with the token's allowance error.
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(buyer, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert EscrowZeroAmount();
        Account storage account = _accounts[msg.sender];
        uint256 balance = account.balance;
        if (amount > balance) revert EscrowInsufficientBalance(msg.sender, amount, balance);
        uint64 thawEnd = uint64(block.timestamp) + _thawPeriod;
        account.thawing = uint128(amount);
        account.thawEnd = thawEnd;
        emit WithdrawalRequested(msg.sender, amount, thawEnd);
    }

    /// @inheritdoc IPaymentEscrow
    function cancelWithdrawal() external {
        Account storage account = _accounts[msg.sender];
        if (account.thawing == 0) revert EscrowNoWithdrawalPending(msg.sender);
        account.thawing = 0;
        account.thawEnd = 0;
        emit WithdrawalCancelled(msg.sender);
    }

    /// @inheritdoc IPaymentEscrow
    function withdraw() external nonReentrant {
        Account storage account = _accounts[msg.sender];
        uint256 thawing = account.thawing;
        if (thawing == 0) revert EscrowNoWithdrawalPending(msg.sender);
        if (block.timestamp < account.thawEnd) revert EscrowStillThawing(msg.sender, account.thawEnd);
        uint256 balance = account.balance;
        // Vouchers redeemed during the thaw may have spent part of what was thawing.
        // If they spent all of it, the request still ends here, so it cannot keep holding back later deposits.
        uint256 amount = thawing < balance ? thawing : balance;
        account.balance = uint128(balance - amount);
        account.thawing = 0;
        account.thawEnd = 0;
        _totals.deposits -= uint128(amount);
        emit Withdrawn(msg.sender, amount);
        if (amount != 0) _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function allocate(bytes32 modelId, address[] calldata route, uint256 amount) external {
        if (amount == 0) revert EscrowZeroAmount();
        VoucherLib.checkDistinct(route);
        Account storage account = _accounts[msg.sender];
        uint256 balance = account.balance;
        uint256 thawing = account.thawing;
        uint256 available = thawing < balance ? balance - thawing : 0;
        if (amount > available) revert EscrowInsufficientBalance(msg.sender, amount, available);
        bytes32 id = VoucherLib.allocationId(msg.sender, modelId, VoucherLib.routeHash(route));
        Allocation storage allocation = _allocations[id];
        account.balance = uint128(balance - amount);
        allocation.amount = (allocation.amount + amount).toUint128();
        emit Allocated(msg.sender, id, modelId, route, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function requestRelease(bytes32 modelId, address[] calldata route, uint256 amount) external {
        if (amount == 0) revert EscrowZeroAmount();
        bytes32 id = VoucherLib.allocationId(msg.sender, modelId, VoucherLib.routeHash(route));
        Allocation storage allocation = _allocations[id];
        uint256 allocated = allocation.amount;
        if (amount > allocated) revert EscrowInsufficientAllocation(id, amount, allocated);
        uint64 releaseEnd = uint64(block.timestamp) + _thawPeriod;
        allocation.releasing = uint128(amount);
        allocation.releaseEnd = releaseEnd;
        emit ReleaseRequested(msg.sender, id, amount, releaseEnd);
    }

    /// @inheritdoc IPaymentEscrow
    function cancelRelease(bytes32 modelId, address[] calldata route) external {
        bytes32 id = VoucherLib.allocationId(msg.sender, modelId, VoucherLib.routeHash(route));
        Allocation storage allocation = _allocations[id];
        if (allocation.releasing == 0) revert EscrowNoReleasePending(msg.sender, id);
        allocation.releasing = 0;
        allocation.releaseEnd = 0;
        emit ReleaseCancelled(msg.sender, id);
    }

    /// @inheritdoc IPaymentEscrow
    function release(bytes32 modelId, address[] calldata route) external {
        bytes32 id = VoucherLib.allocationId(msg.sender, modelId, VoucherLib.routeHash(route));
        Allocation storage allocation = _allocations[id];
        uint256 releasing = allocation.releasing;
        if (releasing == 0) revert EscrowNoReleasePending(msg.sender, id);
        if (block.timestamp < allocation.releaseEnd) {
            revert EscrowStillReleasing(msg.sender, id, allocation.releaseEnd);
        }
        uint256 allocated = allocation.amount;
        // Vouchers of the route may have spent part of what was releasing during the thaw.
        uint256 amount = releasing < allocated ? releasing : allocated;
        allocation.amount = uint128(allocated - amount);
        allocation.releasing = 0;
        allocation.releaseEnd = 0;
        Account storage account = _accounts[msg.sender];
        account.balance = uint128(account.balance + amount);
        emit Released(msg.sender, id, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function authorizeSigner(address signer, uint128 spendLimit, uint64 expiry) external {
        if (signer == address(0)) revert EscrowZeroAddress();
        if (expiry <= block.timestamp) revert EscrowInvalidExpiry(expiry);
        SessionSigner storage record = _signers[msg.sender][signer];
        uint64 validUntil = record.validUntil;
        if (validUntil < block.timestamp) {
            // Expired or new: nothing it signed can settle any more, so the new terms apply at once.
            record.spendLimit = spendLimit;
            record.validUntil = expiry;
            record.pendingLimitFrom = 0;
            record.pendingLimit = 0;
            emit SignerAuthorized(msg.sender, signer, spendLimit, expiry);
            return;
        }
        uint64 cutoff = uint64(block.timestamp) + _thawPeriod;
        if (expiry < validUntil) {
            uint64 floor = cutoff < validUntil ? cutoff : validUntil;
            validUntil = expiry > floor ? expiry : floor;
        } else {
            validUntil = expiry;
        }
        record.validUntil = validUntil;
        uint128 current = _limitOf(record);
        if (spendLimit >= current) {
            record.spendLimit = spendLimit;
            record.pendingLimitFrom = 0;
            record.pendingLimit = 0;
        } else {
            record.spendLimit = current;
            record.pendingLimitFrom = cutoff;
            record.pendingLimit = spendLimit;
            emit SignerLimitCutScheduled(msg.sender, signer, spendLimit, cutoff);
        }
        emit SignerAuthorized(msg.sender, signer, spendLimit >= current ? spendLimit : current, validUntil);
    }

    /// @inheritdoc IPaymentEscrow
    function revokeSigner(address signer) external {
        SessionSigner storage record = _signers[msg.sender][signer];
        uint64 validUntil = record.validUntil;
        if (validUntil == 0) revert EscrowSignerNotAuthorized(msg.sender, signer);
        uint64 cutoff = uint64(block.timestamp) + _thawPeriod;
        if (cutoff < validUntil) {
            validUntil = cutoff;
            record.validUntil = cutoff;
        }
        emit SignerRevoked(msg.sender, signer, validUntil);
    }

    /// @inheritdoc IPaymentEscrow
    function redeem(Voucher calldata voucher, bytes calldata signature) external returns (uint256 paid) {
        VoucherLib.checkDistinct(voucher.route);
        bytes32 routeHash = VoucherLib.routeHash(voucher.route);
        bytes32 channel = VoucherLib.channelId(voucher.buyer, voucher.modelId, voucher.sessionId, routeHash);
        uint256 alreadyPaid = _channelPaid[channel];
        if (voucher.amount <= alreadyPaid) revert EscrowVoucherNotIncreasing(channel, voucher.amount, alreadyPaid);
        return _settle(voucher, signature, routeHash, channel, alreadyPaid);
    }

    /// @inheritdoc IPaymentEscrow
    function redeemBatch(Voucher[] calldata vouchers, bytes[] calldata signatures) external returns (uint256 paid) {
        if (vouchers.length != signatures.length) revert EscrowBatchLengthMismatch(vouchers.length, signatures.length);
        for (uint256 i; i < vouchers.length; ++i) {
            // Each voucher settles in its own call frame, so a failing one undoes only itself.
            try this.redeem(vouchers[i], signatures[i]) returns (uint256 p) {
                paid += p;
            } catch (bytes memory reason) {
                Voucher calldata voucher = vouchers[i];
                emit VoucherSkipped(
                    VoucherLib.channelId(
                        voucher.buyer, voucher.modelId, voucher.sessionId, VoucherLib.routeHash(voucher.route)
                    ),
                    bytes4(reason)
                );
            }
        }
    }

    /// @inheritdoc IPaymentEscrow
    function withdrawEarnings() external nonReentrant {
        uint256 amount = _earnings[msg.sender];
        if (amount == 0) revert EscrowNothingToWithdraw(msg.sender);
        _earnings[msg.sender] = 0;
        _totals.earnings -= uint128(amount);
        emit EarningsWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function withdrawTreasury() external nonReentrant {
        uint256 amount = _treasuryBalance;
        if (amount == 0) revert EscrowNothingToWithdraw(_treasury);
        _treasuryBalance = 0;
        emit TreasuryWithdrawn(_treasury, amount);
        _token.safeTransfer(_treasury, amount);
    }

    /// @inheritdoc IPaymentEscrow
    function getAccount(address buyer) external view returns (Account memory) {
        return _accounts[buyer];
    }

    /// @inheritdoc IPaymentEscrow
    function availableBalance(address buyer) external view returns (uint256) {
        Account storage account = _accounts[buyer];
        uint256 balance = account.balance;
        uint256 thawing = account.thawing;
        return thawing < balance ? balance - thawing : 0;
    }

    /// @inheritdoc IPaymentEscrow
    function getAllocation(bytes32 allocationId_) external view returns (Allocation memory) {
        return _allocations[allocationId_];
    }

    /// @inheritdoc IPaymentEscrow
    function availableAllocation(bytes32 allocationId_) external view returns (uint256) {
        Allocation storage allocation = _allocations[allocationId_];
        uint256 amount = allocation.amount;
        uint256 releasing = allocation.releasing;
        return releasing < amount ? amount - releasing : 0;
    }

    /// @inheritdoc IPaymentEscrow
    function allocationId(address buyer, bytes32 modelId, address[] calldata route) external pure returns (bytes32) {
        return VoucherLib.allocationId(buyer, modelId, VoucherLib.routeHash(route));
    }

    /// @inheritdoc IPaymentEscrow
    function getSigner(address buyer, address signer) external view returns (SessionSigner memory) {
        return _signers[buyer][signer];
    }

    /// @inheritdoc IPaymentEscrow
    function channelId(address buyer, bytes32 modelId, bytes32 sessionId, address[] calldata route)
        external
        pure
        returns (bytes32)
    {
        return VoucherLib.channelId(buyer, modelId, sessionId, VoucherLib.routeHash(route));
    }

    /// @inheritdoc IPaymentEscrow
    function channelPaid(bytes32 channelId_) external view returns (uint256) {
        return _channelPaid[channelId_];
    }

    /// @inheritdoc IPaymentEscrow
    function voucherDigest(Voucher calldata voucher) external view returns (bytes32) {
        return _hashTypedDataV4(VoucherLib.structHash(voucher, VoucherLib.routeHash(voucher.route)));
    }

    /// @inheritdoc IPaymentEscrow
    function earnings(address contributor) external view returns (uint256) {
        return _earnings[contributor];
    }

    /// @inheritdoc IPaymentEscrow
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IPaymentEscrow
    function treasuryBalance() external view returns (uint256) {
        return _treasuryBalance;
    }

    /// @inheritdoc IPaymentEscrow
    function thawPeriod() external view returns (uint64) {
        return _thawPeriod;
    }

    /// @inheritdoc IPaymentEscrow
    uint64 public constant MIN_THAW_PERIOD = 1 hours;
    /// @inheritdoc IPaymentEscrow
    uint64 public constant MAX_THAW_PERIOD = 365 days;
    /// @inheritdoc IPaymentEscrow
    uint256 public constant ERC1271_GAS = 100_000;

    /// @inheritdoc IPaymentEscrow
    function totalDeposits() external view returns (uint256) {
        return _totals.deposits;
    }

    /// @inheritdoc IPaymentEscrow
    function totalEarnings() external view returns (uint256) {
        return _totals.earnings;
    }

    /// @notice The payment token.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The EIP-712 domain separator vouchers are signed under.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _deposit(address buyer, uint256 amount) private {
        if (buyer == address(0)) revert EscrowZeroAddress();
        if (amount == 0) revert EscrowZeroAmount();
        Account storage account = _accounts[buyer];
        account.balance = (account.balance + amount).toUint128();
        _totals.deposits = (_totals.deposits + amount).toUint128();
        emit Deposited(buyer, msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev Pays a checked channel increase: debits the route's allocation and then the buyer's balance, authorises
    /// the signer for what was paid, credits the route. The caller has checked the voucher increases the channel.
    function _settle(
        Voucher calldata voucher,
        bytes calldata signature,
        bytes32 routeHash,
        bytes32 channel,
        uint256 alreadyPaid
    ) private returns (uint256 pay) {
        bytes32 allocation = VoucherLib.allocationId(voucher.buyer, voucher.modelId, routeHash);
        pay = _debit(voucher.buyer, allocation, voucher.amount - alreadyPaid);
        address signer = _authorize(
            voucher.buyer, _hashTypedDataV4(VoucherLib.structHash(voucher, routeHash)), signature, pay
        );
        _channelPaid[channel] = alreadyPaid + pay;
        emit VoucherRedeemed(channel, voucher.buyer, voucher.modelId, voucher.sessionId, signer, voucher.amount, pay);
        _distribute(voucher, channel, pay);
    }

    /// @dev Takes up to `increase` from the allocation, then the rest (as far as it goes) from the buyer's balance,
    /// which is read only when the allocation falls short. Reverts when both are empty.
    function _debit(address buyer, bytes32 allocationId_, uint256 increase) private returns (uint256 pay) {
        Allocation storage allocation = _allocations[allocationId_];
        uint256 allocated = allocation.amount;
        if (allocated >= increase) {
            allocation.amount = uint128(allocated - increase);
            return increase;
        }
        if (allocated != 0) allocation.amount = 0;
        Account storage account = _accounts[buyer];
        uint256 balance = account.balance;
        uint256 fromBalance = increase - allocated < balance ? increase - allocated : balance;
        pay = allocated + fromBalance;
        if (pay == 0) revert EscrowInsufficientBalance(buyer, increase, 0);
        if (fromBalance != 0) account.balance = uint128(balance - fromBalance);
    }

    /// @dev Splits `pay` between the route's contributors and the treasury; moves it from deposits to earnings.
    /// Whether the model is still active does not matter: service given before a deactivation stays payable.
    function _distribute(Voucher calldata voucher, bytes32 channel, uint256 pay) private {
        IModelRegistry.RevenueSplit memory split = _models.getRevenueSplit(voucher.modelId);
        address[] memory contributors = _runners.routeContributors(voucher.modelId, voucher.route);

        uint256 credited = _credit(channel, voucher.route, contributors, split.shareBps, pay);
        Totals memory totals = _totals;
        _totals = Totals({deposits: totals.deposits - uint128(pay), earnings: totals.earnings + uint128(credited)});
        uint256 fee = pay - credited;
        if (fee != 0) {
            _treasuryBalance += fee;
            emit FeeCredited(channel, fee);
        }
    }

    /// @dev Credits each route hop's contributor its shard's share of `pay`; returns the sum credited.
    function _credit(
        bytes32 channel,
        address[] calldata route,
        address[] memory contributors,
        uint16[] memory shareBps,
        uint256 pay
    ) private returns (uint256 credited) {
        for (uint256 i; i < contributors.length; ++i) {
            uint256 share = RevenueLib.shareOf(pay, shareBps[i]);
            if (share == 0) continue;
            _earnings[contributors[i]] += share;
            credited += share;
            emit EarningsCredited(contributors[i], route[i], channel, share);
        }
    }

    /// @dev Returns who signed `digest` for `buyer`: the buyer itself (an EOA, or a contract wallet by ERC-1271)
    /// or one of its session signers, whose expiry and spend limit are enforced and whose spending grows by `pay`.
    function _authorize(address buyer, bytes32 digest, bytes calldata signature, uint256 pay)
        private
        returns (address signer)
    {
        (signer,,) = ECDSA.tryRecover(digest, signature);
        if (signer == buyer && signer != address(0)) return signer;

        SessionSigner storage record = _signers[buyer][signer];
        uint64 validUntil = record.validUntil;
        if (signer == address(0) || validUntil == 0) {
            if (buyer.code.length != 0 && _isValidERC1271(buyer, digest, signature)) {
                return buyer;
            }
            revert EscrowSignerNotAuthorized(buyer, signer);
        }
        if (block.timestamp > validUntil) revert EscrowSignerExpired(buyer, signer, validUntil);
        uint256 wouldSpend = record.spent + pay;
        uint256 limit = _limitOf(record);
        if (wouldSpend > limit) revert EscrowSignerLimitExceeded(buyer, signer, limit, wouldSpend);
        record.spent = uint128(wouldSpend);
    }

    /// @dev The signer's limit now: its pending cut once that has taken effect.
    function _limitOf(SessionSigner storage record) private view returns (uint128) {
        uint64 from = record.pendingLimitFrom;
        return from != 0 && block.timestamp >= from ? record.pendingLimit : record.spendLimit;
    }

    /// @dev ERC-1271 check of a contract buyer with at most `ERC1271_GAS` forwarded and 32 bytes of return data
    /// copied, so a hostile wallet burns a bounded amount of a redeemer's gas.
    function _isValidERC1271(address wallet, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool valid)
    {
        bytes memory data = abi.encodeCall(IERC1271.isValidSignature, (digest, signature));
        bytes4 magic = IERC1271.isValidSignature.selector;
        uint256 stipend = ERC1271_GAS;
        assembly ("memory-safe") {
            mstore(0, 0)
            let success := staticcall(stipend, wallet, add(data, 0x20), mload(data), 0, 0x20)
            valid := and(success, and(gt(returndatasize(), 0x1f), eq(mload(0), magic)))
        }
    }
}
