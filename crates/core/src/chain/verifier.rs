//! Re-reading the chain after the drain, to check a run's own figures.

use super::{plugin::ChainError, BoxFuture};
use chainmeter_result::run::Verification;

/// What a run recorded, for a [`Verifier`] to check against the chain. Every
/// landed transaction counts, warm-up included: the chain does not know
/// which were measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Landed and executed successfully.
    pub landed_ok: u64,
    /// Landed, failed in execution (fee paid, value not moved).
    pub landed_failed: u64,
    /// Sum of the landed transactions' fees, smallest unit.
    pub fee_total: u128,
    /// Value each successful transaction moved from its sender, smallest unit.
    pub value_per_tx: u128,
    /// With a traffic mix: each entry's own claim, in the mix's order; the
    /// chain checks each entry's effects against its own.
    pub entries: Vec<EntryClaim>,
}

/// What one traffic-mix entry's transactions claim, warm-up included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EntryClaim {
    /// Landed and executed successfully.
    pub landed_ok: u64,
    /// Landed, failed in execution.
    pub landed_failed: u64,
    /// Sum of their fees, smallest unit.
    pub fee_total: u128,
}

impl EntryClaim {
    /// The whole claim with this entry's counts in place of the run's:
    /// what an entry's workload checks its effects against.
    pub fn as_claimed(&self, value_per_tx: u128) -> Claimed {
        Claimed {
            landed_ok: self.landed_ok,
            landed_failed: self.landed_failed,
            fee_total: self.fee_total,
            value_per_tx,
            entries: Vec::new(),
        }
    }
}

/// Re-derives a run's figures from chain state after the drain.
pub trait Verifier: Send + Sync + std::fmt::Debug {
    /// Reads the chain and puts its figures beside `claimed`; an error when
    /// the chain could not be read.
    fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, VerifyError>>;
}

/// Why a [`Verifier`] could not read the chain. The run's result says so
/// in its verification instead of a verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A call to the node failed: unreachable, refused, or no answer in time.
    #[error("{call}")]
    Call {
        /// What was being read, e.g. `reading senders at block 12`.
        call: String,
        /// The transport's or node's error.
        #[source]
        source: ChainError,
    },
    /// The node answered, but not with what the check needs.
    #[error("{call}: {what}")]
    Answer {
        /// What was being read.
        call: String,
        /// What was wrong with the answer.
        what: String,
    },
    /// The run's own record of what it sent could not be read back.
    #[error("cannot read the run's record of its transactions")]
    Record {
        /// Why.
        #[source]
        source: ChainError,
    },
}

impl VerifyError {
    /// A failed call while reading `call`.
    pub fn call(call: impl Into<String>, source: impl Into<ChainError>) -> Self {
        Self::Call {
            call: call.into(),
            source: source.into(),
        }
    }

    /// An answer to `call` the check cannot use.
    pub fn answer(call: impl Into<String>, what: impl Into<String>) -> Self {
        Self::Answer {
            call: call.into(),
            what: what.into(),
        }
    }

    /// The node could not be reached or did not answer: the figures may
    /// agree all the same, and a later check could tell.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Call { .. })
    }

    /// The error with its causes, `: `-separated, as the result records it.
    pub fn chained(&self) -> String {
        super::chained(self)
    }
}
