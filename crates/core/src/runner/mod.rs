//! The send loop, written once for every chain.
//!
//! It walks the schedule, signs and hands due transactions to the submitter in
//! batches, feeds tracker events to the recorder, and drains at the end. It
//! never sleeps its lateness away: a send that is late goes out at once, and
//! its lateness is part of its latency, measured from the intended time.

mod meter;
mod stages;
mod trace;

pub use crate::summary::Finished;
use crate::{
    bids::Bids,
    chain::{chained, ChainEvent, Claimed, Session, Stop, Submitter},
    metrics::LiveMetrics,
    outcome::{Reject, RejectClass},
    pacer::{Observed, Pacer},
    recorder::{Closing, Progress, Recorder},
    scenario::Load,
    usage::{self, ProcessUsage},
    workload::Mix,
};
use chainmeter_result::level::Level;
use chainmeter_result::run::{HarnessUsage, RunStatus, Sweep, Tracking, Verification};
use hdrhistogram::serialization::{
    interval_log::{IntervalLogWriter, IntervalLogWriterBuilder, Tag},
    V2DeflateSerializer,
};
use meter::SendingMeter;
use stages::{BatchDone, StageRecorders};
use std::time::SystemTime;
use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};
use time::OffsetDateTime;
use tokio::{
    sync::mpsc,
    time::{interval_at, sleep_until, MissedTickBehavior},
};

/// Most transactions handed to the submitter in one batch.
pub const MAX_BATCH: usize = 256;
/// Longest stretch spent signing before the loop yields. Trackers stamp
/// events in tasks on the same thread (see the binary's runtime), so an
/// event arriving while a batch is signed is stamped when signing yields:
/// this bounds that delay (256 EVM signatures would take some 18 ms).
pub const SIGN_STRETCH: Duration = Duration::from_millis(2);
/// Most batches being sent at once; past that, sending waits and the wait shows as latency.
pub const MAX_BATCHES_IN_FLIGHT: usize = 64;
/// How often a partial result is handed out while the run goes (the first
/// a second in): a run killed outright (SIGKILL, the OOM killer, an
/// eviction) leaves what it measured up to then at most this long ago.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(5);

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The load.
    pub load: Load,
    /// The chain's levels, weakest first.
    pub chain_levels: &'static [Level],
    /// The levels to record and wait for.
    pub levels: Vec<Level>,
    /// Seed for the schedule (Poisson gaps).
    pub seed: u64,
    /// How long, after the last send, to wait for the last levels.
    pub drain: Duration,
    /// How long a search's probe may go without one of its transactions
    /// resolving before what is left of it counts as lost and the next
    /// probe starts (the stragglers' fates are still booked to their own
    /// probe as they come); `None`: each probe waits until all of its
    /// transactions are resolved, or the drain ends (see
    /// [`ChainTarget::settle_quiet`](crate::chain::ChainTarget::settle_quiet)).
    pub settle_quiet: Option<Duration>,
    /// Check the run's figures against the chain after the drain.
    pub verify: bool,
    /// The fee market's bids, when the scenario sets them.
    pub bids: Option<Bids>,
    /// The traffic mix, when the scenario runs one: the recorder reports
    /// every figure per entry.
    pub mix: Option<Arc<Mix>>,
    /// Senders: transaction `seq` is sent by sender `seq % senders`.
    pub senders: u32,
    /// The local validator's process, whose CPU the result reports beside the harness's.
    pub node_pid: Option<u32>,
    /// Live metrics to count into as the run goes (`--metrics`).
    pub metrics: Option<Arc<LiveMetrics>>,
}

/// The runner's clock: the monotonic clock, read through tokio so that a
/// test can pause and advance it (`tokio::time::pause`); outside such a
/// test it is `Instant::now()`.
pub fn clock() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// How long returning the senders' funds may take: a round of transfers
/// and their landing, for thousands of senders on a slow chain.
const SWEEP_TIMEOUT: Duration = Duration::from_secs(180);

/// How long a verification may take before it is given up: two minutes,
/// and a millisecond more per landed transaction, since the chain is read
/// in batches per transaction (a 680,000-transaction search took longer
/// than two minutes to verify on Solana).
fn verify_timeout(landed: u64) -> Duration {
    Duration::from_secs(120) + Duration::from_millis(landed)
}

/// Writes each level's latency since `from` (offsets from the run's start)
/// as one interval ending at `to`, and returns `to`, where the next begins.
fn write_interval<W: std::io::Write>(
    log: &mut IntervalLogWriter<'_, '_, W, V2DeflateSerializer>,
    recorder: &mut Recorder,
    from: Duration,
    to: Duration,
) -> Duration {
    recorder.take_intervals(|level, h| {
        // A failed write loses the interval log, never the run.
        let _ = log.write_histogram(h, from, to.saturating_sub(from), Tag::new(level.as_str()));
    });
    to
}

/// Runs `plan` on `session` until the schedule is done and drained, `abort`
/// resolves (its output is the reason), or the tracker reports a fatal error.
/// `progress` is called about once a second. With `interval_log`, each
/// second's latency histograms are written to it as an HdrHistogram interval
/// log (`.hlog`), one tagged line per level, as the run goes. With `trace`,
/// every send, head and level reached is written to it as a JSON line
/// stamped on the wall clock (`--trace`; see `trace.rs`).
///
/// `checkpoint` is handed a partial result (status `running`) a second in
/// and every [`CHECKPOINT_EVERY`] after, to be written as the run goes.
pub async fn run<S: Submitter, W: std::io::Write>(
    session: Session<S>,
    plan: RunPlan,
    abort: impl Future<Output = Stop>,
    mut progress: impl FnMut(&Progress),
    mut checkpoint: impl FnMut(Finished),
    mut interval_log: Option<W>,
    trace: Option<Box<dyn std::io::Write + Send>>,
) -> Finished {
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<BatchDone>();
    let mut r = Running::new(session, &plan, done_tx, trace);
    let mut serializer = V2DeflateSerializer::new();
    let mut hlog = interval_log.as_mut().and_then(|w| {
        IntervalLogWriterBuilder::new()
            .add_comment(
                "chainmeter: latency from intended send time, microseconds; one tag per level",
            )
            .with_start_time(SystemTime::now())
            .begin_log_with(w, &mut serializer)
            .ok()
    });
    // The first tick a second in, not at once: an interval log starting
    // with an empty, zero-length interval misleads the tools that read it.
    let mut ticker = interval_at(
        (r.start + Duration::from_secs(1)).into(),
        Duration::from_secs(1),
    );
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    tokio::pin!(abort);

    let status = loop {
        if let Some(status) = r.turn() {
            break status;
        }
        let next_due = r.pacer.peek().map(|p| r.start + p.at);
        let may_send = next_due.is_some() && r.batches_in_flight < MAX_BATCHES_IN_FLIGHT;
        let drain_deadline = r.drain_deadline;
        tokio::select! {
            biased;
            stop = &mut abort => break RunStatus::Aborted { reason: stop.reason, kind: stop.kind },
            Some(event) = r.session.events.recv() => {
                if let Some(status) = r.on_event(&event) {
                    break status;
                }
            }
            Some(done) = done_rx.recv() => r.on_batch(done),
            _ = sleep_until(next_due.unwrap_or(r.start).into()), if may_send => r.send_due(),
            _ = ticker.tick() => {
                progress(&r.progress());
                if let Some(log) = hlog.as_mut() {
                    let now = clock() - r.start;
                    r.interval_start = write_interval(log, &mut r.recorder, r.interval_start, now);
                }
                if let Some(partial) = r.tick() {
                    checkpoint(partial);
                }
            }
            _ = sleep_until(drain_deadline.unwrap_or(r.start).into()), if drain_deadline.is_some() => {
                break RunStatus::Completed;
            }
        }
    };

    // Batches still being sent when the run ended: their results may be in the channel.
    while let Ok(done) = done_rx.try_recv() {
        done.record(&mut r.recorder, &mut r.stages);
    }
    while let Ok(event) = r.session.events.try_recv() {
        r.stages.apply(&mut r.recorder, &event);
        if let Some(t) = r.trace.as_mut() {
            t.event(&event);
        }
    }
    if let Some(t) = r.trace.take() {
        t.finish();
    }
    // N sends at rate r span N/r: a count's window ends one interval after
    // the last intended send, or the offered rate reads N/(N-1) too high.
    r.recorder.set_window_end(r.pacer.window(r.last_sched).1);
    if let Some(log) = hlog.as_mut() {
        write_interval(log, &mut r.recorder, r.interval_start, clock() - r.start);
    }
    drop(hlog);
    let status = r.close(status);
    progress(&r.recorder.progress(clock()));
    let mut verification = r.verify(&status, &mut abort).await;
    let sweep = r.sweep(&status, &mut abort, &mut verification).await;
    let mut finished = r.finish(status, verification);
    finished.sweep = sweep;
    finished
}

/// A run under way: what the send loop's arms act on.
struct Running<'p, S: Submitter> {
    session: Session<S>,
    plan: &'p RunPlan,
    start: Instant,
    started_at: OffsetDateTime,
    usage_before: ProcessUsage,
    pacer: Pacer,
    recorder: Recorder,
    stages: StageRecorders,
    /// A stage's settling waits at most until then.
    settle_deadline: Option<Instant>,
    /// The settling stage's transactions in flight, and when that count
    /// last fell.
    settle_progress: Option<(usize, Instant)>,
    meter: SendingMeter,
    peak_rss_by_minute: Vec<u64>,
    done_tx: mpsc::UnboundedSender<BatchDone>,
    batches_in_flight: usize,
    last_sched: Duration,
    drain_deadline: Option<Instant>,
    last_checkpoint: Option<Instant>,
    interval_start: Duration,
    trace: Option<trace::Trace>,
}

impl<'p, S: Submitter> Running<'p, S> {
    fn new(
        session: Session<S>,
        plan: &'p RunPlan,
        done_tx: mpsc::UnboundedSender<BatchDone>,
        trace: Option<Box<dyn std::io::Write + Send>>,
    ) -> Self {
        let started_at = OffsetDateTime::now_utc();
        usage::reset_peak_rss();
        let usage_before = ProcessUsage::now();
        let node_cpu_before = plan.node_pid.and_then(usage::cpu_of);
        let start = clock();
        let watch = plan.levels.first().copied().unwrap_or(plan.chain_levels[0]);
        let buckets = plan.bids.as_ref().map(Bids::buckets).unwrap_or_default();
        // The window's end is known once the last send is planned; set then.
        let recorder = Recorder::new(
            plan.chain_levels,
            &plan.levels,
            start,
            (plan.load.warmup, Duration::MAX),
        )
        .with_buckets(&buckets)
        .with_mix(plan.mix.clone())
        .with_metrics(plan.metrics.clone());
        Self {
            session,
            plan,
            start,
            started_at,
            pacer: Pacer::new(&plan.load, plan.seed, watch, plan.drain),
            recorder,
            stages: StageRecorders {
                recorders: Vec::new(),
                chain_levels: plan.chain_levels,
                levels: plan.levels.clone(),
                buckets,
                start,
            },
            settle_deadline: None,
            settle_progress: None,
            meter: SendingMeter::new(usage_before.cpu, node_cpu_before, start),
            usage_before,
            peak_rss_by_minute: Vec::new(),
            done_tx,
            batches_in_flight: 0,
            last_sched: Duration::ZERO,
            drain_deadline: None,
            last_checkpoint: None,
            interval_start: Duration::ZERO,
            trace: trace.map(|out| trace::Trace::new(out, start, started_at)),
        }
    }

    fn node_cpu(&self) -> Option<Duration> {
        self.plan.node_pid.and_then(usage::cpu_of)
    }

    /// What each turn of the loop does first: a stage that waits to
    /// settle is told once it has, time is told to the pacer, and the run
    /// ends once everything is sent and back.
    fn turn(&mut self) -> Option<RunStatus> {
        let now = clock();
        if let Some(stage) = self.pacer.awaiting() {
            let deadline = *self.settle_deadline.get_or_insert(now + self.plan.drain);
            let r = self.stages.get(stage, &self.pacer);
            let in_flight = r.in_flight();
            let since = match self.settle_progress {
                Some((before, since)) if in_flight >= before => since,
                _ => {
                    self.settle_progress = Some((in_flight, now));
                    now
                }
            };
            // A chain that drops what it cannot take (Solana) has drained
            // the probe's backlog once nothing of it has resolved for a
            // while: the rest waits to be proved expired, which takes a
            // blockhash's lifetime, in the background.
            let quiet = self.batches_in_flight == 0
                && self.plan.settle_quiet.is_some_and(|q| now - since >= q);
            if (in_flight == 0 && self.batches_in_flight == 0) || quiet || now >= deadline {
                self.settle_deadline = None;
                self.settle_progress = None;
                self.pacer.observe(
                    now - self.start,
                    Observed::Settled {
                        stage,
                        figures: &*r,
                    },
                );
            }
        }
        self.pacer.observe(now - self.start, Observed::Time);
        if self.meter.sent_since && (self.pacer.finished() || self.pacer.awaiting().is_some()) {
            self.meter
                .mark(ProcessUsage::now().cpu, self.node_cpu(), clock());
        }
        if self.drain_deadline.is_none() && self.pacer.finished() {
            self.drain_deadline = Some(clock() + self.plan.drain);
        }
        let back = self.batches_in_flight == 0 && self.recorder.in_flight() == 0;
        (self.drain_deadline.is_some() && back).then_some(RunStatus::Completed)
    }

    /// A tracker event: recorded, and told to the pacer; a fatal one ends the run.
    fn on_event(&mut self, event: &ChainEvent) -> Option<RunStatus> {
        if let ChainEvent::Fatal(stop) = event {
            return Some(RunStatus::Aborted {
                reason: stop.reason.clone(),
                kind: stop.kind,
            });
        }
        self.stages.apply(&mut self.recorder, event);
        if let Some(t) = self.trace.as_mut() {
            t.event(event);
        }
        let observed = match *event {
            ChainEvent::Reached { seq, level, .. } => Observed::Reached { seq, level },
            ChainEvent::Expired { seq } => Observed::Failed { seq },
            _ => return None,
        };
        self.pacer.observe(clock() - self.start, observed);
        None
    }

    /// A batch's send returned: its failed sends are recorded and told to the pacer.
    fn on_batch(&mut self, done: BatchDone) {
        self.batches_in_flight -= 1;
        for ((seq, _), result) in done.seqs.iter().zip(&done.results) {
            if result.is_err() {
                let now = clock() - self.start;
                self.pacer.observe(now, Observed::Failed { seq: *seq });
            }
        }
        done.record(&mut self.recorder, &mut self.stages);
    }

    /// Signs what is due (up to a batch, or [`SIGN_STRETCH`] of signing)
    /// and hands it to the submitter without waiting for its answer.
    fn send_due(&mut self) {
        let now = clock();
        let (start, plan) = (self.start, self.plan);
        let mut seqs = Vec::new();
        let mut batch = Vec::new();
        // Sends due within the coalescing window go now, in this batch.
        let horizon = now + plan.load.coalesce;
        while let Some(p) = self.pacer.next_if(|p| start + p.at <= horizon) {
            let sender = p.seq % u64::from(plan.senders.max(1));
            let bucket = plan.bids.as_ref().map(|b| b.for_sender(sender).1);
            self.stages
                .planned(&mut self.recorder, &p, bucket, &self.pacer);
            self.last_sched = p.at;
            match self.session.submitter.sign(p.seq) {
                Ok(signed) => {
                    seqs.push((p.seq, p.stage, p.at));
                    batch.push(signed);
                }
                Err(reject) => {
                    self.pacer
                        .observe(clock() - start, Observed::Failed { seq: p.seq });
                    self.stages
                        .rejected(&mut self.recorder, p.seq, p.stage, clock(), &reject);
                }
            }
            if batch.len() == MAX_BATCH || clock() >= now + SIGN_STRETCH {
                break;
            }
        }
        if batch.is_empty() {
            return;
        }
        let at = clock();
        self.meter.sent();
        for &(seq, stage, sched) in &seqs {
            self.stages.sent(&mut self.recorder, seq, stage, at);
            if let Some(t) = self.trace.as_mut() {
                t.sent(seq, start + sched, at);
            }
        }
        let seqs: Vec<_> = seqs
            .into_iter()
            .map(|(seq, stage, _)| (seq, stage))
            .collect();
        let send = self.session.submitter.send(batch);
        let done_tx = self.done_tx.clone();
        self.batches_in_flight += 1;
        tokio::spawn(async move {
            let mut results = send.await;
            let at = clock();
            // A submitter that answers short is a bug; never lose a transaction to it.
            results.resize_with(seqs.len(), || {
                Err(Reject::new(
                    RejectClass::Build,
                    "submitter returned no result",
                ))
            });
            let _ = done_tx.send(BatchDone { seqs, at, results });
        });
    }

    /// The progress line's figures now.
    fn progress(&self) -> Progress {
        let now = clock();
        let mut p = self.recorder.progress(now);
        let stage = self.pacer.current(now - self.start);
        p.stage = stage.map(|(i, s)| s.label(i));
        if let Some(m) = &self.plan.metrics {
            m.set_in_flight(self.recorder.in_flight());
            m.set_stage(stage.map(|(i, s)| (i as u32, s.rate)));
        }
        p
    }

    /// Once a second: usage read once for the sending meter and the
    /// minute's peak memory; a partial result when a checkpoint is due.
    fn tick(&mut self) -> Option<Finished> {
        let now = clock();
        let after = ProcessUsage::now();
        let minute = Duration::from_secs(60 * (self.peak_rss_by_minute.len() as u64 + 1));
        if now - self.start >= minute {
            self.peak_rss_by_minute.push(after.max_rss_bytes);
        }
        self.meter.mark(after.cpu, self.node_cpu(), now);
        if self
            .last_checkpoint
            .is_some_and(|at| now < at + CHECKPOINT_EVERY)
        {
            return None;
        }
        self.last_checkpoint = Some(now);
        let usage = self.meter.figures(
            self.recorder.outcomes().sent,
            &self.usage_before,
            after,
            self.peak_rss_by_minute.clone(),
        );
        let stages = self
            .stages
            .recorders
            .iter()
            .map(|r| r.snapshot(now))
            .collect();
        Some(self.snapshot(
            self.recorder.snapshot(now),
            stages,
            RunStatus::Running,
            usage,
            self.session.tracking.clone(),
            None,
        ))
    }

    /// The run as `recorder` and the stages' `stages` have it, with what
    /// the session and the pacer say: a partial result's and the last's.
    fn snapshot(
        &self,
        recorder: Recorder,
        stages: Vec<Recorder>,
        status: RunStatus,
        usage: HarnessUsage,
        tracking: Tracking,
        verification: Option<Verification>,
    ) -> Finished {
        let s = &self.session;
        Finished {
            recorder,
            status,
            usage,
            started_at: self.started_at,
            ended_at: OffsetDateTime::now_utc(),
            tracking,
            sending: s.sending.clone(),
            submitter: s.submitter.counters(),
            senders: s.senders.clone(),
            funding: s.funding.clone(),
            sweep: None,
            value_per_tx: s.value_per_tx,
            block_limit: s.block_limit,
            tx_bytes: s.tx_bytes,
            drain: self.plan.drain,
            workload: s.workload.clone(),
            verification,
            profile: self.pacer.figures(),
            stages: self.pacer.stages().iter().cloned().zip(stages).collect(),
        }
    }

    /// Closes the recorders on the loop's `status`: a drained run with
    /// transactions short of a level is incomplete.
    fn close(&mut self, status: RunStatus) -> RunStatus {
        let closing = match status {
            RunStatus::Aborted { .. } => Closing::Aborted,
            _ => Closing::Drained,
        };
        let missing = self.recorder.close(closing);
        if let Some(m) = &self.plan.metrics {
            m.set_in_flight(self.recorder.in_flight());
        }
        for r in &mut self.stages.recorders {
            r.close(closing);
        }
        match status {
            RunStatus::Completed if !missing.is_empty() => RunStatus::Incomplete { missing },
            other => other,
        }
    }

    /// Checks the figures against the chain, unless the run was aborted or
    /// asked not to be: while the node still runs, and before the session's
    /// tasks stop. A long check (hundreds of thousands of statuses) can be
    /// stopped like the run; the result is written all the same.
    async fn verify(
        &self,
        status: &RunStatus,
        abort: &mut (impl Future<Output = Stop> + Unpin),
    ) -> Option<Verification> {
        let aborted = matches!(status, RunStatus::Aborted { .. });
        let verifier = self
            .session
            .verifier
            .as_ref()
            .filter(|_| self.plan.verify && !aborted)?;
        let (landed_ok, landed_failed, fee_total, entries) = self.recorder.claims();
        let claimed = Claimed {
            landed_ok,
            landed_failed,
            fee_total,
            value_per_tx: self.session.value_per_tx,
            entries,
        };
        let limit = verify_timeout(claimed.landed_ok + claimed.landed_failed);
        tokio::select! {
            checked = tokio::time::timeout(limit, verifier.verify(claimed)) => Some(match checked {
                Ok(Ok(v)) => v,
                Ok(Err(e)) => Verification::failed(e.chained()),
                Err(_) => Verification::failed(format!(
                    "the chain did not answer within {limit:?}"
                )),
            }),
            stop = abort => Some(Verification::failed(format!("stopped: {}", stop.reason))),
        }
    }

    /// Returns the senders' leftover funds to the funder, after the
    /// verification has read their balances, unless the run was aborted:
    /// the sweep's check joins the verification's.
    async fn sweep(
        &self,
        status: &RunStatus,
        abort: &mut (impl Future<Output = Stop> + Unpin),
        verification: &mut Option<Verification>,
    ) -> Option<Sweep> {
        let sweeper = self
            .session
            .sweeper
            .as_ref()
            .filter(|_| !matches!(status, RunStatus::Aborted { .. }))?;
        let failed = |error: String| Sweep {
            to: String::new(),
            amount: "0".into(),
            transactions: 0,
            fees: "0".into(),
            seconds: 0.0,
            error: Some(error),
        };
        tokio::select! {
            swept = tokio::time::timeout(SWEEP_TIMEOUT, sweeper.sweep()) => Some(match swept {
                Ok(Ok(swept)) => {
                    if let Some(v) = verification.as_mut() {
                        v.checks.push(swept.check);
                    }
                    swept.sweep
                }
                Ok(Err(e)) => failed(chained(&*e)),
                Err(_) => failed(format!("the sweep did not finish within {SWEEP_TIMEOUT:?}")),
            }),
            stop = abort => Some(failed(format!("stopped: {}", stop.reason))),
        }
    }

    /// What the run measured, once it is over.
    fn finish(mut self, status: RunStatus, verification: Option<Verification>) -> Finished {
        let usage_after = ProcessUsage::now();
        let tracking = self.session.tracking.clone();
        // A run stopped while sending: its last stretch ends now.
        let node_cpu = self.plan.node_pid.and_then(usage::cpu_of);
        self.meter.mark(usage_after.cpu, node_cpu, clock());
        let usage = self.meter.figures(
            self.recorder.outcomes().sent,
            &self.usage_before,
            usage_after,
            std::mem::take(&mut self.peak_rss_by_minute),
        );
        // The recorders move into the result; an empty one stands in, since
        // the snapshot reads the session and the pacer through `self`.
        let recorder = std::mem::replace(
            &mut self.recorder,
            Recorder::new(
                self.plan.chain_levels,
                &self.plan.levels,
                self.start,
                (Duration::ZERO, Duration::ZERO),
            ),
        );
        let stages = std::mem::take(&mut self.stages.recorders);
        self.snapshot(recorder, stages, status, usage, tracking, verification)
    }
}

#[cfg(test)]
mod tests {
    //! The runner driven by a fake chain that lands every transaction as
    //! soon as it is sent.
    use super::*;
    use crate::{
        chain::{BoxFuture, TaskSet, TxSeq, Verifier, VerifyError},
        scenario::{Profile, Rate, ShapeKind},
        summary::ProbesSending,
        testing::{CHAIN, INCLUDED, SAFE},
    };
    use chainmeter_result::rate::landed_rate;
    use chainmeter_result::run::Check;
    use std::sync::{Arc, Mutex};

    /// A chain whose send calls take `send_time`, and that shows each
    /// transaction at every level of `levels` `delay` after its send
    /// returned, then its fee (1,000) landed. Its tracker tells of each
    /// level `known_after` later (Solana learns a slot's transactions only
    /// from its block). Every `time_out_every`-th send times out and never
    /// shows. Its clock is the runner's, so a paused tokio clock makes it
    /// exact.
    #[derive(Debug, Default)]
    struct FakeChain {
        events: Option<mpsc::UnboundedSender<ChainEvent>>,
        levels: &'static [Level],
        delay: Duration,
        send_time: Duration,
        known_after: Duration,
        time_out_every: Option<u64>,
        /// Transactions it accepts and never lands: each is proved
        /// expired `expire_after` after it was sent.
        lost: Option<fn(TxSeq) -> bool>,
        expire_after: Duration,
    }

    impl Submitter for FakeChain {
        type Signed = TxSeq;

        fn sign(&mut self, seq: TxSeq) -> Result<TxSeq, Reject> {
            Ok(seq)
        }

        fn send(
            &self,
            batch: Vec<TxSeq>,
        ) -> impl Future<Output = Vec<Result<(), Reject>>> + Send + 'static {
            let events = self.events.clone().expect("a fake chain's events");
            let levels = self.levels;
            let (delay, send_time, known_after) = (self.delay, self.send_time, self.known_after);
            let times_out = |seq: TxSeq| self.time_out_every.is_some_and(|n| seq % n == n - 1);
            let results = batch
                .iter()
                .map(|&seq| match times_out(seq) {
                    true => Err(Reject::new(RejectClass::Timeout, "no answer")),
                    false => Ok(()),
                })
                .collect::<Vec<_>>();
            let lost = self.lost;
            let is_lost = move |seq: TxSeq| lost.is_some_and(|f| f(seq));
            let (gone, shown): (Vec<TxSeq>, Vec<TxSeq>) = batch
                .into_iter()
                .filter(|&seq| !times_out(seq))
                .partition(|&seq| is_lost(seq));
            let expire_after = self.expire_after;
            let expiries = events.clone();
            async move {
                tokio::time::sleep(send_time).await;
                if !gone.is_empty() {
                    tokio::spawn(async move {
                        tokio::time::sleep(expire_after).await;
                        for seq in gone {
                            let _ = expiries.send(ChainEvent::Expired { seq });
                        }
                    });
                }
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let at = clock();
                    tokio::time::sleep(known_after).await;
                    for seq in shown {
                        for &level in levels {
                            let _ = events.send(ChainEvent::Reached { seq, level, at });
                        }
                        let _ = events.send(ChainEvent::Landed {
                            seq,
                            success: true,
                            fee: 1_000,
                            compute: 21_000,
                            error: None,
                        });
                    }
                });
                results
            }
        }
    }

    /// Records what it was asked to check and agrees with it.
    #[derive(Debug, Default)]
    struct Agreeing(Arc<Mutex<Option<Claimed>>>);

    impl Verifier for Agreeing {
        fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, VerifyError>> {
            *self.0.lock().unwrap() = Some(claimed.clone());
            Box::pin(async move {
                Ok(Verification {
                    method: "fake".into(),
                    checks: vec![Check {
                        name: "landed".into(),
                        recorded: (claimed.landed_ok).to_string(),
                        chain: (claimed.landed_ok).to_string(),
                        how: "fake".into(),
                        entry: None,
                    }],
                    error: None,
                    dry_senders: Vec::new(),
                    unverified: Vec::new(),
                })
            })
        }
    }

    fn session(
        reports: &'static [Level],
        verifier: Option<Box<dyn Verifier>>,
    ) -> Session<FakeChain> {
        let (events, rx) = mpsc::unbounded_channel();
        let submitter = FakeChain {
            events: Some(events),
            levels: reports,
            ..FakeChain::default()
        };
        fake_session(submitter, rx, verifier)
    }

    /// A session of a fake chain whose tracker events come through `events`.
    fn fake_session<S: Submitter>(
        submitter: S,
        events: mpsc::UnboundedReceiver<ChainEvent>,
        verifier: Option<Box<dyn Verifier>>,
    ) -> Session<S> {
        Session {
            submitter,
            events,
            tracking: Tracking {
                method: "fake".into(),
                resolution_us: 0,
                achieved_interval_us: None,
            },
            sending: "fake".into(),
            senders: Vec::new(),
            funding: None,
            parameters: None,
            chain_id: "fake".into(),
            node_version: "fake".into(),
            value_per_tx: 7,
            workload: "fake".into(),
            block_limit: None,
            tx_bytes: None,
            warnings: Vec::new(),
            verifier,
            sweeper: None,
            tasks: TaskSet::default(),
        }
    }

    fn plan(count: u64, warmup_ms: u64, levels: Vec<Level>, drain_ms: u64) -> RunPlan {
        RunPlan {
            load: Load {
                shape: ShapeKind::Constant,
                profile: Profile::Constant {
                    rate: Rate::new(100.0).unwrap(),
                    end: crate::scenario::End::Count(count),
                },
                warmup: Duration::from_millis(warmup_ms),
                coalesce: Duration::ZERO,
                drain_timeout: None,
            },
            chain_levels: CHAIN,
            levels,
            seed: 1,
            drain: Duration::from_millis(drain_ms),
            settle_quiet: None,
            verify: true,
            bids: None,
            mix: None,
            senders: 1,
            node_pid: None,
            metrics: None,
        }
    }

    #[tokio::test]
    async fn a_counted_run_offers_its_rate_and_verifies_every_landed_transaction() {
        let claimed = Arc::new(Mutex::new(None));
        let verifier = Agreeing(claimed.clone());
        let mut hlog = Vec::new();
        let finished = run(
            session(&[INCLUDED], Some(Box::new(verifier))),
            plan(20, 100, vec![INCLUDED], 1_000),
            std::future::pending(),
            |_| {},
            |_| {},
            Some(&mut hlog),
            None,
        )
        .await;
        assert_eq!(finished.status, RunStatus::Completed);
        let r = &finished.recorder;
        // 20 sends at 100 tx/s span 200 ms, not the 190 ms to the last send.
        let (from, to) = r.window();
        assert_eq!(to - from, Duration::from_millis(200));
        assert!((r.figures("wei").throughput.offered_mean_per_s - 100.0).abs() < 1e-6);
        // Warm-up: 10 sends, landed and paid for, outside the fee figures.
        assert_eq!(r.sent_counts(), (10, 20));
        assert_eq!(r.figures("wei").fees.per_tx.count, 20);
        let c = claimed.lock().unwrap().clone().expect("verified");
        assert_eq!((c.landed_ok, c.fee_total, c.value_per_tx), (30, 30_000, 7));
        assert!(finished.verification.unwrap().passed());
        // No empty, zero-length interval at the start of the interval log.
        let text = String::from_utf8(hlog).unwrap();
        let first = text
            .lines()
            .find(|l| l.starts_with("Tag="))
            .expect("an interval");
        // Tag=<level>,<start>,<length>,<max>,<histogram>
        let length: f64 = first.split(',').nth(2).unwrap().parse().unwrap();
        assert!(length > 0.0, "{first}");
    }

    #[tokio::test]
    async fn a_drain_that_ends_short_of_a_level_makes_the_run_incomplete() {
        let finished = run(
            session(&[INCLUDED], None),
            plan(5, 0, vec![INCLUDED, SAFE], 50),
            std::future::pending(),
            |_| {},
            |_| {},
            None::<Vec<u8>>,
            None,
        )
        .await;
        match &finished.status {
            RunStatus::Incomplete { missing } => {
                assert_eq!(missing.get(&SAFE), Some(&5), "{missing:?}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(finished.recorder.outcomes().landed_ok, 5);
    }

    async fn slow_run(delay_ms: u64, send_ms: u64, drain_ms: u64) -> Finished {
        slow_run_watched(delay_ms, send_ms, drain_ms, |_| {}).await
    }

    /// 100 sends at 10 tx/s to a chain that shows each `delay_ms` after its
    /// send returned, sends taking `send_ms`; partial results to `checkpoint`.
    async fn slow_run_watched(
        delay_ms: u64,
        send_ms: u64,
        drain_ms: u64,
        checkpoint: impl FnMut(Finished),
    ) -> Finished {
        let (events, rx) = mpsc::unbounded_channel();
        let submitter = FakeChain {
            events: Some(events),
            levels: &[INCLUDED],
            delay: Duration::from_millis(delay_ms),
            send_time: Duration::from_millis(send_ms),
            ..FakeChain::default()
        };
        let session = fake_session(submitter, rx, None);
        let mut p = plan(100, 0, vec![INCLUDED], drain_ms);
        p.load.profile = Profile::Constant {
            rate: Rate::new(10.0).unwrap(),
            end: crate::scenario::End::Count(100),
        };
        run(
            session,
            p,
            std::future::pending(),
            |_| {},
            checkpoint,
            None::<Vec<u8>>,
            None,
        )
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn on_a_paused_clock_latency_is_exactly_what_the_chain_took() {
        // 100 sends at 10 tx/s: 10 s of schedule, in no time at all.
        let finished = slow_run(500, 0, 5_000).await;
        assert_eq!(finished.status, RunStatus::Completed);
        let l = &finished.recorder.figures("wei").levels[0].latency_us;
        assert_eq!(l.count, 100);
        assert!((499_000..=501_000).contains(&l.min), "{l:?}");
        assert!((499_000..=501_000).contains(&l.max), "{l:?}");
        let (from, to) = finished.recorder.window();
        assert_eq!(to - from, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn partial_results_come_as_the_run_goes_each_adding_up() {
        // 100 sends at 10 tx/s (10 s), landing 500 ms after each send: a
        // partial result a second in and every 5 s after, while it runs.
        let mut partial = Vec::new();
        let f = slow_run_watched(500, 0, 5_000, |f: Finished| {
            partial.push((
                f.status.clone(),
                f.recorder.outcomes().clone(),
                f.recorder.figures("wei").throughput,
            ))
        })
        .await;
        assert_eq!(f.status, RunStatus::Completed);
        assert!(partial.len() >= 2, "{}", partial.len());
        let mut last_sent = 0;
        for (status, o, t) in &partial {
            assert_eq!(*status, RunStatus::Running);
            assert!(o.is_consistent(), "{o:?}");
            assert!(o.sent >= last_sent && o.sent < 100, "{o:?}");
            last_sent = o.sent;
            // The open ones are in flight, not lost.
            assert_eq!(
                o.unknown,
                o.unknown_by_reason
                    .get(crate::outcome::UnknownReason::InFlight.as_str())
                    .copied()
                    .unwrap_or(0)
            );
            assert!(t.offered_mean_per_s > 5.0, "{}", t.offered_mean_per_s);
        }
        assert!(partial
            .iter()
            .any(|(_, o, _)| o.unknown > 0 && o.landed_ok > 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_sender_that_falls_behind_shows_its_lag_as_latency() {
        // Sends take 10 s, so after 64 batches in flight (6.4 s) the sender
        // waits; at 10 s the first batch returns and the 36 sends due since
        // 6.4 s go out at once. The lag (up to 3.6 s) counts in latency from
        // the intended time, not in service latency from the send.
        let finished = slow_run(500, 10_000, 30_000).await;
        assert_eq!(finished.status, RunStatus::Completed);
        let lag = finished.recorder.figures("wei").send_lag;
        assert!((3_590_000..=3_610_000).contains(&lag.max), "{lag:?}");
        let levels = finished.recorder.figures("wei").levels;
        let (latency, service) = (&levels[0].latency_us, &levels[0].service_latency_us);
        assert_eq!(latency.count, 100);
        assert!(
            (14_090_000..=14_110_000).contains(&latency.max),
            "{latency:?}"
        );
        assert!(
            (10_490_000..=10_510_000).contains(&service.max),
            "{service:?}"
        );
    }

    /// A closed loop keeps exactly its concurrency in flight: with a chain
    /// that takes 100 ms, 4 slots for 2 s send about 80, and no second
    /// ever ends with more than 4 sent and not yet landed.
    #[tokio::test(start_paused = true)]
    async fn a_closed_loop_never_has_more_than_its_concurrency_in_flight() {
        let (events, rx) = mpsc::unbounded_channel();
        let submitter = FakeChain {
            events: Some(events),
            levels: &[INCLUDED],
            delay: Duration::from_millis(100),
            ..FakeChain::default()
        };
        let f = closed_loop(submitter, rx).await;
        let sent = f.recorder.outcomes().sent;
        assert!((76..=84).contains(&sent), "{sent}");
        let (mut offered, mut landed) = (0, 0);
        for second in f.recorder.figures("wei").throughput.timeline {
            offered += second.offered;
            landed += second.landed;
            assert!(
                offered - landed <= 4,
                "{offered} offered, {landed} landed by {}",
                second.t_s
            );
        }
        assert_eq!(f.recorder.outcomes().landed_ok, sent);
    }

    /// 4 slots for 2 s on `chain`, waiting for the weakest level.
    async fn closed_loop(
        chain: FakeChain,
        events: mpsc::UnboundedReceiver<ChainEvent>,
    ) -> Finished {
        let mut p = plan(1, 0, vec![INCLUDED], 1_000);
        p.load.profile = Profile::Closed {
            concurrency: 4,
            wait_for: None,
            end: crate::scenario::End::After(Duration::from_secs(2)),
        };
        let session = fake_session(chain, events, None);
        run(
            session,
            p,
            std::future::pending(),
            |_| {},
            |_| {},
            None::<Vec<u8>>,
            None,
        )
        .await
    }

    /// A level the tracker learns of late still happened when it happened;
    /// the next transaction is due when its slot is known to be free. Had
    /// the slot been freed at the level's time, each latency would add the
    /// 300 ms it took to learn of it (400 ms, not 100).
    #[tokio::test(start_paused = true)]
    async fn a_closed_loop_frees_a_slot_when_its_level_is_known() {
        let (events, rx) = mpsc::unbounded_channel();
        let chain = FakeChain {
            events: Some(events),
            levels: &[INCLUDED],
            delay: Duration::from_millis(100),
            known_after: Duration::from_millis(300),
            ..FakeChain::default()
        };
        let f = closed_loop(chain, rx).await;
        let l = &f.recorder.figures("wei").levels[0].latency_us;
        assert!(l.count >= 16, "{l:?}");
        assert!((99_000..=101_000).contains(&l.max), "{l:?}");
        // Each slot turns over every 400 ms: 2 s / 0.4 s × 4 slots.
        let sent = f.recorder.outcomes().sent;
        assert!((18..=24).contains(&sent), "{sent}");
    }

    /// A send that timed out may land later, but its slot goes to the next
    /// transaction at once: with every 10th send timing out and never
    /// landing, 4 slots still send about 80 in 2 s (held, they would stop
    /// after the fourth timeout, near 40).
    #[tokio::test(start_paused = true)]
    async fn a_closed_loop_send_that_timed_out_frees_its_slot() {
        let (events, rx) = mpsc::unbounded_channel();
        let chain = FakeChain {
            events: Some(events),
            levels: &[INCLUDED],
            delay: Duration::from_millis(100),
            time_out_every: Some(10),
            ..FakeChain::default()
        };
        let f = closed_loop(chain, rx).await;
        let o = f.recorder.outcomes();
        assert!((76..=90).contains(&o.sent), "{o:?}");
        assert!(o.landed_ok >= o.sent * 8 / 10, "{o:?}");
    }

    /// A search from 100 tx/s up to `to`, doubling, of 2 s probes after a
    /// 1 s warm-up each (the fake lands a transaction 1 s after it is sent:
    /// the warm-up puts a probe's own landings in its window), at most
    /// `max_probes`; a probe holds when 99% land with p99 under 5 s.
    fn search(to: f64, max_probes: u32) -> Profile {
        Profile::Saturate(crate::scenario::Saturate {
            from: Rate::new(100.0).unwrap(),
            to: Rate::new(to).unwrap(),
            factor: 2.0,
            resolution: 0.05,
            probe: Duration::from_secs(2),
            probe_warmup: Duration::from_secs(1),
            max_probes,
            objective: crate::scenario::Objective {
                landed: 0.99,
                level: None,
                percentile: 99.0,
                latency: Duration::from_secs(5),
            },
        })
    }

    /// Runs search plan `p` on `chain`, whose events come through `rx`.
    async fn searched(
        chain: FakeChain,
        rx: mpsc::UnboundedReceiver<ChainEvent>,
        p: RunPlan,
    ) -> Finished {
        let session = fake_session(chain, rx, None);
        run(
            session,
            p,
            std::future::pending(),
            |_| {},
            |_| {},
            None::<Vec<u8>>,
            None,
        )
        .await
    }

    /// A search's rates are its probes': the settle after each probe
    /// (here 1 s of nothing after 2 s of sending) stays out of them, and
    /// landed is what the chain landed in the probes' windows (the backlog
    /// landing during a settle is left out: `rate.rs` tests that rule).
    #[tokio::test(start_paused = true)]
    async fn a_search_reports_its_probes_rates_not_diluted_by_their_settles() {
        let (events, rx) = mpsc::unbounded_channel();
        let chain = FakeChain {
            events: Some(events),
            levels: &[INCLUDED],
            delay: Duration::from_millis(1_000),
            ..FakeChain::default()
        };
        let mut p = plan(1, 0, vec![INCLUDED], 5_000);
        p.load.profile = search(200.0, 2);
        let f = searched(chain, rx, p).await;
        assert_eq!(f.stages.len(), 2);
        let whole = f.recorder.figures("wei").throughput;
        let probes = ProbesSending::of(&f.stages).unwrap();
        // 200 over 2 s and 400 over 2 s: 150 tx/s while sending.
        assert!((probes.offered_per_s - 150.0).abs() < 1.0, "{probes:?}");
        let landed = landed_rate(&whole.arrivals, &probes.windows_us).unwrap();
        // Within 3%: the fake lands continuously, so the 50 ms grouping of
        // landings into blocks leaves out part of each window's first one.
        assert!((landed.mean_per_s - 150.0).abs() < 4.5, "{landed:?}");
        assert!(whole.offered_mean_per_s < 130.0, "{whole:?}");
    }

    /// A probe past what the chain takes: the chain drops a tenth of it and
    /// lands the rest within a second; the dropped are proved expired only
    /// 60 s later. With a settle rule of 3 s without anything resolving, the
    /// next probe starts about 4 s after the broken one's last send, not a
    /// minute later, and the expiries, when they come, are booked to the
    /// probe they belong to: every transaction accounted for.
    #[tokio::test(start_paused = true)]
    async fn a_broken_probes_backlog_drained_starts_the_next_probe_while_its_expiries_are_pending()
    {
        let (events, rx) = mpsc::unbounded_channel();
        // The first probe (100 tx/s, 1 s warm-up and 2 s: seqs 0..300) holds;
        // the second (200 tx/s: 300..900) loses every tenth.
        let chain = FakeChain {
            events: Some(events),
            levels: &[INCLUDED],
            delay: Duration::from_millis(1_000),
            lost: Some(|seq| (300..900).contains(&seq) && seq % 10 == 0),
            expire_after: Duration::from_secs(60),
            ..FakeChain::default()
        };
        let mut p = plan(1, 0, vec![INCLUDED], 90_000);
        p.settle_quiet = Some(Duration::from_secs(3));
        p.load.profile = search(400.0, 3);
        let f = searched(chain, rx, p).await;
        assert_eq!(f.stages.len(), 3, "held, broke, the one between");
        let (broke, next) = (&f.stages[1].0, &f.stages[2].0);
        assert!(!broke.verdict.as_ref().unwrap().held);
        // The broken probe's last send at its window's end; the next
        // probe's warm-up starts 1 s before its window.
        let gap = next.window.0.saturating_sub(Duration::from_secs(1)) - broke.window.1;
        assert!(
            gap >= Duration::from_secs(3) && gap <= Duration::from_secs(6),
            "the next probe started {gap:?} after the broken one"
        );
        // The expiries came during the next probe or the drain, and went to
        // the probe that sent them.
        let o = f.recorder.outcomes();
        assert_eq!(o.expired, 60, "{o:?}");
        assert_eq!(o.sent, o.landed_ok + o.expired, "{o:?}");
        assert_eq!(f.stages[1].1.outcomes().expired, 60);
        assert_eq!(f.stages[2].1.outcomes().expired, 0);
    }
}
