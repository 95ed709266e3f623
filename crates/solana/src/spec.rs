//! What Solana is to core: its levels and fee unit.

use chainmeter_core::{ChainSpec, FeeUnit, Level};
use std::borrow::Cow::Borrowed;

/// The transaction's slot was frozen by the node (bank complete).
pub const PROCESSED: Level = Level::new("processed");
/// The transaction's slot was optimistically confirmed by the cluster.
pub const CONFIRMED: Level = Level::new("confirmed");
/// The transaction's slot is rooted.
pub const FINALIZED: Level = Level::new("finalized");

/// The levels, weakest first.
pub const LEVELS: &[Level] = &[PROCESSED, CONFIRMED, FINALIZED];

/// Solana: `[solana]` in scenario files, `"solana"` in results.
pub static SPEC: ChainSpec = ChainSpec {
    name: "solana",
    levels: LEVELS,
    fee_unit: FeeUnit {
        unit: Borrowed("lamports"),
        coin: Borrowed("SOL"),
        decimals: 9,
        small: Borrowed("lamports"),
        small_decimals: 0,
        bid: Borrowed("compute-unit price in micro-lamports"),
    },
};
