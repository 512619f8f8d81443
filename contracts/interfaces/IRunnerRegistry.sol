// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRunnerRegistry
/// @notice Runners: one TEE instance hosting one shard of one model. A runner is identified by the address of
/// the secp256k1 key it made inside its TEE; its public key (which must hash to that address) also serves to
/// encrypt activations to it. A contributor registers a runner by locking the model's minimum stake and
/// presenting the runner key's EIP-712 consent, so nobody can claim a TEE they do not operate.
/// @dev EIP-712 domain: name "TeeTee RunnerRegistry", version "1", this chain, this contract. Types:
/// RunnerRegistration(address runner,address contributor,bytes32 modelId,uint16 shardIndex,string endpoint,
///   bytes publicKey,bytes32 quoteHash,bytes32 composeHash,bytes32 osImage,uint256 nonce,uint256 deadline)
/// AttestationRefresh(address runner,bytes32 quoteHash,bytes32 composeHash,bytes32 osImage,uint256 nonce,
///   uint256 deadline)
/// `osImage` is SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of the quote (see IModelRegistry.ModelParams).
/// `nonce` is the runner's current `runnerNonce`; each accepted signature consumes it.
/// The attestation report data commits to
/// keccak256(abi.encode(keccak256("TeeTee.RunnerAttestation.v1"), chainid, registry, modelId, shardIndex,
///   runner, weightsHash)) (see libraries/AttestationLib.sol); the quote hash is keccak256 of the raw quote.
interface IRunnerRegistry {
    /// @notice What the contributor submits and the runner key signs.
    struct Registration {
        address runner;
        bytes32 modelId;
        uint16 shardIndex;
        string endpoint;
        bytes publicKey;
        bytes32 quoteHash;
        bytes32 composeHash;
        bytes32 osImage;
        uint256 deadline;
    }

    /// @notice What an attestation refresh records: the new quote's hash and what that quote measured.
    struct Attestation {
        bytes32 quoteHash;
        bytes32 composeHash;
        bytes32 osImage;
    }

    /// @notice A runner as stored. The first slot packs what `routeContributors` reads.
    struct Runner {
        address contributor;
        uint16 shardIndex;
        bool active;
        uint64 attestedAt;
        bytes32 modelId;
        bytes32 quoteHash;
        bytes32 composeHash;
        bytes32 osImage;
        /// @dev the stake locked at registration (the model's minimum then); the runner is backed while its own
        /// lock in Staking (`runnerBacking`) is at least this much
        uint128 lockedStake;
        uint64 registeredAt;
        string endpoint;
        bytes publicKey;
    }

    /// @notice A runner with its address, for paginated discovery.
    /// @param backing what is left of the runner's own stake lock
    /// @param routable what `isRoutable` says of it now
    struct RunnerView {
        address runner;
        Runner info;
        uint256 backing;
        bool routable;
    }

    event RunnerRegistered(
        address indexed runner,
        address indexed contributor,
        bytes32 indexed modelId,
        uint16 shardIndex,
        string endpoint,
        bytes32 quoteHash,
        bytes32 composeHash,
        bytes32 osImage
    );
    event RunnerAttestationRefreshed(
        address indexed runner, bytes32 quoteHash, bytes32 composeHash, bytes32 osImage, uint64 attestedAt
    );
    event RunnerEndpointSet(address indexed runner, string endpoint);
    event RunnerDeactivated(address indexed runner, address indexed by, uint256 stakeReleased);
    event QuoteVerifierSet(address indexed verifier);

    error RunnerAlreadyActive(address runner);
    error RunnerNotFound(address runner);
    error RunnerNotActive(address runner);
    error RunnerModelInactive(bytes32 modelId);
    error RunnerInvalidShard(bytes32 modelId, uint256 shardIndex);
    error RunnerComposeHashNotAllowed(bytes32 modelId, bytes32 composeHash);
    error RunnerOsImageNotAllowed(bytes32 modelId, bytes32 osImage);
    error RunnerInvalidConsent(address runner, address signer);
    error RunnerConsentExpired(uint256 deadline);
    error RunnerPublicKeyMismatch(address runner);
    error RunnerContributorMismatch(address runner, address contributor);
    error RunnerNotAuthorized(address runner, address caller);
    error RunnerQuoteHashMismatch(bytes32 expected, bytes32 actual);
    error RunnerReportDataMismatch(bytes32 expected, bytes32 actual);
    /// @notice The compose hash the on-chain quote verifier measured differs from the one submitted.
    error RunnerComposeHashMismatch(bytes32 expected, bytes32 actual);
    /// @notice The OS image the on-chain quote verifier measured differs from the one submitted.
    error RunnerOsImageMismatch(bytes32 expected, bytes32 actual);
    error RunnerRouteLengthMismatch(uint256 expected, uint256 actual);
    error RunnerRouteInvalid(uint256 shardIndex, address runner);

    /// @notice Registers (or re-activates) a runner for the caller, locking the model's minimum stake.
    /// @param quote the raw quote; only read when an on-chain quote verifier is set, may be empty otherwise
    /// @param consent the runner key's EIP-712 RunnerRegistration signature
    function registerRunner(Registration calldata registration, bytes calldata quote, bytes calldata consent) external;

    /// @notice Records a fresh attestation signed by the runner key. Anyone may submit it.
    function refreshAttestation(
        address runner,
        Attestation calldata attestation,
        uint256 deadline,
        bytes calldata quote,
        bytes calldata consent
    ) external;

    /// @notice Changes a runner's endpoint. Its contributor only.
    function setEndpoint(address runner, string calldata endpoint) external;

    /// @notice Deactivates a runner and releases what is left of its own stake lock, nothing else. Its
    /// contributor or RUNNER_ADMIN_ROLE; anyone once the runner is no longer backed (a slash cut its lock below
    /// what it locked).
    function deactivateRunner(address runner) external;

    /// @notice Sets the on-chain quote verifier; address(0) turns it off. DEFAULT_ADMIN_ROLE only.
    function setQuoteVerifier(address verifier) external;

    function quoteVerifier() external view returns (address);

    function runnerNonce(address runner) external view returns (uint256);

    /// @notice Reverts with `RunnerNotFound` for an address never registered.
    function getRunner(address runner) external view returns (Runner memory);

    /// @notice Runners ever registered for (model, shard), active or not, in registration order.
    function getRunners(bytes32 modelId, uint16 shardIndex, uint256 offset, uint256 limit)
        external
        view
        returns (RunnerView[] memory runners, uint256 total);

    /// @notice Runners ever registered by a contributor, in registration order.
    function getContributorRunners(address contributor, uint256 offset, uint256 limit)
        external
        view
        returns (RunnerView[] memory runners, uint256 total);

    /// @notice Whether `account` has a routable runner (see `isRoutable`) on `modelId`; such contributors use the
    /// model free, and only while that holds: a slash of the runner, its attestation going stale or its compose
    /// hash or OS image being withdrawn ends it. Reverts with `ModelNotFound` for an unknown model.
    /// @dev For off-chain callers: it walks the account's own runners (`getContributorRunners`), which only the
    /// account can lengthen, each at the price of a registration. No state-changing function calls it.
    function isActiveContributor(bytes32 modelId, address account) external view returns (bool);

    /// @notice Whether a runner may be routed to and served from: active, on an active model, backed (its own
    /// stake lock still at least what it locked), attested within the model's TTL, under a compose hash and an OS
    /// image the model still allows. Reverts with `RunnerNotFound` for an address never registered.
    function isRoutable(address runner) external view returns (bool);

    /// @notice What is left of the runner's own stake lock. Reverts with `RunnerNotFound` for an unknown runner.
    function runnerBacking(address runner) external view returns (uint256);

    /// @notice The contributor behind each runner of a route, checking runner i was registered for shard i of the
    /// model (active or not: a runner that served and then left is still paid). Used by the escrow on redemption.
    function routeContributors(bytes32 modelId, address[] calldata route)
        external
        view
        returns (address[] memory contributors);

    /// @notice The EIP-712 digest the runner key signs for a registration by `contributor` at `nonce`.
    function registrationDigest(Registration calldata registration, address contributor, uint256 nonce)
        external
        view
        returns (bytes32);

    /// @notice The EIP-712 digest the runner key signs for an attestation refresh at `nonce`.
    function refreshDigest(
        address runner,
        bytes32 quoteHash,
        bytes32 composeHash,
        bytes32 osImage,
        uint256 nonce,
        uint256 deadline
    ) external
        view
        returns (bytes32);

    /// @notice The 32-byte commitment a runner's quote report data must start with.
    function reportDataCommitment(bytes32 modelId, uint16 shardIndex, address runner) external view returns (bytes32);
}
