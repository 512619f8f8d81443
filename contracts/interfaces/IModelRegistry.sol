// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IModelRegistry
/// @notice Models served by TeeTee: the manifest of their shards, prices, revenue shares, the stake a runner
/// must lock, how long an attestation stays fresh and which dstack compose hashes and OS images a runner may run
/// under.
/// @dev A model's id is its manifest hash (SHA-256 of the canonical manifest, see packages/inference), so a
/// model can never be renumbered or confused with another. Models are never deleted, only deactivated.
interface IModelRegistry {
    /// @notice One layer range of a model, hosted by runners of that shard.
    /// @param firstLayer first transformer layer of the shard (inclusive)
    /// @param endLayer one past the last layer of the shard (exclusive); shard i+1 starts where shard i ends
    /// @param weightsHash commitment to the shard's weight files (see packages/inference manifest)
    /// @param shareBps this shard's part of each payment, in basis points
    struct Shard {
        uint32 firstLayer;
        uint32 endLayer;
        bytes32 weightsHash;
        uint16 shareBps;
    }

    /// @notice Everything a curator states when registering a model.
    /// @param modelId the manifest hash; also the model's id
    /// @param tokenizerHash SHA-256 of tokenizer.json
    /// @param numLayers the model's transformer layer count; shards must cover [0, numLayers) in order
    /// @param inputPricePerMTok price of one million input tokens in payment-token base units
    /// @param outputPricePerMTok price of one million output tokens in payment-token base units
    /// @param minStake stake a contributor locks per runner of this model
    /// @param attestationTtl seconds an attestation stays valid after it was recorded
    /// @param shards the layer ranges, in order, at most `MAX_SHARDS`
    /// @param composeHashes dstack compose hashes allowed at registration
    /// @param osImages OS images allowed at registration: each SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of a TDX
    /// quote, the firmware, VM configuration, kernel, command line and initrd measured before the guest OS ran
    struct ModelParams {
        bytes32 modelId;
        bytes32 tokenizerHash;
        uint32 numLayers;
        uint128 inputPricePerMTok;
        uint128 outputPricePerMTok;
        uint128 minStake;
        uint64 attestationTtl;
        Shard[] shards;
        bytes32[] composeHashes;
        bytes32[] osImages;
    }

    /// @notice A model's state as stored.
    struct Model {
        address curator;
        bool active;
        uint8 shardCount;
        uint32 numLayers;
        uint64 attestationTtl;
        uint128 inputPricePerMTok;
        uint128 outputPricePerMTok;
        uint128 minStake;
        bytes32 tokenizerHash;
    }

    /// @notice What a payment of this model is split by: each shard's share and the protocol fee.
    struct RevenueSplit {
        bool active;
        uint16 feeBps;
        uint16[] shareBps;
    }

    /// @notice Model `modelId` was registered by `curator`, who manages it from now on.
    /// @param modelId the manifest hash, the model's id
    /// @param curator the account that registered it and becomes its curator
    /// @param shardCount how many shards (layer ranges) the model is cut into
    /// @param numLayers the model's transformer layer count
    event ModelRegistered(bytes32 indexed modelId, address indexed curator, uint8 shardCount, uint32 numLayers);
    /// @notice The curator set the prices of model `modelId`.
    /// @param modelId the model
    /// @param inputPricePerMTok new price of one million input tokens, in payment-token base units
    /// @param outputPricePerMTok new price of one million output tokens, in payment-token base units
    event ModelPricesSet(bytes32 indexed modelId, uint128 inputPricePerMTok, uint128 outputPricePerMTok);
    /// @notice The curator set the stake each new runner of model `modelId` locks.
    /// @param modelId the model
    /// @param minStake the new stake per runner, in payment-token base units
    event ModelMinStakeSet(bytes32 indexed modelId, uint128 minStake);
    /// @notice The curator set how long an attestation of model `modelId` stays valid.
    /// @param modelId the model
    /// @param attestationTtl the new time-to-live, in seconds
    event ModelAttestationTtlSet(bytes32 indexed modelId, uint64 attestationTtl);
    /// @notice The curator allowed or disallowed a dstack compose hash for runners of model `modelId`.
    /// @param modelId the model
    /// @param composeHash the dstack compose hash
    /// @param allowed whether runners may now register or refresh under it
    event ModelComposeHashSet(bytes32 indexed modelId, bytes32 indexed composeHash, bool allowed);
    /// @notice The curator allowed or disallowed an OS image for runners of model `modelId`.
    /// @param modelId the model
    /// @param osImage SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of the image
    /// @param allowed whether runners on it may now register, refresh and be routed to
    event ModelOsImageSet(bytes32 indexed modelId, bytes32 indexed osImage, bool allowed);
    /// @notice The curator activated or deactivated model `modelId`.
    /// @param modelId the model
    /// @param active whether it now takes new runners and new channels
    event ModelActiveSet(bytes32 indexed modelId, bool active);
    /// @notice `previousCurator` proposed `newCurator`, who becomes curator on `acceptCuratorship`.
    /// @param modelId the model
    /// @param previousCurator the curator who proposed, still curator until the proposal is accepted
    /// @param newCurator the proposed curator
    event ModelCuratorTransferStarted(
        bytes32 indexed modelId, address indexed previousCurator, address indexed newCurator
    );
    /// @notice `newCurator` accepted the model from `previousCurator`.
    /// @param modelId the model
    /// @param previousCurator the curator before
    /// @param newCurator the curator now
    event ModelCuratorTransferred(bytes32 indexed modelId, address indexed previousCurator, address indexed newCurator);

    /// @notice Model `modelId` is already registered.
    /// @param modelId the manifest hash given
    error ModelAlreadyRegistered(bytes32 modelId);
    /// @notice No model `modelId` is registered.
    /// @param modelId the id asked for
    error ModelNotFound(bytes32 modelId);
    /// @notice `caller` is not the curator of model `modelId`.
    /// @param modelId the model
    /// @param caller the account that tried a curator-only call
    error ModelNotCurator(bytes32 modelId, address caller);
    /// @notice A model needs between 1 and the maximum number of shards; got `count`.
    /// @param count the number of shards given, or the shard index asked for when it is out of range
    error ModelInvalidShardCount(uint256 count);
    /// @notice Shard `shardIndex` covers layers [`firstLayer`, `endLayer`); shards must be non-empty, contiguous
    /// from layer 0 and end at the model's layer count.
    /// @param shardIndex the shard at fault
    /// @param firstLayer its first layer (inclusive)
    /// @param endLayer its end layer (exclusive)
    error ModelInvalidLayerRange(uint256 shardIndex, uint32 firstLayer, uint32 endLayer);
    /// @notice Shard shares (`sharesBps` bps) plus the protocol fee (`feeBps` bps) must add up to 10000 bps.
    /// @param sharesBps the sum of the shards' shares, in basis points
    /// @param feeBps the protocol fee, in basis points
    error ModelInvalidShares(uint256 sharesBps, uint16 feeBps);
    /// @notice An attestation TTL of `attestationTtl` s is not allowed.
    /// @param attestationTtl the time-to-live given, in seconds (zero: an attestation must stay valid a while)
    error ModelInvalidAttestationTtl(uint64 attestationTtl);
    /// @notice A model id cannot be zero.
    error ModelZeroId();
    /// @notice `curator` cannot be a model's curator.
    /// @param curator the account proposed (the zero address)
    error ModelInvalidCurator(address curator);
    /// @notice `caller` was not proposed as curator of model `modelId`; its curator must call transferCuratorship
    /// first.
    /// @param modelId the model
    /// @param caller the account that tried to accept the curatorship
    error ModelNotPendingCurator(bytes32 modelId, address caller);

    /// @notice Registers a model; the caller (who must hold CURATOR_ROLE) becomes its curator.
    /// @dev Shards must be contiguous from layer 0 to `numLayers`; shares plus `protocolFeeBps()` must be 10,000.
    function registerModel(ModelParams calldata params) external;

    /// @notice Sets the per-million-token prices. Curator only.
    function setPrices(bytes32 modelId, uint128 inputPricePerMTok, uint128 outputPricePerMTok) external;

    /// @notice Sets the stake each new runner locks. Runners already registered keep what they locked. Curator only.
    function setMinStake(bytes32 modelId, uint128 minStake) external;

    /// @notice Sets how long an attestation stays valid. Curator only.
    function setAttestationTtl(bytes32 modelId, uint64 attestationTtl) external;

    /// @notice Allows or disallows a dstack compose hash for new registrations and refreshes. Curator only.
    function setComposeHashAllowed(bytes32 modelId, bytes32 composeHash, bool allowed) external;

    /// @notice Allows or disallows an OS image (SHA-256 of a quote's MRTD and RTMR0-2) for new registrations and
    /// refreshes; a disallowed image also makes its runners unroutable. The compose hash is measured by the OS, so
    /// it means nothing on an OS nobody checked. Curator only.
    function setOsImageAllowed(bytes32 modelId, bytes32 osImage, bool allowed) external;

    /// @notice Activates or deactivates a model. A deactivated model takes no new runners and no new channels.
    function setActive(bytes32 modelId, bool active) external;

    /// @notice Proposes another curator, who takes over with `acceptCuratorship`; the caller stays curator until
    /// then, and a later proposal replaces this one. Curator only.
    function transferCuratorship(bytes32 modelId, address newCurator) external;

    /// @notice Takes over the model as its proposed curator. The pending curator only.
    function acceptCuratorship(bytes32 modelId) external;

    /// @notice The proposed curator who has not accepted yet; address(0) when none.
    function pendingCurator(bytes32 modelId) external view returns (address);

    /// @notice The protocol's part of every payment in basis points, fixed at deployment.
    function protocolFeeBps() external view returns (uint16);

    /// @notice The most shards a model may have.
    function MAX_SHARDS() external view returns (uint8);

    /// @notice Reverts with `ModelNotFound` for an unknown id.
    function getModel(bytes32 modelId) external view returns (Model memory);

    /// @notice Reverts with `ModelNotFound` for an unknown id or `ModelInvalidShardCount` for an index out of range.
    function getShard(bytes32 modelId, uint256 shardIndex) external view returns (Shard memory);

    /// @notice The split used to credit a payment of this model; cheap to read (one packed slot).
    function getRevenueSplit(bytes32 modelId) external view returns (RevenueSplit memory);

    function isComposeHashAllowed(bytes32 modelId, bytes32 composeHash) external view returns (bool);

    function isOsImageAllowed(bytes32 modelId, bytes32 osImage) external view returns (bool);

    function modelExists(bytes32 modelId) external view returns (bool);

    /// @notice Ids of all registered models, paginated in registration order.
    function getModelIds(uint256 offset, uint256 limit) external view returns (bytes32[] memory ids, uint256 total);
}
