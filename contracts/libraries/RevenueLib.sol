// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RevenueLib
/// @notice Packs up to 16 shard shares (basis points, 16 bits each) into one word and splits payments by them.
/// @dev Shard i's share sits in bits [16 * i, 16 * i + 16). Shares are at most 10,000 so 16 bits hold any of them.
library RevenueLib {
    /// @notice Basis points in a whole.
    uint256 internal constant BPS = 10_000;

    /// @notice How many shares fit into one packed word.
    uint256 internal constant MAX_PACKED = 16;

    /// @notice Returns `packed` with shard `index`'s share set to `shareBps` (that share must be unset).
    function withShare(uint256 packed, uint256 index, uint16 shareBps) internal pure returns (uint256) {
        return packed | (uint256(shareBps) << (16 * index));
    }

    /// @notice The share of shard `index` in `packed`.
    function shareAt(uint256 packed, uint256 index) internal pure returns (uint16) {
        return uint16(packed >> (16 * index));
    }

    /// @notice Unpacks the first `count` shares.
    function unpack(uint256 packed, uint256 count) internal pure returns (uint16[] memory shares) {
        shares = new uint16[](count);
        for (uint256 i; i < count; ++i) {
            shares[i] = uint16(packed >> (16 * i));
        }
    }

    /// @notice A shard's part of `amount`, rounded down (the dust goes to the protocol fee).
    function shareOf(uint256 amount, uint16 shareBps) internal pure returns (uint256) {
        return (amount * shareBps) / BPS;
    }
}
