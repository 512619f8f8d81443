// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IHostileTokenReceiver} from "./HostileToken.sol";

/// @title HostileReceiver
/// @notice Test-only contract account: acts as buyer, staker or contributor through `execute`, and when the
/// `HostileToken` pays it, either re-enters a target with prepared calldata (once) or refuses the payment.
contract HostileReceiver is IHostileTokenReceiver {
    enum Mode {
        Accept,
        Reenter,
        Revert
    }

    /// @notice The receiver refused a payment (its mode is `Revert`).
    error HostileReceiverRefused();
    /// @notice A call made through `execute` reverted.
    /// @param reason the revert data of that call
    error HostileReceiverCallFailed(bytes reason);

    Mode public mode;
    address public reentryTarget;
    bytes public reentryData;
    bool public reentryAttempted;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    /// @notice Calls `target` with `data` as this contract, bubbling a failure.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        (bool ok, bytes memory returned) = target.call(data);
        if (!ok) revert HostileReceiverCallFailed(returned);
        return returned;
    }

    /// @notice Re-enter `target` with `data` on the next payment received.
    function armReentry(address target, bytes calldata data) external {
        mode = Mode.Reenter;
        reentryTarget = target;
        reentryData = data;
    }

    function setMode(Mode newMode) external {
        mode = newMode;
    }

    /// @inheritdoc IHostileTokenReceiver
    function onTokenReceived(address, uint256) external {
        if (mode == Mode.Revert) revert HostileReceiverRefused();
        if (mode != Mode.Reenter) return;
        mode = Mode.Accept;
        reentryAttempted = true;
        (bool ok, bytes memory returned) = reentryTarget.call(reentryData);
        reentrySucceeded = ok;
        if (!ok) reentryRevertData = returned;
    }
}
