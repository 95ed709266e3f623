//! What the chain charged: the run's fees and compute (and each mix
//! entry's), and the fee market's buckets by bid.

use chainmeter_result::{
    histogram::{new_histogram, record, StoredHistogram},
    level::Level,
    run::{BucketLatency, FeeBucket, Fees, WarmupFees},
};
use hdrhistogram::Histogram;

/// What the chain charged landed transactions: the measured window's fees
/// and compute, and the warm-up's apart. The whole run keeps one, and so
/// does each traffic-mix entry.
#[derive(Debug, Clone)]
pub(super) struct Charged {
    fee: Histogram<u64>,
    pub(super) fee_total: u128,
    /// Exact smallest and largest fee: the histogram only keeps 3 digits.
    fee_range: Option<(u128, u128)>,
    compute: Histogram<u64>,
    warmup_landed: u64,
    warmup_fee_total: u128,
}

impl Charged {
    pub(super) fn new() -> Self {
        Self {
            fee: new_histogram(),
            fee_total: 0,
            fee_range: None,
            compute: new_histogram(),
            warmup_landed: 0,
            warmup_fee_total: 0,
        }
    }

    /// A landed transaction charged `fee` for `compute`, in the warm-up or not.
    pub(super) fn landed(&mut self, warmup: bool, fee: u128, compute: u64) {
        if warmup {
            self.warmup_landed += 1;
            self.warmup_fee_total += fee;
        } else {
            record(&mut self.fee, u64::try_from(fee).unwrap_or(u64::MAX));
            self.fee_total += fee;
            self.fee_range = Some(widen(self.fee_range, fee));
            record(&mut self.compute, compute);
        }
    }

    /// Every landed transaction's fees, warm-up included.
    pub(super) fn total_with_warmup(&self) -> u128 {
        self.fee_total + self.warmup_fee_total
    }

    /// Fee figures in `unit` (without prices; the caller adds them).
    pub(super) fn fees(&self, unit: &str) -> Fees {
        Fees {
            unit: unit.to_owned(),
            per_tx: StoredHistogram::from_histogram(&self.fee),
            total: self.fee_total.to_string(),
            min: self.fee_range.map_or(0, |r| r.0).to_string(),
            max: self.fee_range.map_or(0, |r| r.1).to_string(),
            mean: if self.fee.is_empty() {
                0.0
            } else {
                self.fee_total as f64 / self.fee.len() as f64
            },
            compute_per_tx: StoredHistogram::from_histogram(&self.compute),
            price: None,
            mean_usd: None,
            total_usd: None,
            warmup: Some(WarmupFees {
                landed: self.warmup_landed,
                total: self.warmup_fee_total.to_string(),
            }),
        }
    }
}

/// One fee-market bucket's figures (measured window only).
#[derive(Debug, Clone)]
struct Bucket {
    bid: (u64, u64),
    sent: u64,
    landed: u64,
    fee_total: u128,
    fee_range: Option<(u128, u128)>,
    /// Latency to the weakest recorded level, and to the strongest when it
    /// is another level.
    first: Histogram<u64>,
    last: Histogram<u64>,
}

/// Which of a bucket's two latencies a level's is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Edge {
    /// The weakest recorded level.
    First,
    /// The strongest recorded level, when it is another.
    Last,
}

/// The fee market's buckets, one per bid range; empty without bids.
#[derive(Debug, Clone, Default)]
pub(super) struct FeeMarket {
    buckets: Vec<Bucket>,
}

impl FeeMarket {
    /// A bucket per `(lowest, highest)` bid, in bucket order.
    pub(super) fn new(bids: &[(u64, u64)]) -> Self {
        Self {
            buckets: bids
                .iter()
                .map(|&bid| Bucket {
                    bid,
                    sent: 0,
                    landed: 0,
                    fee_total: 0,
                    fee_range: None,
                    first: new_histogram(),
                    last: new_histogram(),
                })
                .collect(),
        }
    }

    /// A measured transaction of `bucket` is planned: its bucket, if it has
    /// one (warm-up transactions have none).
    pub(super) fn planned(&mut self, bucket: Option<usize>, warmup: bool) -> Option<usize> {
        let bucket = bucket.filter(|&b| b < self.buckets.len() && !warmup);
        if let Some(b) = bucket {
            self.buckets[b].sent += 1;
        }
        bucket
    }

    /// A measured transaction of bucket `b` landed, charged `fee`.
    pub(super) fn landed(&mut self, b: usize, fee: u128) {
        let b = &mut self.buckets[b];
        b.landed += 1;
        b.fee_total += fee;
        b.fee_range = Some(widen(b.fee_range, fee));
    }

    /// A measured transaction of bucket `b` reached a level at an `edge`
    /// of the recorded ones, `latency` µs after its intended send.
    pub(super) fn reached(&mut self, b: usize, edge: Edge, latency: u64) {
        let b = &mut self.buckets[b];
        record(
            match edge {
                Edge::First => &mut b.first,
                Edge::Last => &mut b.last,
            },
            latency,
        );
    }

    /// Each bucket's figures, with latency to the `first` recorded level
    /// and to the `last` when it is another.
    pub(super) fn figures(&self, first: Level, last: Level) -> Vec<FeeBucket> {
        self.buckets
            .iter()
            .map(|b| FeeBucket {
                bid: [b.bid.0, b.bid.1],
                sent: b.sent,
                landed: b.landed,
                fee_min: b.fee_range.map_or(0, |r| r.0).to_string(),
                fee_max: b.fee_range.map_or(0, |r| r.1).to_string(),
                fee_mean: if b.landed > 0 {
                    b.fee_total as f64 / b.landed as f64
                } else {
                    0.0
                },
                levels: std::iter::once((first, &b.first))
                    .chain((last != first).then_some((last, &b.last)))
                    .map(|(level, h)| BucketLatency {
                        level,
                        latency_us: StoredHistogram::from_histogram(h),
                    })
                    .collect(),
                dry_senders: 0,
            })
            .collect()
    }
}

/// `range` widened to hold `fee`.
fn widen(range: Option<(u128, u128)>, fee: u128) -> (u128, u128) {
    range.map_or((fee, fee), |(lo, hi)| (lo.min(fee), hi.max(fee)))
}
