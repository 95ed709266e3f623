//! Confirmation levels: how far a transaction has come on its chain.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A confirmation level a transaction can reach.
///
/// Each chain has three, ordered from weakest to strongest; see
/// [`ChainKind::levels`]. A level is reached at most once per transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Solana: the transaction's slot was frozen by the node (bank complete).
    Processed,
    /// Solana: the transaction's slot was optimistically confirmed by the cluster.
    Confirmed,
    /// EVM: the transaction is in a block at the head of the chain.
    Included,
    /// EVM: the transaction's block is at or below the `safe` block tag.
    Safe,
    /// Both: the transaction's slot is rooted / its block is at or below `finalized`.
    Finalized,
}

impl Level {
    /// The level's name as it appears in scenario and result files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Confirmed => "confirmed",
            Self::Included => "included",
            Self::Safe => "safe",
            Self::Finalized => "finalized",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The family of chain a scenario targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainKind {
    /// Ethereum-compatible chains (anvil locally).
    Evm,
    /// Solana (solana-test-validator locally).
    Solana,
}

impl ChainKind {
    /// The chain's levels, weakest first.
    pub const fn levels(self) -> &'static [Level] {
        match self {
            Self::Evm => &[Level::Included, Level::Safe, Level::Finalized],
            Self::Solana => &[Level::Processed, Level::Confirmed, Level::Finalized],
        }
    }

    /// The name of the chain's native coin's smallest unit, as fees are recorded.
    pub const fn fee_unit(self) -> &'static str {
        match self {
            Self::Evm => "wei",
            Self::Solana => "lamports",
        }
    }

    /// How many smallest units make one native coin (ETH, SOL).
    pub const fn units_per_coin(self) -> f64 {
        match self {
            Self::Evm => 1e18,
            Self::Solana => 1e9,
        }
    }

    /// The scenario-file section and result-file name of the chain.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Evm => "evm",
            Self::Solana => "solana",
        }
    }
}

impl fmt::Display for ChainKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
