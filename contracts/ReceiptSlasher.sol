// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IReceiptSlasher} from "./interfaces/IReceiptSlasher.sol";
import {IRunnerRegistry} from "./interfaces/IRunnerRegistry.sol";
import {IStaking} from "./interfaces/IStaking.sol";
import {ReceiptLib} from "./libraries/ReceiptLib.sol";

/// @title ReceiptSlasher
/// @notice Slashes a runner that signed two outputs for the same work, on anyone's report, through Staking's
/// SLASHER_ROLE (which this contract holds), paying the reporter a fixed share. It has no admin: its rule and
/// share are fixed at deployment, and governance changes them by granting the role to a new one.
contract ReceiptSlasher is IReceiptSlasher {
    /// @inheritdoc IReceiptSlasher
    uint256 public constant MAX_REPORTER_SHARE_BPS = 5_000;
    /// @inheritdoc IReceiptSlasher
    uint64 public constant RECEIPT_CLOCK_SKEW_SECONDS = 300;

    IRunnerRegistry private immutable _runners;
    IModelRegistry private immutable _models;
    IStaking private immutable _staking;
    uint256 private immutable _reporterShareBps;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;

    mapping(bytes32 evidenceHash => bool) private _usedEvidence;
    /// @dev The runner's registrations (indices of `IRunnerRegistry.getRegistrationPeriod`) already slashed here.
    mapping(address runner => mapping(uint256 period => bool)) private _slashedPeriods;

    /// @param runners_ the runner registry, also the receipts' EIP-712 verifyingContract
    /// @param models_ the model registry (minimum stakes)
    /// @param staking_ the staking contract; this contract needs its SLASHER_ROLE
    /// @param reporterShareBps_ the reporter's part of each slash, at most `MAX_REPORTER_SHARE_BPS`
    constructor(IRunnerRegistry runners_, IModelRegistry models_, IStaking staking_, uint256 reporterShareBps_) {
        if (address(runners_) == address(0) || address(models_) == address(0) || address(staking_) == address(0)) {
            revert ReceiptSlasherZeroAddress();
        }
        if (reporterShareBps_ > MAX_REPORTER_SHARE_BPS) {
            revert ReceiptSlasherReporterShareTooHigh(reporterShareBps_, MAX_REPORTER_SHARE_BPS);
        }
        _runners = runners_;
        _models = models_;
        _staking = staking_;
        _reporterShareBps = reporterShareBps_;
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = ReceiptLib.domainSeparator(block.chainid, address(runners_));
    }

    /// @inheritdoc IReceiptSlasher
    function reportEquivocation(
        Receipt calldata first,
        bytes calldata firstSignature,
        Receipt calldata second,
        bytes calldata secondSignature
    ) external returns (uint256 slashed, uint256 reward) {
        ReceiptLib.checkEquivocation(first, second);
        bytes32 firstDigest = _digest(first);
        bytes32 secondDigest = _digest(second);
        address runner = _commonSigner(firstDigest, firstSignature, secondDigest, secondSignature);
        address contributor;
        (contributor, slashed, reward) =
            _slash(first, second, runner, ReceiptLib.evidenceHash(firstDigest, secondDigest));
        emit EquivocationSlashed(
            runner, contributor, msg.sender, slashed, reward, slashed - reward, firstDigest, secondDigest
        );
    }

    /// @inheritdoc IReceiptSlasher
    function receiptDigest(Receipt calldata receipt) external view returns (bytes32) {
        return _digest(receipt);
    }

    /// @inheritdoc IReceiptSlasher
    function evidenceHash(bytes32 firstDigest, bytes32 secondDigest) external pure returns (bytes32) {
        return ReceiptLib.evidenceHash(firstDigest, secondDigest);
    }

    /// @inheritdoc IReceiptSlasher
    function isEvidenceUsed(bytes32 evidenceHash_) external view returns (bool) {
        return _usedEvidence[evidenceHash_];
    }

    /// @inheritdoc IReceiptSlasher
    function slashAmount(address runner) external view returns (uint256) {
        IRunnerRegistry.Runner memory info = _registered(runner);
        return _slashAmount(_staking.runnerLock(info.contributor, runner), info.modelId);
    }

    /// @inheritdoc IReceiptSlasher
    function reporterShareBps() external view returns (uint256) {
        return _reporterShareBps;
    }

    /// @inheritdoc IReceiptSlasher
    function receiptDomainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @inheritdoc IReceiptSlasher
    function runnerRegistry() external view returns (address) {
        return address(_runners);
    }

    /// @inheritdoc IReceiptSlasher
    function staking() external view returns (address) {
        return address(_staking);
    }

    /// @inheritdoc IReceiptSlasher
    function modelRegistry() external view returns (address) {
        return address(_models);
    }

    function _digest(Receipt calldata receipt) private view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), ReceiptLib.structHash(receipt));
    }

    /// @dev Recomputed only on a chain that forked away from the deployment's chain id.
    function _domainSeparator() private view returns (bytes32) {
        if (block.chainid == _cachedChainId) return _cachedDomainSeparator;
        return ReceiptLib.domainSeparator(block.chainid, address(_runners));
    }

    /// @dev OpenZeppelin's recovery: 65 bytes, low s, v of 27 or 28, and a non-zero signer.
    function _signer(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || signer == address(0)) revert ReceiptSlasherInvalidSignature(digest);
    }

    /// @dev The one key that signed both digests.
    function _commonSigner(
        bytes32 firstDigest,
        bytes calldata firstSignature,
        bytes32 secondDigest,
        bytes calldata secondSignature
    ) private pure returns (address runner) {
        runner = _signer(firstDigest, firstSignature);
        address other = _signer(secondDigest, secondSignature);
        if (runner != other) revert ReceiptSlasherSignerMismatch(runner, other);
    }

    /// @dev Spends the evidence and the registration the receipts were signed in, then slashes through Staking,
    /// paying the caller. The contributor never changes for a runner, so its current lock is the stake at risk.
    function _slash(Receipt calldata first, Receipt calldata second, address runner, bytes32 evidence)
        private
        returns (address contributor, uint256 slashed, uint256 reward)
    {
        if (_usedEvidence[evidence]) revert ReceiptSlasherEvidenceUsed(evidence);
        contributor = _registered(runner).contributor;
        uint256 period = _signedIn(runner, first, second);
        if (_slashedPeriods[runner][period]) {
            revert ReceiptSlasherAlreadySlashed(runner, _runners.getRegistrationPeriod(runner, period).registeredAt);
        }
        uint256 amount = _slashAmount(_staking.runnerLock(contributor, runner), first.modelId);
        if (amount == 0) revert ReceiptSlasherNothingToSlash(runner, contributor);
        _usedEvidence[evidence] = true;
        _slashedPeriods[runner][period] = true;
        (slashed, reward) =
            _staking.slashWithReward(contributor, runner, amount, evidence, msg.sender, _reporterShareBps);
        if (slashed == 0) revert ReceiptSlasherNothingToSlash(runner, contributor);
    }

    /// @dev The registration the later of the two receipts was signed in (the equivocation was complete then);
    /// both must have been signed while the runner was registered for their model and shard, within the skew.
    function _signedIn(address runner, Receipt calldata first, Receipt calldata second)
        private
        view
        returns (uint256 period)
    {
        bytes32 modelId = first.modelId;
        uint16 shardIndex = first.shardIndex;
        if (!_runners.wasRegisteredFor(runner, modelId, shardIndex)) {
            revert ReceiptSlasherRunnerNotOnShard(runner, modelId, shardIndex);
        }
        uint256 firstPeriod = _periodAt(runner, modelId, shardIndex, first.issuedAt);
        uint256 secondPeriod = _periodAt(runner, modelId, shardIndex, second.issuedAt);
        return first.issuedAt > second.issuedAt ? firstPeriod : secondPeriod;
    }

    function _periodAt(address runner, bytes32 modelId, uint16 shardIndex, uint64 issuedAt)
        private
        view
        returns (uint256 index)
    {
        bool found;
        (found, index) =
            _runners.findRegistrationPeriodWithin(runner, modelId, shardIndex, issuedAt, RECEIPT_CLOCK_SKEW_SECONDS);
        if (!found) revert ReceiptSlasherSignedOutsideRegistration(runner, modelId, shardIndex, issuedAt);
    }

    function _registered(address runner) private view returns (IRunnerRegistry.Runner memory) {
        try _runners.getRunner(runner) returns (IRunnerRegistry.Runner memory info) {
            return info;
        } catch {
            revert ReceiptSlasherNotARunner(runner);
        }
    }

    /// @dev The runner's whole lock, and at least the model's minimum stake: a runner deactivated after
    /// equivocating has had its lock released, so the minimum is then taken from free and unbonding stake.
    function _slashAmount(uint256 lock, bytes32 modelId) private view returns (uint256) {
        uint256 minStake = _models.getModel(modelId).minStake;
        return lock > minStake ? lock : minStake;
    }
}
