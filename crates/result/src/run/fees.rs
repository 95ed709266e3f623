//! What the chain charged, and the fee market's buckets.

use crate::{histogram::StoredHistogram, level::Level};
use serde::{Deserialize, Serialize};

/// Fees, in the chain's smallest unit.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// Fees of the warm-up's landed transactions, apart from the figures
    /// above, which cover the measured window only (absent in schema 1 files,
    /// whose figures included the warm-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<WarmupFees>,
}

/// Fees of the warm-up's landed transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WarmupFees {
    /// Landed warm-up transactions.
    pub landed: u64,
    /// Their fees, smallest unit (decimal string).
    pub total: String,
}

/// A price given by the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Price {
    /// USD per native coin.
    pub usd_per_coin: f64,
    /// Where it came from.
    pub source: String,
}

/// The transactions that bid within one range, and what it bought them.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeeBucket {
    /// Lowest and highest bid of the bucket (equal for a list or levels):
    /// EVM tip in wei per gas, Solana compute-unit price in micro-lamports.
    pub bid: [u64; 2],
    /// Transactions planned with such a bid.
    pub sent: u64,
    /// Of them, landed.
    pub landed: u64,
    /// Fee each landed one was charged, read from the chain (smallest
    /// unit): exact min, max and mean.
    pub fee_min: String,
    /// See `fee_min`.
    pub fee_max: String,
    /// See `fee_min`.
    pub fee_mean: f64,
    /// Latency to the weakest recorded level, then to the strongest when it
    /// is another level.
    pub levels: Vec<BucketLatency>,
    /// Of the bucket's senders, those that ran out of funds (see
    /// [`Verification::dry_senders`]): its landed share then says what
    /// its senders could pay for, not what its bid bought.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dry_senders: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A fee-market bucket's latency to one level, from the intended send time.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BucketLatency {
    /// The level.
    pub level: Level,
    /// `t_L - t_sched`, microseconds.
    pub latency_us: StoredHistogram,
}
