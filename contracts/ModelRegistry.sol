// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {RevenueLib} from "./libraries/RevenueLib.sol";

/// @title ModelRegistry
/// @notice Models, their shards, prices and revenue shares. Only CURATOR_ROLE holders register models and only a
/// model's curator changes it. Models are keyed by manifest hash and never deleted, so nothing is ever renumbered.
/// Curatorship and the admin role both move in two steps (the admin's with a delay).
contract ModelRegistry is IModelRegistry, AccessControlDefaultAdminRules {
    using RevenueLib for uint256;

    /// @notice Role allowed to register models.
    bytes32 public constant CURATOR_ROLE = keccak256("CURATOR_ROLE");

    /// @inheritdoc IModelRegistry
    uint8 public constant MAX_SHARDS = 16;

    uint16 private immutable _protocolFeeBps;

    mapping(bytes32 modelId => Model) private _models;
    mapping(bytes32 modelId => mapping(uint256 shardIndex => Shard)) private _shards;
    /// @dev Every shard's share packed into one word (see RevenueLib), so a split costs two storage reads.
    mapping(bytes32 modelId => uint256) private _packedShares;
    mapping(bytes32 modelId => mapping(bytes32 composeHash => bool)) private _composeAllowed;
    mapping(bytes32 modelId => mapping(bytes32 osImage => bool)) private _osImageAllowed;
    bytes32[] private _modelIds;
    mapping(bytes32 modelId => address) private _pendingCurators;

    /// @param admin holder of DEFAULT_ADMIN_ROLE, who grants CURATOR_ROLE
    /// @param adminDelay seconds a DEFAULT_ADMIN_ROLE transfer waits before it can be accepted
    /// @param protocolFeeBps_ the protocol's part of every payment, at most 10,000
    constructor(address admin, uint48 adminDelay, uint16 protocolFeeBps_)
        AccessControlDefaultAdminRules(adminDelay, admin)
    {
        if (protocolFeeBps_ > RevenueLib.BPS) revert ModelInvalidShares(0, protocolFeeBps_);
        _protocolFeeBps = protocolFeeBps_;
    }

    modifier onlyCurator(bytes32 modelId) {
        _checkCurator(modelId);
        _;
    }

    /// @inheritdoc IModelRegistry
    function registerModel(ModelParams calldata params) external onlyRole(CURATOR_ROLE) {
        bytes32 id = params.modelId;
        if (id == bytes32(0)) revert ModelZeroId();
        if (_models[id].curator != address(0)) revert ModelAlreadyRegistered(id);
        if (params.attestationTtl == 0) revert ModelInvalidAttestationTtl(0);
        uint256 count = params.shards.length;
        if (count == 0 || count > MAX_SHARDS) revert ModelInvalidShardCount(count);

        uint256 packed = _storeShards(id, params.shards, params.numLayers);
        _packedShares[id] = packed;
        _models[id] = Model({
            curator: msg.sender,
            active: true,
            shardCount: uint8(count),
            numLayers: params.numLayers,
            attestationTtl: params.attestationTtl,
            inputPricePerMTok: params.inputPricePerMTok,
            outputPricePerMTok: params.outputPricePerMTok,
            minStake: params.minStake,
            tokenizerHash: params.tokenizerHash
        });
        _modelIds.push(id);
        emit ModelRegistered(id, msg.sender, uint8(count), params.numLayers);

        for (uint256 i; i < params.composeHashes.length; ++i) {
            _composeAllowed[id][params.composeHashes[i]] = true;
            emit ModelComposeHashSet(id, params.composeHashes[i], true);
        }
        for (uint256 i; i < params.osImages.length; ++i) {
            _osImageAllowed[id][params.osImages[i]] = true;
            emit ModelOsImageSet(id, params.osImages[i], true);
        }
    }

    /// @inheritdoc IModelRegistry
    function setPrices(bytes32 modelId, uint128 inputPricePerMTok, uint128 outputPricePerMTok)
        external
        onlyCurator(modelId)
    {
        Model storage model = _models[modelId];
        model.inputPricePerMTok = inputPricePerMTok;
        model.outputPricePerMTok = outputPricePerMTok;
        emit ModelPricesSet(modelId, inputPricePerMTok, outputPricePerMTok);
    }

    /// @inheritdoc IModelRegistry
    function setMinStake(bytes32 modelId, uint128 minStake) external onlyCurator(modelId) {
        _models[modelId].minStake = minStake;
        emit ModelMinStakeSet(modelId, minStake);
    }

    /// @inheritdoc IModelRegistry
    function setAttestationTtl(bytes32 modelId, uint64 attestationTtl) external onlyCurator(modelId) {
        if (attestationTtl == 0) revert ModelInvalidAttestationTtl(0);
        _models[modelId].attestationTtl = attestationTtl;
        emit ModelAttestationTtlSet(modelId, attestationTtl);
    }

    /// @inheritdoc IModelRegistry
    function setComposeHashAllowed(bytes32 modelId, bytes32 composeHash, bool allowed) external onlyCurator(modelId) {
        _composeAllowed[modelId][composeHash] = allowed;
        emit ModelComposeHashSet(modelId, composeHash, allowed);
    }

    /// @inheritdoc IModelRegistry
    function setOsImageAllowed(bytes32 modelId, bytes32 osImage, bool allowed) external onlyCurator(modelId) {
        _osImageAllowed[modelId][osImage] = allowed;
        emit ModelOsImageSet(modelId, osImage, allowed);
    }

    /// @inheritdoc IModelRegistry
    function setActive(bytes32 modelId, bool active) external onlyCurator(modelId) {
        _models[modelId].active = active;
        emit ModelActiveSet(modelId, active);
    }

    /// @inheritdoc IModelRegistry
    function transferCuratorship(bytes32 modelId, address newCurator) external onlyCurator(modelId) {
        if (newCurator == address(0)) revert ModelInvalidCurator(newCurator);
        _pendingCurators[modelId] = newCurator;
        emit ModelCuratorTransferStarted(modelId, msg.sender, newCurator);
    }

    /// @inheritdoc IModelRegistry
    function acceptCuratorship(bytes32 modelId) external {
        if (_pendingCurators[modelId] != msg.sender) revert ModelNotPendingCurator(modelId, msg.sender);
        address previous = _models[modelId].curator;
        delete _pendingCurators[modelId];
        _models[modelId].curator = msg.sender;
        emit ModelCuratorTransferred(modelId, previous, msg.sender);
    }

    /// @inheritdoc IModelRegistry
    function pendingCurator(bytes32 modelId) external view returns (address) {
        return _pendingCurators[modelId];
    }

    /// @inheritdoc IModelRegistry
    function protocolFeeBps() external view returns (uint16) {
        return _protocolFeeBps;
    }

    /// @inheritdoc IModelRegistry
    function getModel(bytes32 modelId) external view returns (Model memory) {
        Model memory model = _models[modelId];
        if (model.curator == address(0)) revert ModelNotFound(modelId);
        return model;
    }

    /// @inheritdoc IModelRegistry
    function getShard(bytes32 modelId, uint256 shardIndex) external view returns (Shard memory) {
        uint8 count = _models[modelId].shardCount;
        if (count == 0) revert ModelNotFound(modelId);
        if (shardIndex >= count) revert ModelInvalidShardCount(shardIndex);
        return _shards[modelId][shardIndex];
    }

    /// @inheritdoc IModelRegistry
    function getRevenueSplit(bytes32 modelId) external view returns (RevenueSplit memory split) {
        Model storage model = _models[modelId];
        // One read for curator, active and shardCount (they share the first slot), one for the packed shares.
        uint8 count = model.shardCount;
        if (count == 0) revert ModelNotFound(modelId);
        split.active = model.active;
        split.feeBps = _protocolFeeBps;
        split.shareBps = _packedShares[modelId].unpack(count);
    }

    /// @inheritdoc IModelRegistry
    function isComposeHashAllowed(bytes32 modelId, bytes32 composeHash) external view returns (bool) {
        return _composeAllowed[modelId][composeHash];
    }

    /// @inheritdoc IModelRegistry
    function isOsImageAllowed(bytes32 modelId, bytes32 osImage) external view returns (bool) {
        return _osImageAllowed[modelId][osImage];
    }

    /// @inheritdoc IModelRegistry
    function modelExists(bytes32 modelId) external view returns (bool) {
        return _models[modelId].curator != address(0);
    }

    /// @inheritdoc IModelRegistry
    function getModelIds(uint256 offset, uint256 limit) external view returns (bytes32[] memory ids, uint256 total) {
        total = _modelIds.length;
        if (offset >= total) return (new bytes32[](0), total);
        uint256 end = total - offset < limit ? total : offset + limit;
        ids = new bytes32[](end - offset);
        for (uint256 i; i < ids.length; ++i) {
            ids[i] = _modelIds[offset + i];
        }
    }

    /// @dev Checks the shards cover [0, numLayers) in order and their shares plus the fee make 10,000; stores them
    /// and returns the packed shares.
    function _storeShards(bytes32 id, Shard[] calldata shards, uint32 numLayers) private returns (uint256 packed) {
        uint32 nextLayer;
        uint256 sharesBps;
        for (uint256 i; i < shards.length; ++i) {
            Shard calldata shard = shards[i];
            if (shard.firstLayer != nextLayer || shard.endLayer <= shard.firstLayer) {
                revert ModelInvalidLayerRange(i, shard.firstLayer, shard.endLayer);
            }
            nextLayer = shard.endLayer;
            sharesBps += shard.shareBps;
            packed = packed.withShare(i, shard.shareBps);
            _shards[id][i] = shard;
        }
        if (nextLayer != numLayers) {
            Shard calldata last = shards[shards.length - 1];
            revert ModelInvalidLayerRange(shards.length - 1, last.firstLayer, last.endLayer);
        }
        if (sharesBps + _protocolFeeBps != RevenueLib.BPS) revert ModelInvalidShares(sharesBps, _protocolFeeBps);
    }

    function _checkCurator(bytes32 modelId) private view {
        address curator = _models[modelId].curator;
        if (curator == address(0)) revert ModelNotFound(modelId);
        if (curator != msg.sender) revert ModelNotCurator(modelId, msg.sender);
    }
}
