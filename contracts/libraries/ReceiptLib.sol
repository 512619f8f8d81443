// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IReceiptSlasher} from "../interfaces/IReceiptSlasher.sol";

/// @title ReceiptLib
/// @notice EIP-712 hashing of runners' receipts, and what makes two of them an equivocation.
/// @dev Every Receipt field is a static type whose ABI word is its EIP-712 encoding (bytes16 right-padded,
/// integers left-padded), so the struct hash is keccak256(abi.encode(RECEIPT_TYPEHASH, receipt)).
library ReceiptLib {
    /// @notice keccak256 of the Receipt type string.
    bytes32 internal constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(bytes32 modelId,uint16 shardIndex,bytes16 sessionId,uint32 positionStart,uint32 positionCount,"
        "bytes32 paramsHash,bytes32 inputHash,bytes32 outputHash,bytes32 previousReceipt,uint64 issuedAt)"
    );

    /// @notice keccak256 of the EIP712Domain type string receipts use.
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The receipts' EIP-712 domain separator: "TeeTee Receipt" v1 on `chainId`, bound to `runnerRegistry`.
    function domainSeparator(uint256 chainId, address runnerRegistry) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("TeeTee Receipt"), keccak256("1"), chainId, runnerRegistry)
        );
    }

    /// @notice The EIP-712 struct hash of a receipt.
    function structHash(IReceiptSlasher.Receipt calldata receipt) internal pure returns (bytes32) {
        return keccak256(abi.encode(RECEIPT_TYPEHASH, receipt));
    }

    /// @notice Reverts unless `a` and `b` are two answers to the same work: equal model, shard, session,
    /// positions, params and input, different outputs. `previousReceipt` and `issuedAt` may differ.
    function checkEquivocation(IReceiptSlasher.Receipt calldata a, IReceiptSlasher.Receipt calldata b)
        internal
        pure
    {
        if (a.modelId != b.modelId) revert IReceiptSlasher.ReceiptSlasherModelMismatch(a.modelId, b.modelId);
        if (a.shardIndex != b.shardIndex) {
            revert IReceiptSlasher.ReceiptSlasherShardMismatch(a.shardIndex, b.shardIndex);
        }
        if (a.sessionId != b.sessionId) revert IReceiptSlasher.ReceiptSlasherSessionMismatch(a.sessionId, b.sessionId);
        if (a.positionStart != b.positionStart || a.positionCount != b.positionCount) {
            revert IReceiptSlasher.ReceiptSlasherPositionsMismatch(
                a.positionStart, a.positionCount, b.positionStart, b.positionCount
            );
        }
        if (a.paramsHash != b.paramsHash) {
            revert IReceiptSlasher.ReceiptSlasherParamsMismatch(a.paramsHash, b.paramsHash);
        }
        if (a.inputHash != b.inputHash) revert IReceiptSlasher.ReceiptSlasherInputMismatch(a.inputHash, b.inputHash);
        if (a.outputHash == b.outputHash) revert IReceiptSlasher.ReceiptSlasherSameOutput(a.outputHash);
    }

    /// @notice The evidence hash of a pair of digests: keccak256 of both, lower first, so the order submitted does
    /// not make new evidence.
    function evidenceHash(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }
}
