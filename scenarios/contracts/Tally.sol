// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Tally {
    uint256 public count;
    uint256 public limit;
    mapping(address => uint256) public bySender;
    constructor(uint256 l) { limit = l; }
    function setLimit(uint256 l) external { limit = l; }
    function add(uint256 seq, address who) external {
        require(seq % 10 != 7, "sevens are refused");
        require(count < limit, "over the limit");
        count += 1;
        bySender[who] += 1;
    }
}
