// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Receives the hook `HostileToken` calls after every transfer to it.
interface IHostileTokenReceiver {
    function onTokenReceived(address from, uint256 amount) external;
}

/// @title HostileToken
/// @notice Test-only ERC-20 that, like ERC-777 or a malicious token, calls back into the recipient of a transfer
/// when the recipient opted in. Used to prove that the escrow and staking contracts settle their books before
/// sending tokens, so a recipient re-entering them cannot be paid twice.
contract HostileToken is ERC20 {
    mapping(address account => bool) private _hooked;

    constructor() ERC20("Hostile Token", "HOST") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Makes every later transfer to `account` call `account.onTokenReceived`.
    function setHooked(address account, bool hooked) external {
        _hooked[account] = hooked;
    }

    function _update(address from, address to, uint256 amount) internal override {
        super._update(from, to, amount);
        if (_hooked[to]) IHostileTokenReceiver(to).onTokenReceived(from, amount);
    }
}
