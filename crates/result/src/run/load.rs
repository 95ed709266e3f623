//! The load as offered, the workload each transaction ran, and a traffic mix's entries.

use super::Fees;
use crate::{histogram::StoredHistogram, level::Level, outcome::OutcomeCounts};
use serde::{Deserialize, Serialize};

/// The offered load.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoadSummary {
    /// `constant` or `poisson` arrivals.
    pub shape: String,
    /// How the rate went: `constant`, `ramp`, `steps` or `saturate`.
    #[serde(default = "constant_profile")]
    pub profile: String,
    /// Offered rate, transactions per second: the constant rate, or the
    /// measured window's mean for other profiles.
    pub rate_per_s: f64,
    /// Warm-up length.
    pub warmup_s: f64,
    /// Measured window: from the end of warm-up to the last intended send.
    pub window_s: f64,
    /// Transactions sent in the warm-up.
    pub warmup_sent: u64,
    /// Transactions sent in the measured window.
    pub measured_sent: u64,
    /// Value each transfer carried, smallest unit (decimal string).
    pub value_per_tx: String,
    /// How far behind schedule the sends went: `t_send - t_sched`, microseconds.
    pub send_lag_us: StoredHistogram,
    /// A closed loop's shape; absent for an open-loop profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_loop: Option<ClosedLoopSummary>,
    /// How long the run waited after its last send, seconds: the
    /// scenario's `drain_timeout`, or what the chain derived from its
    /// section and what the node showed at connect. Absent in files before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_s: Option<f64>,
}

/// A closed loop: transactions in flight at once, each followed by the next
/// once it reached a level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClosedLoopSummary {
    /// Transactions in flight at once.
    pub concurrency: u32,
    /// The level each waited for; absent: the weakest recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_for: Option<Level>,
}

/// What each transaction did, as the scenario set it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkloadSummary {
    /// `transfer` (the native coin) or `token`.
    pub kind: String,
    /// Value per transaction as the scenario asked: the smallest native
    /// unit, or token units (the chain may need more: `load.value_per_tx`).
    pub value: u64,
    /// `disjoint` (each transaction writes a receiver of its own) or `hot`
    /// (every transaction writes one).
    pub writes: String,
    /// Sender accounts.
    pub accounts: u32,
    /// What each transaction did, in words, as its chain describes it
    /// (`token, 5 token units per transaction, each to …`).
    #[serde(default)]
    pub description: String,
    /// The size of one transaction on the wire, bytes, where every
    /// transaction of the workload has one size (Solana's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_bytes: Option<u64>,
}

/// A scenario's defaults: a transfer of 1, each to its own receiver, from 32 senders.
impl Default for WorkloadSummary {
    fn default() -> Self {
        Self {
            kind: "transfer".into(),
            value: 1,
            writes: "disjoint".into(),
            accounts: 32,
            description: String::new(),
            tx_bytes: None,
        }
    }
}

fn constant_profile() -> String {
    "constant".to_owned()
}

/// One entry of a traffic mix: its transactions' figures, counted as the
/// whole run's are (outcomes of every transaction, warm-up included;
/// latency and fees of the measured window's).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MixEntryResult {
    /// The entry's workload.
    pub kind: String,
    /// The share of the transactions the scenario gave it.
    pub share: f64,
    /// Where its transactions ended up.
    pub outcomes: OutcomeCounts,
    /// Per recorded level, weakest first: latency from the intended send time.
    pub levels: Vec<EntryLatency>,
    /// What the chain charged its transactions, and their gas or compute units.
    pub fees: Fees,
}

/// A mix entry's latency to one level.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EntryLatency {
    /// The level.
    pub level: Level,
    /// `t_L - t_sched`, microseconds.
    pub latency_us: StoredHistogram,
}

/// A traffic-mix share (0 to 1) as the percent a scenario means by it:
/// `0.07` is `7`, not `7.000000000000001` (the float product's last bit).
pub fn share_percent(share: f64) -> String {
    let pct = (share * 100.0 * 1e9).round() / 1e9;
    format!("{pct}")
}
