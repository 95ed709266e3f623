// SPDX-License-Identifier: MIT OR Apache-2.0
// chainmeter's constant-product pool for the `swap` workload: Uniswap V2's
// arithmetic (x * y = k, a 0.3% fee taken from the input) over two of
// chainmeter's ERC-20s, and nothing else (no LP shares, no flash swaps), so
// that a swap's gas is the two token moves and the reserve update. Every
// swap emits Swap, from which the verifier replays the arithmetic.
//
// Compiled by scripts/compile-contracts.sh (solc 0.8.37 from npm, offline);
// the bytecode and ABI beside this file are its output, checked by a test.
pragma solidity 0.8.37;

interface IToken {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function balanceOf(address owner) external view returns (uint256);
}

contract Pool {
    IToken public immutable a;
    IToken public immutable b;
    uint256 public reserveA;
    uint256 public reserveB;

    event Swap(address indexed sender, bool aToB, uint256 amountIn, uint256 amountOut);

    constructor(IToken _a, IToken _b) {
        a = _a;
        b = _b;
    }

    /// Takes the pool's token balances as its reserves: liquidity is minted
    /// straight to the pool, then synced.
    function sync() external {
        reserveA = a.balanceOf(address(this));
        reserveB = b.balanceOf(address(this));
    }

    function getReserves() external view returns (uint256, uint256) {
        return (reserveA, reserveB);
    }

    /// Swaps `amountIn` of a for b (`aToB`) or of b for a; the sender must
    /// have approved the pool on the input token.
    function swap(bool aToB, uint256 amountIn) external returns (uint256 amountOut) {
        (IToken tokenIn, IToken tokenOut, uint256 rIn, uint256 rOut) =
            aToB ? (a, b, reserveA, reserveB) : (b, a, reserveB, reserveA);
        uint256 inWithFee = amountIn * 997;
        amountOut = (rOut * inWithFee) / (rIn * 1000 + inWithFee);
        require(amountOut > 0, "output is zero");
        require(tokenIn.transferFrom(msg.sender, address(this), amountIn), "transfer in failed");
        require(tokenOut.transfer(msg.sender, amountOut), "transfer out failed");
        if (aToB) {
            reserveA = rIn + amountIn;
            reserveB = rOut - amountOut;
        } else {
            reserveB = rIn + amountIn;
            reserveA = rOut - amountOut;
        }
        emit Swap(msg.sender, aToB, amountIn, amountOut);
    }
}
