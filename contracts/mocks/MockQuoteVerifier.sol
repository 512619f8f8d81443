// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IQuoteVerifier} from "../interfaces/IQuoteVerifier.sol";

/// @title MockQuoteVerifier
/// @notice TEST MOCK ONLY: stands in for an on-chain DCAP quote verifier. It checks nothing about the quote and
/// returns whatever report data, compose hash and OS image it was told to, or reverts when told to reject.
/// @dev Anyone may reconfigure it, so it must never be set as the quote verifier of a real deployment.
contract MockQuoteVerifier is IQuoteVerifier {
    /// @notice Raised by `verifyQuote` while `rejecting` is set.
    /// @param quoteHash keccak256 of the quote rejected
    error MockQuoteVerifierRejected(bytes32 quoteHash);

    /// @notice The report data `verifyQuote` returns.
    bytes public reportData;
    /// @notice The compose hash `verifyQuote` returns.
    bytes32 public composeHash;
    /// @notice The OS image `verifyQuote` returns.
    bytes32 public osImage;
    /// @notice Whether `verifyQuote` reverts.
    bool public rejecting;
    /// @notice How many quotes `verifyQuote` accepted.
    uint256 public verifications;

    /// @notice Sets what `verifyQuote` returns and makes it accept quotes.
    function setResult(bytes calldata reportData_, bytes32 composeHash_, bytes32 osImage_) external {
        reportData = reportData_;
        composeHash = composeHash_;
        osImage = osImage_;
        rejecting = false;
    }

    /// @notice Makes `verifyQuote` revert (`true`) or return the configured result (`false`).
    function setRejecting(bool rejecting_) external {
        rejecting = rejecting_;
    }

    /// @inheritdoc IQuoteVerifier
    function verifyQuote(bytes calldata quote) external returns (bytes memory, bytes32, bytes32) {
        if (rejecting) revert MockQuoteVerifierRejected(keccak256(quote));
        ++verifications;
        return (reportData, composeHash, osImage);
    }
}
