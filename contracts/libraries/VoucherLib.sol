// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPaymentEscrow} from "../interfaces/IPaymentEscrow.sol";

/// @title VoucherLib
/// @notice EIP-712 struct hashing of vouchers and the channel id they belong to.
/// @dev An `address[]` is encoded for EIP-712 as the keccak256 of its elements each padded to 32 bytes, which is
/// exactly `keccak256(abi.encodePacked(route))`; the channel id reuses that route hash.
library VoucherLib {
    /// @notice keccak256 of the Voucher type string.
    bytes32 internal constant VOUCHER_TYPEHASH =
        keccak256("Voucher(address buyer,bytes32 modelId,bytes32 sessionId,address[] route,uint256 amount)");

    /// @notice The EIP-712 hash of the route array.
    function routeHash(address[] calldata route) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(route));
    }

    /// @notice The EIP-712 struct hash of a voucher whose route hashes to `routeHash_`.
    function structHash(IPaymentEscrow.Voucher calldata voucher, bytes32 routeHash_) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(VOUCHER_TYPEHASH, voucher.buyer, voucher.modelId, voucher.sessionId, routeHash_, voucher.amount)
        );
    }

    /// @notice The channel a voucher belongs to: (buyer, model, session, route).
    function channelId(address buyer, bytes32 modelId, bytes32 sessionId, bytes32 routeHash_)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(buyer, modelId, sessionId, routeHash_));
    }

    /// @notice The allocation a buyer set aside for one route of one model.
    function allocationId(address buyer, bytes32 modelId, bytes32 routeHash_) internal pure returns (bytes32) {
        return keccak256(abi.encode(buyer, modelId, routeHash_));
    }

    /// @notice Reverts when a route names one runner twice (a runner serves one shard of a route).
    function checkDistinct(address[] calldata route) internal pure {
        for (uint256 i = 1; i < route.length; ++i) {
            address runner = route[i];
            for (uint256 j; j < i; ++j) {
                if (route[j] == runner) revert IPaymentEscrow.EscrowRouteRepeatsRunner(i, runner);
            }
        }
    }
}
