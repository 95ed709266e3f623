// SPDX-License-Identifier: MIT OR Apache-2.0
// The `storage` workload's contract: each call writes `slots` storage slots
// no call wrote before (a fresh slot costs the most gas) and runs `loops`
// iterations of arithmetic, so a scenario dials the gas of a transaction,
// and with it the gas-bound knee of a chain.
//
// Compiled by scripts/compile-contracts.sh (solc 0.8.37 from npm, offline);
// the bytecode and ABI beside this file are its output, checked by a test.
pragma solidity 0.8.37;

contract Storage {
    mapping(uint256 => uint256) public slot;

    /// Writes slots `key * slots` to `key * slots + slots - 1` and loops
    /// `loops` times; `key` is the transaction's own, so the slots are new.
    function work(uint256 key, uint256 slots, uint256 loops) external {
        uint256 base = key * slots;
        for (uint256 i = 0; i < slots; i++) {
            slot[base + i] = i + 1;
        }
        uint256 x = key;
        // Wrapping arithmetic: the loop is work, not a sum worth checking.
        unchecked {
            for (uint256 i = 0; i < loops; i++) {
                x = x * 31 + i;
            }
        }
        if (x == 0) {
            slot[type(uint256).max] = 1;
        }
    }
}
