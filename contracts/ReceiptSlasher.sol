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

    IRunnerRegistry private immutable _runners;
    IModelRegistry private immutable _models;
    IStaking private immutable _staking;
    uint256 private immutable _reporterShareBps;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;

    mapping(bytes32 evidenceHash => bool) private _usedEvidence;
    /// @dev The `registeredAt` of the runner's registration last slashed here (registrations never happen at 0).
    mapping(address runner => uint64 registeredAt) private _slashedRegistration;

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
        (contributor, slashed, reward) = _slash(runner, first.modelId, first.shardIndex, firstDigest, secondDigest);
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

    /// @dev Spends the evidence and the runner's registration, then slashes through Staking, paying the caller.
    function _slash(address runner, bytes32 modelId, uint16 shardIndex, bytes32 firstDigest, bytes32 secondDigest)
        private
        returns (address contributor, uint256 slashed, uint256 reward)
    {
        bytes32 evidence = ReceiptLib.evidenceHash(firstDigest, secondDigest);
        if (_usedEvidence[evidence]) revert ReceiptSlasherEvidenceUsed(evidence);
        IRunnerRegistry.Runner memory info = _runnerOnShard(runner, modelId, shardIndex);
        contributor = info.contributor;
        uint256 lock = _staking.runnerLock(contributor, runner);
        // A slash leaves the lock at zero and only a new registration locks again, so the lock tells a registration
        // already slashed from one made again in the same second.
        if (_slashedRegistration[runner] == info.registeredAt && lock == 0) {
            revert ReceiptSlasherAlreadySlashed(runner, info.registeredAt);
        }
        uint256 amount = _slashAmount(lock, info.modelId);
        if (amount == 0) revert ReceiptSlasherNothingToSlash(runner, contributor);
        _usedEvidence[evidence] = true;
        _slashedRegistration[runner] = info.registeredAt;
        (slashed, reward) =
            _staking.slashWithReward(contributor, runner, amount, evidence, msg.sender, _reporterShareBps);
        if (slashed == 0) revert ReceiptSlasherNothingToSlash(runner, contributor);
    }

    /// @dev The runner as registered now, which must be for the receipts' model and shard.
    function _runnerOnShard(address runner, bytes32 modelId, uint16 shardIndex)
        private
        view
        returns (IRunnerRegistry.Runner memory info)
    {
        info = _registered(runner);
        if (info.modelId != modelId || info.shardIndex != shardIndex) {
            revert ReceiptSlasherRunnerNotOnShard(runner, modelId, shardIndex);
        }
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
