//! Comparing runs: chain vs chain, and baseline vs candidate with regression
//! thresholds and github-action-benchmark output.

use crate::{format::micros, table::Table};
use chainmeter_result::headline::success_pct;
pub use chainmeter_result::headline::{headline, Better, Metric};
use chainmeter_result::{
    level::Level,
    run::{RunResult, RunStatus, Verification},
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Why `r` has no `knee` metric, if it has none.
pub fn no_knee(r: &RunResult) -> Option<String> {
    match &r.knee {
        Some(k) if k.is_found() => None,
        Some(k) => Some(format!("its search found no knee: {}", k.rate_words())),
        None if r.load.profile == "saturate" => {
            Some("none of its probes met the objective".to_owned())
        }
        None => Some(format!(
            "it is a {} run, not a saturation search",
            r.load.profile
        )),
    }
}

/// Rules on `knee` that cannot be judged because a run found no knee: each
/// is a failure with the reason (a search that ran out of probes must not
/// pass a capacity gate, nor stop the gate as a usage error). Returns those
/// failures and the rules left to judge.
pub fn knee_rules(
    baseline: &RunResult,
    candidate: &RunResult,
    thresholds: &[Threshold],
) -> (Vec<String>, Vec<Threshold>) {
    let mut failures = Vec::new();
    let mut rest = Vec::new();
    for t in thresholds {
        let missing = [("baseline", baseline), ("candidate", candidate)]
            .into_iter()
            .find_map(|(side, r)| no_knee(r).map(|why| format!("the {side}: {why}")));
        match missing {
            Some(why) if t.metric == "knee" => {
                failures.push(format!("{}: cannot be judged, {why}", t.given))
            }
            _ => rest.push(t.clone()),
        }
    }
    (failures, rest)
}

/// Why two results cannot be compared as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompareError {
    /// The workloads differ.
    #[error("the runs did not run the same workload ({0}); pass --allow-mismatch to compare them anyway")]
    Mismatch(String),
    /// Rules were given for results that are not a baseline and a
    /// candidate of one chain.
    #[error("--fail-if and --bench-json compare a baseline with a candidate: give two results of one chain")]
    NotAPair,
    /// A threshold could not be read.
    #[error("--fail-if {given:?}: {reason}")]
    Threshold {
        /// What was given.
        given: String,
        /// What is wrong.
        reason: String,
    },
}

/// Load settings that tune the harness or the wait, not the load itself.
const NOT_THE_LOAD: [&str; 2] = ["coalesce", "drain_timeout"];

/// The parts of a scenario that make two runs the same workload: the
/// workload, the accounts, and every setting of the load (its profile with
/// its steps' rates, a closed loop's concurrency, a search's range and
/// objective), flattened to `load.<key>`.
fn workload_key(r: &RunResult) -> serde_json::Map<String, serde_json::Value> {
    let s = &r.scenario;
    let mut key = serde_json::Map::new();
    key.insert(
        "workload".into(),
        s.get("workload").cloned().unwrap_or_default(),
    );
    key.insert(
        "accounts".into(),
        s.pointer("/accounts/count").cloned().unwrap_or_default(),
    );
    if let Some(load) = s.get("load").and_then(|l| l.as_object()) {
        for (k, v) in load
            .iter()
            .filter(|(k, _)| !NOT_THE_LOAD.contains(&k.as_str()))
        {
            key.insert(format!("load.{k}"), v.clone());
        }
    }
    key
}

/// Checks that `results` ran the same workload; names the first difference.
pub fn check_same_workload(results: &[RunResult]) -> Result<(), CompareError> {
    let Some(first) = results.first() else {
        return Ok(());
    };
    let key = workload_key(first);
    for r in &results[1..] {
        let other = workload_key(r);
        let null = serde_json::Value::Null;
        let differs = key
            .keys()
            .chain(other.keys())
            .find(|k| key.get(*k).unwrap_or(&null) != other.get(*k).unwrap_or(&null));
        if let Some(field) = differs {
            return Err(CompareError::Mismatch(format!(
                "{field}: {} in {} vs {} in {}",
                key.get(field).unwrap_or(&null),
                first.scenario_name,
                other.get(field).unwrap_or(&null),
                r.scenario_name
            )));
        }
    }
    Ok(())
}

/// A side-by-side table of runs on different chains, in the shape people publish.
pub fn chain_table(results: &[RunResult]) -> Table {
    let mut header = vec![String::new()];
    header.extend(
        results
            .iter()
            .map(|r| format!("{} ({})", r.chain, r.environment.node.name())),
    );
    let row = |name: &str, f: &dyn Fn(&RunResult) -> String| {
        std::iter::once(name.to_owned())
            .chain(results.iter().map(f))
            .collect::<Vec<_>>()
    };
    let rows = vec![
        row("workload", &crate::view::workload),
        row("offered load", &|r| {
            format!("{:.0} tx/s ({})", r.load.rate_per_s, r.load.shape)
        }),
        row("landed TPS, mean", &|r| {
            crate::view::rate(r.throughput.landed_mean_per_s)
        }),
        row("landed TPS, best (whole blocks, >= 1 s)", &|r| {
            crate::view::rate(r.throughput.landed_peak_1s)
        }),
        row("block / slot time, p50", &|r| {
            micros(r.chain_view.block_interval_us.p50)
        }),
        row("first inclusion, p50 / p99", &|r| {
            level_cell(r, r.levels.first().map(|l| l.level))
        }),
        row("strongest level, p50 / p99", &|r| {
            level_cell(r, r.levels.last().map(|l| l.level))
        }),
        row("fee per transaction", &|r| r.fee_unit.format(r.fees.mean)),
        row(
            "fee per transaction, USD",
            &|r| match (&r.fees.price, r.fees.mean_usd) {
                (Some(p), Some(usd)) => {
                    format!("${usd:.6} (at ${}/coin, {})", p.usd_per_coin, p.source)
                }
                _ => "no price given".to_owned(),
            },
        ),
        row("success rate", &|r| {
            format!(
                "{:.2}% ({} of {})",
                success_pct(r),
                r.outcomes.landed_ok,
                r.outcomes.sent
            )
        }),
    ];
    Table { header, rows }
}

/// One chain's hot and disjoint runs side by side, with hot / disjoint
/// ratios: what writing one account does to throughput and latency.
pub fn contention_table(hot: &RunResult, disjoint: &RunResult) -> Table {
    let header = ["", "hot", "disjoint", "hot / disjoint"]
        .map(str::to_owned)
        .to_vec();
    let ratio = |h: f64, d: f64| {
        if d > 0.0 {
            format!("{:.2}", h / d)
        } else {
            "n/a".to_owned()
        }
    };
    let mut rows = vec![
        vec![
            "landed TPS, mean".to_owned(),
            crate::view::rate(hot.throughput.landed_mean_per_s),
            crate::view::rate(disjoint.throughput.landed_mean_per_s),
            match (
                hot.throughput.landed_mean_per_s,
                disjoint.throughput.landed_mean_per_s,
            ) {
                (Some(h), Some(d)) => ratio(h, d),
                _ => "n/a".to_owned(),
            },
        ],
        vec![
            "success rate".to_owned(),
            format!("{:.2}%", success_pct(hot)),
            format!("{:.2}%", success_pct(disjoint)),
            ratio(success_pct(hot), success_pct(disjoint)),
        ],
    ];
    for d in &disjoint.levels {
        let Some(h) = hot.level(d.level) else {
            continue;
        };
        for (name, hv, dv) in [
            ("p50", h.latency_us.p50, d.latency_us.p50),
            ("p99", h.latency_us.p99, d.latency_us.p99),
        ] {
            rows.push(vec![
                format!("{} {name}", d.level),
                micros(hv),
                micros(dv),
                ratio(hv as f64, dv as f64),
            ]);
        }
    }
    rows.push(vec![
        "gas / compute units per transaction, p50".to_owned(),
        hot.fees.compute_per_tx.p50.to_string(),
        disjoint.fees.compute_per_tx.p50.to_string(),
        ratio(
            hot.fees.compute_per_tx.p50 as f64,
            disjoint.fees.compute_per_tx.p50 as f64,
        ),
    ]);
    rows.push(vec![
        "fee per transaction".to_owned(),
        hot.fee_unit.format(hot.fees.mean),
        disjoint.fee_unit.format(disjoint.fees.mean),
        ratio(hot.fees.mean, disjoint.fees.mean),
    ]);
    Table { header, rows }
}

fn level_cell(r: &RunResult, level: Option<Level>) -> String {
    match level.and_then(|l| r.level(l)) {
        Some(l) => format!(
            "{} / {} ({})",
            micros(l.latency_us.p50),
            micros(l.latency_us.p99),
            l.level
        ),
        None => "not measured".to_owned(),
    }
}

/// One headline figure, baseline against candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    /// The metric's name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// Baseline value.
    pub baseline: f64,
    /// Candidate value.
    pub candidate: f64,
    /// Which way it improves.
    pub better: Better,
}

impl Delta {
    /// Relative change in percent; `None` when the baseline is zero.
    pub fn change_pct(&self) -> Option<f64> {
        (self.baseline != 0.0)
            .then(|| 100.0 * (self.candidate - self.baseline) / self.baseline.abs())
    }
}

/// The delta of every headline metric the two runs share.
pub fn deltas(baseline: &RunResult, candidate: &RunResult) -> Vec<Delta> {
    let cand = headline(candidate);
    headline(baseline)
        .into_iter()
        .filter_map(|b| {
            let c = cand.iter().find(|c| c.name == b.name)?;
            Some(Delta {
                name: b.name,
                unit: b.unit,
                baseline: b.value,
                candidate: c.value,
                better: b.better,
            })
        })
        .collect()
}

/// A rule such as `confirmed.p99>+10%` (fail when the p99 grows by more than
/// 10%) or `tps<-5%`; without `%` the bound is an absolute change in the
/// metric's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The metric's name.
    pub metric: String,
    /// True for `>`: fail when the change is above the bound; false for `<`.
    pub above: bool,
    /// The bound.
    pub bound: f64,
    /// Whether the bound is a percentage.
    pub percent: bool,
    given: String,
}

impl Threshold {
    /// The rule as written.
    pub fn given(&self) -> &str {
        &self.given
    }

    /// Parses `given`.
    pub fn parse(given: &str) -> Result<Self, CompareError> {
        let err = |reason: &str| CompareError::Threshold {
            given: given.to_owned(),
            reason: reason.to_owned(),
        };
        let (metric, above, rest) = match (given.find('>'), given.find('<')) {
            (Some(i), None) => (&given[..i], true, &given[i + 1..]),
            (None, Some(i)) => (&given[..i], false, &given[i + 1..]),
            _ => {
                return Err(err(
                    "write METRIC>CHANGE or METRIC<CHANGE, e.g. confirmed.p99>+10% or tps<-5%",
                ))
            }
        };
        let (number, percent) = match rest.trim().strip_suffix('%') {
            Some(n) => (n, true),
            None => (rest.trim(), false),
        };
        let bound: f64 = number
            .parse()
            .map_err(|_| err("the change is not a number"))?;
        if metric.trim().is_empty() {
            return Err(err("no metric named"));
        }
        Ok(Self {
            metric: metric.trim().to_owned(),
            above,
            bound,
            percent,
            given: given.to_owned(),
        })
    }

    /// The breach, if `delta` breaks this threshold. From a baseline of 0 a
    /// relative change is undefined: any move in the rule's direction breaks it.
    pub fn check(&self, delta: &Delta) -> Option<String> {
        let change = if self.percent {
            match delta.change_pct() {
                Some(c) => c,
                None => {
                    let moved = if self.above {
                        delta.candidate > delta.baseline
                    } else {
                        delta.candidate < delta.baseline
                    };
                    return moved.then(|| {
                        format!(
                            "{}: {} -> {} {}, breaks {} (the baseline is 0, so any change that way does)",
                            delta.name,
                            fmt_value(delta.baseline),
                            fmt_value(delta.candidate),
                            delta.unit,
                            self.given
                        )
                    });
                }
            }
        } else {
            delta.candidate - delta.baseline
        };
        let broken = if self.above {
            change > self.bound
        } else {
            change < self.bound
        };
        broken.then(|| {
            let unit = if self.percent { "%" } else { &delta.unit };
            format!(
                "{}: {} -> {} {} ({change:+.2}{unit}), breaks {}",
                delta.name,
                fmt_value(delta.baseline),
                fmt_value(delta.candidate),
                delta.unit,
                self.given
            )
        })
    }
}

fn fmt_value(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// A candidate level with fewer samples than this share of the baseline's
/// cannot stand for it: its percentiles describe a different run.
pub const MIN_SAMPLE_SHARE: f64 = 0.5;

/// Why `candidate` cannot pass a gate against `baseline` whatever its
/// figures say: it was aborted or is incomplete, it failed its own
/// verification, or a level has no samples or far fewer than the baseline's.
/// An empty histogram summarises as 0, which would read as a -100%
/// "improvement" of every latency. For repeated runs every repeat of both
/// sides is held to the same rules (see [`unfit_repeats`]).
pub fn unfit_candidate(baseline: &RunResult, candidate: &RunResult) -> Vec<String> {
    let reference: BTreeMap<Level, f64> = baseline
        .levels
        .iter()
        .map(|l| (l.level, l.latency_us.count as f64))
        .collect();
    unfit(
        "the candidate run",
        &candidate.status,
        candidate.verification.as_ref(),
        &samples(candidate),
        &reference,
        "the baseline's",
    )
}

fn samples(r: &RunResult) -> BTreeMap<Level, u64> {
    r.levels
        .iter()
        .map(|l| (l.level, l.latency_us.count))
        .collect()
}

/// The fitness rules, for one run or one repeat called `who`: `reference`
/// holds the samples per level it must have at least half of (a level at 0
/// only needs a sample), `of` names whose they are.
fn unfit(
    who: &str,
    status: &RunStatus,
    verification: Option<&Verification>,
    samples: &BTreeMap<Level, u64>,
    reference: &BTreeMap<Level, f64>,
    of: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    match status {
        RunStatus::Completed => {}
        RunStatus::Aborted { reason, .. } => out.push(format!("{who} was aborted: {reason}")),
        RunStatus::Incomplete { .. } => out.push(format!(
            "{who} is incomplete: landed transactions {}",
            status.shortfall().unwrap_or_default()
        )),
        RunStatus::Running => out.push(format!(
            "{who} never finished: a partial result written while it went (status running)"
        )),
    }
    if let Some(v) = verification.filter(|v| !v.passed()) {
        out.push(format!("{who} failed its verification: {}", v.line()));
    }
    for (&level, &want) in reference {
        let count = samples.get(&level).copied().unwrap_or(0);
        let floor = (want * MIN_SAMPLE_SHARE).ceil() as u64;
        if count == 0 && want > 0.0 {
            out.push(format!("{who} has no samples at {level} ({of} {want:.0})"));
        } else if count == 0 {
            out.push(format!("{who} has no samples at {level}"));
        } else if count < floor {
            out.push(format!(
                "{who} has {count} samples at {level} against {of} {want:.0}: fewer than {:.0}% of them",
                MIN_SAMPLE_SHARE * 100.0
            ));
        }
    }
    out
}

/// [`unfit_candidate`]'s rules applied to every repeat of both sides: a
/// repeat where every send was refused "completes" with tps 0 and would
/// turn a real regression into noise. The baseline's repeats must each
/// have samples at every level it records; the candidate's, at least half
/// the baseline's mean samples. A repeat written before its status was
/// recorded cannot be judged, and says so.
pub fn unfit_repeats(baseline: &RunResult, candidate: &RunResult) -> Vec<String> {
    let mut mean: BTreeMap<Level, f64> = BTreeMap::new();
    for rep in &baseline.repeats {
        for l in &baseline.levels {
            *mean.entry(l.level).or_default() +=
                rep.samples.get(&l.level).copied().unwrap_or(0) as f64;
        }
    }
    let n = baseline.repeats.len().max(1) as f64;
    mean.values_mut().for_each(|v| *v /= n);
    let any: BTreeMap<Level, f64> = mean.keys().map(|&l| (l, 0.0)).collect();
    let mut out = Vec::new();
    for (side, r, reference, of) in [
        ("baseline", baseline, &any, ""),
        ("candidate", candidate, &mean, "the baseline's mean of"),
    ] {
        for (k, rep) in r.repeats.iter().enumerate() {
            let who = format!("the {side}'s repeat {}", k + 1);
            let Some(status) = &rep.status else {
                out.push(format!(
                    "{who} records no status (written by an older chainmeter): it cannot be judged"
                ));
                continue;
            };
            out.extend(unfit(
                &who,
                status,
                rep.verification.as_ref(),
                &rep.samples,
                reference,
                of,
            ));
        }
    }
    out
}

/// Applies `thresholds` to `deltas`: the list of regressions (empty: none).
/// A threshold on a metric neither run has is an error.
pub fn regressions(
    deltas: &[Delta],
    thresholds: &[Threshold],
) -> Result<Vec<String>, CompareError> {
    let mut out = Vec::new();
    for t in thresholds {
        let Some(d) = deltas.iter().find(|d| d.name == t.metric) else {
            let names: Vec<_> = deltas.iter().map(|d| d.name.as_str()).collect();
            return Err(CompareError::Threshold {
                given: t.given.clone(),
                reason: format!(
                    "no metric {:?}; the runs have {}",
                    t.metric,
                    names.join(", ")
                ),
            });
        };
        out.extend(t.check(d));
    }
    Ok(out)
}

/// The deltas as a table.
pub fn delta_table(deltas: &[Delta]) -> Table {
    let header = ["metric", "baseline", "candidate", "change", "better"]
        .map(str::to_owned)
        .to_vec();
    let rows = deltas
        .iter()
        .map(|d| {
            let change = d
                .change_pct()
                .map_or_else(|| "n/a".to_owned(), |c| format!("{c:+.2}%"));
            let better = match d.better {
                Better::Smaller => "lower",
                Better::Bigger => "higher",
            };
            vec![
                d.name.clone(),
                format!("{} {}", fmt_value(d.baseline), d.unit),
                format!("{} {}", fmt_value(d.candidate), d.unit),
                change,
                better.to_owned(),
            ]
        })
        .collect();
    Table { header, rows }
}

/// One entry of github-action-benchmark's `customSmallerIsBetter` /
/// `customBiggerIsBetter` input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkEntry {
    /// Metric name, prefixed with the chain.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Value.
    pub value: f64,
}

/// A run's headline metrics split by direction, as github-action-benchmark
/// reads them: (smaller is better, bigger is better).
pub fn benchmark_entries(r: &RunResult) -> (Vec<BenchmarkEntry>, Vec<BenchmarkEntry>) {
    let (mut smaller, mut bigger) = (Vec::new(), Vec::new());
    for m in headline(r) {
        let e = BenchmarkEntry {
            name: format!("{} {}", r.chain, m.name),
            unit: m.unit.to_owned(),
            value: m.value,
        };
        match m.better {
            Better::Smaller => smaller.push(e),
            Better::Bigger => bigger.push(e),
        }
    }
    (smaller, bigger)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(name: &str, baseline: f64, candidate: f64, better: Better) -> Delta {
        Delta {
            name: name.into(),
            unit: "ms".into(),
            baseline,
            candidate,
            better,
        }
    }

    #[test]
    fn thresholds_parse_and_fire_in_both_directions() {
        let p99 = Threshold::parse("confirmed.p99>+10%").unwrap();
        assert!(p99.above && p99.percent && p99.bound == 10.0);
        assert!(p99
            .check(&delta("confirmed.p99", 100.0, 111.0, Better::Smaller))
            .is_some());
        assert!(p99
            .check(&delta("confirmed.p99", 100.0, 109.0, Better::Smaller))
            .is_none());
        assert!(p99
            .check(&delta("confirmed.p99", 100.0, 50.0, Better::Smaller))
            .is_none());

        let tps = Threshold::parse("tps<-5%").unwrap();
        assert!(tps
            .check(&delta("tps", 1000.0, 940.0, Better::Bigger))
            .is_some());
        assert!(tps
            .check(&delta("tps", 1000.0, 960.0, Better::Bigger))
            .is_none());
        assert!(tps
            .check(&delta("tps", 1000.0, 2000.0, Better::Bigger))
            .is_none());

        let abs = Threshold::parse("fee>100").unwrap();
        assert!(!abs.percent);
        assert!(abs
            .check(&delta("fee", 5000.0, 5101.0, Better::Smaller))
            .is_some());
        assert!(abs
            .check(&delta("fee", 5000.0, 5100.0, Better::Smaller))
            .is_none());
    }

    #[test]
    fn bad_thresholds_and_unknown_metrics_are_errors() {
        for bad in ["tps", "tps>x%", ">5%", "tps>5<3"] {
            assert!(Threshold::parse(bad).is_err(), "{bad}");
        }
        let t = Threshold::parse("nosuch.p99>1%").unwrap();
        let e = regressions(&[delta("tps", 1.0, 1.0, Better::Bigger)], &[t])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no metric \"nosuch.p99\"") && e.contains("tps"),
            "{e}"
        );
    }

    #[test]
    fn a_zero_baseline_fires_a_relative_rule_on_any_move_its_way() {
        let d = delta("x", 0.0, 5.0, Better::Smaller);
        assert_eq!(d.change_pct(), None);
        let breach = Threshold::parse("x>+1%").unwrap().check(&d).unwrap();
        assert!(breach.contains("the baseline is 0"), "{breach}");
        assert!(Threshold::parse("x<-1%").unwrap().check(&d).is_none());
        assert!(Threshold::parse("x>1").unwrap().check(&d).is_some());
        let same = delta("x", 0.0, 0.0, Better::Smaller);
        assert!(Threshold::parse("x>+1%").unwrap().check(&same).is_none());
    }
}
