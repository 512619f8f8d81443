// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IQuoteVerifier
/// @notice Optional full on-chain verification of a TDX quote (e.g. an Automata DCAP adapter, 4-5M gas).
/// Off by default: the runner registry then stores the quote hash and off-chain verifiers check the quote.
interface IQuoteVerifier {
    /// @notice Verifies `quote` and returns the 64 bytes of report data it carries, the compose hash measured and
    /// the OS image (SHA-256 of its MRTD, RTMR0, RTMR1 and RTMR2).
    /// @dev Reverts when the quote does not verify.
    function verifyQuote(bytes calldata quote)
        external
        returns (bytes memory reportData, bytes32 composeHash, bytes32 osImage);
}
