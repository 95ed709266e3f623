//! `chainmeter ab`: A and B run interleaved, A-B-B-A, so that the machine's
//! drift over the runs falls on both alike, and are judged by the change
//! within each pair.
//!
//! For every headline metric: each pair's change (B against A), whether
//! every pair and every cross-pairing (A of one pair against B of any)
//! agrees on its direction, a paired bootstrap interval of the change
//! (the pairs resampled with replacement, 10,000 times, seeded) and the
//! between-pairings interval (the A runs and the B runs resampled apart,
//! as [`change_interval`] does for repeats); the wider of the two is the
//! one used, as reth's benchmark CI does. A rule breaks only when that
//! interval lies wholly beyond its bound and every pair and cross-pairing
//! agrees; it holds when the interval lies wholly on its good side; any
//! other case, or fewer than [`MIN_PAIRS`] pairs, is undecided: said as
//! such, never a pass or a fail.

use crate::{
    compare::{CompareError, Threshold},
    gate::{change_interval, percentile_interval, Interval, RESAMPLES},
    html,
    stats::mean,
    table::Table,
};
use chainmeter_result::{
    headline::{headline, Better, Metric},
    rng::SplitMix64,
    run::RunResult,
};
use serde::{Deserialize, Serialize};

/// Fewest pairs a rule is decided on.
pub const MIN_PAIRS: usize = 2;

/// How `ab` decides, for its pages.
pub const METHOD: &str = "A-B-B-A pairs; per metric the paired bootstrap (pairs resampled \
    10,000 times) and the between-pairings bootstrap (A and B runs resampled apart), 95% \
    percentile intervals of the change of the mean, the wider used; a rule breaks only when \
    that interval lies wholly beyond it and every pair and cross-pairing agrees on the direction";

/// Which side a run was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// The baseline.
    A,
    /// The candidate.
    B,
}

/// The sides of pair `k` (from 0) in run order: A-B, then B-A, and so on.
pub fn order(k: usize) -> [Side; 2] {
    if k.is_multiple_of(2) {
        [Side::A, Side::B]
    } else {
        [Side::B, Side::A]
    }
}

/// One metric across the pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    /// The headline metric's name (`included.p50`).
    pub metric: String,
    /// Its unit.
    pub unit: String,
    /// Lower is better.
    pub smaller_is_better: bool,
    /// Its value in each pair: A, B.
    pub pairs: Vec<(f64, f64)>,
    /// Each pair's change, percent of its A.
    pub pair_changes_pct: Vec<f64>,
    /// Every pair moves the same way (none unchanged).
    pub pairs_agree: bool,
    /// Every cross-pairing (A of any pair against B of any) does too.
    pub cross_agree: bool,
    /// The paired bootstrap interval of the change of the mean, percent.
    pub paired_pct: Option<Interval>,
    /// The between-pairings interval, percent.
    pub between_pct: Option<Interval>,
}

impl MetricChange {
    /// The wider of the two intervals: the one a rule is judged on.
    pub fn used_pct(&self) -> Option<Interval> {
        wider(self.paired_pct, self.between_pct)
    }
}

/// Every headline metric that all the runs have, B against A.
pub fn changes(pairs: &[(RunResult, RunResult)]) -> Vec<MetricChange> {
    let headlines = Headlines::of(pairs);
    let Some((first, _)) = headlines.0.first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter_map(|m| {
            let values = headlines.values(&m.name)?;
            let (a, b): (Vec<f64>, Vec<f64>) = values.iter().copied().unzip();
            let (pairs_agree, cross_agree) = agreement(&values);
            Some(MetricChange {
                pair_changes_pct: values.iter().map(|&(a, b)| pct(a, b)).collect(),
                pairs_agree,
                cross_agree,
                paired_pct: paired_interval(&values, true),
                between_pct: change_interval(&a, &b, true),
                metric: m.name.clone(),
                unit: m.unit.clone(),
                smaller_is_better: m.better == Better::Smaller,
                pairs: values,
            })
        })
        .collect()
}

/// Each pair's headline figures, A's and B's, computed once.
struct Headlines(Vec<(Vec<Metric>, Vec<Metric>)>);

impl Headlines {
    fn of(pairs: &[(RunResult, RunResult)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(a, b)| (headline(a), headline(b)))
                .collect(),
        )
    }

    /// Metric `name` in each pair, A and B; `None` unless every run has it.
    fn values(&self, name: &str) -> Option<Vec<(f64, f64)>> {
        let value = |h: &[Metric]| h.iter().find(|m| m.name == name).map(|m| m.value);
        self.0
            .iter()
            .map(|(a, b)| Some((value(a)?, value(b)?)))
            .collect()
    }
}

/// Whether every pair, and every cross-pairing (A of any pair against B
/// of any), moves one way.
fn agreement(values: &[(f64, f64)]) -> (bool, bool) {
    let (a, b): (Vec<f64>, Vec<f64>) = values.iter().copied().unzip();
    (
        agree(values.iter().map(|&(a, b)| b - a)),
        agree(a.iter().flat_map(|x| b.iter().map(move |y| y - x))),
    )
}

fn pct(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        f64::NAN
    } else {
        100.0 * (b - a) / a.abs()
    }
}

/// Every change is of one sign, none zero.
fn agree(changes: impl Iterator<Item = f64>) -> bool {
    let signs: Vec<i8> = changes
        .map(|c| match c {
            c if c > 0.0 => 1,
            c if c < 0.0 => -1,
            _ => 0,
        })
        .collect();
    !signs.is_empty() && signs[0] != 0 && signs.iter().all(|s| *s == signs[0])
}

/// The change of the mean from the pairs' A to their B (percent of A's
/// mean when `percent`), the pairs resampled together; `None` from a mean
/// of 0 or without pairs.
pub fn paired_interval(pairs: &[(f64, f64)], percent: bool) -> Option<Interval> {
    let change = |a: f64, b: f64| match percent {
        true => (a != 0.0).then(|| 100.0 * (b - a) / a.abs()),
        false => Some(b - a),
    };
    if pairs.is_empty() {
        return None;
    }
    let (a, b): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    let estimate = change(mean(&a), mean(&b))?;
    let mut rng = SplitMix64::new(0x0000_ab0a_b0ab);
    let changes: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            let (mut sa, mut sb) = (0.0, 0.0);
            for _ in 0..pairs.len() {
                let (x, y) = pairs[rng.below(pairs.len())];
                sa += x;
                sb += y;
            }
            let n = pairs.len() as f64;
            change(sa / n, sb / n)
        })
        .collect();
    percentile_interval(estimate, changes)
}

fn wider(a: Option<Interval>, b: Option<Interval>) -> Option<Interval> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.hi - y.lo > x.hi - x.lo { y } else { x }),
        (x, y) => x.or(y),
    }
}

/// What a rule concluded on the pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum AbVerdict {
    /// The interval lies wholly on the rule's good side.
    Holds,
    /// The interval lies wholly beyond the bound and every pair and
    /// cross-pairing agrees: B regressed.
    Breaks,
    /// Neither can be said; `why` says what stands in the way.
    Undecided {
        /// What stands in the way.
        why: String,
    },
}

/// One `--fail-if` rule judged on the pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbGate {
    /// The rule as given.
    pub rule: String,
    /// Its metric.
    pub metric: String,
    /// The interval judged (the wider), in percent or the metric's unit.
    pub interval: Option<Interval>,
    /// Whether the interval is in percent.
    pub percent: bool,
    /// The conclusion.
    #[serde(flatten)]
    pub verdict: AbVerdict,
}

impl AbGate {
    /// One line: the rule, the interval, the verdict.
    pub fn line(&self) -> String {
        let unit = if self.percent { "%" } else { "" };
        let interval = self.interval.map_or_else(
            || "no interval".to_owned(),
            |i| {
                format!(
                    "change {:+.2}{unit}, 95% interval [{:+.2}{unit}, {:+.2}{unit}]",
                    i.estimate, i.lo, i.hi
                )
            },
        );
        let verdict = match &self.verdict {
            AbVerdict::Holds => "holds".to_owned(),
            AbVerdict::Breaks => "BREAKS".to_owned(),
            AbVerdict::Undecided { why } => format!("undecided: {why}"),
        };
        format!("{}: {interval}: {verdict}", self.rule)
    }
}

/// Judges every rule on the pairs.
pub fn gates(
    pairs: &[(RunResult, RunResult)],
    rules: &[Threshold],
) -> Result<Vec<AbGate>, CompareError> {
    let headlines = Headlines::of(pairs);
    rules
        .iter()
        .map(|t| {
            let Some(values) = headlines.values(&t.metric).filter(|v| !v.is_empty()) else {
                let names: Vec<String> = headlines
                    .0
                    .first()
                    .map(|(a, _)| a.iter().map(|m| m.name.clone()).collect())
                    .unwrap_or_default();
                return Err(CompareError::Threshold {
                    given: t.given().to_owned(),
                    reason: format!(
                        "not every run has the metric {:?}; they have {}",
                        t.metric,
                        names.join(", ")
                    ),
                });
            };
            let (a, b): (Vec<f64>, Vec<f64>) = values.iter().copied().unzip();
            let interval = wider(
                paired_interval(&values, t.percent),
                change_interval(&a, &b, t.percent),
            );
            let (pairs_agree, cross_agree) = agreement(&values);
            let agreed = pairs_agree && cross_agree;
            let verdict = judge(t, interval, agreed, values.len());
            Ok(AbGate {
                rule: t.given().to_owned(),
                metric: t.metric.clone(),
                interval,
                percent: t.percent,
                verdict,
            })
        })
        .collect()
}

/// The verdict of rule `t` on `interval` of `pairs` pairs that `agreed`
/// on the direction (or not).
fn judge(t: &Threshold, interval: Option<Interval>, agreed: bool, pairs: usize) -> AbVerdict {
    let undecided = |why: String| AbVerdict::Undecided { why };
    if pairs < MIN_PAIRS {
        return undecided(format!("{pairs} pair; at least {MIN_PAIRS} decide"));
    }
    let Some(i) = interval else {
        return undecided("A's mean is 0: a relative change is undefined".into());
    };
    // `>`: a rise beyond the bound breaks; `<`: a fall below it.
    let (beyond, good_side) = if t.above {
        (i.lo > t.bound, i.hi <= t.bound)
    } else {
        (i.hi < t.bound, i.lo >= t.bound)
    };
    match (beyond, good_side, agreed) {
        (true, _, true) => AbVerdict::Breaks,
        (true, _, false) => {
            undecided("beyond the bound, but the pairs disagree on the direction".into())
        }
        (false, true, _) => AbVerdict::Holds,
        (false, false, _) => undecided("the interval straddles the bound".into()),
    }
}

/// The table of every metric's change, for `ab.md` and `ab.html`.
pub fn table(changes: &[MetricChange]) -> Table {
    let header = [
        "metric",
        "A (mean)",
        "B (mean)",
        "each pair's change",
        "agree (pairs / cross)",
        "paired 95%",
        "between-pairings 95%",
    ];
    let span = |i: Option<Interval>| {
        i.map_or_else(
            || "–".to_owned(),
            |i| format!("{:+.1}% [{:+.1}%, {:+.1}%]", i.estimate, i.lo, i.hi),
        )
    };
    let rows = changes
        .iter()
        .map(|c| {
            let (a, b): (Vec<f64>, Vec<f64>) = c.pairs.iter().copied().unzip();
            vec![
                c.metric.clone(),
                format!("{:.3} {}", mean(&a), c.unit),
                format!("{:.3} {}", mean(&b), c.unit),
                c.pair_changes_pct
                    .iter()
                    // From an A of 0 a relative change is undefined.
                    .map(|p| match p.is_finite() {
                        true => format!("{p:+.1}%"),
                        false => "–".to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                format!(
                    "{} / {}",
                    if c.pairs_agree { "yes" } else { "no" },
                    if c.cross_agree { "yes" } else { "no" }
                ),
                span(c.paired_pct),
                span(c.between_pct),
            ]
        })
        .collect();
    Table {
        header: header.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

/// `ab.md`: the setup, the table and the gate.
pub fn markdown(title: &str, intro: &str, changes: &[MetricChange], gates: &[AbGate]) -> String {
    let mut text = format!("## {title}\n\n{intro}\n\n{}", table(changes).markdown());
    if !gates.is_empty() {
        text.push_str(&format!("\n\n**Gate** ({METHOD}):\n\n"));
        for g in gates {
            text.push_str(&format!("- {}\n", g.line()));
        }
    }
    text
}

/// Every metric's change, B against A: each pair's change a dot, the
/// interval a rule is judged on a whisker, no change the middle line.
fn changes_chart(changes: &[MetricChange]) -> String {
    use crate::chart::{nice_max, Chart, Scale, Series, Style, XUnit, LANDED, PALETTE};
    let shown: Vec<&MetricChange> = changes
        .iter()
        .filter(|c| c.pair_changes_pct.iter().all(|p| p.is_finite()))
        .collect();
    let names: Vec<(f64, String)> = shown
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64 + 0.5, c.metric.clone()))
        .collect();
    let reach = shown
        .iter()
        .flat_map(|c| {
            c.pair_changes_pct
                .iter()
                .copied()
                .chain(c.used_pct().into_iter().flat_map(|i| [i.lo, i.hi]))
        })
        .map(f64::abs)
        .fold(0.0, f64::max);
    let mut chart = Chart::new(
        "headline metric",
        "change, B against A (%)",
        shown.len().max(1) as f64,
        XUnit::Named(names.clone()),
        Scale::Signed(nice_max(reach)),
    );
    chart.y_unit = "%".into();
    chart.size = (crate::chart::W, 340.0);
    let mut interval = Series::line(
        "95% interval of the change of the mean (the one judged)",
        Vec::new(),
    )
    .styled(Style::Dots)
    .colored(LANDED);
    for (i, c) in shown.iter().enumerate() {
        if let Some(used) = c.used_pct() {
            interval.points.push((i as f64 + 0.5, used.estimate));
            interval.whiskers.push((used.lo, used.hi));
        }
    }
    interval.style = Style::Marks;
    let pairs = shown.iter().map(|c| c.pairs.len()).max().unwrap_or(0);
    let mut series = vec![interval];
    for k in 0..pairs {
        series.push(
            Series::line(
                format!("pair {}", k + 1),
                shown
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| Some((i as f64 + 0.5, *c.pair_changes_pct.get(k)?)))
                    .collect(),
            )
            .styled(Style::Marks)
            .colored(PALETTE[(k + 1) % PALETTE.len()]),
        );
    }
    chart.series = series;
    // Metric names under the axis would overlap: each reads on hover, and
    // the table names them in the same order.
    chart.x_ticks = vec![(0.0, String::new())];
    chart.html()
}

/// `ab.html`: the same, as a page.
pub fn page(title: &str, intro: &str, changes: &[MetricChange], gates: &[AbGate]) -> String {
    let mut body = format!(
        "<p>{}</p><h2>Changes</h2><p>Each headline metric's change, B against A, in the order of the table below: a coloured dot per pair, the black dot and whisker the interval a rule is judged on; 0 is no change.</p>{}{}",
        crate::escape::escape(intro),
        changes_chart(changes),
        table(changes).html()
    );
    if !gates.is_empty() {
        body.push_str(&format!(
            "<p><strong>Gate</strong> ({})</p><ul>{}</ul>",
            crate::escape::escape(METHOD),
            gates
                .iter()
                .map(|g| format!("<li>{}</li>", crate::escape::escape(&g.line())))
                .collect::<String>()
        ));
    }
    html::document(title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_draws_each_pairs_change_and_the_judged_interval() {
        let change = |metric: &str, pcts: [f64; 2], lo: f64, hi: f64| MetricChange {
            metric: metric.into(),
            unit: "ms".into(),
            smaller_is_better: true,
            pairs: vec![(100.0, 100.0 + pcts[0]), (100.0, 100.0 + pcts[1])],
            pair_changes_pct: pcts.to_vec(),
            pairs_agree: true,
            cross_agree: true,
            paired_pct: Some(Interval {
                estimate: (pcts[0] + pcts[1]) / 2.0,
                lo,
                hi,
            }),
            between_pct: None,
        };
        let page = page(
            "ab",
            "A against B",
            &[
                change("included.p50", [12.0, 8.0], 6.0, 14.0),
                change("tps", [-1.0, 1.0], -2.0, 2.0),
            ],
            &[],
        );
        let chart = &page[page.find("<figure").unwrap()..page.find("</figure>").unwrap()];
        // Two metrics, each a hover position with both pairs and the interval.
        assert_eq!(chart.matches("<title>").count(), 2, "{chart}");
        assert!(
            chart.contains("<title>included.p50\n95% interval of the change of the mean (the one judged): 10.0 % (6.00 % to 14.0 %)\npair 1: 12.0 %\npair 2: 8.00 %</title>"),
            "{chart}"
        );
        // Dots, no lines: pairs do not join up across metrics.
        assert!(!chart.contains("<polyline"), "{chart}");
        assert_eq!(chart.matches("<circle").count(), 6, "{chart}");
    }

    #[test]
    fn pairs_alternate_a_b_b_a() {
        let sides: Vec<Side> = (0..3).flat_map(order).collect();
        use Side::{A, B};
        assert_eq!(sides, [A, B, B, A, A, B]);
    }

    #[test]
    fn the_paired_interval_is_the_hand_computed_one() {
        // Two pairs: the resamples are (p0, p0), (p0, p1), (p1, p0), (p1,
        // p1): sums A 200 / 210 / 210 / 220 and B 220 / 250 / 250 / 280,
        // so changes +10%, +19.05%, +19.05%, +27.27%, each resample of the
        // four about a quarter of the 10,000. The 2.5% and 97.5% points are
        // the extremes; the estimate is the means' change, +19.05%.
        let i = paired_interval(&[(100.0, 110.0), (110.0, 140.0)], true).unwrap();
        assert!((i.estimate - 100.0 * (125.0 - 105.0) / 105.0).abs() < 1e-9);
        assert!((i.lo - 10.0).abs() < 1e-9, "{i:?}");
        assert!(
            (i.hi - 100.0 * (280.0 - 220.0) / 220.0).abs() < 1e-9,
            "{i:?}"
        );
        // Identical pairs: no spread at all.
        let same = paired_interval(&[(10.0, 12.0); 3], false).unwrap();
        assert_eq!((same.lo, same.estimate, same.hi), (2.0, 2.0, 2.0));
    }

    fn rule(text: &str) -> Threshold {
        Threshold::parse(text).unwrap()
    }

    #[test]
    fn a_rule_breaks_only_beyond_its_bound_with_every_pair_agreeing() {
        let i = |lo, hi| {
            Some(Interval {
                estimate: (lo + hi) / 2.0,
                lo,
                hi,
            })
        };
        let r = rule("included.p50>+20%");
        assert_eq!(judge(&r, i(30.0, 90.0), true, 3), AbVerdict::Breaks);
        assert!(matches!(
            judge(&r, i(30.0, 90.0), false, 3),
            AbVerdict::Undecided { .. }
        ));
        assert_eq!(judge(&r, i(-5.0, 10.0), true, 3), AbVerdict::Holds);
        assert!(matches!(
            judge(&r, i(10.0, 30.0), true, 3),
            AbVerdict::Undecided { .. }
        ));
        assert!(matches!(
            judge(&r, i(30.0, 90.0), true, 1),
            AbVerdict::Undecided { .. }
        ));
        let fall = rule("tps<-5%");
        assert_eq!(judge(&fall, i(-30.0, -10.0), true, 3), AbVerdict::Breaks);
        assert_eq!(judge(&fall, i(-4.0, 3.0), true, 3), AbVerdict::Holds);
    }

    #[test]
    fn agreement_needs_one_direction_and_no_tie() {
        assert!(agree([1.0, 2.0, 0.5].into_iter()));
        assert!(agree([-1.0, -2.0].into_iter()));
        assert!(!agree([1.0, -2.0].into_iter()));
        assert!(!agree([0.0, 0.0].into_iter()));
        assert!(!agree(std::iter::empty()));
    }
}
