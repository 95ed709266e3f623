//! A traffic mix's entries, each counted on its own beside the whole.

use super::fees::Charged;
use crate::{
    chain::{EntryClaim, TxSeq},
    outcome::{Outcome, OutcomeCounts},
    workload::Mix,
};
use chainmeter_result::{
    histogram::{new_histogram, record, StoredHistogram},
    level::Level,
    run::{EntryLatency, MixEntryResult},
};
use hdrhistogram::Histogram;
use std::sync::Arc;

/// One traffic-mix entry's figures: the whole run's, for its transactions
/// alone (outcomes of all of them, warm-up included, as the whole's;
/// latency and fees of the measured window's).
#[derive(Debug, Clone)]
struct Entry {
    outcomes: OutcomeCounts,
    /// Latency to each recorded level, in the recorder's order.
    latency: Vec<Histogram<u64>>,
    charged: Charged,
}

/// The mix and its entries' figures; empty when the run mixes nothing.
#[derive(Debug, Clone, Default)]
pub(super) struct MixRecord {
    mix: Option<Arc<Mix>>,
    entries: Vec<Entry>,
}

impl MixRecord {
    /// A record of `mix`'s entries, each timed to `levels` recorded levels.
    pub(super) fn new(mix: Option<Arc<Mix>>, levels: usize) -> Self {
        let n = mix.as_ref().map_or(0, |m| m.entries().len());
        Self {
            entries: (0..n)
                .map(|_| Entry {
                    outcomes: OutcomeCounts::default(),
                    latency: (0..levels).map(|_| new_histogram()).collect(),
                    charged: Charged::new(),
                })
                .collect(),
            mix,
        }
    }

    /// The entry transaction `seq` belongs to, if the run mixes workloads.
    pub(super) fn entry_of(&self, seq: TxSeq) -> Option<usize> {
        self.mix.as_ref().map(|m| m.entry(seq))
    }

    /// Counts `outcome` for entry `e`.
    pub(super) fn count(&mut self, e: usize, outcome: Outcome) {
        self.entries[e].outcomes.add(outcome);
    }

    /// Keeps `message` as an example of `class` for entry `e`.
    pub(super) fn example(&mut self, e: usize, class: &str, message: &str) {
        self.entries[e].outcomes.add_example(class, message);
    }

    /// A transaction of entry `e` landed, charged `fee` for `compute`.
    pub(super) fn landed(&mut self, e: usize, warmup: bool, fee: u128, compute: u64) {
        self.entries[e].charged.landed(warmup, fee, compute);
    }

    /// A measured transaction of entry `e` reached recorded level `index`
    /// `latency` µs after its intended send.
    pub(super) fn reached(&mut self, e: usize, index: usize, latency: u64) {
        record(&mut self.entries[e].latency[index], latency);
    }

    /// Every entry's figures, in the mix's order, timed to `levels` (the
    /// recorded ones, in order); fees in `unit`, without prices.
    pub(super) fn figures(&self, levels: &[Level], unit: &str) -> Vec<MixEntryResult> {
        let Some(mix) = &self.mix else {
            return Vec::new();
        };
        mix.entries()
            .iter()
            .zip(&self.entries)
            .map(|(m, e)| MixEntryResult {
                kind: m.kind.as_str().to_owned(),
                share: m.share,
                outcomes: e.outcomes.clone(),
                levels: levels
                    .iter()
                    .zip(&e.latency)
                    .map(|(&level, latency)| EntryLatency {
                        level,
                        latency_us: StoredHistogram::from_histogram(latency),
                    })
                    .collect(),
                fees: e.charged.fees(unit),
            })
            .collect()
    }

    /// What every entry claims for the chain to check, warm-up included as
    /// the whole's claim (empty without a mix).
    pub(super) fn claims(&self) -> Vec<EntryClaim> {
        self.entries
            .iter()
            .map(|e| EntryClaim {
                landed_ok: e.outcomes.landed_ok,
                landed_failed: e.outcomes.landed_failed,
                fee_total: e.charged.total_with_warmup(),
            })
            .collect()
    }
}
