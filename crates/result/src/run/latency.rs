//! Latency per level, landed throughput, the chain's own view and how levels were timed.

use crate::{
    histogram::StoredHistogram,
    level::Level,
    rate::{landed_rate, BlockRate, NoRate},
};
use serde::{Deserialize, Serialize};

/// Latency to one level.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LevelLatency {
    /// The level.
    pub level: Level,
    /// `t_L - t_sched`, microseconds: the headline figure.
    pub latency_us: StoredHistogram,
    /// `t_L - t_send`, microseconds.
    pub service_latency_us: StoredHistogram,
    /// Blocks (EVM) or slots (Solana) the transaction took to reach the
    /// level: the chain's head when it reached the level minus the head
    /// when it was sent (for the first level, the block it landed in minus
    /// the head it was sent at). Unlike milliseconds, it compares chains
    /// and nodes whose clocks and block times differ. Absent when the
    /// tracker saw no heads (a polling tracker), and in files before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_delta: Option<StoredHistogram>,
    /// The node named its latest block for this level's tag when the run
    /// connected (Hardhat's `safe` and `finalized`): it does not tell the
    /// level apart from inclusion, so its latency is inclusion's plus the
    /// time to read the tag, no finality of its own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub at_latest: bool,
}

/// Landed throughput.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Throughput {
    /// Mean landed transactions per second over the measured window: the
    /// landings of the whole block (slot) intervals whose blocks arrived in
    /// the window, over the time those intervals span (see
    /// [`crate::rate::landed_rate`]); for a search, over its probes'
    /// windows alone. Null when the window holds fewer than two block
    /// arrivals (`no_rate` says so). Files before schema 6 hold landings in
    /// the window's whole wall-clock seconds over their count.
    pub landed_mean_per_s: Option<f64>,
    /// The best landed rate of the measured window, transactions per
    /// second: over the shortest run of whole blocks (slots) that spans at
    /// least a second, the best such run's landings over its span (the
    /// mean, when the window's blocks span less). Not a count in a
    /// wall-clock second: two block arrivals in one second would read as
    /// twice the chain's rate. Null with `landed_mean_per_s`. Files before
    /// schema 5 hold the best whole second's count.
    pub landed_peak_1s: Option<f64>,
    /// Why the window has no landed rate, when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_rate: Option<NoRate>,
    /// Mean offered (intended) transactions per second over the window.
    pub offered_mean_per_s: f64,
    /// One entry per second from the start of the run (warm-up and drain included).
    pub timeline: Vec<SecondCounts>,
    /// Every instant at which the chain showed landings (a block's or
    /// slot's arrival), as `[microseconds from the start of the run,
    /// transactions that landed then]`, in time order; what the rates are
    /// computed from, and recomputed from when results merge.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrivals: Vec<[u64; 2]>,
}

impl Throughput {
    /// Sets the landed rates from what [`crate::rate::landed_rate`] found.
    pub fn set_landed(&mut self, rate: Result<BlockRate, NoRate>) {
        (self.landed_mean_per_s, self.landed_peak_1s, self.no_rate) = match rate {
            Ok(r) => (Some(r.mean_per_s), Some(r.peak_per_s), None),
            Err(why) => (None, None, Some(why)),
        };
    }

    /// The landed rates of `arrivals` over `windows_us`, with the rest empty
    /// but for `offered_mean_per_s`.
    pub fn over(
        arrivals: Vec<[u64; 2]>,
        windows_us: &[(u64, u64)],
        offered_mean_per_s: f64,
    ) -> Self {
        let mut t = Self {
            landed_mean_per_s: None,
            landed_peak_1s: None,
            no_rate: None,
            offered_mean_per_s,
            timeline: Vec::new(),
            arrivals,
        };
        t.set_landed(landed_rate(&t.arrivals, windows_us));
        t
    }
}

/// Counts for one second of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// The chain's own view of the run.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainView {
    /// Interval between consecutive blocks/slots as observed, microseconds.
    pub block_interval_us: StoredHistogram,
    /// The run's transactions per block/slot (Solana's votes left out).
    pub txs_per_block: StoredHistogram,
    /// Gas (EVM) or compute units (Solana) per block, when the node reports it.
    pub compute_per_block: StoredHistogram,
    /// Blocks/slots of the measured window observed (warm-up's and the
    /// drain's left out).
    pub blocks: u64,
    /// The most gas or compute units one block may hold, as the node said:
    /// with the gas a transaction uses, the bound on the rate a chain can
    /// land.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_limit: Option<u64>,
}

/// How level timestamps were obtained.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tracking {
    /// A description, e.g. `newHeads over WebSocket + eth_getBlockReceipts`.
    pub method: String,
    /// The worst-case delay the method adds to a timestamp, microseconds;
    /// for polling, the achieved interval's p99 when it was measured.
    pub resolution_us: u64,
    /// Polling only: the interval the poll loop achieved, microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achieved_interval_us: Option<StoredHistogram>,
}
