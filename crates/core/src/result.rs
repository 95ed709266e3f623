//! The result file: one JSON document per run and chain.
//!
//! Units are in field names (`_us`, `_s`); fees are in the chain's smallest
//! unit, and totals, which can exceed 2^53, are decimal strings.

use crate::{
    histogram::StoredHistogram,
    level::{ChainKind, Level},
    outcome::OutcomeCounts,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version of the result format this build writes. Bumped on any change
/// that an older reader would misread.
pub const SCHEMA_VERSION: u32 = 1;

/// One run of one scenario against one chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    /// Always first: [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Which chain family.
    pub chain: ChainKind,
    /// The scenario's name.
    pub scenario_name: String,
    /// The scenario as run: defaults filled in, command-line overrides applied.
    pub scenario: serde_json::Value,
    /// Where and with what it ran.
    pub environment: Environment,
    /// Wall-clock start, RFC 3339 UTC (a label only: latencies use a monotonic clock).
    pub started_at: String,
    /// Wall-clock end, RFC 3339 UTC.
    pub ended_at: String,
    /// Whether the run completed or was aborted, and why.
    pub status: RunStatus,
    /// The load as offered.
    pub load: LoadSummary,
    /// Per level, weakest first: latency histograms.
    pub levels: Vec<LevelLatency>,
    /// Landed throughput.
    pub throughput: Throughput,
    /// What the chain charged.
    pub fees: Fees,
    /// Where every transaction ended up.
    pub outcomes: OutcomeCounts,
    /// The chain's own view: block/slot intervals and contents.
    pub chain_view: ChainView,
    /// How level timestamps were obtained.
    pub tracking: Tracking,
    /// What the harness itself spent.
    pub harness: HarnessUsage,
    /// The sender accounts and their state before the first send, so that
    /// fees and landed counts can be checked against the chain afterwards.
    pub senders: Vec<SenderRecord>,
}

/// A sender account as it was before the run's first transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderRecord {
    /// Address (EVM, 0x-hex) or public key (Solana, base58).
    pub address: String,
    /// Balance before the first send, smallest unit (decimal string).
    pub balance_before: String,
    /// Nonce before the first send (EVM only).
    pub nonce_before: Option<u64>,
}

/// Versions and machine.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Environment {
    /// chainmeter's version.
    pub chainmeter_version: String,
    /// git revision chainmeter was built from, if known.
    pub git_revision: Option<String>,
    /// The node: validator binary and version when started locally, else what the node reports.
    pub node: NodeInfo,
    /// Operating system and architecture.
    pub os: String,
    /// CPU model name.
    pub cpu_model: String,
    /// Logical cores.
    pub cores: usize,
}

/// The node a run talked to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NodeInfo {
    /// True when chainmeter started it; false when attached.
    pub started_locally: bool,
    /// Validator binary path, when started locally.
    pub binary: Option<String>,
    /// Its `--version` output (first line), or the node's client version.
    pub version: String,
    /// RPC URL.
    pub rpc_url: String,
    /// Chain id (EVM) or genesis hash (Solana).
    pub chain_id: String,
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunStatus {
    /// Every planned transaction was sent and the drain finished or timed out.
    Completed,
    /// The run stopped early; transactions whose fate was open are `unknown`.
    Aborted {
        /// Why.
        reason: String,
    },
}

/// The offered load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadSummary {
    /// `constant` or `poisson`.
    pub shape: String,
    /// Offered rate, transactions per second.
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
}

/// Latency to one level.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LevelLatency {
    /// The level.
    pub level: Level,
    /// `t_L - t_sched`, microseconds: the headline figure.
    pub latency_us: StoredHistogram,
    /// `t_L - t_send`, microseconds.
    pub service_latency_us: StoredHistogram,
}

/// Landed throughput.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Throughput {
    /// Mean landed transactions per second over the measured window.
    pub landed_mean_per_s: f64,
    /// Highest landed count in one whole second of the measured window.
    pub landed_peak_1s: u64,
    /// Mean offered (intended) transactions per second over the window.
    pub offered_mean_per_s: f64,
    /// One entry per second from the start of the run (warm-up and drain included).
    pub timeline: Vec<SecondCounts>,
}

/// Counts for one second of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondCounts {
    /// Seconds since the start of the run.
    pub t_s: u64,
    /// Transactions whose intended send time fell in this second.
    pub offered: u64,
    /// Transactions that reached the chain's first level in this second.
    pub landed: u64,
    /// Send calls that failed in this second.
    pub rejected: u64,
}

/// Fees, in the chain's smallest unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fees {
    /// `wei` or `lamports`.
    pub unit: String,
    /// Fee per landed transaction. Its percentiles carry the histogram's 3
    /// significant digits; `min`, `max` and `mean` below are exact.
    pub per_tx: StoredHistogram,
    /// Sum of all landed transactions' fees (decimal string: may exceed 2^53).
    pub total: String,
    /// Smallest fee of a landed transaction, exact (decimal string).
    pub min: String,
    /// Largest fee of a landed transaction, exact (decimal string).
    pub max: String,
    /// `total` divided by the landed transactions' count.
    pub mean: f64,
    /// Gas used (EVM) or compute units consumed (Solana) per landed transaction.
    pub compute_per_tx: StoredHistogram,
    /// The USD price used, when one was given.
    pub price: Option<Price>,
    /// Mean fee per landed transaction in USD, when a price was given.
    pub mean_usd: Option<f64>,
    /// Total fees in USD, when a price was given.
    pub total_usd: Option<f64>,
}

/// A price given by the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// USD per native coin.
    pub usd_per_coin: f64,
    /// Where it came from.
    pub source: String,
}

/// The chain's own view of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainView {
    /// Interval between consecutive blocks/slots as observed, microseconds.
    pub block_interval_us: StoredHistogram,
    /// Transactions per block/slot.
    pub txs_per_block: StoredHistogram,
    /// Gas (EVM) or compute units (Solana) per block, when the node reports it.
    pub compute_per_block: StoredHistogram,
    /// Blocks/slots observed.
    pub blocks: u64,
}

/// How level timestamps were obtained.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tracking {
    /// A description, e.g. `newHeads over WebSocket + eth_getBlockReceipts`.
    pub method: String,
    /// The worst-case delay the method adds to a timestamp, microseconds.
    pub resolution_us: u64,
}

/// What the harness spent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HarnessUsage {
    /// User + system CPU of the harness process during sending and draining, microseconds.
    pub cpu_us: u64,
    /// That CPU time per sent transaction, microseconds.
    pub cpu_us_per_tx: f64,
    /// CPU per sent transaction while sending only (to the last send), microseconds:
    /// the drain's waiting for the last levels, which costs CPU but sends
    /// nothing, left out.
    pub sending_cpu_us_per_tx: f64,
    /// Peak resident memory of the process, bytes.
    pub max_rss_bytes: u64,
}

/// A result file that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultReadError {
    /// I/O.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Not JSON of the expected shape.
    #[error("{path}: not a chainmeter result")]
    Json {
        /// The file.
        path: String,
        /// The error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// Written by a newer chainmeter.
    #[error(
        "{path}: schema_version {found} is newer than this chainmeter reads ({SCHEMA_VERSION})"
    )]
    Version {
        /// The file.
        path: String,
        /// What it says.
        found: u32,
    },
}

impl RunResult {
    /// Reads a result file, checking its schema version first.
    pub fn read(path: &Path) -> Result<Self, ResultReadError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ResultReadError::Io {
            path: p.clone(),
            source,
        })?;
        #[derive(Deserialize)]
        struct Version {
            schema_version: u32,
        }
        let v: Version = serde_json::from_str(&text).map_err(|source| ResultReadError::Json {
            path: p.clone(),
            source,
        })?;
        if v.schema_version > SCHEMA_VERSION {
            return Err(ResultReadError::Version {
                path: p,
                found: v.schema_version,
            });
        }
        serde_json::from_str(&text).map_err(|source| ResultReadError::Json { path: p, source })
    }

    /// The latency of `level`, if it was tracked.
    pub fn level(&self, level: Level) -> Option<&LevelLatency> {
        self.levels.iter().find(|l| l.level == level)
    }
}
