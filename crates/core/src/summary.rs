//! Where a run becomes a result: the one place a [`RunResult`] is built,
//! from what the runner recorded ([`Finished`]) and what the load profile
//! gives ([`ProfileFigures`]). It matches no profile by name.

use crate::{
    pacer::{ProfileFigures, Stage},
    recorder::Recorder,
    scenario::{Scenario, ShapeKind},
    search::KneeBound,
    spec::ChainSpec,
};
use chainmeter_result::rate::landed_rate;
use chainmeter_result::run::{
    ChainParameters, ChainView, Environment, FeeBucket, Fees, Funding, HarnessUsage, Knee,
    LevelLatency, LoadSummary, Price, RunResult, RunStatus, SenderRecord, StepResult, Sweep,
    Throughput, Tracking, Verification, WorkloadSummary, SCHEMA_VERSION,
};
use std::time::Duration;
use time::OffsetDateTime;

/// A finished (or aborted) run, ready to be turned into a result.
#[derive(Debug)]
pub struct Finished {
    /// Everything recorded.
    pub recorder: Recorder,
    /// Completed or aborted, and why.
    pub status: RunStatus,
    /// The harness's CPU and memory during the run.
    pub usage: HarnessUsage,
    /// Wall-clock start.
    pub started_at: OffsetDateTime,
    /// Wall-clock end.
    pub ended_at: OffsetDateTime,
    /// How the tracker timed levels.
    pub tracking: Tracking,
    /// How transactions were sent.
    pub sending: String,
    /// The senders before the run.
    pub senders: Vec<SenderRecord>,
    /// How they were funded.
    pub funding: Option<Funding>,
    /// The senders' leftover funds returned after the run, if asked.
    pub sweep: Option<Sweep>,
    /// Value each transfer carried, smallest unit.
    pub value_per_tx: u128,
    /// The most gas or compute units a block may hold, when the chain said.
    pub block_limit: Option<u64>,
    /// The size of one transaction on the wire, bytes, when the chain said.
    pub tx_bytes: Option<u64>,
    /// How long the run waited after its last send.
    pub drain: Duration,
    /// What each transaction did, in words.
    pub workload: String,
    /// The figures read back from the chain, when the run was verified.
    pub verification: Option<Verification>,
    /// What the submitter counted besides outcomes.
    pub submitter: Vec<(&'static str, u64)>,
    /// Each step or probe, with what was recorded of it alone.
    pub stages: Vec<(Stage, Recorder)>,
    /// What the load profile gives the result (a constant rate, a search's
    /// knee and objective, a closed loop's concurrency).
    pub profile: ProfileFigures,
}

/// `levels`, each marked if the node named its latest block for it when
/// the run connected: measured, but not apart from inclusion.
fn labelled(
    mut levels: Vec<LevelLatency>,
    parameters: Option<&ChainParameters>,
) -> Vec<LevelLatency> {
    if let Some(p) = parameters {
        for l in levels.iter_mut() {
            l.at_latest = p.behind(l.level.as_str()) == Some(0);
        }
    }
    levels
}

impl Finished {
    /// The result file of this run of `scenario` against a `chain`.
    pub fn into_result(
        self,
        scenario: &Scenario,
        chain: &ChainSpec,
        environment: Environment,
    ) -> RunResult {
        let unit = &chain.fee_unit;
        let fig = self.recorder.figures(&unit.unit);
        let levels = labelled(fig.levels, environment.node.parameters.as_ref());
        let (warmup_sent, measured_sent) = (fig.warmup_sent, fig.measured_sent);
        let (from, to) = fig.window;
        let profile = &self.profile;
        let probing = profile
            .stages_only
            .then(|| ProbesSending::of(&self.stages))
            .flatten();
        let throughput = &fig.throughput;
        // A step's or probe's rate is the chain's while it was sending, by
        // the rule of the run's own.
        let stage_landed = |stage: &Stage| {
            landed_rate(&throughput.arrivals, &[window_us(stage.window)])
                .ok()
                .map(|r| r.mean_per_s)
        };
        let priced = |mut fees: Fees, total: u128| {
            if let Some(prices) = &scenario.prices {
                if let Some(usd) = prices.usd_per_coin(unit) {
                    let per_unit = usd / unit.units_per_coin();
                    fees.mean_usd = Some(fees.mean * per_unit);
                    fees.total_usd = Some(total as f64 * per_unit);
                    fees.price = Some(Price {
                        usd_per_coin: usd,
                        source: prices.source.clone(),
                    });
                }
            }
            fees
        };
        let fees = priced(fig.fees, fig.fee_total);
        let mix = fig
            .mix
            .into_iter()
            .map(|mut e| {
                let total = e.fees.total.parse().unwrap_or(0);
                e.fees = priced(e.fees, total);
                e
            })
            .collect();
        let mut result = RunResult {
            schema_version: SCHEMA_VERSION,
            chain: chain.name.to_owned(),
            fee_unit: unit.clone(),
            scenario_name: scenario.name.clone(),
            scenario: scenario.as_run.clone(),
            environment,
            started_at: rfc3339(self.started_at),
            ended_at: rfc3339(self.ended_at),
            status: self.status,
            load: LoadSummary {
                shape: match scenario.load.shape {
                    ShapeKind::Constant => "constant",
                    ShapeKind::Poisson => "poisson",
                }
                .to_owned(),
                profile: scenario.load.profile.name().to_owned(),
                rate_per_s: match (profile.rate, &probing) {
                    (Some(rate), _) => rate,
                    (None, Some(p)) => p.offered_per_s,
                    _ => measured_sent as f64 / to.saturating_sub(from).as_secs_f64().max(1e-9),
                },
                warmup_s: from.as_secs_f64(),
                window_s: to.saturating_sub(from).as_secs_f64(),
                warmup_sent,
                measured_sent,
                value_per_tx: self.value_per_tx.to_string(),
                send_lag_us: fig.send_lag,
                closed_loop: profile.closed_loop.clone(),
                drain_s: Some(self.drain.as_secs_f64()),
            },
            workload: WorkloadSummary {
                kind: scenario.workload.as_str().to_owned(),
                value: scenario.value,
                writes: scenario.writes.as_str().to_owned(),
                accounts: scenario.accounts.get(),
                description: self.workload,
                tx_bytes: self.tx_bytes,
            },
            levels,
            throughput: match &probing {
                Some(p) => {
                    let landed = landed_rate(&throughput.arrivals, &p.windows_us);
                    let mut t = Throughput {
                        offered_mean_per_s: p.offered_per_s,
                        ..throughput.clone()
                    };
                    t.set_landed(landed);
                    t
                }
                None => throughput.clone(),
            },
            fees,
            outcomes: fig.outcomes,
            chain_view: ChainView {
                block_limit: self.block_limit,
                ..fig.chain_view
            },
            tracking: match fig.poll_interval {
                // A polling tracker's levels are as fine as the interval it achieved.
                Some(achieved) => Tracking {
                    resolution_us: achieved.p99,
                    achieved_interval_us: Some(achieved),
                    ..self.tracking
                },
                None => self.tracking,
            },
            sending: self.sending,
            shard: None,
            merged: None,
            repeats: Vec::new(),
            harness: self.usage,
            senders: self.senders,
            funding: self.funding,
            sweep: self.sweep,
            mix,
            fee_buckets: dry_by_bucket(fig.fee_buckets, scenario, self.verification.as_ref()),
            verification: self.verification,
            submitter: self
                .submitter
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            knee: profile.knee.map(|(step, bound)| {
                let (stage, _) = &self.stages[step];
                Knee {
                    step,
                    rate_per_s: stage.rate,
                    landed_per_s: stage_landed(stage),
                    at_least: bound == KneeBound::AtLeast,
                    broke_per_s: match bound {
                        KneeBound::Between { broke_per_s } => Some(broke_per_s),
                        _ => None,
                    },
                    objective: profile.objective.clone().unwrap_or_default(),
                    probes: self.stages.len(),
                    search_s: self
                        .stages
                        .last()
                        .map_or(0.0, |(s, _)| s.window.1.saturating_sub(from).as_secs_f64()),
                    block_bound_per_s: None,
                }
            }),
            steps: self
                .stages
                .iter()
                .enumerate()
                .map(|(i, (stage, r))| {
                    let window = stage.window.1.saturating_sub(stage.window.0).as_secs_f64();
                    let r = r.figures(&unit.unit);
                    let sent = r.measured_sent;
                    StepResult {
                        kind: stage.kind,
                        label: stage.label(i),
                        rate_per_s: stage.rate,
                        window_s: [stage.window.0.as_secs_f64(), stage.window.1.as_secs_f64()],
                        sent,
                        offered_per_s: sent as f64 / window.max(1e-9),
                        landed: r.measured_landed,
                        landed_per_s: stage_landed(stage),
                        levels: r.levels,
                        outcomes: r.outcomes,
                        fees: r.fees,
                        verdict: stage.verdict.clone(),
                    }
                })
                .collect(),
        };
        result.bound_the_knee();
        result
    }
}

/// `buckets` with the count of their senders that ran out of funds.
fn dry_by_bucket(
    mut buckets: Vec<FeeBucket>,
    scenario: &Scenario,
    verification: Option<&Verification>,
) -> Vec<FeeBucket> {
    if let (Some(bids), Some(v)) = (&scenario.bids, verification) {
        for &sender in &v.dry_senders {
            if let Some(b) = buckets.get_mut(bids.for_sender(u64::from(sender)).1) {
                b.dry_senders += 1;
            }
        }
    }
    buckets
}

/// A search's rates over its probes' measured windows alone: the settles
/// between probes send nothing, and would dilute a mean over the whole run.
/// Landed is what the chain landed while the probes were sending (their
/// windows' whole block intervals), never a probe's backlog that landed
/// during a settle.
#[derive(Debug, Clone)]
pub(crate) struct ProbesSending {
    pub(crate) offered_per_s: f64,
    pub(crate) windows_us: Vec<(u64, u64)>,
}

impl ProbesSending {
    pub(crate) fn of(stages: &[(Stage, Recorder)]) -> Option<Self> {
        let (mut window, mut sent) = (0.0, 0.0);
        for (stage, r) in stages {
            window += stage.window.1.saturating_sub(stage.window.0).as_secs_f64();
            sent += r.sent_counts().1 as f64;
        }
        (window > 0.0).then(|| Self {
            offered_per_s: sent / window,
            windows_us: stages.iter().map(|(s, _)| window_us(s.window)).collect(),
        })
    }
}

fn window_us((from, to): (Duration, Duration)) -> (u64, u64) {
    (from.as_micros() as u64, to.as_micros() as u64)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
