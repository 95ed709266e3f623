// SPDX-License-Identifier: MIT OR Apache-2.0
// What the `deploy` workload creates, one per transaction: a contract that
// stores one word when it is constructed and has one getter, so that each
// transaction pays for a creation, a storage write and its code.
//
// Compiled by scripts/compile-contracts.sh (solc 0.8.37 from npm, offline);
// the bytecode and ABI beside this file are its output, checked by a test.
pragma solidity 0.8.37;

contract Small {
    uint256 public born;

    constructor() {
        born = block.number;
    }
}
