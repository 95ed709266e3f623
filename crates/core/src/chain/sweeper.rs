//! Returning the senders' leftover funds to the funder after a run
//! (`--sweep`), and proving the funder got them.

use super::{plugin::ChainError, BoxFuture};
use chainmeter_result::run::{Check, Sweep};

/// What a sweep did, and the check of it against the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Swept {
    /// What was returned, by how many transactions, in how long.
    pub sweep: Sweep,
    /// The funder's balance rose by exactly what the sweep says it returned.
    pub check: Check,
}

/// What a sweep's transfers did, as the chain crate counted them, in its
/// smallest unit (decimal strings: wei exceed 2^64).
#[derive(Debug, Clone, PartialEq)]
pub struct Returned {
    /// The funder's address.
    pub to: String,
    /// What the transfers moved back.
    pub amount: String,
    /// What they cost the senders.
    pub fees: String,
    /// How many were sent.
    pub transactions: u64,
    /// The funder's balance rise over the sweep, as the chain shows it.
    pub funder_rose: String,
}

impl Swept {
    /// The result's record of `returned`, which took `seconds`, and its
    /// check: the funder rose by what was returned; `how` says how the
    /// chain's fees were paid.
    pub fn new(returned: Returned, seconds: f64, how: &str) -> Self {
        Self {
            check: Check {
                name: "sweep".into(),
                recorded: returned.amount.clone(),
                chain: returned.funder_rose,
                how: format!(
                    "the funder's balance increase over the sweep: what the senders' transfers \
                     returned ({how})"
                ),
                entry: None,
            },
            sweep: Sweep {
                to: returned.to,
                amount: returned.amount,
                transactions: returned.transactions,
                fees: returned.fees,
                seconds,
                error: None,
            },
        }
    }
}

/// Sends every sender's balance, less what sending it costs, back to the
/// funder whose key funded the run; chains give one only when the run was
/// funded from a key and `--sweep` asked for it.
pub trait Sweeper: Send + Sync + std::fmt::Debug {
    /// Sweeps, waits for every transfer to land, and reads the funder's
    /// balance before and after.
    fn sweep(&self) -> BoxFuture<Result<Swept, ChainError>>;
}
