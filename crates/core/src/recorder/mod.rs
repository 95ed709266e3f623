//! The recorder: per-transaction bookkeeping and the run's histograms.
//!
//! It keeps a record only while a transaction is in flight, so its memory
//! depends on the rate and the latency, not on the length of the run.

mod chain_view;
mod fees;
mod heads;
mod mix;

use crate::metrics::LiveMetrics;
use crate::workload::Mix;
use crate::{
    chain::{ChainEvent, EntryClaim, TxSeq},
    outcome::{Outcome, OutcomeCounts, Reject, RejectClass, UnknownReason},
};
use chain_view::ChainRecord;
use chainmeter_result::level::Level;
use chainmeter_result::{
    histogram::{new_histogram, record, StoredHistogram},
    run::{ChainView, FeeBucket, Fees, LevelLatency, MixEntryResult, SecondCounts, Throughput},
};
use fees::{Charged, Edge, FeeMarket};
use hdrhistogram::Histogram;
use heads::Heads;
use mix::MixRecord;
use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};

/// How the transactions still open at the end of a run are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// The drain ended: what was never seen is `unknown` (not seen by the
    /// end of the drain). Only the tracker, which scans blocks in order,
    /// can say that a transaction expired.
    Drained,
    /// The run was aborted: what was open is `unknown` (aborted).
    Aborted,
    /// A partial result while the run goes on: what is open is `unknown`
    /// (in flight).
    Snapshot,
}

#[derive(Debug, Clone)]
struct InFlight {
    sched: Instant,
    send: Option<Instant>,
    warmup: bool,
    /// Bit i set: the chain's level i was reached.
    reached: u8,
    /// Set once the chain said it landed.
    landed: Option<bool>,
    /// The send call failed in a way that may still have reached the node
    /// (it timed out, or its batch broke off part-way), when and how: the
    /// chain may yet show it; rejected for that only if it never does.
    unsure: Option<(Instant, RejectClass)>,
    /// Its fee-market bucket, if the run has bids.
    bucket: Option<usize>,
    /// Its traffic-mix entry, if the run mixes workloads.
    entry: Option<usize>,
}

#[derive(Debug, Clone)]
struct LevelHistograms {
    level: Level,
    latency: Histogram<u64>,
    service: Histogram<u64>,
    /// Latency recorded since the last interval was taken (for the interval log).
    interval: Histogram<u64>,
    /// Blocks or slots from the head at send to the head at this level.
    blocks: Histogram<u64>,
}

/// Records one run against one chain.
#[derive(Debug, Clone)]
pub struct Recorder {
    chain_levels: &'static [Level],
    /// Index in `chain_levels` of the strongest recorded level.
    last_recorded: usize,
    recorded: Vec<LevelHistograms>,
    start: Instant,
    window: (Duration, Duration),
    inflight: HashMap<TxSeq, InFlight>,
    outcomes: OutcomeCounts,
    send_lag: Histogram<u64>,
    /// Fees and compute of the landed transactions, the warm-up's apart.
    charged: Charged,
    /// Measured transactions that landed (the warm-up's are apart).
    measured_landed: u64,
    /// Time between a polling tracker's polls.
    poll_interval: Histogram<u64>,
    /// Fee-market buckets, when the run has bids.
    fee_market: FeeMarket,
    /// The traffic mix's entries, when the run mixes workloads.
    mix: MixRecord,
    /// Blocks, landings and each second's counts, as the chain showed them.
    chain: ChainRecord,
    /// The chain's head over time, for block deltas.
    heads: Heads,
    warmup_sent: u64,
    measured_sent: u64,
    /// Live metrics, counted as the facts are recorded.
    metrics: Option<Arc<LiveMetrics>>,
}

/// A snapshot for the progress line.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Time since the run started.
    pub elapsed: Duration,
    /// Transactions sent so far.
    pub sent: u64,
    /// Intended sends in the last whole second.
    pub offered_last_s: u64,
    /// Landings in the last whole second.
    pub landed_last_s: u64,
    /// Transactions not yet at their last level.
    pub in_flight: usize,
    /// Each recorded level any transaction reached, weakest first, with
    /// its p50 and p99 so far, microseconds.
    pub levels: Vec<(Level, u64, u64)>,
    /// Landed so far, failed or not.
    pub landed: u64,
    /// Landed and failed so far.
    pub failed: u64,
    /// Rejected so far.
    pub rejected: u64,
    /// The step or probe being sent (`probe 3: 1125 tx/s`), if the profile has them.
    pub stage: Option<String>,
}

impl crate::pacer::StageFigures for Recorder {
    fn sent(&self) -> u64 {
        self.sent_counts().1
    }
    fn landed(&self) -> u64 {
        self.measured_landed()
    }
    fn latency_at(&self, level: Level, q: f64) -> Option<u64> {
        Recorder::latency_at(self, level, q)
    }
}

impl Recorder {
    /// A recorder for a chain with `chain_levels` (all of them, weakest first)
    /// that records `levels`; the run starts at `start`, and the measured window
    /// spans `window` (offsets from `start`).
    pub fn new(
        chain_levels: &'static [Level],
        levels: &[Level],
        start: Instant,
        window: (Duration, Duration),
    ) -> Self {
        let recorded: Vec<_> = chain_levels
            .iter()
            .filter(|l| levels.contains(l))
            .map(|&level| LevelHistograms {
                level,
                latency: new_histogram(),
                service: new_histogram(),
                interval: new_histogram(),
                blocks: new_histogram(),
            })
            .collect();
        let last = recorded
            .last()
            .map(|l| l.level)
            .unwrap_or(chain_levels[chain_levels.len() - 1]);
        Self {
            chain_levels,
            last_recorded: chain_levels
                .iter()
                .position(|&l| l == last)
                .unwrap_or(chain_levels.len() - 1),
            recorded,
            start,
            window,
            inflight: HashMap::new(),
            outcomes: OutcomeCounts::default(),
            send_lag: new_histogram(),
            charged: Charged::new(),
            measured_landed: 0,
            poll_interval: new_histogram(),
            fee_market: FeeMarket::default(),
            mix: MixRecord::default(),
            chain: ChainRecord::new(start),
            heads: Heads::default(),
            warmup_sent: 0,
            measured_sent: 0,
            metrics: None,
        }
    }

    fn second(&mut self, at: Instant) -> &mut SecondCounts {
        self.chain.second(at)
    }

    /// Reports outcomes and latency per fee-market bucket; `bids` holds
    /// each bucket's lowest and highest bid, in bucket order.
    pub fn with_buckets(mut self, bids: &[(u64, u64)]) -> Self {
        self.fee_market = FeeMarket::new(bids);
        self
    }

    /// Reports every figure per entry of `mix` too, beside the whole.
    pub fn with_mix(mut self, mix: Option<Arc<Mix>>) -> Self {
        self.mix = MixRecord::new(mix, self.recorded.len());
        self
    }

    /// Counts `outcome` for the whole run and for its mix entry.
    fn count(&mut self, entry: Option<usize>, outcome: Outcome) {
        self.outcomes.add(outcome);
        if let Some(e) = entry {
            self.mix.count(e, outcome);
        }
    }

    /// Keeps `message` as an example of `class`, for the whole run and its entry.
    fn example(&mut self, entry: Option<usize>, class: &str, message: &str) {
        self.outcomes.add_example(class, message);
        if let Some(e) = entry {
            self.mix.example(e, class, message);
        }
    }

    /// Counts every fact this recorder records into `metrics` too.
    pub fn with_metrics(mut self, metrics: Option<Arc<LiveMetrics>>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Transaction `seq`, intended for `sched`, is about to be signed and
    /// sent; `bucket` is its fee-market bucket, if the run has bids.
    pub fn planned(&mut self, seq: TxSeq, sched: Instant, warmup: bool, bucket: Option<usize>) {
        self.second(sched).offered += 1;
        if let Some(m) = &self.metrics {
            m.offered();
        }
        if warmup {
            self.warmup_sent += 1;
        } else {
            self.measured_sent += 1;
        }
        let bucket = self.fee_market.planned(bucket, warmup);
        let entry = self.mix.entry_of(seq);
        self.inflight.insert(
            seq,
            InFlight {
                sched,
                send: None,
                warmup,
                reached: 0,
                landed: None,
                unsure: None,
                bucket,
                entry,
            },
        );
    }

    /// Transaction `seq` was handed to the node at `at`. One sent ahead of
    /// its intended time (coalesced with an earlier send) is timed from
    /// `at`: latency is never measured from a moment after the send.
    pub fn sent(&mut self, seq: TxSeq, at: Instant) {
        if let Some(m) = &self.metrics {
            m.sent();
        }
        if let Some(tx) = self.inflight.get_mut(&seq) {
            tx.send = Some(at);
            tx.sched = tx.sched.min(at);
            if !tx.warmup {
                let lag = at.saturating_duration_since(tx.sched).as_micros() as u64;
                record(&mut self.send_lag, lag);
            }
        }
    }

    /// The send call for `seq` failed (or it could not be signed). A
    /// transaction the chain already showed is not rejected, whatever the
    /// send call says late: the chain's word wins. A send that may have
    /// reached the node all the same (a timeout, a batch broken off) stays
    /// open: it counts as rejected for its class only if the chain never
    /// shows it.
    pub fn rejected(&mut self, seq: TxSeq, at: Instant, reject: &Reject) {
        let Some(tx) = self.inflight.get_mut(&seq) else {
            return;
        };
        if tx.reached != 0 || tx.landed.is_some() {
            return;
        }
        let entry = tx.entry;
        if reject.may_land() {
            tx.unsure = Some((at, reject.class));
            self.example(entry, reject.class.as_str(), &reject.message);
            return;
        }
        self.inflight.remove(&seq);
        self.second(at).rejected += 1;
        self.count(entry, Outcome::Rejected(reject.class));
        if let Some(m) = &self.metrics {
            m.rejected(reject.class);
        }
        self.example(entry, reject.class.as_str(), &reject.message);
    }

    /// Applies a tracker event. Events for transactions no longer in flight
    /// (already rejected, expired or complete) are ignored.
    pub fn apply(&mut self, event: &ChainEvent) {
        match *event {
            ChainEvent::Reached { seq, level, at } => self.reached(seq, level, at),
            ChainEvent::Landed {
                seq,
                success,
                fee,
                compute,
                ref error,
            } => {
                let Some(tx) = self.inflight.get_mut(&seq) else {
                    return;
                };
                if tx.landed.is_some() {
                    return;
                }
                tx.landed = Some(success);
                if let Some(m) = &self.metrics {
                    m.landed(success);
                }
                self.charged.landed(tx.warmup, fee, compute);
                if let Some(e) = tx.entry {
                    self.mix.landed(e, tx.warmup, fee, compute);
                }
                if !tx.warmup {
                    self.measured_landed += 1;
                    if let Some(b) = tx.bucket {
                        self.fee_market.landed(b, fee);
                    }
                }
                if let Some(message) = error {
                    let entry = self.inflight.get(&seq).and_then(|tx| tx.entry);
                    self.example(entry, "landed_failed", message);
                }
                self.complete_if_done(seq);
            }
            ChainEvent::Expired { seq } => {
                if let Some(tx) = self.inflight.get(&seq) {
                    let entry = tx.entry;
                    if tx.landed.is_none() && tx.reached == 0 {
                        // A send that failed, may have reached the node and
                        // never landed was the send's failure: rejected for
                        // it (timeout, transport), not expired.
                        if let Some((at, class)) = tx.unsure {
                            self.inflight.remove(&seq);
                            self.second(at).rejected += 1;
                            self.count(entry, Outcome::Rejected(class));
                            if let Some(m) = &self.metrics {
                                m.rejected(class);
                            }
                            return;
                        }
                        self.inflight.remove(&seq);
                        self.count(entry, Outcome::Expired);
                        if let Some(m) = &self.metrics {
                            m.expired();
                        }
                    }
                }
            }
            ChainEvent::Block {
                at,
                number,
                txs,
                compute,
            } => self.chain.block(number, at, txs, compute),
            ChainEvent::Head { number, at } => self.heads.arrived(number, at),
            ChainEvent::PollInterval(d) => record(&mut self.poll_interval, d.as_micros() as u64),
            ChainEvent::Fatal(_) => {}
        }
    }

    fn reached(&mut self, seq: TxSeq, level: Level, at: Instant) {
        let Some(index) = self.chain_levels.iter().position(|&l| l == level) else {
            return;
        };
        let Some(tx) = self.inflight.get_mut(&seq) else {
            return;
        };
        let bit = 1u8 << index;
        if tx.reached & bit != 0 {
            return;
        }
        tx.reached |= bit;
        let (sched, send, warmup, bucket, entry) =
            (tx.sched, tx.send, tx.warmup, tx.bucket, tx.entry);
        if index == 0 {
            self.chain.landed(at, warmup);
        }
        if !warmup {
            let latency = at.saturating_duration_since(sched).as_micros() as u64;
            if let Some(b) = bucket {
                let (first, last) = (self.recorded.first(), self.recorded.last());
                if first.is_some_and(|h| h.level == level) {
                    self.fee_market.reached(b, Edge::First, latency);
                } else if last.is_some_and(|h| h.level == level) {
                    self.fee_market.reached(b, Edge::Last, latency);
                }
            }
            if let Some((i, h)) = self
                .recorded
                .iter_mut()
                .enumerate()
                .find(|(_, h)| h.level == level)
            {
                if let Some(e) = entry {
                    self.mix.reached(e, i, latency);
                }
                if let Some(m) = &self.metrics {
                    m.reached(level, Duration::from_micros(latency));
                }
                record(&mut h.latency, latency);
                record(&mut h.interval, latency);
                if let Some(send) = send {
                    record(
                        &mut h.service,
                        at.saturating_duration_since(send).as_micros() as u64,
                    );
                }
                if let Some(blocks) = self.heads.delta(send.unwrap_or(sched), at) {
                    record(&mut h.blocks, blocks);
                }
            }
        }
        self.complete_if_done(seq);
    }

    fn complete_if_done(&mut self, seq: TxSeq) {
        let Some(tx) = self.inflight.get(&seq) else {
            return;
        };
        let Some(success) = tx.landed else { return };
        if tx.reached & (1 << self.last_recorded) == 0 {
            return;
        }
        let entry = tx.entry;
        self.inflight.remove(&seq);
        self.count(
            entry,
            if success {
                Outcome::LandedOk
            } else {
                Outcome::LandedFailed
            },
        );
    }

    /// Ends the measured window at `end` (offset from the start), once known.
    pub fn set_window_end(&mut self, end: Duration) {
        self.window.1 = end.max(self.window.0);
    }

    /// The measured window, as offsets from the start of the run.
    pub fn window(&self) -> (Duration, Duration) {
        self.window
    }

    /// Hands each recorded level's latency since the last call to `f`, then
    /// starts new intervals.
    pub fn take_intervals(&mut self, mut f: impl FnMut(Level, &Histogram<u64>)) {
        for h in &mut self.recorded {
            f(h.level, &h.interval);
            h.interval.reset();
        }
    }

    /// Transactions not yet complete.
    pub fn in_flight(&self) -> usize {
        self.inflight.len()
    }

    /// Counts every transaction still open, as `closing` says, and returns,
    /// per recorded level, how many transactions that landed had not reached it.
    pub fn close(&mut self, closing: Closing) -> BTreeMap<Level, u64> {
        let mut missing = BTreeMap::new();
        let open: Vec<InFlight> = self.inflight.drain().map(|(_, tx)| tx).collect();
        for tx in open {
            let outcome = match (tx.landed, closing) {
                (Some(true), _) => Outcome::LandedOk,
                (Some(false), _) => Outcome::LandedFailed,
                (None, Closing::Aborted) => Outcome::Unknown(UnknownReason::Aborted),
                (None, Closing::Snapshot) => Outcome::Unknown(UnknownReason::InFlight),
                // Reached a level but its block was never read: it landed,
                // but the outcome of its execution is not known.
                (None, Closing::Drained) if tx.reached != 0 => {
                    Outcome::Unknown(UnknownReason::FeeNotRead)
                }
                (None, Closing::Drained) => match tx.unsure {
                    Some((_, class)) => Outcome::Rejected(class),
                    None => Outcome::Unknown(UnknownReason::NotSeen),
                },
            };
            if tx.landed.is_some() || tx.reached != 0 {
                for h in &self.recorded {
                    let index = self.chain_levels.iter().position(|&l| l == h.level);
                    if index.is_some_and(|i| tx.reached & (1 << i) == 0) {
                        *missing.entry(h.level).or_default() += 1;
                    }
                }
            }
            if let (Outcome::Rejected(class), Some((at, _))) = (outcome, tx.unsure) {
                // Counted in the second the send call gave up.
                self.second(at).rejected += 1;
                if let Some(m) = &self.metrics {
                    m.rejected(class);
                }
            }
            self.count(tx.entry, outcome);
        }
        missing
    }

    /// What this recorder holds so far as a recorder of its own, closed for
    /// a partial result: what is open counts `unknown` (in flight), and the
    /// measured window ends at `now` at the latest. Live metrics are left
    /// out, so nothing is counted twice.
    pub fn snapshot(&self, now: Instant) -> Recorder {
        let mut snap = self.clone();
        snap.metrics = None;
        let end = now.saturating_duration_since(self.start).min(self.window.1);
        snap.set_window_end(end);
        snap.close(Closing::Snapshot);
        snap
    }

    /// A snapshot for the progress line.
    pub fn progress(&self, now: Instant) -> Progress {
        let elapsed = now.saturating_duration_since(self.start);
        let last = self.chain.last_second(elapsed);
        Progress {
            elapsed,
            sent: self.warmup_sent + self.measured_sent,
            offered_last_s: last.map_or(0, |s| s.offered),
            landed_last_s: last.map_or(0, |s| s.landed),
            in_flight: self.inflight.len(),
            levels: self
                .recorded
                .iter()
                .filter(|h| !h.latency.is_empty())
                .map(|h| {
                    (
                        h.level,
                        h.latency.value_at_quantile(0.5),
                        h.latency.value_at_quantile(0.99),
                    )
                })
                .collect(),
            landed: self.outcomes.landed_ok + self.outcomes.landed_failed,
            failed: self.outcomes.landed_failed,
            rejected: self.outcomes.rejected,
            stage: None,
        }
    }

    /// Measured (not warm-up) transactions that landed so far.
    pub fn measured_landed(&self) -> u64 {
        self.measured_landed
    }

    /// The measured transactions' latency to `level` at `quantile` (0 to 1)
    /// so far, microseconds; `None` when none reached it or it is not recorded.
    pub fn latency_at(&self, level: Level, quantile: f64) -> Option<u64> {
        self.recorded
            .iter()
            .find(|h| h.level == level)
            .filter(|h| !h.latency.is_empty())
            .map(|h| h.latency.value_at_quantile(quantile))
    }

    /// The outcome counts so far.
    pub fn outcomes(&self) -> &OutcomeCounts {
        &self.outcomes
    }

    /// Warm-up and measured sends.
    pub fn sent_counts(&self) -> (u64, u64) {
        (self.warmup_sent, self.measured_sent)
    }

    /// What the run claims for the chain to check: the whole run's landed
    /// counts and every landed transaction's fees, warm-up included (what
    /// the senders paid), and each mix entry's.
    pub fn claims(&self) -> (u64, u64, u128, Vec<EntryClaim>) {
        (
            self.outcomes.landed_ok,
            self.outcomes.landed_failed,
            self.charged.total_with_warmup(),
            self.mix.claims(),
        )
    }

    /// Everything this recorder measured, as the result holds it; fees in
    /// `unit`, without prices.
    pub fn figures(&self, unit: &str) -> Figures {
        let levels: Vec<Level> = self.recorded.iter().map(|h| h.level).collect();
        Figures {
            window: self.window,
            warmup_sent: self.warmup_sent,
            measured_sent: self.measured_sent,
            measured_landed: self.measured_landed,
            outcomes: self.outcomes.clone(),
            send_lag: StoredHistogram::from_histogram(&self.send_lag),
            levels: self
                .recorded
                .iter()
                .map(|h| LevelLatency {
                    level: h.level,
                    latency_us: StoredHistogram::from_histogram(&h.latency),
                    service_latency_us: StoredHistogram::from_histogram(&h.service),
                    at_latest: false,
                    block_delta: (!h.blocks.is_empty())
                        .then(|| StoredHistogram::from_histogram(&h.blocks)),
                })
                .collect(),
            throughput: self.chain.throughput(self.window, self.measured_sent),
            fee_total: self.charged.fee_total,
            fees: self.charged.fees(unit),
            fee_buckets: match (levels.first(), levels.last()) {
                (Some(&first), Some(&last)) => self.fee_market.figures(first, last),
                _ => Vec::new(),
            },
            mix: self.mix.figures(&levels, unit),
            poll_interval: (!self.poll_interval.is_empty())
                .then(|| StoredHistogram::from_histogram(&self.poll_interval)),
            chain_view: self.chain.chain_view(self.window),
        }
    }
}

/// Everything a recorder measured, as the result holds it: its one output.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The measured window, as offsets from the start of the run.
    pub window: (Duration, Duration),
    /// Transactions sent in the warm-up.
    pub warmup_sent: u64,
    /// Transactions sent in the measured window.
    pub measured_sent: u64,
    /// Measured transactions that landed.
    pub measured_landed: u64,
    /// Every transaction's outcome.
    pub outcomes: OutcomeCounts,
    /// Send lag (`t_send - t_sched`), microseconds.
    pub send_lag: StoredHistogram,
    /// Latency to each recorded level, weakest first.
    pub levels: Vec<LevelLatency>,
    /// Throughput over the measured window, and the per-second timeline.
    pub throughput: Throughput,
    /// The sum of fees of the measured window's landed transactions, smallest unit.
    pub fee_total: u128,
    /// Fee figures, without prices.
    pub fees: Fees,
    /// The fee market's buckets (empty without bids).
    pub fee_buckets: Vec<FeeBucket>,
    /// Every traffic-mix entry's figures (empty without a mix).
    pub mix: Vec<MixEntryResult>,
    /// The interval a polling tracker achieved, if it reported one.
    pub poll_interval: Option<StoredHistogram>,
    /// The chain's blocks or slots over the measured window.
    pub chain_view: ChainView,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        outcome::RejectClass,
        testing::{CHAIN, FINALIZED, INCLUDED, SAFE},
    };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn recorder(levels: &[Level]) -> (Recorder, Instant) {
        let t0 = Instant::now();
        (Recorder::new(CHAIN, levels, t0, (ms(0), ms(3000))), t0)
    }

    fn land(r: &mut Recorder, seq: TxSeq, at: Instant, levels: &[Level]) {
        for &level in levels {
            r.apply(&ChainEvent::Reached { seq, level, at });
        }
        r.apply(&ChainEvent::Landed {
            seq,
            success: true,
            fee: 21_000,
            compute: 21_000,
            error: None,
        });
    }

    #[test]
    fn latency_is_measured_from_the_intended_send_time() {
        let (mut r, t0) = recorder(CHAIN);
        r.planned(0, t0, false, None);
        r.sent(0, t0 + ms(100)); // late by 100 ms
        land(&mut r, 0, t0 + ms(600), CHAIN);
        let levels = r.figures("wei").levels;
        let inc = &levels[0];
        assert_eq!(inc.level, INCLUDED);
        assert!(
            (inc.latency_us.p50 as i64 - 600_000).abs() < 600,
            "{}",
            inc.latency_us.p50
        );
        assert!((inc.service_latency_us.p50 as i64 - 500_000).abs() < 500);
        assert!(
            (r.figures("wei").send_lag.max as i64 - 100_000).abs() < 100,
            "{}",
            r.figures("wei").send_lag.max
        );
        assert_eq!(r.in_flight(), 0);
        assert_eq!(r.outcomes().landed_ok, 1);
    }

    #[test]
    fn block_deltas_count_heads_from_the_send_to_each_level() {
        let (mut r, t0) = recorder(CHAIN);
        let head = |r: &mut Recorder, number, at| r.apply(&ChainEvent::Head { number, at });
        // Sent before any head is known: no delta, only milliseconds.
        r.planned(0, t0, false, None);
        r.sent(0, t0);
        head(&mut r, 100, t0 + ms(10));
        r.planned(1, t0 + ms(20), false, None);
        r.sent(1, t0 + ms(20));
        head(&mut r, 101, t0 + ms(1000));
        r.planned(2, t0 + ms(1500), false, None);
        r.sent(2, t0 + ms(1500));
        head(&mut r, 102, t0 + ms(2000));
        for seq in [0, 1, 2] {
            r.apply(&ChainEvent::Reached {
                seq,
                level: INCLUDED,
                at: t0 + ms(2000),
            });
        }
        head(&mut r, 110, t0 + ms(2500));
        for seq in [0, 1, 2] {
            land(&mut r, seq, t0 + ms(2500), &[SAFE, FINALIZED]);
        }
        let levels = r.figures("wei").levels;
        let included = levels[0].block_delta.as_ref().expect("deltas recorded");
        // Sent at head 100, included at 102; sent at 101, included at 102.
        assert_eq!((included.count, included.min, included.max), (2, 1, 2));
        let finalized = levels[2].block_delta.as_ref().expect("deltas recorded");
        assert_eq!((finalized.min, finalized.max), (9, 10));
        assert_eq!(levels[0].latency_us.count, 3);
    }

    #[test]
    fn no_heads_no_block_deltas() {
        let (mut r, t0) = recorder(CHAIN);
        r.planned(0, t0, false, None);
        r.sent(0, t0);
        land(&mut r, 0, t0 + ms(600), CHAIN);
        assert!(r.figures("wei").levels[0].block_delta.is_none());
    }

    #[test]
    fn a_transaction_sent_ahead_of_its_time_is_timed_from_its_send() {
        let (mut r, t0) = recorder(CHAIN);
        r.planned(0, t0 + ms(1), false, None);
        r.sent(0, t0); // coalesced with a send 1 ms earlier
        land(&mut r, 0, t0 + ms(600), CHAIN);
        let inc = &r.figures("wei").levels[0];
        assert!(
            (inc.latency_us.p50 as i64 - 600_000).abs() < 600,
            "{}",
            inc.latency_us.p50
        );
        assert_eq!(r.figures("wei").send_lag.max, 0);
    }

    #[test]
    fn completes_at_the_strongest_recorded_level_only() {
        let (mut r, t0) = recorder(&[INCLUDED, SAFE]);
        r.planned(0, t0, false, None);
        r.sent(0, t0);
        land(&mut r, 0, t0 + ms(10), &[INCLUDED]);
        assert_eq!(r.in_flight(), 1, "safe not reached yet");
        r.apply(&ChainEvent::Reached {
            seq: 0,
            level: SAFE,
            at: t0 + ms(20),
        });
        assert_eq!(r.in_flight(), 0);
        assert_eq!(r.figures("wei").levels.len(), 2);
    }

    #[test]
    fn warmup_is_counted_but_not_measured() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        r.planned(0, t0, true, None);
        r.sent(0, t0);
        land(&mut r, 0, t0 + ms(10), &[INCLUDED]);
        assert_eq!(r.figures("wei").levels[0].latency_us.count, 0);
        assert_eq!(r.outcomes().landed_ok, 1);
        assert_eq!(r.sent_counts(), (1, 0));
    }

    #[test]
    fn every_transaction_gets_exactly_one_outcome() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        for seq in 0..6 {
            r.planned(seq, t0, false, None);
            r.sent(seq, t0);
        }
        land(&mut r, 0, t0 + ms(5), &[INCLUDED]);
        r.rejected(1, t0, &Reject::new(RejectClass::Node, "nonce too low"));
        r.rejected(1, t0, &Reject::new(RejectClass::Node, "again"));
        r.apply(&ChainEvent::Expired { seq: 2 });
        r.apply(&ChainEvent::Reached {
            seq: 3,
            level: INCLUDED,
            at: t0,
        }); // landed, fee unknown
        r.apply(&ChainEvent::Landed {
            seq: 4,
            success: false,
            fee: 7,
            compute: 1,
            error: Some("reverted".into()),
        });
        let missing = r.close(Closing::Drained);
        let o = r.outcomes();
        assert_eq!(
            (
                o.sent,
                o.landed_ok,
                o.landed_failed,
                o.rejected,
                o.expired,
                o.unknown
            ),
            (6, 1, 1, 1, 1, 2),
            "only the tracker's word makes a transaction expired"
        );
        assert_eq!(
            o.unknown_by_reason[UnknownReason::NotSeen.as_str()],
            1,
            "{o:?}"
        );
        assert_eq!(o.unknown_by_reason[UnknownReason::FeeNotRead.as_str()], 1);
        assert!(o.is_consistent());
        assert_eq!(r.figures("wei").fee_total, 21_007);
        // Seq 4 landed (fee read) without any level event.
        assert_eq!(missing.get(&INCLUDED), Some(&1));
    }

    #[test]
    fn abort_makes_open_transactions_unknown() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        r.planned(0, t0, false, None);
        r.planned(1, t0, false, None);
        r.close(Closing::Aborted);
        assert_eq!(r.outcomes().unknown, 2);
        assert_eq!(
            r.outcomes().unknown_by_reason[UnknownReason::Aborted.as_str()],
            2
        );
        assert!(r.outcomes().is_consistent());
    }

    #[test]
    fn throughput_counts_landings_in_whole_block_intervals_of_the_window() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        for seq in 0..30u64 {
            let at = t0 + ms(seq * 100);
            r.planned(seq, at, false, None);
            r.sent(seq, at);
            land(&mut r, seq, at + ms(50), &[INCLUDED]);
        }
        let t = r.figures("wei").throughput;
        let (mean, peak) = (t.landed_mean_per_s.unwrap(), t.landed_peak_1s.unwrap());
        assert!((peak - 10.0).abs() < 1e-9, "{peak}");
        assert!((mean - 10.0).abs() < 1e-9, "{mean}");
        assert!((t.offered_mean_per_s - 10.0).abs() < 1e-9);
        assert_eq!(t.timeline.len(), 3);
    }

    #[test]
    fn block_intervals_only_from_consecutive_blocks_stamped_on_arrival() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        r.set_window_end(ms(6000));
        // Block 6 was fetched to fill a gap: no arrival of its own, so
        // neither 5->6 nor 6->7 is an interval (today's bug: ~0 µs entries).
        for (n, at) in [
            (1, Some(0)),
            (2, Some(1000)),
            (4, Some(3000)),
            (5, Some(4000)),
            (6, None),
            (7, Some(6000)),
        ] {
            r.apply(&ChainEvent::Block {
                at: at.map(|at| t0 + ms(at)),
                number: n,
                txs: Some(3),
                compute: Some(63_000),
            });
        }
        let v = r.figures("wei").chain_view;
        assert_eq!(v.blocks, 6);
        assert_eq!(v.block_interval_us.count, 2);
        assert!(
            v.block_interval_us.min >= 999_000,
            "{:?}",
            v.block_interval_us
        );
        assert_eq!(v.txs_per_block.p50, 3);
    }

    #[test]
    fn the_best_second_of_one_block_a_second_is_the_block_rate_not_twice_it() {
        // 200 transactions per 1 s block, blocks arriving at x.98 s and
        // (x+1).02 s alternately in wall-clock seconds: whole-second bins
        // read 0, 400, 0, 400; the best run of whole blocks reads 200.
        let t0 = Instant::now();
        let mut r = Recorder::new(CHAIN, &[INCLUDED], t0, (ms(0), ms(10_000)));
        let mut seq = 0;
        for block in 0..10u64 {
            let at = t0 + ms(980 + block * 1000 + if block % 2 == 1 { 40 } else { 0 });
            for _ in 0..200 {
                r.planned(seq, at - ms(500), false, None);
                r.sent(seq, at - ms(500));
                land(&mut r, seq, at, &[INCLUDED]);
                seq += 1;
            }
        }
        let t = r.figures("wei").throughput;
        let best_bin = t.timeline.iter().map(|s| s.landed).max().unwrap();
        assert_eq!(best_bin, 400, "the binning artefact the peak must not show");
        let peak = t.landed_peak_1s.unwrap();
        assert!((190.0..=210.0).contains(&peak), "{peak}");
        assert_eq!(t.arrivals.len(), 10);
    }

    #[test]
    fn the_chain_view_leaves_out_warmup_and_drain_blocks() {
        // Warm-up 0-2 s, measured 2-6 s, then a drain of empty blocks to 20 s.
        let t0 = Instant::now();
        let mut r = Recorder::new(CHAIN, &[INCLUDED], t0, (ms(2000), ms(6000)));
        for n in 0..20u64 {
            let at = t0 + ms(n * 1000 + 500);
            let txs = if (2..7).contains(&n) { 100 } else { 0 };
            r.apply(&ChainEvent::Block {
                at: Some(at),
                number: n,
                txs: Some(txs),
                compute: Some(txs * 21_000),
            });
            // A measured transaction lands in block 6, after the window's end.
            if n == 6 {
                r.planned(0, t0 + ms(5900), false, None);
                r.sent(0, t0 + ms(5900));
                land(&mut r, 0, at, &[INCLUDED]);
            }
        }
        let v = r.figures("wei").chain_view;
        assert_eq!(v.blocks, 5, "blocks 2 to 6");
        assert_eq!(v.txs_per_block.p50, 100, "{:?}", v.txs_per_block);
        assert_eq!(v.txs_per_block.min, 100);
        assert_eq!(v.block_interval_us.count, 4);
    }

    #[test]
    fn fees_cover_the_measured_window_and_the_warmup_is_apart() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        for (seq, warmup) in [(0, true), (1, true), (2, false)] {
            r.planned(seq, t0, warmup, None);
            r.sent(seq, t0);
            land(&mut r, seq, t0 + ms(10), &[INCLUDED]);
        }
        let fees = r.figures("wei").fees;
        assert_eq!(fees.per_tx.count, 1, "measured landed only");
        assert_eq!(fees.compute_per_tx.count, 1);
        assert_eq!(fees.total, "21000");
        assert_eq!(
            r.figures("wei").levels[0].latency_us.count,
            fees.per_tx.count
        );
        let warmup = fees.warmup.unwrap();
        assert_eq!((warmup.landed, warmup.total.as_str()), (2, "42000"));
        assert_eq!(r.claims().2, 63_000);
    }

    #[test]
    fn a_late_reject_of_a_landed_transaction_is_ignored() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        r.planned(0, t0, false, None);
        r.sent(0, t0);
        land(&mut r, 0, t0 + ms(10), &[INCLUDED]);
        r.planned(1, t0, false, None);
        r.sent(1, t0);
        r.apply(&ChainEvent::Reached {
            seq: 1,
            level: INCLUDED,
            at: t0 + ms(5),
        });
        let timeout = Reject::new(RejectClass::Timeout, "no answer");
        r.rejected(1, t0 + ms(20), &timeout);
        r.apply(&ChainEvent::Landed {
            seq: 1,
            success: true,
            fee: 21_000,
            compute: 21_000,
            error: None,
        });
        r.close(Closing::Drained);
        let o = r.outcomes();
        assert_eq!((o.landed_ok, o.rejected), (2, 0), "{o:?}");
        assert!(o.is_consistent());
    }

    #[test]
    fn a_timed_out_send_stays_open_and_is_rejected_only_if_never_seen() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        let timeout = Reject::new(RejectClass::Timeout, "no answer within 10s");
        for seq in 0..2 {
            r.planned(seq, t0, false, None);
            r.sent(seq, t0);
            r.rejected(seq, t0 + ms(10_000), &timeout);
        }
        assert_eq!(r.in_flight(), 2, "the requests may have gone through");
        // Seq 0's request did reach the node.
        land(&mut r, 0, t0 + ms(10_500), &[INCLUDED]);
        r.close(Closing::Drained);
        let o = r.outcomes();
        assert_eq!((o.landed_ok, o.rejected), (1, 1), "{o:?}");
        assert_eq!(o.rejected_by_class.get(&RejectClass::Timeout), Some(&1));
        let rejected: u64 = r
            .figures("wei")
            .throughput
            .timeline
            .iter()
            .map(|s| s.rejected)
            .sum();
        assert_eq!(rejected, 1, "in the timeline, at the second it gave up");
        assert!(o.is_consistent());
    }

    #[test]
    fn a_timed_out_send_that_expires_is_rejected_for_its_timeout() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        r.planned(0, t0, false, None);
        r.sent(0, t0);
        r.rejected(
            0,
            t0 + ms(5),
            &Reject::new(RejectClass::Timeout, "timed out"),
        );
        r.apply(&ChainEvent::Expired { seq: 0 });
        let o = r.outcomes();
        assert_eq!((o.rejected, o.expired), (1, 0), "{o:?}");
        assert_eq!(o.rejected_by_class.get(&RejectClass::Timeout), Some(&1));
        assert!(o.is_consistent());
    }

    /// A TPU batch that broke off part-way delivered some of its
    /// transactions: those land and count, and the rest end rejected
    /// (transport) once expired, never expired and never untracked.
    #[test]
    fn a_batch_that_broke_off_keeps_its_transactions_tracked() {
        let (mut r, t0) = recorder(&[INCLUDED]);
        let broke = Reject::unsure(RejectClass::Transport, "stream write failed");
        for seq in 0..4 {
            r.planned(seq, t0, false, None);
            r.sent(seq, t0);
            r.rejected(seq, t0 + ms(3), &broke);
        }
        assert_eq!(r.in_flight(), 4);
        land(&mut r, 0, t0 + ms(400), &[INCLUDED]);
        land(&mut r, 1, t0 + ms(400), &[INCLUDED]);
        r.apply(&ChainEvent::Expired { seq: 2 });
        r.close(Closing::Drained);
        let o = r.outcomes();
        assert_eq!((o.landed_ok, o.rejected, o.expired), (2, 2, 0), "{o:?}");
        assert_eq!(o.rejected_by_class.get(&RejectClass::Transport), Some(&2));
        assert_eq!(r.figures("lamports").fees.per_tx.count, 2);
        assert!(o.is_consistent());
    }

    #[test]
    fn fee_buckets_count_the_measured_window_by_bid() {
        let (r, t0) = recorder(&[INCLUDED, FINALIZED]);
        let mut r = r.with_buckets(&[(1, 1), (5, 5)]);
        r.planned(0, t0, true, Some(1)); // warm-up: not in a bucket
        r.planned(1, t0, false, Some(0));
        r.planned(2, t0, false, Some(1));
        r.planned(3, t0, false, Some(1));
        for seq in [0, 1, 2] {
            r.sent(seq, t0);
            land(&mut r, seq, t0 + ms(10), &[INCLUDED, FINALIZED]);
        }
        let b = r.figures("wei").fee_buckets;
        assert_eq!((b[0].sent, b[0].landed), (1, 1));
        assert_eq!((b[1].sent, b[1].landed), (2, 1));
        assert_eq!(b[1].fee_min, "21000");
        assert_eq!(b[1].levels.len(), 2);
        assert_eq!(b[1].levels[1].level, FINALIZED);
        assert_eq!(b[1].levels[1].latency_us.count, 1);
        assert_eq!(
            b.iter().map(|b| b.landed).sum::<u64>(),
            r.figures("wei").fees.per_tx.count,
            "the buckets add up to the measured landed"
        );
    }

    #[test]
    fn drained_landed_transactions_short_of_a_level_are_reported() {
        let (mut r, t0) = recorder(&[INCLUDED, FINALIZED]);
        for seq in 0..3 {
            r.planned(seq, t0, false, None);
            r.sent(seq, t0);
            land(&mut r, seq, t0 + ms(10), &[INCLUDED]);
        }
        r.apply(&ChainEvent::Reached {
            seq: 0,
            level: FINALIZED,
            at: t0 + ms(100),
        });
        let missing = r.close(Closing::Drained);
        assert_eq!(missing.get(&FINALIZED), Some(&2));
        assert_eq!(missing.get(&INCLUDED), None);
        assert_eq!(r.outcomes().landed_ok, 3);
    }

    #[test]
    fn a_mix_entry_counts_its_own_transactions_and_they_add_up_to_the_whole() {
        use crate::workload::{MixEntry, WorkloadName};
        let mix = Mix::new(
            vec![
                MixEntry::new(WorkloadName::new("transfer"), 0.5, 0..0),
                MixEntry::new(WorkloadName::new("token"), 0.5, 0..0),
            ],
            7,
        );
        let (r, t0) = recorder(&[INCLUDED, FINALIZED]);
        let mut r = r.with_mix(Some(Arc::new(mix.clone())));
        let n = 40;
        for seq in 0..n {
            r.planned(seq, t0, seq < 4, None);
            r.sent(seq, t0);
        }
        // Every fifth is rejected, one expires, one fails on chain; the rest land.
        for seq in 0..n {
            match seq {
                s if s % 5 == 0 => r.rejected(s, t0, &Reject::new(RejectClass::Node, "refused")),
                7 => r.apply(&ChainEvent::Expired { seq: 7 }),
                9 => {
                    for level in [INCLUDED, FINALIZED] {
                        r.apply(&ChainEvent::Reached {
                            seq: 9,
                            level,
                            at: t0 + ms(30),
                        });
                    }
                    r.apply(&ChainEvent::Landed {
                        seq: 9,
                        success: false,
                        fee: 5,
                        compute: 5,
                        error: Some("reverted".into()),
                    });
                }
                s => land(&mut r, s, t0 + ms(10 + s), &[INCLUDED, FINALIZED]),
            }
        }
        r.close(Closing::Drained);
        let entries = r.figures("wei").mix;
        assert_eq!(entries.len(), 2);
        let whole = r.outcomes();
        let sum =
            |f: fn(&OutcomeCounts) -> u64| entries.iter().map(|e| f(&e.outcomes)).sum::<u64>();
        assert_eq!(sum(|o| o.sent), whole.sent);
        assert_eq!(sum(|o| o.landed_ok), whole.landed_ok);
        assert_eq!(sum(|o| o.landed_failed), 1);
        assert_eq!(sum(|o| o.rejected), whole.rejected);
        assert_eq!(sum(|o| o.expired), 1);
        // Each entry holds exactly the transactions the draw gave it.
        for (i, e) in entries.iter().enumerate() {
            let mine = (0..n).filter(|&s| mix.entry(s) == i).count() as u64;
            assert_eq!(e.outcomes.sent, mine, "{}", e.kind);
            assert!(e.outcomes.is_consistent());
        }
        let failed = &entries[mix.entry(9)];
        assert_eq!(
            failed.outcomes.error_examples["landed_failed"],
            ["reverted"]
        );
        // Latency and fees are the measured window's, as the whole's.
        let measured = |e: &MixEntryResult| e.levels[1].latency_us.count;
        assert_eq!(
            entries.iter().map(measured).sum::<u64>(),
            r.figures("wei").levels[1].latency_us.count
        );
        assert_eq!(
            entries.iter().map(|e| e.fees.per_tx.count).sum::<u64>(),
            r.figures("wei").fees.per_tx.count
        );
        let claims = r.claims().3;
        assert_eq!(
            claims.iter().map(|c| c.fee_total).sum::<u128>(),
            r.claims().2
        );
    }
}
