//! What each transaction of a run does, as a scenario names it: a leaf the
//! scenario and the chain seam both name.

use serde::{Deserialize, Serialize};

/// What each transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadKind {
    /// A native-coin transfer to a receiver that is new for every transaction.
    Transfer,
    /// A token transfer: ERC-20 `transfer` to a receiver new for every
    /// transaction on the EVM; SPL Token `transfer` from each payer's token
    /// account to a receiving account of its own on Solana. chainmeter
    /// creates the token and mints to every sender before the clock starts.
    Token,
}

impl WorkloadKind {
    /// The kind's name as in scenario and result files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Transfer => "transfer",
            Self::Token => "token",
        }
    }
}
