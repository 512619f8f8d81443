// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title TestToken
/// @notice LOCAL-CHAIN TEST TOKEN ONLY: a 6-decimal stand-in for a stablecoin with EIP-2612 permit.
/// @dev `mint` is open to anyone, so this token has no value and must never be deployed on a real chain.
contract TestToken is ERC20, ERC20Permit {
    constructor() ERC20("TeeTee Test USD", "tUSD") ERC20Permit("TeeTee Test USD") {}

    /// @notice Mints `amount` to `to`. Open to anyone: this is a test token.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
