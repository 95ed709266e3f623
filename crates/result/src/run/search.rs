//! Steps and probes, each on its own, and a saturation search's knee.

use super::{Fees, LevelLatency, RunResult};
use crate::outcome::OutcomeCounts;
use serde::{Deserialize, Serialize};

/// What a stage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// A step of a `steps` profile.
    Step,
    /// A probe of a saturation search.
    Probe,
}

/// Whether a probe held, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verdict {
    /// It met the objective.
    pub held: bool,
    /// Share of its transactions that landed.
    pub landed_share: f64,
    /// The bounded latency, microseconds, if anything reached the level.
    pub latency_us: Option<u64>,
    /// What it failed, or "met the objective".
    pub reason: String,
}

/// One step or probe, with what was recorded of it alone.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepResult {
    /// A step of a `steps` profile, or a probe of a search.
    pub kind: StageKind,
    /// `step 2: 1000 tx/s`.
    pub label: String,
    /// Its target rate, transactions per second.
    pub rate_per_s: f64,
    /// Its measured window, seconds from the start of the run (a probe's
    /// warm-up comes before it).
    pub window_s: [f64; 2],
    /// Measured transactions sent, and per second of the window.
    pub sent: u64,
    /// See `sent`.
    pub offered_per_s: f64,
    /// Of them, landed.
    pub landed: u64,
    /// What the chain landed while it was sending: its window's whole block
    /// intervals, as the run's mean is taken. Null when the window holds
    /// fewer than two block arrivals.
    pub landed_per_s: Option<f64>,
    /// Latency per level, of its measured transactions.
    pub levels: Vec<LevelLatency>,
    /// Where its transactions (a probe's warm-up included) ended up.
    pub outcomes: OutcomeCounts,
    /// What its measured transactions were charged.
    pub fees: Fees,
    /// A probe's verdict against the objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// A saturation search's answer: the highest probe that held, and whether
/// that is the knee, a lower bound of it, or one end of a bracket.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Knee {
    /// Its index in `steps`.
    pub step: usize,
    /// Its offered rate, transactions per second.
    pub rate_per_s: f64,
    /// Its landed throughput (its step's `landed_per_s`).
    pub landed_per_s: Option<f64>,
    /// No probe broke (the highest rate allowed held, or the probes ran out
    /// while rising): the knee is at least `rate_per_s`.
    pub at_least: bool,
    /// The probes ran out before the rate that held and the lowest that broke
    /// came within the search's resolution: the knee lies between
    /// `rate_per_s` and this rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broke_per_s: Option<f64>,
    /// The objective, as a sentence.
    pub objective: String,
    /// Probes made.
    pub probes: usize,
    /// How long the search took, seconds.
    pub search_s: f64,
    /// The rate the chain's block limit allows at the knee's mean gas (or
    /// compute units) per transaction ([`BlockBound`]): null when the node
    /// gave no limit or nothing landed, and in files written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_bound_per_s: Option<f64>,
}

impl Knee {
    /// The rate is the knee itself, not a bound of it.
    pub fn is_found(&self) -> bool {
        !self.at_least && self.broke_per_s.is_none()
    }

    /// What the search established, in words: `1428 tx/s`, `at least 759
    /// tx/s (no probe broke)`, `between 1139 and 1709 tx/s (...)`.
    pub fn rate_words(&self) -> String {
        match (self.at_least, self.broke_per_s) {
            (true, _) => format!(
                "at least {:.0} tx/s (no probe broke: a lower bound, not a knee)",
                self.rate_per_s
            ),
            (false, Some(b)) => format!(
                "between {:.0} and {b:.0} tx/s (the probes ran out before the bracket narrowed to the resolution: not a knee)",
                self.rate_per_s
            ),
            (false, None) => format!("{:.0} tx/s", self.rate_per_s),
        }
    }
}

/// The rate a chain's block limit allows at a step's mean gas (or compute
/// units) per transaction: as many whole transactions as a block holds,
/// every block interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockBound {
    /// The most gas (or compute units) a block may hold, as the node said.
    pub limit: u64,
    /// The step's mean gas (or compute units) per transaction.
    pub per_tx: f64,
    /// Whole transactions a block holds at that mean.
    pub per_block: f64,
    /// The blocks' interval (its median), seconds.
    pub interval_s: f64,
}

impl BlockBound {
    /// Transactions per second.
    pub fn per_s(&self) -> f64 {
        self.per_block / self.interval_s
    }
}

impl RunResult {
    /// The bound `step` ran against: `None` when the chain gave no block
    /// limit, nothing landed or no block interval was seen.
    pub fn block_bound(&self, step: &StepResult) -> Option<BlockBound> {
        let limit = self.chain_view.block_limit?;
        let per_tx = step.fees.compute_per_tx.mean;
        let interval_s = self.chain_view.block_interval_us.p50 as f64 / 1e6;
        (per_tx > 0.0 && interval_s > 0.0).then(|| BlockBound {
            limit,
            per_tx,
            per_block: (limit as f64 / per_tx).floor(),
            interval_s,
        })
    }

    /// Writes the block limit's bound at the knee into it.
    pub fn bound_the_knee(&mut self) {
        let bound = self.knee.as_ref().and_then(|k| {
            self.steps
                .get(k.step)
                .and_then(|step| self.block_bound(step))
        });
        if let Some(k) = self.knee.as_mut() {
            k.block_bound_per_s = bound.map(|b| b.per_s());
        }
    }
}
