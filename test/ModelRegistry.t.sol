// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IModelRegistry} from "../contracts/interfaces/IModelRegistry.sol";
import {TestBase} from "./solidity/TestBase.sol";

contract ModelRegistryTest is TestBase {
    address internal constant MALLORY = address(0xBAD);

    function setUp() public {
        _deploy();
    }

    function test_registerModel_storesModelAndSplit() public {
        _registerModel(MODEL, 4);
        IModelRegistry.Model memory model = models.getModel(MODEL);
        if (model.curator != CURATOR || !model.active || model.shardCount != 4) revert("model");
        _assertEq(model.numLayers, 32, "layers");
        IModelRegistry.RevenueSplit memory split = models.getRevenueSplit(MODEL);
        _assertEq(split.shareBps.length, 4, "shares");
        _assertEq(split.feeBps, FEE_BPS, "fee");
        uint256 sum = split.feeBps;
        for (uint256 i; i < 4; ++i) {
            sum += split.shareBps[i];
            _assertEq(split.shareBps[i], models.getShard(MODEL, i).shareBps, "packed share");
        }
        _assertEq(sum, 10_000, "sum");
        if (!models.isComposeHashAllowed(MODEL, COMPOSE)) revert("compose hash");
        if (!models.isOsImageAllowed(MODEL, OS_IMAGE)) revert("os image");
    }

    /// @dev Fault 3: nobody without CURATOR_ROLE registers a model.
    function test_registerModel_revertsWithoutCuratorRole() public {
        IModelRegistry.ModelParams memory p = _modelParams(MODEL, 2);
        bytes32 role = models.CURATOR_ROLE();
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, MALLORY, role));
        models.registerModel(p);
    }

    function test_registerModel_revertsWhenAlreadyRegistered() public {
        _registerModel(MODEL, 2);
        IModelRegistry.ModelParams memory p = _modelParams(MODEL, 2);
        vm.prank(CURATOR);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelAlreadyRegistered.selector, MODEL));
        models.registerModel(p);
    }

    function test_registerModel_revertsOnZeroId() public {
        IModelRegistry.ModelParams memory p = _modelParams(bytes32(0), 2);
        vm.prank(CURATOR);
        vm.expectRevert(IModelRegistry.ModelZeroId.selector);
        models.registerModel(p);
    }

    function test_registerModel_revertsOnTooManyShards() public {
        IModelRegistry.ModelParams memory p = _modelParams(MODEL, 17);
        vm.prank(CURATOR);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelInvalidShardCount.selector, 17));
        models.registerModel(p);
    }

    function test_registerModel_acceptsSixteenShards() public {
        _registerModel(MODEL, 16);
        _assertEq(models.getRevenueSplit(MODEL).shareBps.length, 16, "shards");
    }

    function test_registerModel_revertsOnGapInLayers() public {
        IModelRegistry.ModelParams memory p = _modelParams(MODEL, 3);
        p.shards[1].firstLayer = 9;
        vm.prank(CURATOR);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelInvalidLayerRange.selector, 1, 9, 16));
        models.registerModel(p);
    }

    function test_registerModel_revertsWhenLayersDoNotReachEnd() public {
        IModelRegistry.ModelParams memory p = _modelParams(MODEL, 3);
        p.numLayers = 25;
        vm.prank(CURATOR);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelInvalidLayerRange.selector, 2, 16, 24));
        models.registerModel(p);
    }

    function test_registerModel_revertsOnBadShares() public {
        IModelRegistry.ModelParams memory p = _modelParams(MODEL, 2);
        p.shards[0].shareBps += 1;
        vm.prank(CURATOR);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelInvalidShares.selector, 9_501, FEE_BPS));
        models.registerModel(p);
    }

    function test_registerModel_revertsOnZeroTtl() public {
        IModelRegistry.ModelParams memory p = _modelParams(MODEL, 2);
        p.attestationTtl = 0;
        vm.prank(CURATOR);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelInvalidAttestationTtl.selector, 0));
        models.registerModel(p);
    }

    /// @dev Fault 1: nobody but the curator edits a model.
    function test_setters_revertForNonCurator() public {
        _registerModel(MODEL, 2);
        bytes memory notCurator = abi.encodeWithSelector(IModelRegistry.ModelNotCurator.selector, MODEL, MALLORY);
        vm.startPrank(MALLORY);
        vm.expectRevert(notCurator);
        models.setPrices(MODEL, 1, 1);
        vm.expectRevert(notCurator);
        models.setMinStake(MODEL, 0);
        vm.expectRevert(notCurator);
        models.setAttestationTtl(MODEL, 1);
        vm.expectRevert(notCurator);
        models.setComposeHashAllowed(MODEL, bytes32(uint256(1)), true);
        vm.expectRevert(notCurator);
        models.setOsImageAllowed(MODEL, bytes32(uint256(1)), true);
        vm.expectRevert(notCurator);
        models.setActive(MODEL, false);
        vm.expectRevert(notCurator);
        models.transferCuratorship(MODEL, MALLORY);
        vm.stopPrank();
    }

    function test_setters_updateModel() public {
        _registerModel(MODEL, 2);
        vm.startPrank(CURATOR);
        models.setPrices(MODEL, 7, 9);
        models.setMinStake(MODEL, 5);
        models.setAttestationTtl(MODEL, 60);
        models.setComposeHashAllowed(MODEL, COMPOSE, false);
        models.setOsImageAllowed(MODEL, OS_IMAGE, false);
        models.setActive(MODEL, false);
        vm.stopPrank();
        IModelRegistry.Model memory m = models.getModel(MODEL);
        _assertEq(m.inputPricePerMTok + m.outputPricePerMTok * 100, 907, "prices");
        _assertEq(m.minStake, 5, "min stake");
        _assertEq(m.attestationTtl, 60, "ttl");
        if (m.active || models.isComposeHashAllowed(MODEL, COMPOSE) || models.isOsImageAllowed(MODEL, OS_IMAGE)) {
            revert("flags");
        }
        if (models.getRevenueSplit(MODEL).active) revert("split active");
    }

    function test_transferCuratorship_movesControlOnlyOnAcceptance() public {
        _registerModel(MODEL, 2);
        vm.prank(CURATOR);
        models.transferCuratorship(MODEL, MALLORY);
        vm.prank(CURATOR);
        models.setPrices(MODEL, 2, 2);
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotCurator.selector, MODEL, MALLORY));
        models.setPrices(MODEL, 1, 1);
        vm.prank(CURATOR);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotPendingCurator.selector, MODEL, CURATOR));
        models.acceptCuratorship(MODEL);
        vm.prank(MALLORY);
        models.acceptCuratorship(MODEL);
        _assertEq(uint160(models.pendingCurator(MODEL)), 0, "pending cleared");
        vm.prank(MALLORY);
        models.setPrices(MODEL, 1, 1);
        vm.prank(CURATOR);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotCurator.selector, MODEL, CURATOR));
        models.setPrices(MODEL, 1, 1);
    }

    function test_transferCuratorship_revertsOnZero() public {
        _registerModel(MODEL, 2);
        vm.prank(CURATOR);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelInvalidCurator.selector, address(0)));
        models.transferCuratorship(MODEL, address(0));
    }

    function test_getModel_revertsWhenUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelNotFound.selector, MODEL));
        models.getModel(MODEL);
    }

    function test_getShard_revertsOutOfRange() public {
        _registerModel(MODEL, 2);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelInvalidShardCount.selector, 2));
        models.getShard(MODEL, 2);
    }

    /// @dev Fault 2 and 10: ids never move and are read page by page.
    function test_getModelIds_paginatesInRegistrationOrder() public {
        for (uint256 i; i < 5; ++i) {
            _registerModel(keccak256(abi.encode(i)), 1);
        }
        (bytes32[] memory ids, uint256 total) = models.getModelIds(1, 2);
        _assertEq(total, 5, "total");
        _assertEq(ids.length, 2, "page");
        if (ids[0] != keccak256(abi.encode(uint256(1))) || ids[1] != keccak256(abi.encode(uint256(2)))) {
            revert("order");
        }
        (ids,) = models.getModelIds(4, 10);
        _assertEq(ids.length, 1, "tail");
        (ids,) = models.getModelIds(9, 10);
        _assertEq(ids.length, 0, "past end");
    }

    /// @dev Any contiguous split of layers with shares summing to 10,000 minus the fee is accepted and read back.
    function testFuzz_registerModel_packsAnyValidSplit(uint8 count, uint256 seed) public {
        uint256 n = uint256(count) % 16 + 1;
        IModelRegistry.ModelParams memory p = _modelParams(MODEL, uint8(n));
        uint32 layer;
        uint256 left = 10_000 - FEE_BPS;
        for (uint256 i; i < n; ++i) {
            uint32 width = uint32(uint256(keccak256(abi.encode(seed, i))) % 5) + 1;
            p.shards[i].firstLayer = layer;
            layer += width;
            p.shards[i].endLayer = layer;
            uint16 share = i + 1 == n ? uint16(left) : uint16(uint256(keccak256(abi.encode(seed, i, "s"))) % (left + 1));
            left -= share;
            p.shards[i].shareBps = share;
        }
        p.numLayers = layer;
        vm.prank(CURATOR);
        models.registerModel(p);
        IModelRegistry.RevenueSplit memory split = models.getRevenueSplit(MODEL);
        for (uint256 i; i < n; ++i) {
            _assertEq(split.shareBps[i], p.shards[i].shareBps, "share");
        }
    }
}
