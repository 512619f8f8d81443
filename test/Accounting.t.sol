// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PaymentEscrow} from "../contracts/PaymentEscrow.sol";
import {ModelRegistry} from "../contracts/ModelRegistry.sol";
import {RunnerRegistry} from "../contracts/RunnerRegistry.sol";
import {Staking} from "../contracts/Staking.sol";
import {IPaymentEscrow} from "../contracts/interfaces/IPaymentEscrow.sol";
import {IStaking} from "../contracts/interfaces/IStaking.sol";
import {TestToken} from "../contracts/mocks/TestToken.sol";
import {MarketBase, Vm} from "./solidity/TestBase.sol";

/// @dev Drives random deposits, withdrawals, route allocations and their releases, redemptions, earnings withdrawals, stakes, unstakes, slashes (of a
/// runner's lock or of free stake, for more than there may be, some paying a reporter out) and runner deactivations
/// (by anyone once unbacked).
/// Every call bounds its inputs to something plausible; the invariant fuzzer picks the calls and their order.
contract AccountingHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant BUYER_KEY_BASE = 0xB0B0;
    uint256 internal constant BUYERS = 3;
    uint256 internal constant SIGNER_KEY_BASE = 0x5160;
    address internal constant CURATOR = address(0xC0C0);
    address internal constant REPORTER = address(0x5EED);

    TestToken internal immutable _token;
    PaymentEscrow internal immutable _escrow;
    Staking internal immutable _staking;
    RunnerRegistry internal immutable _runners;
    bytes32 internal immutable _model;
    address[] internal _route;
    address[] internal _contributors;

    ModelRegistry public models;
    uint256 public calls;

    constructor(
        TestToken token,
        PaymentEscrow escrow,
        Staking staking,
        RunnerRegistry runners,
        bytes32 model,
        address[] memory route,
        address[] memory contributors
    ) {
        _token = token;
        _escrow = escrow;
        _staking = staking;
        _runners = runners;
        _model = model;
        _route = route;
        _contributors = contributors;
    }

    function buyer(uint256 i) public pure returns (address) {
        return vm.addr(BUYER_KEY_BASE + i % BUYERS);
    }

    function buyerCount() external pure returns (uint256) {
        return BUYERS;
    }

    function contributorCount() external view returns (uint256) {
        return _contributors.length;
    }

    function contributor(uint256 i) public view returns (address) {
        return _contributors[i % _contributors.length];
    }

    /// @dev Contributor i runs route[i].
    function runner(uint256 i) public view returns (address) {
        return _route[i % _contributors.length];
    }

    function _slashTarget(uint256 who, uint256 amount) internal view returns (address) {
        return amount % 3 == 0 ? address(0) : runner(who);
    }

    /// @dev A stranger deactivates an unbacked runner; its contributor deactivates a backed one.
    function deactivateRunner(uint256 who) external {
        address r = runner(who);
        if (!_runners.getRunner(r).active) return;
        uint256 freeBefore = _staking.freeStake(contributor(who));
        uint256 lock = _staking.runnerLock(contributor(who), r);
        bool backed = lock >= _runners.getRunner(r).lockedStake;
        vm.prank(backed ? contributor(who) : address(0x5778A));
        _runners.deactivateRunner(r);
        if (_staking.freeStake(contributor(who)) != freeBefore + lock) revert("released more than the runner's lock");
        ++calls;
    }

    function deposit(uint256 who, uint256 amount) external {
        address b = buyer(who);
        amount = amount % 1_000e6 + 1;
        _token.mint(b, amount);
        vm.startPrank(b);
        _token.approve(address(_escrow), amount);
        _escrow.deposit(amount);
        vm.stopPrank();
        ++calls;
    }

    function requestWithdrawal(uint256 who, uint256 amount) external {
        address b = buyer(who);
        uint256 balance = _escrow.getAccount(b).balance;
        if (balance == 0) return;
        vm.prank(b);
        _escrow.requestWithdrawal(amount % balance + 1);
        ++calls;
    }

    function withdraw(uint256 who, uint32 wait) external {
        address b = buyer(who);
        IPaymentEscrow.Account memory account = _escrow.getAccount(b);
        if (account.thawing == 0) return;
        vm.warp(block.timestamp + wait % 2 days);
        if (block.timestamp < account.thawEnd || account.balance == 0) return;
        vm.prank(b);
        _escrow.withdraw();
        ++calls;
    }

    /// @dev What buyer i set aside for the handler's route.
    function allocationOf(uint256 who) public view returns (IPaymentEscrow.Allocation memory) {
        return _escrow.getAllocation(_escrow.allocationId(buyer(who), _model, _route));
    }

    function _funded(uint256 who) internal view returns (bool) {
        return _escrow.getAccount(buyer(who)).balance != 0 || allocationOf(who).amount != 0;
    }

    function allocate(uint256 who, uint256 amount) external {
        address b = buyer(who);
        uint256 available = _escrow.availableBalance(b);
        if (available == 0) return;
        vm.prank(b);
        _escrow.allocate(_model, _route, amount % available + 1);
        ++calls;
    }

    function requestRelease(uint256 who, uint256 amount) external {
        uint256 allocated = allocationOf(who).amount;
        if (allocated == 0) return;
        vm.prank(buyer(who));
        _escrow.requestRelease(_model, _route, amount % allocated + 1);
        ++calls;
    }

    /// @dev Releases after a random wait: never more than what was releasing, and only into the buyer's balance.
    function release(uint256 who, uint32 wait) external {
        address b = buyer(who);
        IPaymentEscrow.Allocation memory before = allocationOf(who);
        if (before.releasing == 0) return;
        vm.warp(block.timestamp + wait % 2 days);
        if (block.timestamp < before.releaseEnd) return;
        uint256 balanceBefore = _escrow.getAccount(b).balance;
        vm.prank(b);
        _escrow.release(_model, _route);
        uint256 moved = before.amount - allocationOf(who).amount;
        if (moved > before.releasing) revert("released more than was releasing");
        if (_escrow.getAccount(b).balance != balanceBefore + moved) revert("release did not reach the balance");
        ++calls;
    }

    /// @dev Checks where a voucher's payment came from: its route's allocation first, the balance only after it.
    function redeem(uint256 who, uint8 session, uint256 increase) external {
        if (!_funded(who)) return;
        uint256 key = BUYER_KEY_BASE + who % BUYERS;
        IPaymentEscrow.Voucher memory v = _voucherFor(vm.addr(key), bytes32(uint256(session % 4)), increase % 500e6 + 1);
        uint256 allocatedBefore = allocationOf(who).amount;
        uint256 balanceBefore = _escrow.getAccount(v.buyer).balance;
        uint256 paid = _escrow.redeem(v, _signed(key, v));
        uint256 allocatedAfter = allocationOf(who).amount;
        uint256 fromBalance = balanceBefore - _escrow.getAccount(v.buyer).balance;
        if (allocatedBefore - allocatedAfter + fromBalance != paid) revert("paid other than allocation + balance spent");
        if (fromBalance != 0 && allocatedAfter != 0) revert("balance spent before the allocation");
        ++calls;
    }

    /// @dev Sets a buyer's session signer to random terms: raises apply at once, cuts wait the thaw.
    function authorizeSigner(uint256 who, uint128 limit, uint32 life) external {
        address b = buyer(who);
        vm.prank(b);
        _escrow.authorizeSigner(vm.addr(SIGNER_KEY_BASE + who % BUYERS), limit % 2_000e6, uint64(block.timestamp) + life % 60 days + 1);
        ++calls;
    }

    /// @dev Redeems by a buyer's session signer when the signer could pay the voucher.
    function redeemBySigner(uint256 who, uint8 session, uint256 increase) external {
        address b = buyer(who);
        uint256 key = SIGNER_KEY_BASE + who % BUYERS;
        IPaymentEscrow.SessionSigner memory record = _escrow.getSigner(b, vm.addr(key));
        if (record.validUntil < block.timestamp || !_funded(who)) return;
        IPaymentEscrow.Voucher memory v = _voucherFor(b, bytes32(uint256(session % 4) + 100), increase % 50e6 + 1);
        try _escrow.redeem(v, _signed(key, v)) {} catch {}
        ++calls;
    }

    /// @dev A batch of one honest voucher and one by an unknown key: the bad one is skipped, the good one pays.
    function redeemBatchWithBadVoucher(uint256 who, uint8 session, uint256 increase) external {
        uint256 key = BUYER_KEY_BASE + who % BUYERS;
        address b = vm.addr(key);
        if (!_funded(who)) return;
        IPaymentEscrow.Voucher[] memory vs = new IPaymentEscrow.Voucher[](2);
        bytes[] memory sigs = new bytes[](2);
        vs[0] = _voucherFor(b, bytes32(uint256(session % 4)), increase % 500e6 + 1);
        sigs[0] = _signed(0xBAD, vs[0]);
        vs[1] = vs[0];
        sigs[1] = _signed(key, vs[1]);
        if (_escrow.redeemBatch(vs, sigs) == 0) revert("an honest voucher beside a bad one paid nothing");
        ++calls;
    }

    /// @dev The curator switches the model off or on; vouchers keep settling either way.
    function toggleModel() external {
        bool active = models.getModel(_model).active;
        vm.prank(CURATOR);
        models.setActive(_model, !active);
        ++calls;
    }

    function setModels(ModelRegistry models_) external {
        models = models_;
    }

    function _voucherFor(address b, bytes32 sessionId, uint256 increase)
        internal
        view
        returns (IPaymentEscrow.Voucher memory)
    {
        uint256 paid = _escrow.channelPaid(_escrow.channelId(b, _model, sessionId, _route));
        return IPaymentEscrow.Voucher({
            buyer: b,
            modelId: _model,
            sessionId: sessionId,
            route: _route,
            amount: paid + increase
        });
    }

    function _signed(uint256 key, IPaymentEscrow.Voucher memory v) internal view returns (bytes memory) {
        (uint8 sv, bytes32 r, bytes32 s) = vm.sign(key, _escrow.voucherDigest(v));
        return abi.encodePacked(r, s, sv);
    }

    function withdrawEarnings(uint256 who) external {
        address c = contributor(who);
        if (_escrow.earnings(c) == 0) return;
        vm.prank(c);
        _escrow.withdrawEarnings();
        ++calls;
    }

    function withdrawTreasuries() external {
        if (_escrow.treasuryBalance() != 0) _escrow.withdrawTreasury();
        if (_staking.treasuryBalance() != 0) _staking.withdrawTreasury();
        ++calls;
    }

    function stake(uint256 who, uint256 amount) external {
        address c = contributor(who);
        amount = amount % 1_000e6 + 1;
        _token.mint(c, amount);
        vm.startPrank(c);
        _token.approve(address(_staking), amount);
        _staking.stake(amount);
        vm.stopPrank();
        ++calls;
    }

    function requestUnstake(uint256 who, uint256 amount) external {
        address c = contributor(who);
        uint256 free = _staking.freeStake(c);
        if (free == 0) return;
        vm.prank(c);
        _staking.requestUnstake(amount % free + 1);
        ++calls;
    }

    function withdrawStake(uint256 who, uint32 wait) external {
        address c = contributor(who);
        IStaking.StakeInfo memory info = _staking.getStake(c);
        if (info.unbonding == 0) return;
        vm.warp(block.timestamp + wait % 14 days);
        if (block.timestamp < info.unbondingEnd) return;
        vm.prank(c);
        _staking.withdrawStake();
        ++calls;
    }

    function slash(uint256 who, uint256 amount) external {
        address c = contributor(who);
        IStaking.StakeInfo memory info = _staking.getStake(c);
        uint256 total = uint256(info.staked) + info.unbonding;
        if (total == 0) return;
        // The handler is the test's slasher (granted in setUp).
        // Slashes name one of the contributor's runners (or none) and may ask for more than there is.
        _staking.slash(c, _slashTarget(who, amount), amount % (total * 2) + 1, keccak256("evidence"));
        ++calls;
    }

    /// @dev A slash whose reward leaves the contract at once (as an equivocation report's does).
    function slashWithReward(uint256 who, uint256 amount) external {
        address c = contributor(who);
        IStaking.StakeInfo memory info = _staking.getStake(c);
        uint256 total = uint256(info.staked) + info.unbonding;
        if (total == 0) return;
        uint256 requested = amount % (total * 2) + 1;
        uint256 rewardBps = amount % 10_001;
        _staking.slashWithReward(c, _slashTarget(who, amount), requested, keccak256("evidence"), REPORTER, rewardBps);
        ++calls;
    }
}

/// @dev The accounting invariant of DESIGN.md: each contract's token balance equals what it owes, and each total
/// equals the sum over the parties it is owed to, after any sequence of the handler's actions.
contract AccountingInvariantTest is MarketBase {
    AccountingHandler internal handler;

    function setUp() public {
        _setUpMarket();
        handler = new AccountingHandler(token, escrow, staking, runners, MODEL, route, contributors);
        staking.grantRole(staking.SLASHER_ROLE(), address(handler));
        handler.setModels(models);
        // The market's first buyer deposit is moved to the handler's buyers so per-actor sums stay complete.
        vm.prank(buyer);
        escrow.requestWithdrawal(100_000e6);
        vm.warp(block.timestamp + THAW);
        vm.prank(buyer);
        escrow.withdraw();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function _checkAccounting() internal view {
        _assertEq(
            token.balanceOf(address(escrow)),
            escrow.totalDeposits() + escrow.totalEarnings() + escrow.treasuryBalance(),
            "escrow balance"
        );
        _assertEq(token.balanceOf(address(staking)), staking.totalStaked() + staking.treasuryBalance(), "staking balance");

        uint256 deposits;
        for (uint256 i; i < handler.buyerCount(); ++i) {
            IPaymentEscrow.Account memory account = escrow.getAccount(handler.buyer(i));
            deposits += account.balance + handler.allocationOf(i).amount;
        }
        _assertEq(escrow.totalDeposits(), deposits, "deposits = sum of balances and allocations");

        uint256 earned;
        uint256 staked;
        for (uint256 i; i < handler.contributorCount(); ++i) {
            address c = handler.contributor(i);
            earned += escrow.earnings(c);
            IStaking.StakeInfo memory info = staking.getStake(c);
            staked += uint256(info.staked) + info.unbonding;
            if (info.locked > info.staked) revert("locked above staked");
            address r = handler.runner(i);
            uint256 lock = staking.runnerLock(c, r);
            _assertEq(info.locked, lock, "locked = the contributor's runner's lock");
            if (!runners.getRunner(r).active) _assertEq(lock, 0, "an inactive runner holds no lock");
            if (runners.isRoutable(r) && lock < MIN_STAKE) revert("routable runner below its minimum");
        }
        _assertEq(escrow.totalEarnings(), earned, "earnings = sum of earnings");
        _assertEq(staking.totalStaked(), staked, "staked = sum of stakes");
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 40
    function invariant_accounting() public view {
        _checkAccounting();
    }

    /// @dev The same invariant driven by plain fuzzing, in case invariant runs are turned off: 12 random actions.
    function testFuzz_accounting_randomActionSequence(uint256[12] memory actions) public {
        for (uint256 i; i < actions.length; ++i) {
            uint256 a = actions[i];
            uint256 x = a >> 8;
            uint256 y = a >> 128;
            uint256 op = a % 20;
            if (op == 0) handler.deposit(x, y);
            else if (op == 1) handler.requestWithdrawal(x, y);
            else if (op == 2) handler.withdraw(x, uint32(y));
            else if (op == 3 || op == 4) handler.redeem(x, uint8(y), y >> 8);
            else if (op == 5) handler.withdrawEarnings(x);
            else if (op == 6) handler.stake(x, y);
            else if (op == 7) handler.requestUnstake(x, y);
            else if (op == 8) handler.withdrawStake(x, uint32(y));
            else if (op == 9) handler.slash(x, y);
            else if (op == 10) handler.withdrawTreasuries();
            else if (op == 11) handler.authorizeSigner(x, uint128(y), uint32(y >> 64));
            else if (op == 12) handler.redeemBySigner(x, uint8(y), y >> 8);
            else if (op == 13) handler.redeemBatchWithBadVoucher(x, uint8(y), y >> 8);
            else if (op == 14) handler.deactivateRunner(x);
            else if (op == 15) handler.toggleModel();
            else if (op == 16) handler.allocate(x, y);
            else if (op == 17) handler.requestRelease(x, y);
            else if (op == 18) handler.slashWithReward(x, y);
            else handler.release(x, uint32(y));
            _checkAccounting();
        }
    }
}
