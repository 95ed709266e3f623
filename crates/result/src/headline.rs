//! A run's headline figures: the few numbers that gates, repeats and
//! benchmark dashboards judge a run by, each with its unit and which way it
//! improves.

use crate::run::{Repeat, RunResult};

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Lower is better (latency, fees, CPU).
    Smaller,
    /// Higher is better (throughput, success rate).
    Bigger,
}

/// A headline figure of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Name used in thresholds and benchmark output, e.g. `confirmed.p99`.
    pub name: String,
    /// Unit of `value`.
    pub unit: String,
    /// The figure.
    pub value: f64,
    /// Which way it improves.
    pub better: Better,
}

/// The headline figures of a run, in a fixed order.
pub fn headline(r: &RunResult) -> Vec<Metric> {
    let m = |name: String, unit: &str, value, better| Metric {
        name,
        unit: unit.to_owned(),
        value,
        better,
    };
    // A window too short for a rate has none: no figure, rather than a 0
    // that a gate would read as a collapse.
    let mut v: Vec<Metric> = [
        ("tps", r.throughput.landed_mean_per_s),
        ("tps_peak", r.throughput.landed_peak_1s),
    ]
    .into_iter()
    .filter_map(|(name, rate)| Some(m(name.into(), "tx/s", rate?, Better::Bigger)))
    .collect();
    v.push(m("success".into(), "%", success_pct(r), Better::Bigger));
    v.push(m("failed".into(), "%", failed_pct(r), Better::Smaller));
    // A lower bound or a bracket is no knee: gating on it would read a
    // search that ran out of probes as a change of capacity.
    if let Some(k) = r.knee.as_ref().filter(|k| k.is_found()) {
        v.push(m("knee".into(), "tx/s", k.rate_per_s, Better::Bigger));
    }
    for l in &r.levels {
        v.push(m(
            format!("{}.p50", l.level),
            "ms",
            l.latency_us.p50 as f64 / 1e3,
            Better::Smaller,
        ));
        v.push(m(
            format!("{}.p99", l.level),
            "ms",
            l.latency_us.p99 as f64 / 1e3,
            Better::Smaller,
        ));
    }
    // Block deltas after every level's milliseconds: a file before them
    // keeps its metrics in the order they had.
    for l in &r.levels {
        let Some(d) = l.block_delta.as_ref().filter(|d| d.count > 0) else {
            continue;
        };
        for (q, value) in [("p50", d.p50), ("p99", d.p99)] {
            v.push(m(
                format!("{}.delta.{q}", l.level),
                r.blocks_word(),
                value as f64,
                Better::Smaller,
            ));
        }
    }
    v.push(m(
        "fee".into(),
        &r.fee_unit.unit,
        r.fees.mean,
        Better::Smaller,
    ));
    v.push(m(
        "block_time.p50".into(),
        "ms",
        r.chain_view.block_interval_us.p50 as f64 / 1e3,
        Better::Smaller,
    ));
    v.push(m(
        "cpu_per_tx".into(),
        "µs",
        r.harness.sending_cpu_us_per_tx,
        Better::Smaller,
    ));
    v
}

/// Landed but failed on chain (reverted, or an instruction error), percent
/// of sent (0 when nothing was sent).
pub fn failed_pct(r: &RunResult) -> f64 {
    if r.outcomes.sent == 0 {
        0.0
    } else {
        100.0 * r.outcomes.landed_failed as f64 / r.outcomes.sent as f64
    }
}

/// Landed successfully, percent of sent (0 when nothing was sent).
pub fn success_pct(r: &RunResult) -> f64 {
    if r.outcomes.sent == 0 {
        0.0
    } else {
        100.0 * r.outcomes.landed_ok as f64 / r.outcomes.sent as f64
    }
}

impl Repeat {
    /// The repeat of `r`, with its headline figures.
    pub fn headline(r: &RunResult) -> Self {
        Self::of(
            r,
            headline(r).into_iter().map(|m| (m.name, m.value)).collect(),
        )
    }
}
