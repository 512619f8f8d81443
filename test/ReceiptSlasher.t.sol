// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IReceiptSlasher} from "../contracts/interfaces/IReceiptSlasher.sol";
import {ReceiptSlasher} from "../contracts/ReceiptSlasher.sol";
import {MarketBase} from "./solidity/TestBase.sol";

contract ReceiptSlasherTest is MarketBase {
    uint256 internal constant RUNNER_KEY = 0xA000;
    uint256 internal constant STRANGER_KEY = 0xDEAD;
    uint256 internal constant SHARE_BPS = 1_000;
    address internal constant REPORTER = address(0x5EED);
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    ReceiptSlasher internal slasher;
    address internal runner;
    address internal contributor;

    function setUp() public {
        _setUpMarket();
        slasher = new ReceiptSlasher(runners, models, staking, SHARE_BPS);
        staking.grantRole(staking.SLASHER_ROLE(), address(slasher));
        runner = route[0];
        contributor = contributors[0];
    }

    function _receipt(uint16 shard) internal pure returns (IReceiptSlasher.Receipt memory) {
        return IReceiptSlasher.Receipt({
            modelId: MODEL,
            shardIndex: shard,
            sessionId: bytes16(keccak256("session")),
            positionStart: 0,
            positionCount: 12,
            paramsHash: keccak256("params"),
            inputHash: keccak256("input"),
            outputHash: keccak256("output"),
            previousReceipt: bytes32(0),
            issuedAt: 1_700_000_000
        });
    }

    /// @dev The runner's honest receipt and a second with another output.
    function _pair() internal pure returns (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) {
        a = _receipt(0);
        b = _receipt(0);
        b.outputHash = keccak256("another output");
    }

    function _signReceipt(uint256 key, IReceiptSlasher.Receipt memory r) internal view returns (bytes memory) {
        return _sign(key, slasher.receiptDigest(r));
    }

    function _report(IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b, uint256 key)
        internal
        returns (uint256 slashed, uint256 reward)
    {
        bytes memory sigA = _signReceipt(key, a);
        bytes memory sigB = _signReceipt(key, b);
        vm.prank(REPORTER);
        return slasher.reportEquivocation(a, sigA, b, sigB);
    }

    function _expectReportRevert(
        IReceiptSlasher.Receipt memory a,
        IReceiptSlasher.Receipt memory b,
        uint256 key,
        bytes memory err
    ) internal {
        bytes memory sigA = _signReceipt(key, a);
        bytes memory sigB = _signReceipt(key, b);
        vm.prank(REPORTER);
        vm.expectRevert(err);
        slasher.reportEquivocation(a, sigA, b, sigB);
    }

    function test_reportEquivocation_slashesLockAndPaysReporterTheShare() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        bytes32 digestA = slasher.receiptDigest(a);
        bytes32 digestB = slasher.receiptDigest(b);
        uint256 reward = MIN_STAKE * SHARE_BPS / 10_000;
        vm.expectEmit(address(slasher));
        emit IReceiptSlasher.EquivocationSlashed(
            runner, contributor, REPORTER, MIN_STAKE, reward, MIN_STAKE - reward, digestA, digestB
        );
        (uint256 slashed, uint256 paid) = _report(a, b, RUNNER_KEY);
        _assertEq(slashed, MIN_STAKE, "slashed the whole lock");
        _assertEq(paid, reward, "reward");
        _assertEq(token.balanceOf(REPORTER), reward, "reporter paid");
        _assertEq(staking.treasuryBalance(), MIN_STAKE - reward, "treasury credited the rest");
        _assertEq(staking.runnerLock(contributor, runner), 0, "lock gone");
        if (runners.isRoutable(runner)) revert("a slashed runner stays routable");
        if (!slasher.isEvidenceUsed(slasher.evidenceHash(digestB, digestA))) revert("evidence not spent");
        _checkTokenBalances();
    }

    function test_reportEquivocation_leavesOtherRunnersAlone() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _report(a, b, RUNNER_KEY);
        for (uint256 i = 1; i < SHARDS; ++i) {
            if (!runners.isRoutable(route[i])) revert("another runner lost its backing");
        }
    }

    function test_reportEquivocation_eitherOrderIsTheSameEvidence() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _report(a, b, RUNNER_KEY);
        bytes32 evidence = slasher.evidenceHash(slasher.receiptDigest(a), slasher.receiptDigest(b));
        _expectReportRevert(
            b, a, RUNNER_KEY, abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherEvidenceUsed.selector, evidence)
        );
    }

    function test_reportEquivocation_revertsOnReplayedEvidence() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _report(a, b, RUNNER_KEY);
        bytes32 evidence = slasher.evidenceHash(slasher.receiptDigest(a), slasher.receiptDigest(b));
        _expectReportRevert(
            a, b, RUNNER_KEY, abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherEvidenceUsed.selector, evidence)
        );
    }

    function test_reportEquivocation_revertsOnSecondPairForTheSameRegistration() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _report(a, b, RUNNER_KEY);
        b.outputHash = keccak256("a third output");
        uint64 registeredAt = runners.getRunner(runner).registeredAt;
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY,
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherAlreadySlashed.selector, runner, registeredAt)
        );
    }

    /// @dev A key shown to equivocate and registered again puts its new stake at risk, even within the same second.
    function test_reportEquivocation_slashesAgainAfterReRegistration() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _report(a, b, RUNNER_KEY);
        vm.prank(contributor);
        runners.deactivateRunner(runner);
        _stake(contributor, MIN_STAKE);
        _registerRunner(RUNNER_KEY, contributor, MODEL, 0);
        b.outputHash = keccak256("a third output");
        (uint256 slashed,) = _report(a, b, RUNNER_KEY);
        _assertEq(slashed, MIN_STAKE, "the new lock");
        _checkTokenBalances();
    }

    /// @dev Deactivating after equivocating releases the lock, but the model's minimum is taken from unbonding stake.
    function test_reportEquivocation_reachesUnbondingStakeOfADeactivatedRunner() public {
        vm.warp(block.timestamp + 1);
        vm.startPrank(contributor);
        runners.deactivateRunner(runner);
        staking.requestUnstake(MIN_STAKE);
        vm.stopPrank();
        _assertEq(slasher.slashAmount(runner), MIN_STAKE, "slash amount: the model's minimum");
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        (uint256 slashed,) = _report(a, b, RUNNER_KEY);
        _assertEq(slashed, MIN_STAKE, "slashed");
        _assertEq(staking.getStake(contributor).unbonding, 0, "unbonding stake taken");
        _checkTokenBalances();
    }

    function test_reportEquivocation_revertsWhenNothingIsLeft() public {
        vm.warp(block.timestamp + 1);
        vm.startPrank(contributor);
        runners.deactivateRunner(runner);
        staking.requestUnstake(MIN_STAKE);
        vm.warp(block.timestamp + UNBONDING);
        staking.withdrawStake();
        vm.stopPrank();
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY,
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherNothingToSlash.selector, runner, contributor)
        );
    }

    uint64 internal constant MOVED_AFTER = 100;
    /// @dev The clock tolerance `ReceiptSlasher.RECEIPT_CLOCK_SKEW_SECONDS`.
    uint64 internal constant SKEW = 300;

    /// @dev The runner serves shard 0 from setUp's time for `MOVED_AFTER` seconds, then its contributor moves it to
    /// shard 1 (a new lock of the model's minimum).
    function _moveToShardOne() internal {
        vm.warp(block.timestamp + MOVED_AFTER);
        vm.prank(contributor);
        runners.deactivateRunner(runner);
        _stake(contributor, MIN_STAKE);
        _registerRunner(RUNNER_KEY, contributor, MODEL, 1);
    }

    /// @dev Receipts it signed on shard 0 stay evidence after the move: the new lock answers for them.
    function test_reportEquivocation_slashesAfterAShardMove() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _moveToShardOne();
        (uint256 slashed, uint256 reward) = _report(a, b, RUNNER_KEY);
        _assertEq(slashed, MIN_STAKE, "slashed the new lock");
        _assertEq(reward, MIN_STAKE * SHARE_BPS / 10_000, "reward");
        _assertEq(staking.runnerLock(contributor, runner), 0, "lock gone");
        _checkTokenBalances();
    }

    /// @dev One slash per registration: a second pair from the same shard-0 registration adds nothing.
    function test_reportEquivocation_revertsOnSecondPairForTheSameOldRegistration() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        uint64 registeredAt = runners.getRunner(runner).registeredAt;
        _moveToShardOne();
        _report(a, b, RUNNER_KEY);
        b.outputHash = keccak256("a third output");
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY,
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherAlreadySlashed.selector, runner, registeredAt)
        );
    }

    function test_RECEIPT_CLOCK_SKEW_SECONDS_isFiveMinutes() public view {
        _assertEq(slasher.RECEIPT_CLOCK_SKEW_SECONDS(), SKEW, "skew");
    }

    function test_reportEquivocation_revertsOnReceiptsDatedMoreThanTheSkewAfterTheShardWasLeft() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _moveToShardOne();
        a.issuedAt = uint64(block.timestamp) + SKEW;
        b.issuedAt = a.issuedAt;
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY,
            abi.encodeWithSelector(
                IReceiptSlasher.ReceiptSlasherSignedOutsideRegistration.selector, runner, MODEL, 0, a.issuedAt
            )
        );
        _assertEq(staking.runnerLock(contributor, runner), MIN_STAKE, "lock untouched");
    }

    function test_reportEquivocation_revertsOnReceiptsDatedMoreThanTheSkewBeforeRegistration() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        a.issuedAt = runners.getRunner(runner).registeredAt - SKEW - 1;
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY,
            abi.encodeWithSelector(
                IReceiptSlasher.ReceiptSlasherSignedOutsideRegistration.selector, runner, MODEL, 0, a.issuedAt
            )
        );
    }

    /// @dev The cheat the skew closes: receipts dated ahead of the chain, then a deactivation before that date. Up
    /// to `SKEW` seconds after the deactivation they are still the runner's, and still slash it.
    function test_reportEquivocation_slashesReceiptsDatedUpToTheSkewAfterDeactivation() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        vm.warp(block.timestamp + 10);
        vm.prank(contributor);
        runners.deactivateRunner(runner);
        a.issuedAt = uint64(block.timestamp) + SKEW - 1;
        b.issuedAt = a.issuedAt;
        (uint256 slashed,) = _report(a, b, RUNNER_KEY);
        _assertEq(slashed, MIN_STAKE, "slashed the model's minimum");
        _checkTokenBalances();
    }

    /// @dev An honest runner whose clock runs up to `SKEW` behind the chain dates a receipt before its registration.
    function test_reportEquivocation_slashesReceiptsDatedUpToTheSkewBeforeRegistration() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        a.issuedAt = runners.getRunner(runner).registeredAt - SKEW;
        (uint256 slashed,) = _report(a, b, RUNNER_KEY);
        _assertEq(slashed, MIN_STAKE, "slashed");
    }

    /// @dev A short registration elsewhere squeezed in after the deactivation does not hide the shard-0 receipts
    /// dated within the skew of it.
    function test_reportEquivocation_slashesReceiptsDatedAfterDeactivationDespiteARegistrationBetween() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        uint64 endedAt = uint64(block.timestamp) + MOVED_AFTER;
        _moveToShardOne();
        vm.warp(block.timestamp + 5);
        vm.prank(contributor);
        runners.deactivateRunner(runner);
        a.issuedAt = endedAt + 100;
        b.issuedAt = a.issuedAt;
        (uint256 slashed,) = _report(a, b, RUNNER_KEY);
        _assertEq(slashed, MIN_STAKE, "slashed");
    }

    /// @dev Whatever the dates, a pair slashes exactly when both were signed during the shard-0 registration, give
    /// or take `SKEW` seconds at either end.
    function testFuzz_reportEquivocation_takesOnlyReceiptsDatedInARegistrationOfTheShard(uint64 at, uint64 other)
        public
    {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        uint64 from = uint64(block.timestamp);
        _moveToShardOne();
        // Half the runs near the registration and its skew (before, in, after it), the rest anywhere.
        if (at & 1 == 0) at = uint64(from - SKEW - MOVED_AFTER + (at >> 1) % (2 * SKEW + 3 * MOVED_AFTER));
        a.issuedAt = at;
        b.issuedAt = uint64(from + (other % MOVED_AFTER));
        if (uint256(at) + SKEW >= from && uint256(at) < uint256(from) + MOVED_AFTER + SKEW) {
            (uint256 slashed,) = _report(a, b, RUNNER_KEY);
            _assertEq(slashed, MIN_STAKE, "slashed");
        } else {
            _expectReportRevert(
                a,
                b,
                RUNNER_KEY,
                abi.encodeWithSelector(
                    IReceiptSlasher.ReceiptSlasherSignedOutsideRegistration.selector, runner, MODEL, 0, at
                )
            );
        }
    }

    function test_reportEquivocation_revertsOnSameOutput() public {
        IReceiptSlasher.Receipt memory a = _receipt(0);
        IReceiptSlasher.Receipt memory b = _receipt(0);
        b.issuedAt += 5;
        b.previousReceipt = keccak256("another link");
        _expectReportRevert(
            a, b, RUNNER_KEY, abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherSameOutput.selector, a.outputHash)
        );
    }

    function test_reportEquivocation_revertsOnDifferentInput() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        b.inputHash = keccak256("another input");
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY,
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherInputMismatch.selector, a.inputHash, b.inputHash)
        );
    }

    function test_reportEquivocation_revertsOnDifferentParams() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        b.paramsHash = keccak256("temperature 1");
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY,
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherParamsMismatch.selector, a.paramsHash, b.paramsHash)
        );
    }

    function test_reportEquivocation_revertsOnDifferentPositions() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        b.positionStart = 1;
        bytes4 selector = IReceiptSlasher.ReceiptSlasherPositionsMismatch.selector;
        _expectReportRevert(a, b, RUNNER_KEY, abi.encodeWithSelector(selector, 0, 12, 1, 12));
        b.positionStart = 0;
        b.positionCount = 13;
        _expectReportRevert(a, b, RUNNER_KEY, abi.encodeWithSelector(selector, 0, 12, 0, 13));
    }

    function test_reportEquivocation_revertsOnDifferentSession() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        b.sessionId = bytes16(keccak256("another session"));
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY,
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherSessionMismatch.selector, a.sessionId, b.sessionId)
        );
    }

    function test_reportEquivocation_revertsOnDifferentShard() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        b.shardIndex = 1;
        _expectReportRevert(
            a, b, RUNNER_KEY, abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherShardMismatch.selector, 0, 1)
        );
    }

    function test_reportEquivocation_revertsOnDifferentModel() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        b.modelId = keccak256("model-b");
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY,
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherModelMismatch.selector, MODEL, b.modelId)
        );
    }

    function test_reportEquivocation_revertsForANonRunnerKey() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _expectReportRevert(
            a,
            b,
            STRANGER_KEY,
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherNotARunner.selector, vm.addr(STRANGER_KEY))
        );
    }

    function test_reportEquivocation_revertsForTwoRunners() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        bytes memory sigA = _signReceipt(RUNNER_KEY, a);
        bytes memory sigB = _signReceipt(RUNNER_KEY + 1, b);
        vm.expectRevert(
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherSignerMismatch.selector, runner, route[1])
        );
        slasher.reportEquivocation(a, sigA, b, sigB);
    }

    function test_reportEquivocation_revertsForARunnerOfAnotherShard() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        _expectReportRevert(
            a,
            b,
            RUNNER_KEY + 1,
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherRunnerNotOnShard.selector, route[1], MODEL, 0)
        );
    }

    function test_reportEquivocation_revertsOnInvalidSignatures() public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        bytes32 digestA = slasher.receiptDigest(a);
        bytes memory sigB = _signReceipt(RUNNER_KEY, b);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(RUNNER_KEY, digestA);
        bytes[4] memory bad = [
            bytes(""),
            abi.encodePacked(r, s),
            abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27)),
            abi.encodePacked(r, s, uint8(0))
        ];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherInvalidSignature.selector, digestA));
            slasher.reportEquivocation(a, bad[i], b, sigB);
        }
        _assertEq(staking.runnerLock(contributor, runner), MIN_STAKE, "nothing slashed");
    }

    function test_constructor_revertsOnReporterShareAboveHalf() public {
        vm.expectRevert(
            abi.encodeWithSelector(IReceiptSlasher.ReceiptSlasherReporterShareTooHigh.selector, 5_001, 5_000)
        );
        new ReceiptSlasher(runners, models, staking, 5_001);
    }

    function test_receiptDigest_isTheEip712DigestBoundToTheRunnerRegistry() public view {
        IReceiptSlasher.Receipt memory r = _receipt(2);
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("TeeTee Receipt"),
                keccak256("1"),
                block.chainid,
                address(runners)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "Receipt(bytes32 modelId,uint16 shardIndex,bytes16 sessionId,uint32 positionStart,"
                    "uint32 positionCount,bytes32 paramsHash,bytes32 inputHash,bytes32 outputHash,"
                    "bytes32 previousReceipt,uint64 issuedAt)"
                ),
                r.modelId,
                r.shardIndex,
                r.sessionId,
                r.positionStart,
                r.positionCount,
                r.paramsHash,
                r.inputHash,
                r.outputHash,
                r.previousReceipt,
                r.issuedAt
            )
        );
        bytes32 expected = keccak256(abi.encodePacked(hex"1901", domain, structHash));
        if (slasher.receiptDigest(r) != expected) revert("digest");
        if (slasher.receiptDomainSeparator() != domain) revert("domain");
    }

    /// @dev Any true equivocation (random work, two random different outputs) by the runner slashes it.
    function testFuzz_reportEquivocation_slashesAnyEquivocation(
        IReceiptSlasher.Receipt memory a,
        bytes32 otherOutput
    ) public {
        vm.assume(otherOutput != a.outputHash);
        a.modelId = MODEL;
        a.shardIndex = 0;
        a.issuedAt = uint64(block.timestamp + a.issuedAt % 2 ** 32);
        IReceiptSlasher.Receipt memory b = _copy(a);
        b.outputHash = otherOutput;
        (uint256 slashed,) = _report(a, b, RUNNER_KEY);
        _assertEq(slashed, MIN_STAKE, "slashed");
        _checkTokenBalances();
    }

    /// @dev No pair that differs in an agreed field (model, shard, session, positions, params, input) slashes, even
    /// with different outputs and the runner's own signatures.
    function testFuzz_reportEquivocation_refusesPairsDifferingInAnAgreedField(uint8 field, bytes32 noise) public {
        (IReceiptSlasher.Receipt memory a, IReceiptSlasher.Receipt memory b) = _pair();
        uint256 which = uint256(field) % 7;
        if (which == 0) b.modelId = noise == MODEL ? ~noise : noise;
        if (which == 1) b.shardIndex = uint16(uint256(noise) % 65_535) + 1;
        if (which == 2) b.sessionId = bytes16(noise) == a.sessionId ? ~bytes16(noise) : bytes16(noise);
        if (which == 3) b.positionStart = uint32(uint256(noise) % type(uint32).max) + 1;
        if (which == 4) b.positionCount = uint32(uint256(noise)) == 12 ? 13 : uint32(uint256(noise));
        if (which == 5) b.paramsHash = noise == a.paramsHash ? ~noise : noise;
        if (which == 6) b.inputHash = noise == a.inputHash ? ~noise : noise;
        bytes memory sigA = _signReceipt(RUNNER_KEY, a);
        bytes memory sigB = _signReceipt(RUNNER_KEY, b);
        try slasher.reportEquivocation(a, sigA, b, sigB) {
            revert("a pair for different work slashed");
        } catch (bytes memory reason) {
            if (bytes4(reason) != _mismatchSelector(which)) revert("refused for another reason");
        }
        _assertEq(staking.runnerLock(contributor, runner), MIN_STAKE, "lock untouched");
        _assertEq(staking.treasuryBalance(), 0, "treasury untouched");
    }

    function _mismatchSelector(uint256 field) internal pure returns (bytes4) {
        if (field == 0) return IReceiptSlasher.ReceiptSlasherModelMismatch.selector;
        if (field == 1) return IReceiptSlasher.ReceiptSlasherShardMismatch.selector;
        if (field == 2) return IReceiptSlasher.ReceiptSlasherSessionMismatch.selector;
        if (field <= 4) return IReceiptSlasher.ReceiptSlasherPositionsMismatch.selector;
        if (field == 5) return IReceiptSlasher.ReceiptSlasherParamsMismatch.selector;
        return IReceiptSlasher.ReceiptSlasherInputMismatch.selector;
    }

    function _copy(IReceiptSlasher.Receipt memory r) internal pure returns (IReceiptSlasher.Receipt memory) {
        return abi.decode(abi.encode(r), (IReceiptSlasher.Receipt));
    }
}
