// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IPaymentEscrow} from "../contracts/interfaces/IPaymentEscrow.sol";
import {IRunnerRegistry} from "../contracts/interfaces/IRunnerRegistry.sol";
import {IStaking} from "../contracts/interfaces/IStaking.sol";
import {AttestationLib} from "../contracts/libraries/AttestationLib.sol";
import {MockQuoteVerifier} from "../contracts/mocks/MockQuoteVerifier.sol";
import {MarketBase} from "./solidity/TestBase.sol";

contract RunnerRegistryTest is MarketBase {
    uint256 internal constant NEW_KEY = 0xA00F;
    address internal constant ALICE = address(0xA11CE);
    address internal constant MALLORY = address(0xBAD);

    function setUp() public {
        _setUpMarket();
        _stake(ALICE, 3 * MIN_STAKE);
    }

    function _register(IRunnerRegistry.Registration memory reg, address contributor, bytes memory quote) internal {
        bytes memory consent = _consent(NEW_KEY, reg, contributor);
        vm.prank(contributor);
        runners.registerRunner(reg, quote, consent);
    }

    function _expectRegisterRevert(IRunnerRegistry.Registration memory reg, bytes memory err) internal {
        bytes memory consent = _consent(NEW_KEY, reg, ALICE);
        vm.prank(ALICE);
        vm.expectRevert(err);
        runners.registerRunner(reg, "", consent);
    }

    /// @dev Each registration is kept with its dates after the runner moves, and found by the time within it.
    function test_registrationPeriods_recordEveryRegistrationAndFindTheOneAtATime() public {
        address runner = _registerRunner(NEW_KEY, ALICE, MODEL, 2);
        uint64 start = uint64(block.timestamp);
        vm.warp(block.timestamp + 50);
        vm.prank(ALICE);
        runners.deactivateRunner(runner);
        _registerRunner(NEW_KEY, ALICE, MODEL, 1);
        _assertEq(runners.registrationPeriodCount(runner), 2, "two registrations");
        IRunnerRegistry.RegistrationPeriod memory first = runners.getRegistrationPeriod(runner, 0);
        if (first.modelId != MODEL || first.shardIndex != 2) revert("first registration's shard");
        _assertEq(first.registeredAt, start, "registeredAt");
        _assertEq(first.endedAt, start + 50, "endedAt");
        _assertEq(runners.getRegistrationPeriod(runner, 1).endedAt, 0, "the current one is open");
        if (!runners.wasRegisteredFor(runner, MODEL, 2) || runners.wasRegisteredFor(runner, MODEL, 0)) {
            revert("wasRegisteredFor");
        }
        _expectPeriod(runner, 2, start, true, 0);
        _expectPeriod(runner, 2, start + 49, true, 0);
        _expectPeriod(runner, 2, start - 1, false, 0);
        _expectPeriod(runner, 2, start + 50, false, 0);
        _expectPeriod(runner, 1, start + 50, true, 1);
        _expectPeriod(runner, 1, type(uint64).max, true, 1);
        _expectPeriod(runner, 1, start + 49, false, 0);
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerPeriodNotFound.selector, runner, 2, 2));
        runners.getRegistrationPeriod(runner, 2);
    }

    /// @dev With a skew, each registration reaches `skew` seconds past both ends; where two reach `at`, the one
    /// holding `at` wins, else the later one.
    function test_findRegistrationPeriodWithin_widensEachRegistrationBySkew() public {
        uint64 skew = 300;
        address runner = _registerRunner(NEW_KEY, ALICE, MODEL, 2);
        uint64 start = uint64(block.timestamp);
        vm.warp(block.timestamp + 50);
        vm.prank(ALICE);
        runners.deactivateRunner(runner);
        vm.warp(block.timestamp + 10);
        _registerRunner(NEW_KEY, ALICE, MODEL, 2);
        uint64 again = uint64(block.timestamp);
        vm.warp(block.timestamp + 5);
        vm.prank(ALICE);
        runners.deactivateRunner(runner);
        _registerRunner(NEW_KEY, ALICE, MODEL, 1);
        uint64 moved = uint64(block.timestamp);
        _expectWithin(runner, 2, start - skew, skew, true, 0);
        _expectWithin(runner, 2, start - skew - 1, skew, false, 0);
        _expectWithin(runner, 2, start + 49, skew, true, 0);
        _expectWithin(runner, 2, start + 55, skew, true, 1);
        _expectWithin(runner, 2, again - 1, skew, true, 1);
        _expectWithin(runner, 2, again + 5 + skew - 1, skew, true, 1);
        _expectWithin(runner, 2, again + 5 + skew, skew, false, 0);
        _expectWithin(runner, 1, moved - skew, skew, true, 2);
        _expectWithin(runner, 1, type(uint64).max, skew, true, 2);
        _expectWithin(runner, 0, start, skew, false, 0);
        _expectWithin(runner, 2, start + 55, 0, false, 0);
        _expectWithin(runner, 2, start + 50, 0, false, 0);
        _expectWithin(runner, 2, start + 49, 0, true, 0);
    }

    function _expectWithin(address runner, uint16 shard, uint64 at, uint64 skew, bool found, uint256 index)
        internal
        view
    {
        (bool isFound, uint256 atIndex) = runners.findRegistrationPeriodWithin(runner, MODEL, shard, at, skew);
        if (isFound != found || atIndex != index) revert(string.concat("period within skew at ", _str(at)));
    }

    function _expectPeriod(address runner, uint16 shard, uint64 at, bool found, uint256 index) internal view {
        (bool isFound, uint256 atIndex) = runners.findRegistrationPeriod(runner, MODEL, shard, at);
        if (isFound != found || atIndex != index) revert(string.concat("period at ", _str(at)));
    }

    function test_registerRunner_storesRunnerAndLocksStake() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 2);
        _register(reg, ALICE, "");
        IRunnerRegistry.Runner memory r = runners.getRunner(reg.runner);
        if (r.contributor != ALICE || !r.active || r.modelId != MODEL || r.shardIndex != 2) revert("runner");
        _assertEq(r.lockedStake, MIN_STAKE, "locked");
        _assertEq(r.attestedAt, block.timestamp, "attestedAt");
        _assertEq(staking.getStake(ALICE).locked, MIN_STAKE, "staking locked");
        _assertEq(runners.runnerNonce(reg.runner), 1, "nonce");
        if (!runners.isActiveContributor(MODEL, ALICE)) revert("active contributor");
        (IRunnerRegistry.RunnerView[] memory list, uint256 total) = runners.getRunners(MODEL, 2, 0, 10);
        _assertEq(total, 2, "shard list");
        if (list[1].runner != reg.runner) revert("shard list order");
        (, total) = runners.getContributorRunners(ALICE, 0, 10);
        _assertEq(total, 1, "contributor list");
    }

    function test_registerRunner_revertsWhenConsentExpired() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        reg.deadline = block.timestamp - 1;
        _expectRegisterRevert(reg, abi.encodeWithSelector(IRunnerRegistry.RunnerConsentExpired.selector, reg.deadline));
    }

    function test_registerRunner_revertsWhenAlreadyActive() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        _register(reg, ALICE, "");
        _expectRegisterRevert(reg, abi.encodeWithSelector(IRunnerRegistry.RunnerAlreadyActive.selector, reg.runner));
    }

    function test_registerRunner_revertsOnInactiveModel() public {
        vm.prank(CURATOR);
        models.setActive(MODEL, false);
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        _expectRegisterRevert(reg, abi.encodeWithSelector(IRunnerRegistry.RunnerModelInactive.selector, MODEL));
    }

    function test_registerRunner_revertsOnShardOutOfRange() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, SHARDS);
        _expectRegisterRevert(
            reg, abi.encodeWithSelector(IRunnerRegistry.RunnerInvalidShard.selector, MODEL, uint256(SHARDS))
        );
    }

    function test_registerRunner_revertsOnDisallowedComposeHash() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        reg.composeHash = keccak256("other");
        _expectRegisterRevert(
            reg, abi.encodeWithSelector(IRunnerRegistry.RunnerComposeHashNotAllowed.selector, MODEL, reg.composeHash)
        );
    }

    function test_registerRunner_revertsOnDisallowedOsImage() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        reg.osImage = keccak256("other os");
        _expectRegisterRevert(
            reg, abi.encodeWithSelector(IRunnerRegistry.RunnerOsImageNotAllowed.selector, MODEL, reg.osImage)
        );
    }

    function test_isRoutable_falseOnceItsOsImageIsWithdrawn() public {
        if (!runners.isRoutable(route[0])) revert("routable before");
        vm.prank(CURATOR);
        models.setOsImageAllowed(MODEL, OS_IMAGE, false);
        if (runners.isRoutable(route[0])) revert("routable on a withdrawn OS image");
    }

    function test_registerRunner_revertsOnPublicKeyMismatch() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        reg.publicKey = _publicKey(0xA00E);
        _expectRegisterRevert(reg, abi.encodeWithSelector(IRunnerRegistry.RunnerPublicKeyMismatch.selector, reg.runner));
        reg.publicKey = bytes.concat(hex"04", _publicKey(NEW_KEY));
        _expectRegisterRevert(reg, abi.encodeWithSelector(IRunnerRegistry.RunnerPublicKeyMismatch.selector, reg.runner));
    }

    /// @dev Fault 3: claiming a TEE needs the runner key's consent, bound to the contributor.
    function test_registerRunner_revertsWhenConsentIsForAnotherContributor() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        bytes memory consent = _consent(NEW_KEY, reg, ALICE);
        _stake(MALLORY, MIN_STAKE);
        bytes32 digest = runners.registrationDigest(reg, MALLORY, 0);
        address recovered = ECDSA.recover(digest, consent);
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerInvalidConsent.selector, reg.runner, recovered));
        runners.registerRunner(reg, "", consent);
    }

    function test_registerRunner_revertsWhenConsentSignedByOtherKey() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        bytes memory consent = _sign(0xA00E, runners.registrationDigest(reg, ALICE, 0));
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(IRunnerRegistry.RunnerInvalidConsent.selector, reg.runner, vm.addr(0xA00E))
        );
        runners.registerRunner(reg, "", consent);
    }

    function test_registerRunner_revertsWithoutFreeStake() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        _expectRegisterRevertAs(
            reg,
            MALLORY,
            abi.encodeWithSelector(IStaking.StakingInsufficientFreeStake.selector, MALLORY, MIN_STAKE, 0)
        );
    }

    function _expectRegisterRevertAs(IRunnerRegistry.Registration memory reg, address who, bytes memory err) internal {
        bytes memory consent = _consent(NEW_KEY, reg, who);
        vm.prank(who);
        vm.expectRevert(err);
        runners.registerRunner(reg, "", consent);
    }

    /// @dev A runner address belongs to its first contributor for good.
    function test_registerRunner_revertsWhenAnotherContributorReRegisters() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        _register(reg, ALICE, "");
        vm.prank(ALICE);
        runners.deactivateRunner(reg.runner);
        _stake(MALLORY, MIN_STAKE);
        _expectRegisterRevertAs(
            reg, MALLORY, abi.encodeWithSelector(IRunnerRegistry.RunnerContributorMismatch.selector, reg.runner, ALICE)
        );
    }

    function test_registerRunner_consentCannotBeReplayed() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        bytes memory consent = _consent(NEW_KEY, reg, ALICE);
        vm.prank(ALICE);
        runners.registerRunner(reg, "", consent);
        vm.prank(ALICE);
        runners.deactivateRunner(reg.runner);
        address recovered = ECDSA.recover(runners.registrationDigest(reg, ALICE, 1), consent);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerInvalidConsent.selector, reg.runner, recovered));
        runners.registerRunner(reg, "", consent);
    }

    function test_reRegister_sameContributorDoesNotDuplicateLists() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 1);
        _register(reg, ALICE, "");
        vm.prank(ALICE);
        runners.deactivateRunner(reg.runner);
        if (runners.isActiveContributor(MODEL, ALICE)) revert("still active contributor");
        _register(reg, ALICE, "");
        (, uint256 total) = runners.getRunners(MODEL, 1, 0, 10);
        _assertEq(total, 2, "shard list");
        (, total) = runners.getContributorRunners(ALICE, 0, 10);
        _assertEq(total, 1, "contributor list");
        _assertEq(staking.getStake(ALICE).locked, MIN_STAKE, "locked once");
    }

    function test_deactivateRunner_releasesStake() public {
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 0);
        _register(reg, ALICE, "");
        vm.prank(ALICE);
        runners.deactivateRunner(reg.runner);
        _assertEq(staking.getStake(ALICE).locked, 0, "released");
        IRunnerRegistry.Runner memory r = runners.getRunner(reg.runner);
        if (r.active) revert("still active");
        _assertEq(r.lockedStake, 0, "record");
    }

    function test_deactivateRunner_revertsForStranger() public {
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerNotAuthorized.selector, route[0], MALLORY));
        runners.deactivateRunner(route[0]);
    }

    function test_deactivateRunner_byRunnerAdmin() public {
        runners.grantRole(runners.RUNNER_ADMIN_ROLE(), MALLORY);
        vm.prank(MALLORY);
        runners.deactivateRunner(route[0]);
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerNotActive.selector, route[0]));
        runners.deactivateRunner(route[0]);
    }

    function test_deactivateRunner_afterSlashReleasesWhatIsLeft() public {
        staking.slash(contributors[0], route[0], MIN_STAKE / 2, keccak256("evidence"));
        vm.prank(contributors[0]);
        runners.deactivateRunner(route[0]);
        IStaking.StakeInfo memory info = staking.getStake(contributors[0]);
        _assertEq(info.locked, 0, "locked");
        _assertEq(info.staked, MIN_STAKE / 2, "staked");
    }

    function test_setEndpoint_onlyContributor() public {
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerNotAuthorized.selector, route[0], MALLORY));
        runners.setEndpoint(route[0], "https://evil.example");
        vm.prank(contributors[0]);
        runners.setEndpoint(route[0], "https://new.example");
        if (keccak256(bytes(runners.getRunner(route[0]).endpoint)) != keccak256("https://new.example")) {
            revert("endpoint");
        }
    }

    function test_refreshAttestation_updatesQuoteAndConsumesNonce() public {
        bytes32 quoteHash = keccak256("fresh");
        uint256 deadline = block.timestamp + 1;
        vm.warp(block.timestamp + 100);
        deadline = block.timestamp + 1;
        bytes memory sig = _sign(0xA000, runners.refreshDigest(route[0], quoteHash, COMPOSE, OS_IMAGE, 1, deadline));
        runners.refreshAttestation(route[0], IRunnerRegistry.Attestation(quoteHash, COMPOSE, OS_IMAGE), deadline, "", sig);
        IRunnerRegistry.Runner memory r = runners.getRunner(route[0]);
        if (r.quoteHash != quoteHash) revert("quote hash");
        _assertEq(r.attestedAt, block.timestamp, "attestedAt");
        address recovered = ECDSA.recover(runners.refreshDigest(route[0], quoteHash, COMPOSE, OS_IMAGE, 2, deadline), sig);
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerInvalidConsent.selector, route[0], recovered));
        runners.refreshAttestation(route[0], IRunnerRegistry.Attestation(quoteHash, COMPOSE, OS_IMAGE), deadline, "", sig);
    }

    function test_refreshAttestation_revertsWhenInactive() public {
        vm.prank(contributors[0]);
        runners.deactivateRunner(route[0]);
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerNotActive.selector, route[0]));
        runners.refreshAttestation(
            route[0], IRunnerRegistry.Attestation(bytes32(0), COMPOSE, OS_IMAGE), block.timestamp, "", ""
        );
    }

    function test_setQuoteVerifier_onlyAdmin() public {
        bytes32 role = runners.DEFAULT_ADMIN_ROLE();
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, MALLORY, role));
        runners.setQuoteVerifier(address(1));
    }

    function test_quoteVerifier_checksHashReportDataAndComposeHash() public {
        MockQuoteVerifier verifier = new MockQuoteVerifier();
        runners.setQuoteVerifier(address(verifier));
        bytes memory quote = "raw quote bytes";
        IRunnerRegistry.Registration memory reg = _registration(NEW_KEY, MODEL, 3);
        bytes32 commitment = runners.reportDataCommitment(MODEL, 3, reg.runner);
        _assertEq(
            uint256(commitment),
            uint256(
                AttestationLib.commitment(
                    block.chainid, address(runners), MODEL, 3, reg.runner, models.getShard(MODEL, 3).weightsHash
                )
            ),
            "commitment"
        );

        // The submitted quote must be the one hashed.
        bytes memory consent = _consent(NEW_KEY, reg, ALICE);
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(IRunnerRegistry.RunnerQuoteHashMismatch.selector, reg.quoteHash, keccak256(quote))
        );
        runners.registerRunner(reg, quote, consent);

        reg.quoteHash = keccak256(quote);
        verifier.setResult(abi.encode(keccak256("prompt"), bytes32(0)), COMPOSE, OS_IMAGE);
        consent = _consent(NEW_KEY, reg, ALICE);
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(IRunnerRegistry.RunnerReportDataMismatch.selector, commitment, keccak256("prompt"))
        );
        runners.registerRunner(reg, quote, consent);

        verifier.setResult(abi.encode(commitment, bytes32(0)), keccak256("other"), OS_IMAGE);
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(IRunnerRegistry.RunnerComposeHashMismatch.selector, COMPOSE, keccak256("other"))
        );
        runners.registerRunner(reg, quote, consent);

        // The quote measured another OS than the one the runner key signed for.
        verifier.setResult(abi.encode(commitment, bytes32(0)), COMPOSE, keccak256("other os"));
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(IRunnerRegistry.RunnerOsImageMismatch.selector, OS_IMAGE, keccak256("other os"))
        );
        runners.registerRunner(reg, quote, consent);

        verifier.setResult(abi.encode(commitment, bytes32(0)), COMPOSE, OS_IMAGE);
        vm.prank(ALICE);
        runners.registerRunner(reg, quote, consent);
        if (!runners.getRunner(reg.runner).active) revert("not registered");
    }

    function test_routeContributors_namesEachHopsContributor() public view {
        address[] memory got = runners.routeContributors(MODEL, route);
        for (uint256 i; i < SHARDS; ++i) {
            if (got[i] != contributors[i]) revert("contributor");
        }
    }

    function test_routeContributors_revertsOnEmptyRoute() public {
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerRouteInvalid.selector, 0, address(0)));
        runners.routeContributors(MODEL, new address[](0));
    }

    function test_routeContributors_revertsOnRunnerOfOtherModel() public {
        bytes32 other = keccak256("model-b");
        _registerModel(other, SHARDS);
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerRouteInvalid.selector, 0, route[0]));
        runners.routeContributors(other, route);
    }

    function test_getRunner_revertsWhenUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IRunnerRegistry.RunnerNotFound.selector, address(0x1234)));
        runners.getRunner(address(0x1234));
    }

    /// @dev Fault 5: deactivating and re-registering, any number of times, never lets a contributor claim more:
    /// earnings equal the shares of what was actually paid, stake comes back exactly, and a voucher pays once.
    function testFuzz_reRegister_neverRaisesClaims(uint8 cycles, uint256 seed) public {
        uint256 n = uint256(cycles) % 4 + 1;
        address contributor = contributors[1];
        uint16 share = models.getRevenueSplit(MODEL).shareBps[1];
        uint256 expectedEarnings;
        uint256 cumulative;
        for (uint256 c; c < n; ++c) {
            cumulative += uint256(keccak256(abi.encode(seed, c))) % 1_000e6 + 1;
            IPaymentEscrow.Voucher memory v = _voucher(buyer, MODEL, bytes32(0), route, cumulative);
            bytes memory sig = _signVoucher(BUYER_KEY, v);
            uint256 paid = escrow.redeem(v, sig);
            expectedEarnings += paid * share / 10_000;

            vm.prank(contributor);
            runners.deactivateRunner(route[1]);
            _assertEq(staking.freeStake(contributor), MIN_STAKE, "stake released exactly");
            _registerRunner(0xA001, contributor, MODEL, 1);
            _assertEq(staking.freeStake(contributor), 0, "stake locked again");

            bytes32 channel = escrow.channelId(buyer, MODEL, bytes32(0), route);
            vm.expectRevert(
                abi.encodeWithSelector(IPaymentEscrow.EscrowVoucherNotIncreasing.selector, channel, cumulative, cumulative)
            );
            escrow.redeem(v, sig);
            _assertEq(escrow.earnings(contributor), expectedEarnings, "earnings");
        }
        (, uint256 total) = runners.getRunners(MODEL, 1, 0, 10);
        _assertEq(total, 1, "no duplicate entries");
    }
}
