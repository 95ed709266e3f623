//! What the EVM is to core: its levels and fee unit.

use chainmeter_core::{ChainSpec, FeeUnit, Level};
use std::borrow::Cow::Borrowed;

/// The transaction is in a block at the head of the chain.
pub const INCLUDED: Level = Level::new("included");
/// The transaction's block is at or below the `safe` block tag.
pub const SAFE: Level = Level::new("safe");
/// The transaction's block is at or below the `finalized` block tag.
pub const FINALIZED: Level = Level::new("finalized");

/// The EVM: `[evm]` in scenario files, `"evm"` in results.
pub static SPEC: ChainSpec = ChainSpec {
    name: "evm",
    levels: &[INCLUDED, SAFE, FINALIZED],
    fee_unit: FeeUnit {
        unit: Borrowed("wei"),
        coin: Borrowed("ETH"),
        decimals: 18,
        small: Borrowed("gwei"),
        small_decimals: 9,
        bid: Borrowed("tip in wei per gas"),
    },
};
