// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IQuoteVerifier} from "./interfaces/IQuoteVerifier.sol";
import {IRunnerRegistry} from "./interfaces/IRunnerRegistry.sol";
import {IStaking} from "./interfaces/IStaking.sol";
import {AttestationLib} from "./libraries/AttestationLib.sol";

/// @title RunnerRegistry
/// @notice Runners: one attested TEE instance per shard of a model, registered by a contributor with the runner
/// key's consent and backed by its own stake lock. Lists are append-only and paginated; nothing loops over all
/// runners. The admin role moves in two steps with a delay (AccessControlDefaultAdminRules).
contract RunnerRegistry is IRunnerRegistry, AccessControlDefaultAdminRules, EIP712 {
    /// @notice Role allowed to deactivate any runner.
    bytes32 public constant RUNNER_ADMIN_ROLE = keccak256("RUNNER_ADMIN_ROLE");

    IModelRegistry private immutable _models;
    IStaking private immutable _staking;

    IQuoteVerifier private _quoteVerifier;
    mapping(address runner => Runner) private _runners;
    mapping(address runner => uint256) private _nonces;
    mapping(bytes32 modelId => mapping(uint16 shardIndex => address[])) private _shardRunners;
    mapping(address contributor => address[]) private _contributorRunners;
    /// @dev keccak256(modelId, shardIndex, runner) => contributor | shardCount << 160, set the first time a runner
    /// is registered for that shard and never cleared: one read per route hop proves the hop and names the payee.
    mapping(bytes32 membership => uint256) private _memberships;
    /// @dev Every registration of a runner, oldest first, never cleared: what it signed stays slashable after it
    /// moves to another shard or registers again.
    mapping(address runner => RegistrationPeriod[]) private _periods;

    /// @param models_ the model registry
    /// @param staking_ the staking contract; this registry needs its LOCKER_ROLE
    /// @param admin holder of DEFAULT_ADMIN_ROLE
    /// @param adminDelay seconds a DEFAULT_ADMIN_ROLE transfer waits before it can be accepted
    constructor(IModelRegistry models_, IStaking staking_, address admin, uint48 adminDelay)
        AccessControlDefaultAdminRules(adminDelay, admin)
        EIP712("TeeTee RunnerRegistry", "1")
    {
        _models = models_;
        _staking = staking_;
    }

    /// @inheritdoc IRunnerRegistry
    function registerRunner(Registration calldata registration, bytes calldata quote, bytes calldata consent)
        external
    {
        address runner = registration.runner;
        if (block.timestamp > registration.deadline) revert RunnerConsentExpired(registration.deadline);
        Runner storage stored = _runners[runner];
        if (stored.active) revert RunnerAlreadyActive(runner);
        address previous = stored.contributor;
        if (previous != address(0) && previous != msg.sender) revert RunnerContributorMismatch(runner, previous);

        IModelRegistry.Model memory model = _checkModel(registration);
        if (AttestationLib.publicKeyAddress(registration.publicKey) != runner) revert RunnerPublicKeyMismatch(runner);
        _consumeConsent(runner, _registrationDigest(registration, msg.sender, _nonces[runner]), consent);
        if (address(_quoteVerifier) != address(0)) {
            _checkQuote(
                registration.modelId,
                registration.shardIndex,
                runner,
                registration.quoteHash,
                registration.composeHash,
                registration.osImage,
                quote
            );
        }

        _storeRunner(registration, model.minStake, previous == address(0));
        _trackMembership(registration.modelId, registration.shardIndex, runner, model.shardCount);
        _emitRegistered(registration);
        if (model.minStake != 0) _staking.lockStake(msg.sender, runner, model.minStake);
    }

    /// @inheritdoc IRunnerRegistry
    function refreshAttestation(
        address runner,
        Attestation calldata attestation,
        uint256 deadline,
        bytes calldata quote,
        bytes calldata consent
    ) external {
        if (block.timestamp > deadline) revert RunnerConsentExpired(deadline);
        Runner storage stored = _runners[runner];
        if (!stored.active) revert RunnerNotActive(runner);
        _checkAllowed(stored.modelId, attestation.composeHash, attestation.osImage);
        _consumeRefreshConsent(runner, attestation, deadline, consent);
        if (address(_quoteVerifier) != address(0)) _checkRefreshQuote(stored, runner, attestation, quote);
        uint64 attestedAt = uint64(block.timestamp);
        stored.quoteHash = attestation.quoteHash;
        stored.composeHash = attestation.composeHash;
        stored.osImage = attestation.osImage;
        stored.attestedAt = attestedAt;
        emit RunnerAttestationRefreshed(
            runner, attestation.quoteHash, attestation.composeHash, attestation.osImage, attestedAt
        );
    }

    /// @inheritdoc IRunnerRegistry
    function setEndpoint(address runner, string calldata endpoint) external {
        Runner storage stored = _runners[runner];
        address contributor = stored.contributor;
        if (contributor == address(0)) revert RunnerNotFound(runner);
        if (contributor != msg.sender) revert RunnerNotAuthorized(runner, msg.sender);
        stored.endpoint = endpoint;
        emit RunnerEndpointSet(runner, endpoint);
    }

    /// @inheritdoc IRunnerRegistry
    function deactivateRunner(address runner) external {
        Runner storage stored = _runners[runner];
        address contributor = stored.contributor;
        if (contributor == address(0)) revert RunnerNotFound(runner);
        if (!stored.active) revert RunnerNotActive(runner);
        if (
            contributor != msg.sender && !hasRole(RUNNER_ADMIN_ROLE, msg.sender)
                && _isBacked(contributor, runner, stored.lockedStake)
        ) revert RunnerNotAuthorized(runner, msg.sender);
        stored.active = false;
        stored.lockedStake = 0;
        RegistrationPeriod[] storage periods = _periods[runner];
        periods[periods.length - 1].endedAt = uint64(block.timestamp);
        uint256 released = _staking.unlockStake(contributor, runner);
        emit RunnerDeactivated(runner, msg.sender, released);
    }

    /// @inheritdoc IRunnerRegistry
    function setQuoteVerifier(address verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _quoteVerifier = IQuoteVerifier(verifier);
        emit QuoteVerifierSet(verifier);
    }

    /// @inheritdoc IRunnerRegistry
    function quoteVerifier() external view returns (address) {
        return address(_quoteVerifier);
    }

    /// @inheritdoc IRunnerRegistry
    function runnerNonce(address runner) external view returns (uint256) {
        return _nonces[runner];
    }

    /// @inheritdoc IRunnerRegistry
    function getRunner(address runner) external view returns (Runner memory) {
        Runner memory info = _runners[runner];
        if (info.contributor == address(0)) revert RunnerNotFound(runner);
        return info;
    }

    /// @inheritdoc IRunnerRegistry
    function getRunners(bytes32 modelId, uint16 shardIndex, uint256 offset, uint256 limit)
        external
        view
        returns (RunnerView[] memory runners, uint256 total)
    {
        return _page(_shardRunners[modelId][shardIndex], offset, limit);
    }

    /// @inheritdoc IRunnerRegistry
    function getContributorRunners(address contributor, uint256 offset, uint256 limit)
        external
        view
        returns (RunnerView[] memory runners, uint256 total)
    {
        return _page(_contributorRunners[contributor], offset, limit);
    }

    /// @inheritdoc IRunnerRegistry
    function isActiveContributor(bytes32 modelId, address account) external view returns (bool) {
        IModelRegistry.Model memory model = _models.getModel(modelId);
        address[] storage owned = _contributorRunners[account];
        uint256 length = owned.length;
        for (uint256 i; i < length; ++i) {
            Runner storage stored = _runners[owned[i]];
            if (stored.modelId == modelId && _isRoutable(owned[i], stored, model)) return true;
        }
        return false;
    }

    /// @inheritdoc IRunnerRegistry
    function isRoutable(address runner) external view returns (bool) {
        Runner storage stored = _runners[runner];
        if (stored.contributor == address(0)) revert RunnerNotFound(runner);
        return _isRoutable(runner, stored, _models.getModel(stored.modelId));
    }

    /// @inheritdoc IRunnerRegistry
    function runnerBacking(address runner) external view returns (uint256) {
        address contributor = _runners[runner].contributor;
        if (contributor == address(0)) revert RunnerNotFound(runner);
        return _staking.runnerLock(contributor, runner);
    }

    /// @inheritdoc IRunnerRegistry
    function routeContributors(bytes32 modelId, address[] calldata route)
        external
        view
        returns (address[] memory contributors)
    {
        uint256 length = route.length;
        if (length == 0) revert RunnerRouteInvalid(0, address(0));
        contributors = new address[](length);
        for (uint256 i; i < length; ++i) {
            uint256 entry = _memberships[_membershipKey(modelId, uint16(i), route[i])];
            if (entry == 0) revert RunnerRouteInvalid(i, route[i]);
            if (i == 0 && (entry >> 160) != length) revert RunnerRouteLengthMismatch(entry >> 160, length);
            contributors[i] = address(uint160(entry));
        }
    }

    /// @inheritdoc IRunnerRegistry
    function registrationPeriodCount(address runner) external view returns (uint256) {
        return _periods[runner].length;
    }

    /// @inheritdoc IRunnerRegistry
    function getRegistrationPeriod(address runner, uint256 index) external view returns (RegistrationPeriod memory) {
        RegistrationPeriod[] storage periods = _periods[runner];
        if (index >= periods.length) revert RunnerPeriodNotFound(runner, index, periods.length);
        return periods[index];
    }

    /// @inheritdoc IRunnerRegistry
    function wasRegisteredFor(address runner, bytes32 modelId, uint16 shardIndex) external view returns (bool) {
        return _memberships[_membershipKey(modelId, shardIndex, runner)] != 0;
    }

    /// @inheritdoc IRunnerRegistry
    function findRegistrationPeriod(address runner, bytes32 modelId, uint16 shardIndex, uint64 at)
        external
        view
        returns (bool found, uint256 index)
    {
        RegistrationPeriod[] storage periods = _periods[runner];
        // The last registration that started at or before `at` is the only one that may still have lasted at
        // `at`, since each ended before the next started.
        uint256 started = _startedBy(periods, at);
        if (started == 0) return (false, 0);
        RegistrationPeriod storage period = periods[started - 1];
        uint64 endedAt = period.endedAt;
        found = (endedAt == 0 || at < endedAt) && period.modelId == modelId && period.shardIndex == shardIndex;
        if (found) index = started - 1;
    }

    /// @inheritdoc IRunnerRegistry
    function findRegistrationPeriodWithin(address runner, bytes32 modelId, uint16 shardIndex, uint64 at, uint64 skew)
        external
        view
        returns (bool found, uint256 index)
    {
        RegistrationPeriod[] storage periods = _periods[runner];
        // Walk back from the last registration that started by `at + skew`; each ended before the next started,
        // so once one ended `skew` or more before `at`, every earlier one did too.
        for (uint256 i = _startedBy(periods, uint256(at) + skew); i > 0; --i) {
            RegistrationPeriod storage period = periods[i - 1];
            uint64 endedAt = period.endedAt;
            if (endedAt != 0 && uint256(endedAt) + skew <= at) break;
            if (period.modelId != modelId || period.shardIndex != shardIndex) continue;
            if (period.registeredAt <= at && (endedAt == 0 || at < endedAt)) return (true, i - 1);
            if (!found) (found, index) = (true, i - 1);
        }
    }

    /// @inheritdoc IRunnerRegistry
    function registrationDigest(Registration calldata registration, address contributor, uint256 nonce)
        external
        view
        returns (bytes32)
    {
        return _registrationDigest(registration, contributor, nonce);
    }

    /// @inheritdoc IRunnerRegistry
    function refreshDigest(
        address runner,
        bytes32 quoteHash,
        bytes32 composeHash,
        bytes32 osImage,
        uint256 nonce,
        uint256 deadline
    ) external view returns (bytes32) {
        return _refreshDigest(runner, quoteHash, composeHash, osImage, nonce, deadline);
    }

    /// @inheritdoc IRunnerRegistry
    function reportDataCommitment(bytes32 modelId, uint16 shardIndex, address runner) external view returns (bytes32) {
        return _commitment(modelId, shardIndex, runner);
    }

    /// @notice The EIP-712 domain separator of this registry.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Active, on an active model, its lock still what it locked, attested within the TTL, compose hash and OS
    /// image allowed.
    function _isRoutable(address runner, Runner storage stored, IModelRegistry.Model memory model)
        private
        view
        returns (bool)
    {
        return stored.active && model.active && block.timestamp <= uint256(stored.attestedAt) + model.attestationTtl
            && _isBacked(stored.contributor, runner, stored.lockedStake)
            && _models.isComposeHashAllowed(stored.modelId, stored.composeHash)
            && _models.isOsImageAllowed(stored.modelId, stored.osImage);
    }

    /// @dev Whether the runner's own lock still covers what it locked at registration (a slash cuts it).
    function _isBacked(address contributor, address runner, uint128 required) private view returns (bool) {
        return required == 0 || _staking.runnerLock(contributor, runner) >= required;
    }

    /// @dev Reads the model once and checks it takes this registration: active, shard in range, compose hash and OS
    /// image allowed.
    function _checkModel(Registration calldata registration) private view returns (IModelRegistry.Model memory model) {
        bytes32 modelId = registration.modelId;
        model = _models.getModel(modelId);
        if (!model.active) revert RunnerModelInactive(modelId);
        if (registration.shardIndex >= model.shardCount) revert RunnerInvalidShard(modelId, registration.shardIndex);
        _checkAllowed(modelId, registration.composeHash, registration.osImage);
    }

    /// @dev The OS image first: the compose hash was measured by that OS, so it means nothing on an OS not allowed.
    function _checkAllowed(bytes32 modelId, bytes32 composeHash, bytes32 osImage) private view {
        if (!_models.isOsImageAllowed(modelId, osImage)) revert RunnerOsImageNotAllowed(modelId, osImage);
        if (!_models.isComposeHashAllowed(modelId, composeHash)) {
            revert RunnerComposeHashNotAllowed(modelId, composeHash);
        }
    }

    function _consumeRefreshConsent(
        address runner,
        Attestation calldata attestation,
        uint256 deadline,
        bytes calldata consent
    ) private {
        bytes32 digest = _refreshDigest(
            runner, attestation.quoteHash, attestation.composeHash, attestation.osImage, _nonces[runner], deadline
        );
        _consumeConsent(runner, digest, consent);
    }

    /// @dev Checks the runner key signed `digest` and consumes the runner's nonce.
    function _consumeConsent(address runner, bytes32 digest, bytes calldata consent) private {
        (address signer,,) = ECDSA.tryRecover(digest, consent);
        if (signer != runner || signer == address(0)) revert RunnerInvalidConsent(runner, signer);
        ++_nonces[runner];
    }

    /// @dev With an on-chain verifier set: the quote is the one hashed, verifies, carries this runner's
    /// commitment and measured the submitted compose hash and OS image.
    function _checkQuote(
        bytes32 modelId,
        uint16 shardIndex,
        address runner,
        bytes32 quoteHash,
        bytes32 composeHash,
        bytes32 osImage,
        bytes calldata quote
    ) private {
        bytes32 actualHash = keccak256(quote);
        if (actualHash != quoteHash) revert RunnerQuoteHashMismatch(quoteHash, actualHash);
        (bytes memory reportData, bytes32 measured, bytes32 measuredOs) = _quoteVerifier.verifyQuote(quote);
        bytes32 expected = _commitment(modelId, shardIndex, runner);
        bytes32 head = AttestationLib.reportDataHead(reportData);
        if (head != expected) revert RunnerReportDataMismatch(expected, head);
        if (measured != composeHash) revert RunnerComposeHashMismatch(composeHash, measured);
        if (measuredOs != osImage) revert RunnerOsImageMismatch(osImage, measuredOs);
    }

    function _checkRefreshQuote(
        Runner storage stored,
        address runner,
        Attestation calldata attestation,
        bytes calldata quote
    ) private {
        _checkQuote(
            stored.modelId,
            stored.shardIndex,
            runner,
            attestation.quoteHash,
            attestation.composeHash,
            attestation.osImage,
            quote
        );
    }

    function _storeRunner(Registration calldata registration, uint128 lockedStake, bool firstTime) private {
        address runner = registration.runner;
        uint64 nowTs = uint64(block.timestamp);
        _runners[runner] = Runner({
            contributor: msg.sender,
            shardIndex: registration.shardIndex,
            active: true,
            attestedAt: nowTs,
            modelId: registration.modelId,
            quoteHash: registration.quoteHash,
            composeHash: registration.composeHash,
            osImage: registration.osImage,
            lockedStake: lockedStake,
            registeredAt: nowTs,
            endpoint: registration.endpoint,
            publicKey: registration.publicKey
        });
        if (firstTime) _contributorRunners[msg.sender].push(runner);
        _periods[runner].push(
            RegistrationPeriod({
                modelId: registration.modelId,
                shardIndex: registration.shardIndex,
                registeredAt: nowTs,
                endedAt: 0
            })
        );
    }

    /// @dev Records the first registration of `runner` for (model, shard): the shard's list and the route entry.
    function _trackMembership(bytes32 modelId, uint16 shardIndex, address runner, uint8 shardCount) private {
        bytes32 key = _membershipKey(modelId, shardIndex, runner);
        if (_memberships[key] != 0) return;
        _memberships[key] = uint256(uint160(msg.sender)) | (uint256(shardCount) << 160);
        _shardRunners[modelId][shardIndex].push(runner);
    }

    function _emitRegistered(Registration calldata registration) private {
        emit RunnerRegistered(
            registration.runner,
            msg.sender,
            registration.modelId,
            registration.shardIndex,
            registration.endpoint,
            registration.quoteHash,
            registration.composeHash,
            registration.osImage
        );
    }

    /// @dev How many of a runner's registrations started at or before `at`, by binary search (they start in order).
    function _startedBy(RegistrationPeriod[] storage periods, uint256 at) private view returns (uint256 low) {
        uint256 high = periods.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (periods[mid].registeredAt <= at) low = mid + 1;
            else high = mid;
        }
    }

    function _page(address[] storage list, uint256 offset, uint256 limit)
        private
        view
        returns (RunnerView[] memory runners, uint256 total)
    {
        total = list.length;
        if (offset >= total) return (new RunnerView[](0), total);
        uint256 end = total - offset < limit ? total : offset + limit;
        runners = new RunnerView[](end - offset);
        for (uint256 i; i < runners.length; ++i) {
            address runner = list[offset + i];
            Runner storage stored = _runners[runner];
            runners[i] = RunnerView({
                runner: runner,
                info: stored,
                backing: _staking.runnerLock(stored.contributor, runner),
                routable: _isRoutable(runner, stored, _models.getModel(stored.modelId))
            });
        }
    }

    function _registrationDigest(Registration calldata registration, address contributor, uint256 nonce)
        private
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(AttestationLib.registrationHash(registration, contributor, nonce));
    }

    function _refreshDigest(
        address runner,
        bytes32 quoteHash,
        bytes32 composeHash,
        bytes32 osImage,
        uint256 nonce,
        uint256 deadline
    ) private view returns (bytes32) {
        return _hashTypedDataV4(AttestationLib.refreshHash(runner, quoteHash, composeHash, osImage, nonce, deadline));
    }

    function _commitment(bytes32 modelId, uint16 shardIndex, address runner) private view returns (bytes32) {
        bytes32 weightsHash = _models.getShard(modelId, shardIndex).weightsHash;
        return AttestationLib.commitment(block.chainid, address(this), modelId, shardIndex, runner, weightsHash);
    }

    function _membershipKey(bytes32 modelId, uint16 shardIndex, address runner) private pure returns (bytes32) {
        return keccak256(abi.encode(modelId, shardIndex, runner));
    }
}
