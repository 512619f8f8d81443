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

    /// @notice One registration of a runner: for shard `shardIndex` of model `modelId` from `registeredAt` until
    /// `endedAt` (unix seconds; 0 while it lasts). A receipt issued at `t` was signed in it when
    /// `registeredAt <= t` and (`endedAt == 0` or `t < endedAt`); with a clock tolerance `skew`, as the
    /// ReceiptSlasher and the SDK's `verifyReceipts` judge receipts, when `registeredAt - skew <= t` and
    /// (`endedAt == 0` or `t < endedAt + skew`) (see `findRegistrationPeriodWithin`).
    struct RegistrationPeriod {
        bytes32 modelId;
        uint16 shardIndex;
        uint64 registeredAt;
        uint64 endedAt;
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

    /// @notice Contributor `contributor` registered (or re-activated) runner `runner` for shard `shardIndex` of
    /// model `modelId`, attested by the quote `quoteHash`.
    /// @param runner the runner's address (of the key it made inside its TEE)
    /// @param contributor who staked for it and is paid its earnings
    /// @param modelId the model it serves
    /// @param shardIndex the shard it hosts
    /// @param endpoint the URL it serves at
    /// @param quoteHash keccak256 of its TDX quote
    /// @param composeHash the dstack compose hash the quote measured
    /// @param osImage SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of the quote
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
    /// @notice Runner `runner` presented a new quote, fresh from `attestedAt`.
    /// @param runner the runner
    /// @param quoteHash keccak256 of the new quote
    /// @param composeHash the dstack compose hash it measured
    /// @param osImage the OS image it measured
    /// @param attestedAt when the attestation was recorded (unix seconds); it expires a model's TTL later
    event RunnerAttestationRefreshed(
        address indexed runner, bytes32 quoteHash, bytes32 composeHash, bytes32 osImage, uint64 attestedAt
    );
    /// @notice Runner `runner` now serves at `endpoint`.
    /// @param runner the runner
    /// @param endpoint its new URL
    event RunnerEndpointSet(address indexed runner, string endpoint);
    /// @notice Runner `runner` was deactivated by `by` and its locked stake went back to its contributor.
    /// @param runner the runner
    /// @param by its contributor, or a holder of SLASHER_ROLE
    /// @param stakeReleased payment-token base units unlocked
    event RunnerDeactivated(address indexed runner, address indexed by, uint256 stakeReleased);
    /// @notice Quotes are now verified on-chain by `verifier` (address(0): off-chain only).
    /// @param verifier the IQuoteVerifier, or address(0)
    event QuoteVerifierSet(address indexed verifier);

    /// @notice Runner `runner` is already active.
    /// @param runner the runner given
    error RunnerAlreadyActive(address runner);
    /// @notice Runner `runner` was never registered.
    /// @param runner the runner asked for
    error RunnerNotFound(address runner);
    /// @notice Runner `runner` is not active.
    /// @param runner the runner given
    error RunnerNotActive(address runner);
    /// @notice Model `modelId` is not active, so it takes no new runners.
    /// @param modelId the model
    error RunnerModelInactive(bytes32 modelId);
    /// @notice Model `modelId` has no shard `shardIndex`.
    /// @param modelId the model
    /// @param shardIndex the shard index given
    error RunnerInvalidShard(bytes32 modelId, uint256 shardIndex);
    /// @notice Compose hash `composeHash` is not in model `modelId`'s allowlist; run an allowed image.
    /// @param modelId the model
    /// @param composeHash the dstack compose hash submitted
    error RunnerComposeHashNotAllowed(bytes32 modelId, bytes32 composeHash);
    /// @notice OS image `osImage` is not in model `modelId`'s allowlist; boot an allowed dstack OS image.
    /// @param modelId the model
    /// @param osImage the OS image submitted
    error RunnerOsImageNotAllowed(bytes32 modelId, bytes32 osImage);
    /// @notice The consent was signed by `signer`, not by runner key `runner` (or signs other values).
    /// @param runner the runner whose key must sign
    /// @param signer the address the signature recovers to
    error RunnerInvalidConsent(address runner, address signer);
    /// @notice The runner's signature expired at `deadline`; sign again.
    /// @param deadline the signature's deadline (unix seconds)
    error RunnerConsentExpired(uint256 deadline);
    /// @notice The public key given does not belong to runner `runner`.
    /// @param runner the runner whose address the public key must hash to
    error RunnerPublicKeyMismatch(address runner);
    /// @notice Runner `runner` belongs to contributor `contributor`; only they can re-register it.
    /// @param runner the runner
    /// @param contributor the contributor who registered it first
    error RunnerContributorMismatch(address runner, address contributor);
    /// @notice `caller` may not manage runner `runner`.
    /// @param runner the runner
    /// @param caller the account that is neither its contributor nor, where allowed, a slasher
    error RunnerNotAuthorized(address runner, address caller);
    /// @notice The quote hashes to `actual`, not the `expected` signed.
    /// @param expected the quote hash the runner key signed
    /// @param actual keccak256 of the quote submitted
    error RunnerQuoteHashMismatch(bytes32 expected, bytes32 actual);
    /// @notice The quote's report data `actual` does not commit to this runner (expected `expected`).
    /// @param expected the commitment to this runner, model, shard and weights (see AttestationLib)
    /// @param actual the first 32 bytes of the quote's report data
    error RunnerReportDataMismatch(bytes32 expected, bytes32 actual);
    /// @notice The quote measures compose hash `actual`, not the `expected` signed.
    /// @param expected the compose hash submitted
    /// @param actual the compose hash the on-chain quote verifier measured
    error RunnerComposeHashMismatch(bytes32 expected, bytes32 actual);
    /// @notice The quote measures OS image `actual`, not the `expected` signed.
    /// @param expected the OS image submitted
    /// @param actual the OS image the on-chain quote verifier measured
    error RunnerOsImageMismatch(bytes32 expected, bytes32 actual);
    /// @notice A route needs `expected` runners, one per shard; got `actual`.
    /// @param expected the model's shard count
    /// @param actual the route's length
    error RunnerRouteLengthMismatch(uint256 expected, uint256 actual);
    /// @notice Runner `runner` was not registered for shard `shardIndex` of this model.
    /// @param shardIndex the route position (shard) at fault
    /// @param runner the runner named there
    error RunnerRouteInvalid(uint256 shardIndex, address runner);

    /// @notice Runner `runner` has no registration number `index` (it has `count`).
    /// @param runner the runner
    /// @param index the index asked for
    /// @param count how many registrations it has
    error RunnerPeriodNotFound(address runner, uint256 index, uint256 count);

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

    /// @notice How many times `runner` was registered (each a `RegistrationPeriod`, kept forever).
    function registrationPeriodCount(address runner) external view returns (uint256);

    /// @notice The runner's `index`th registration, oldest first. Reverts with `RunnerPeriodNotFound` past the end.
    function getRegistrationPeriod(address runner, uint256 index) external view returns (RegistrationPeriod memory);

    /// @notice Whether `runner` was ever registered for shard `shardIndex` of model `modelId`, active or not.
    function wasRegisteredFor(address runner, bytes32 modelId, uint16 shardIndex) external view returns (bool);

    /// @notice The registration of `runner` for (`modelId`, `shardIndex`) that time `at` falls in, so that a
    /// runner that moved to another shard or registered again still answers for what it signed before.
    /// @dev Registrations of one runner never overlap and start in order, so at most one holds `at`; found by
    /// binary search, so no count of registrations makes the lookup too dear.
    /// @return found whether such a registration exists
    /// @return index its index for `getRegistrationPeriod` (0 when not found)
    function findRegistrationPeriod(address runner, bytes32 modelId, uint16 shardIndex, uint64 at)
        external
        view
        returns (bool found, uint256 index);

    /// @notice `findRegistrationPeriod` with a clock tolerance: the registration of `runner` for (`modelId`,
    /// `shardIndex`) that time `at` falls in, give or take `skew` seconds at either end, so that a date from a
    /// signer's clock a little apart from the chain's still finds the registration it was signed in.
    /// @dev A registration matches when `registeredAt - skew <= at` and (`endedAt == 0` or `at < endedAt + skew`).
    /// Widened so, two registrations may both match; the one that holds `at` itself is preferred, otherwise the
    /// latest that matches. Only registrations within `2 * skew` of `at` are looked at past the binary search, each
    /// one a registration transaction its runner paid for.
    /// @param skew the tolerance, seconds (the ReceiptSlasher passes `RECEIPT_CLOCK_SKEW_SECONDS`)
    /// @return found whether such a registration exists
    /// @return index its index for `getRegistrationPeriod` (0 when not found)
    function findRegistrationPeriodWithin(address runner, bytes32 modelId, uint16 shardIndex, uint64 at, uint64 skew)
        external
        view
        returns (bool found, uint256 index);

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
