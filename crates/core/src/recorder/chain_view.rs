//! What the chain showed over the run: every block or slot seen, the
//! landings by the instant the chain showed them, and each second's
//! offered, landed and rejected counts; the run's throughput and the
//! chain's view of its measured window are drawn from them.

use chainmeter_result::{
    histogram::{new_histogram, record, StoredHistogram},
    run::{ChainView, SecondCounts, Throughput},
};
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

#[derive(Debug, Clone, Copy)]
struct SeenBlock {
    number: u64,
    at: Option<Instant>,
    txs: Option<u64>,
    compute: Option<u64>,
}

/// What the chain showed, from the run's `start`.
#[derive(Debug, Clone)]
pub(super) struct ChainRecord {
    start: Instant,
    /// Every block or slot seen, in the order seen: the chain's view is
    /// drawn from those of the measured window once it is known.
    blocks: Vec<SeenBlock>,
    /// Landings at the first level by the instant the chain showed them.
    arrivals: BTreeMap<Instant, u64>,
    /// The latest instant a measured transaction first landed.
    last_measured_landing: Option<Instant>,
    /// Each second's counts, from the start.
    timeline: Vec<SecondCounts>,
}

impl ChainRecord {
    pub(super) fn new(start: Instant) -> Self {
        Self {
            start,
            blocks: Vec::new(),
            arrivals: BTreeMap::new(),
            last_measured_landing: None,
            timeline: Vec::new(),
        }
    }

    /// The counts of the second `at` falls in.
    pub(super) fn second(&mut self, at: Instant) -> &mut SecondCounts {
        let t = at.saturating_duration_since(self.start).as_secs();
        while self.timeline.len() as u64 <= t {
            let t_s = self.timeline.len() as u64;
            self.timeline.push(SecondCounts {
                t_s,
                ..Default::default()
            });
        }
        &mut self.timeline[t as usize]
    }

    /// The whole second before the one `elapsed` falls in, if there was one.
    pub(super) fn last_second(&self, elapsed: Duration) -> Option<&SecondCounts> {
        elapsed
            .as_secs()
            .checked_sub(1)
            .and_then(|s| self.timeline.get(s as usize))
    }

    /// A transaction first landed (reached the weakest level) at `at`.
    pub(super) fn landed(&mut self, at: Instant, warmup: bool) {
        self.second(at).landed += 1;
        *self.arrivals.entry(at).or_default() += 1;
        if !warmup {
            self.last_measured_landing = Some(
                self.last_measured_landing
                    .map_or(at, |last: Instant| last.max(at)),
            );
        }
    }

    /// A block or slot was seen.
    pub(super) fn block(
        &mut self,
        number: u64,
        at: Option<Instant>,
        txs: Option<u64>,
        compute: Option<u64>,
    ) {
        self.blocks.push(SeenBlock {
            number,
            at,
            txs,
            compute,
        });
    }

    /// Throughput over the measured `window` (offsets from the start) and
    /// the per-second timeline: the landed rates over the window's whole
    /// block intervals, landings counted by when they landed, whichever
    /// transaction they belong to; offered is `measured_sent` over the window.
    pub(super) fn throughput(
        &self,
        window: (Duration, Duration),
        measured_sent: u64,
    ) -> Throughput {
        let (from, to) = window;
        let window_s = (to - from).as_secs_f64().max(1e-9);
        let arrivals = self
            .arrivals
            .iter()
            .map(|(at, &n)| [self.offset_us(*at), n])
            .collect();
        let window_us = (from.as_micros() as u64, to.as_micros() as u64);
        Throughput {
            timeline: self.timeline.clone(),
            ..Throughput::over(arrivals, &[window_us], measured_sent as f64 / window_s)
        }
    }

    fn offset_us(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_micros() as u64
    }

    /// Block/slot figures of the measured `window`: the blocks from the
    /// first that arrived in it to the last that arrived by the end of the
    /// window or the last landing of a measured transaction, whichever is
    /// later. The warm-up's blocks and the drain's empty ones (waiting for
    /// the strongest level) stay out. A block back-filled without an
    /// arrival stamp counts when its number lies among the window's.
    pub(super) fn chain_view(&self, window: (Duration, Duration)) -> ChainView {
        let (from, to) = window;
        let from = self.start + from;
        let to = (self.start + to).max(self.last_measured_landing.unwrap_or(self.start));
        let stamped = || {
            self.blocks
                .iter()
                .filter(|b| b.at.is_some_and(|at| at >= from && at <= to))
                .map(|b| b.number)
        };
        let (lo, hi) = (stamped().min(), stamped().max());
        let (mut interval, mut txs, mut compute) =
            (new_histogram(), new_histogram(), new_histogram());
        let mut count = 0;
        let mut last: Option<SeenBlock> = None;
        if let (Some(lo), Some(hi)) = (lo, hi) {
            for b in self.blocks.iter().filter(|b| (lo..=hi).contains(&b.number)) {
                count += 1;
                // Only consecutive blocks, both stamped on their own arrival,
                // give an interval: a gap means missed notifications, and a
                // back-filled block has no arrival of its own.
                if let (
                    Some(SeenBlock {
                        number: prev,
                        at: Some(prev_at),
                        ..
                    }),
                    Some(at),
                ) = (last, b.at)
                {
                    if b.number == prev + 1 {
                        record(
                            &mut interval,
                            at.saturating_duration_since(prev_at).as_micros() as u64,
                        );
                    }
                }
                last = Some(*b);
                if let Some(t) = b.txs {
                    record(&mut txs, t);
                }
                if let Some(c) = b.compute {
                    record(&mut compute, c);
                }
            }
        }
        ChainView {
            block_interval_us: StoredHistogram::from_histogram(&interval),
            txs_per_block: StoredHistogram::from_histogram(&txs),
            compute_per_block: StoredHistogram::from_histogram(&compute),
            blocks: count,
            block_limit: None,
        }
    }
}
