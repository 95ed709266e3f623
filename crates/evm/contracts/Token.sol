// SPDX-License-Identifier: MIT OR Apache-2.0
// chainmeter's ERC-20 for the `token` workload: the standard's transfer
// path and nothing else in the way (no hooks, no pausing), so that its gas
// is what an ordinary ERC-20 transfer costs. The deployer mints once to
// every sender before the clock starts.
//
// Compiled by scripts/compile-contracts.sh (solc 0.8.37 from npm, offline);
// the bytecode and ABI beside this file are its output, checked by a test.
pragma solidity 0.8.37;

contract Token {
    string public constant name = "chainmeter token";
    string public constant symbol = "CMT";
    uint8 public constant decimals = 18;

    uint256 public totalSupply;
    address public immutable minter;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor() {
        minter = msg.sender;
    }

    /// Mints `amount` to each of `to`: every sender funded in one transaction.
    function mintEach(address[] calldata to, uint256 amount) external {
        require(msg.sender == minter, "only the minter mints");
        for (uint256 i = 0; i < to.length; i++) {
            balanceOf[to[i]] += amount;
            emit Transfer(address(0), to[i], amount);
        }
        totalSupply += amount * to.length;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            require(allowed >= amount, "allowance too low");
            allowance[from][msg.sender] = allowed - amount;
        }
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 balance = balanceOf[from];
        require(balance >= amount, "balance too low");
        unchecked {
            balanceOf[from] = balance - amount;
        }
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
