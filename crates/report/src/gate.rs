//! Gates that know noise: a baseline and a candidate each repeated
//! (`chainmeter run --repeat K`) are compared by a confidence interval of
//! the change, not by one figure against another.
//!
//! The interval is a bootstrap percentile interval: each side's repeats
//! are resampled with replacement [`RESAMPLES`] times, and the change of
//! the mean (relative for a `%` rule, absolute otherwise) is taken between
//! each pair of resamples; the middle [`CONFIDENCE`] of those changes is the
//! interval. A rule fails only when the whole interval lies beyond it,
//! holds when the whole interval lies on its good side, and otherwise says
//! the data is too noisy to decide. The resampling is seeded, so the same
//! files give the same verdict.

use crate::{
    compare::{CompareError, Threshold},
    stats::mean,
};
use chainmeter_result::{rng::SplitMix64, run::RunResult};

/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 10_000;
/// The interval's coverage.
pub const CONFIDENCE: f64 = 0.95;
/// Fewest repeats a side needs for an interval.
pub const MIN_REPEATS: usize = 2;

/// How the gate decides, for the output.
pub const METHOD: &str = "bootstrap: each side's repeats resampled 10,000 times, \
    95% percentile interval of the change of the mean; a rule fails only when \
    the whole interval lies beyond it";

/// A change and its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// The change of the means themselves.
    pub estimate: f64,
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

/// What a rule concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is on the rule's good side.
    Holds,
    /// The whole interval is beyond the rule: a regression.
    Breaks,
    /// The interval straddles the rule's bound.
    TooNoisy,
    /// Some repeats lack the metric: judging the rest would pick the
    /// repeats that suit it. Fails the gate.
    Undecidable,
}

/// One rule judged on repeated runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// The rule as given.
    pub rule: String,
    /// Its metric.
    pub metric: String,
    /// Repeats: baseline, candidate.
    pub repeats: (usize, usize),
    /// Mean of each side.
    pub means: (f64, f64),
    /// The change (percent for a `%` rule, else in the metric's unit).
    pub change: Interval,
    /// Whether the change is in percent.
    pub percent: bool,
    /// The conclusion.
    pub verdict: Verdict,
    /// For an undecidable rule: which repeats lack the metric.
    pub missing: String,
}

impl Gate {
    /// One line: the rule, the interval, the verdict.
    pub fn line(&self) -> String {
        let unit = if self.percent { "%" } else { "" };
        let verdict = match self.verdict {
            Verdict::Holds => "holds",
            Verdict::Breaks => "BREAKS",
            Verdict::TooNoisy => "too noisy to decide (the interval straddles the bound)",
            Verdict::Undecidable => {
                return format!(
                    "{}: UNDECIDABLE: {} lack the metric {:?}, so the rule cannot be judged on every repeat",
                    self.rule, self.missing, self.metric
                )
            }
        };
        format!(
            "{}: mean {:.3} -> {:.3} ({} vs {} repeats), change {:+.2}{unit}, 95% interval [{:+.2}{unit}, {:+.2}{unit}]: {verdict}",
            self.rule,
            self.means.0,
            self.means.1,
            self.repeats.0,
            self.repeats.1,
            self.change.estimate,
            self.change.lo,
            self.change.hi,
        )
    }
}

/// Both results carry repeats enough for intervals.
pub fn repeated(baseline: &RunResult, candidate: &RunResult) -> bool {
    baseline.repeats.len() >= MIN_REPEATS && candidate.repeats.len() >= MIN_REPEATS
}

/// Judges every rule on the two results' repeats.
pub fn gates(
    baseline: &RunResult,
    candidate: &RunResult,
    thresholds: &[Threshold],
) -> Result<Vec<Gate>, CompareError> {
    thresholds
        .iter()
        .map(|t| {
            let (b_each, c_each) = (
                baseline.repeat_values(&t.metric),
                candidate.repeat_values(&t.metric),
            );
            let lacking = |side: &str, each: &[Option<f64>]| {
                let k: Vec<String> = each
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_none())
                    .map(|(k, _)| (k + 1).to_string())
                    .collect();
                (!k.is_empty() && k.len() < each.len())
                    .then(|| format!("the {side}'s repeats {}", k.join(", ")))
            };
            let missing: Vec<String> = [lacking("baseline", &b_each), lacking("candidate", &c_each)]
                .into_iter()
                .flatten()
                .collect();
            let b: Vec<f64> = b_each.iter().flatten().copied().collect();
            let c: Vec<f64> = c_each.iter().flatten().copied().collect();
            if !missing.is_empty() {
                return Ok(Gate {
                    rule: t.given().to_owned(),
                    metric: t.metric.clone(),
                    repeats: (b_each.len(), c_each.len()),
                    means: (mean(&b), mean(&c)),
                    change: Interval {
                        estimate: f64::NAN,
                        lo: f64::NAN,
                        hi: f64::NAN,
                    },
                    percent: t.percent,
                    verdict: Verdict::Undecidable,
                    missing: missing.join(" and "),
                });
            }
            if b.len() < MIN_REPEATS || c.len() < MIN_REPEATS {
                let names: Vec<&str> = baseline
                    .repeats
                    .first()
                    .map(|r| r.metrics.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                return Err(CompareError::Threshold {
                    given: t.given().to_owned(),
                    reason: format!(
                        "the repeats have no metric {:?}; they have {}",
                        t.metric,
                        names.join(", ")
                    ),
                });
            }
            let change = change_interval(&b, &c, t.percent).ok_or_else(|| {
                CompareError::Threshold {
                    given: t.given().to_owned(),
                    reason: "the baseline's mean is 0: a relative change is undefined; give an absolute bound".into(),
                }
            })?;
            // `>`: a rise beyond the bound breaks; `<`: a fall below it.
            let (beyond, good_side) = if t.above {
                (change.lo > t.bound, change.hi <= t.bound)
            } else {
                (change.hi < t.bound, change.lo >= t.bound)
            };
            let verdict = match (beyond, good_side) {
                (true, _) => Verdict::Breaks,
                (false, true) => Verdict::Holds,
                (false, false) => Verdict::TooNoisy,
            };
            Ok(Gate {
                rule: t.given().to_owned(),
                metric: t.metric.clone(),
                repeats: (b.len(), c.len()),
                means: (mean(&b), mean(&c)),
                change,
                percent: t.percent,
                verdict,
                missing: String::new(),
            })
        })
        .collect()
}

/// The change of the mean from `baseline` to `candidate` (percent of the
/// baseline's mean when `percent`) with its bootstrap interval; `None` for
/// a relative change from a mean of 0, or a side with no values.
pub fn change_interval(baseline: &[f64], candidate: &[f64], percent: bool) -> Option<Interval> {
    if baseline.is_empty() || candidate.is_empty() {
        return None;
    }
    let change = |b: f64, c: f64| {
        if percent {
            (b != 0.0).then(|| 100.0 * (c - b) / b.abs())
        } else {
            Some(c - b)
        }
    };
    let estimate = change(mean(baseline), mean(candidate))?;
    let mut rng = SplitMix64::new(0x0000_c4a1_e7e5);
    let mut resample = |v: &[f64]| {
        let sum: f64 = (0..v.len()).map(|_| v[rng.below(v.len())]).sum();
        sum / v.len() as f64
    };
    let changes: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            let b = resample(baseline);
            let c = resample(candidate);
            change(b, c)
        })
        .collect();
    percentile_interval(estimate, changes)
}

/// `estimate` with the middle [`CONFIDENCE`] of the resampled `changes`;
/// `None` without any.
pub(crate) fn percentile_interval(estimate: f64, mut changes: Vec<f64>) -> Option<Interval> {
    if changes.is_empty() {
        return None;
    }
    changes.sort_by(f64::total_cmp);
    let at = |q: f64| changes[((changes.len() - 1) as f64 * q).round() as usize];
    let tail = (1.0 - CONFIDENCE) / 2.0;
    Some(Interval {
        estimate,
        lo: at(tail),
        hi: at(1.0 - tail),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_shift_lies_wholly_beyond_and_noise_straddles() {
        let base = [500.0, 505.0, 498.0, 502.0, 501.0];
        let doubled = [1000.0, 1010.0, 996.0, 1004.0, 1002.0];
        let i = change_interval(&base, &doubled, true).unwrap();
        assert!((i.estimate - 100.0).abs() < 1.0, "{i:?}");
        assert!(i.lo > 20.0, "{i:?}");
        let same = [501.0, 499.0, 503.0, 500.0, 502.0];
        let i = change_interval(&base, &same, true).unwrap();
        assert!(i.lo < 0.0 && i.hi > 0.0 && i.hi < 20.0, "{i:?}");
        let noisy = [300.0, 900.0, 400.0, 800.0, 500.0];
        let i = change_interval(&base, &noisy, true).unwrap();
        assert!(i.lo < 20.0 && i.hi > 20.0, "{i:?}");
        assert_eq!(change_interval(&[0.0, 0.0], &[1.0, 1.0], true), None);
        // Seeded: the same input, the same interval.
        assert_eq!(
            change_interval(&base, &noisy, true),
            change_interval(&base, &noisy, true)
        );
    }
}
