//! Outcomes: where every sent transaction ended up.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a send call failed, coarse enough to aggregate and fine enough to act on.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RejectClass {
    /// The node could not be reached, or the connection broke.
    Transport,
    /// The node did not answer in time.
    Timeout,
    /// The node refused the transaction (nonce, fee, balance, pool full, ...).
    Node,
    /// The harness could not build or sign the transaction.
    Build,
}

impl RejectClass {
    /// The class's name as it appears in result files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Transport => "transport",
            Self::Timeout => "timeout",
            Self::Node => "node",
            Self::Build => "build",
        }
    }
}

/// The final state of one transaction. Every sent transaction has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Landed on chain and executed successfully.
    LandedOk,
    /// Landed on chain, failed in execution; the fee was paid.
    LandedFailed,
    /// The send call failed.
    Rejected(RejectClass),
    /// Can no longer land: the chain's block height passed the transaction's
    /// last valid height, and every block up to it was scanned (Solana only).
    Expired,
    /// Its fate is not known when the run ends; the reason says why.
    Unknown(UnknownReason),
}

/// Why a transaction's fate is not known at the end of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnknownReason {
    /// The drain ended before the chain showed it, and it had not provably expired.
    NotSeen,
    /// It reached a level, but the block that holds it (with its fee and
    /// execution result) was not read by the end of the drain.
    FeeNotRead,
    /// The run was aborted while it was open.
    Aborted,
    /// Still open when a partial result was written during the run.
    InFlight,
}

impl UnknownReason {
    /// The reason as it appears in result files and summaries.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotSeen => "not seen by the end of the drain",
            Self::FeeNotRead => "landed, but its block was not read by the end of the drain",
            Self::Aborted => "the run was aborted while it was open",
            Self::InFlight => "still in flight when this partial result was written",
        }
    }
}

/// How many transactions ended in each outcome. The counts add up to `sent`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutcomeCounts {
    /// Transactions handed to the node (or attempted to).
    pub sent: u64,
    /// Landed, executed successfully.
    pub landed_ok: u64,
    /// Landed, execution failed, fee paid.
    pub landed_failed: u64,
    /// Send call failed, all classes.
    pub rejected: u64,
    /// Rejected transactions by class.
    pub rejected_by_class: BTreeMap<RejectClass, u64>,
    /// Provably expired: can no longer land (Solana only).
    pub expired: u64,
    /// Fate unknown when the run ended (see `unknown_by_reason`).
    pub unknown: u64,
    /// Unknown transactions by reason (absent in files older than schema 2).
    #[serde(default)]
    pub unknown_by_reason: BTreeMap<String, u64>,
    /// Up to a few example messages per rejection class and for landed failures.
    pub error_examples: BTreeMap<String, Vec<String>>,
}

/// How many example messages are kept per class.
const EXAMPLES_PER_CLASS: usize = 3;

impl OutcomeCounts {
    /// Counts one transaction's final outcome.
    pub fn add(&mut self, outcome: Outcome) {
        self.sent += 1;
        match outcome {
            Outcome::LandedOk => self.landed_ok += 1,
            Outcome::LandedFailed => self.landed_failed += 1,
            Outcome::Rejected(class) => {
                self.rejected += 1;
                *self.rejected_by_class.entry(class).or_default() += 1;
            }
            Outcome::Expired => self.expired += 1,
            Outcome::Unknown(reason) => {
                self.unknown += 1;
                *self
                    .unknown_by_reason
                    .entry(reason.as_str().to_owned())
                    .or_default() += 1;
            }
        }
    }

    /// Keeps `message` as an example of `class`, if fewer than a few are kept yet.
    pub fn add_example(&mut self, class: &str, message: &str) {
        let examples = self.error_examples.entry(class.to_owned()).or_default();
        if examples.len() < EXAMPLES_PER_CLASS && !examples.iter().any(|m| m == message) {
            examples.push(message.to_owned());
        }
    }

    /// Transactions that landed, successful or not.
    pub fn landed(&self) -> u64 {
        self.landed_ok + self.landed_failed
    }

    /// True when the outcome counts add up to `sent`, as they always must.
    pub fn is_consistent(&self) -> bool {
        self.landed_ok + self.landed_failed + self.rejected + self.expired + self.unknown
            == self.sent
            && self.rejected_by_class.values().sum::<u64>() == self.rejected
            // Files older than schema 2 have no reasons.
            && (self.unknown_by_reason.is_empty()
                || self.unknown_by_reason.values().sum::<u64>() == self.unknown)
    }

    /// Adds another run's counts to these (for merging results).
    pub fn merge(&mut self, other: &Self) {
        self.sent += other.sent;
        self.landed_ok += other.landed_ok;
        self.landed_failed += other.landed_failed;
        self.rejected += other.rejected;
        for (class, n) in &other.rejected_by_class {
            *self.rejected_by_class.entry(*class).or_default() += n;
        }
        self.expired += other.expired;
        self.unknown += other.unknown;
        for (reason, n) in &other.unknown_by_reason {
            *self.unknown_by_reason.entry(reason.clone()).or_default() += n;
        }
        for (class, messages) in &other.error_examples {
            for m in messages {
                self.add_example(class, m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_to_sent() {
        let mut c = OutcomeCounts::default();
        for o in [
            Outcome::LandedOk,
            Outcome::LandedFailed,
            Outcome::Rejected(RejectClass::Node),
            Outcome::Rejected(RejectClass::Transport),
            Outcome::Expired,
            Outcome::Unknown(UnknownReason::NotSeen),
        ] {
            c.add(o);
        }
        assert_eq!(c.sent, 6);
        assert_eq!(c.rejected, 2);
        assert_eq!(c.landed(), 2);
        assert!(c.is_consistent());
        let mut merged = c.clone();
        merged.merge(&c);
        assert_eq!(merged.sent, 12);
        assert!(merged.is_consistent());
    }

    #[test]
    fn examples_are_bounded_and_deduplicated() {
        let mut c = OutcomeCounts::default();
        for i in 0..10 {
            c.add_example("node", &format!("error {}", i % 5));
            c.add_example("node", "error 0");
        }
        assert_eq!(c.error_examples["node"].len(), EXAMPLES_PER_CLASS);
    }
}
