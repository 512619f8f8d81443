// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AttestationLib} from "../contracts/libraries/AttestationLib.sol";
import {RevenueLib} from "../contracts/libraries/RevenueLib.sol";
import {TestBase} from "./solidity/TestBase.sol";

contract LibrariesTest is TestBase {
    function publicKeyAddress(bytes calldata publicKey) external pure returns (address) {
        return AttestationLib.publicKeyAddress(publicKey);
    }

    function testFuzz_revenueLib_packRoundTrips(uint16[16] memory shares, uint8 count) public pure {
        uint256 n = uint256(count) % 17;
        uint256 packed;
        for (uint256 i; i < n; ++i) {
            packed = RevenueLib.withShare(packed, i, shares[i]);
        }
        uint16[] memory out = RevenueLib.unpack(packed, n);
        for (uint256 i; i < n; ++i) {
            _assertEq(out[i], shares[i], "unpack");
            _assertEq(RevenueLib.shareAt(packed, i), shares[i], "shareAt");
        }
    }

    /// @dev Shares never sum above the payment, so the fee (payment minus shares) is never negative.
    function testFuzz_revenueLib_sharesNeverExceedPayment(uint128 pay, uint16[16] memory raw) public pure {
        uint256 left = RevenueLib.BPS;
        uint256 credited;
        for (uint256 i; i < 16; ++i) {
            uint256 share = left == 0 ? 0 : uint256(raw[i]) % (left + 1);
            left -= share;
            credited += RevenueLib.shareOf(pay, uint16(share));
        }
        if (credited > pay) revert("shares exceed payment");
    }

    function test_attestationLib_publicKeyAddress() public view {
        if (this.publicKeyAddress(_publicKey(0xA000)) != vm.addr(0xA000)) revert("address");
        if (this.publicKeyAddress(bytes.concat(hex"04", _publicKey(0xA000))) != address(0)) revert("prefixed key");
    }

    function test_attestationLib_typeHashesMatchInterface() public pure {
        _assertEq(
            uint256(AttestationLib.REGISTRATION_TYPEHASH),
            uint256(
                keccak256(
                    "RunnerRegistration(address runner,address contributor,bytes32 modelId,uint16 shardIndex,"
                    "string endpoint,bytes publicKey,bytes32 quoteHash,bytes32 composeHash,bytes32 osImage,"
                    "uint256 nonce,uint256 deadline)"
                )
            ),
            "registration"
        );
    }
}
