// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title HostileContractWallet
/// @notice TEST MOCK ONLY: an ERC-1271 wallet whose owner accepts its own signatures until it turns hostile, then
/// refuses them or burns every unit of gas `isValidSignature` is given. Used to show what a contract buyer can do
/// to a runner after being served.
contract HostileContractWallet is IERC1271 {
    enum Mode {
        Honest,
        Refuse,
        BurnGas
    }

    /// @notice The EOA whose signatures this wallet accepts while honest.
    address public immutable owner;
    /// @notice How `isValidSignature` behaves now.
    Mode public mode;

    /// @param owner_ the EOA whose signatures this wallet accepts while honest
    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice Changes how `isValidSignature` behaves.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        Mode current = mode;
        if (current == Mode.BurnGas) {
            uint256 x;
            while (gasleft() > 0) x = uint256(keccak256(abi.encode(x)));
        }
        if (current == Mode.Refuse) return bytes4(0);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        return err == ECDSA.RecoverError.NoError && signer == owner ? IERC1271.isValidSignature.selector : bytes4(0);
    }
}
