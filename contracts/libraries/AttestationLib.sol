// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRunnerRegistry} from "../interfaces/IRunnerRegistry.sol";

/// @title AttestationLib
/// @notice The report-data commitment a runner's quote carries, the EIP-712 struct hashes a runner key signs,
/// and the address a runner's public key stands for.
library AttestationLib {
    /// @notice Domain tag of the report-data commitment.
    bytes32 internal constant COMMITMENT_TAG = keccak256("TeeTee.RunnerAttestation.v1");

    /// @notice keccak256 of the RunnerRegistration type string.
    bytes32 internal constant REGISTRATION_TYPEHASH = keccak256(
        "RunnerRegistration(address runner,address contributor,bytes32 modelId,uint16 shardIndex,string endpoint,"
        "bytes publicKey,bytes32 quoteHash,bytes32 composeHash,bytes32 osImage,uint256 nonce,uint256 deadline)"
    );

    /// @notice keccak256 of the AttestationRefresh type string.
    bytes32 internal constant REFRESH_TYPEHASH = keccak256(
        "AttestationRefresh(address runner,bytes32 quoteHash,bytes32 composeHash,bytes32 osImage,uint256 nonce,"
        "uint256 deadline)"
    );

    /// @notice Length of an uncompressed secp256k1 public key without its 0x04 prefix.
    uint256 internal constant PUBLIC_KEY_LENGTH = 64;

    /// @notice The 32 bytes a runner's quote report data must start with.
    function commitment(
        uint256 chainId,
        address registry,
        bytes32 modelId,
        uint16 shardIndex,
        address runner,
        bytes32 weightsHash
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(COMMITMENT_TAG, chainId, registry, modelId, shardIndex, runner, weightsHash));
    }

    /// @notice The address of a 64-byte uncompressed public key, or address(0) for any other length.
    function publicKeyAddress(bytes calldata publicKey) internal pure returns (address) {
        if (publicKey.length != PUBLIC_KEY_LENGTH) return address(0);
        return address(uint160(uint256(keccak256(publicKey))));
    }

    /// @notice The EIP-712 struct hash of a registration by `contributor` at `nonce`.
    function registrationHash(IRunnerRegistry.Registration calldata reg, address contributor, uint256 nonce)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                REGISTRATION_TYPEHASH,
                reg.runner,
                contributor,
                reg.modelId,
                reg.shardIndex,
                keccak256(bytes(reg.endpoint)),
                keccak256(reg.publicKey),
                reg.quoteHash,
                reg.composeHash,
                reg.osImage,
                nonce,
                reg.deadline
            )
        );
    }

    /// @notice The EIP-712 struct hash of an attestation refresh at `nonce`.
    function refreshHash(
        address runner,
        bytes32 quoteHash,
        bytes32 composeHash,
        bytes32 osImage,
        uint256 nonce,
        uint256 deadline
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(REFRESH_TYPEHASH, runner, quoteHash, composeHash, osImage, nonce, deadline));
    }

    /// @notice The first 32 bytes of `reportData`, or zero when it is shorter.
    function reportDataHead(bytes memory reportData) internal pure returns (bytes32 head) {
        if (reportData.length < 32) return bytes32(0);
        assembly ("memory-safe") {
            head := mload(add(reportData, 32))
        }
    }
}
