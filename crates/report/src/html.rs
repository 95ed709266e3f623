//! One run as a self-contained HTML page: tables and inline SVG charts drawn
//! from the result's own data. Nothing is fetched when the page is opened.

use crate::{
    chart::{nice_max, short, Chart, Scale, Series, COLORS, H, PAD, W},
    format::micros,
    interval::IntervalPoint,
    view,
};
use chainmeter_result::run::{RunResult, RunStatus};
use std::fmt::Write;

/// Percentiles plotted on the latency chart, HdrHistogram style.
const PERCENTILES: &[f64] = &[
    0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999,
];

pub use crate::escape::escape;

/// A standalone page: `title` and an HTML `body`, with the report's styles.
pub fn document(title: &str, body: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:right}}\
         th:first-child,td:first-child{{text-align:left}}svg{{background:#fafafa;border:1px solid #ddd}}\
         .aborted{{color:#b00;font-weight:bold}}</style></head><body><h1>{}</h1>{body}</body></html>",
        escape(title),
        escape(title)
    );
    s
}

/// Renders `r` as a standalone HTML page; `intervals`, read from the run's
/// interval log, draw latency over time (none: that chart is left out).
pub fn run_page(r: &RunResult, intervals: &[IntervalPoint]) -> String {
    let title = format!("chainmeter: {} on {}", r.scenario_name, r.chain);
    document(&title, &run_body(r, intervals))
}

fn run_body(r: &RunResult, intervals: &[IntervalPoint]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<p>{} · {}</p>",
        escape(&r.environment.node.name()),
        escape(&r.started_at)
    );
    match &r.status {
        RunStatus::Completed => {}
        RunStatus::Aborted { reason, .. } => {
            let _ = write!(
                s,
                "<p class=\"aborted\">Run aborted: {}</p>",
                escape(reason)
            );
        }
        RunStatus::Incomplete { .. } => {
            let levels = r.status.shortfall().unwrap_or_default();
            let _ = write!(
                s,
                "<p class=\"aborted\">Run incomplete: the drain ended first ({})</p>",
                escape(&levels)
            );
        }
        RunStatus::Running => {
            let _ = write!(
                s,
                "<p class=\"aborted\">{}</p>",
                escape(&view::running_line(r).text())
            );
        }
    }
    if let Some(failed) = view::failed_line(r) {
        let _ = write!(s, "<p class=\"aborted\">{}</p>", escape(&failed.text()));
    }
    if let Some(v) = &r.verification {
        let class = if v.passed() { "verified" } else { "aborted" };
        let _ = write!(s, "<p class=\"{class}\">{}</p>", escape(&v.line()));
    }
    if let Some(funded) = view::funding_line(r) {
        let _ = write!(s, "<p>{}</p>", escape(&funded.text()));
    }
    if let Some(swept) = view::sweep_line(r) {
        let _ = write!(s, "<p>{}</p>", escape(&swept.text()));
    }
    if let Some(merged) = view::merged_line(r) {
        let _ = write!(s, "<p>{}</p>", escape(&merged.text()));
    }
    for warning in view::warnings(r) {
        let _ = write!(s, "<p class=\"aborted\">Warning: {}</p>", escape(&warning));
    }
    if let Some(closed) = view::closed_loop_line(r) {
        let _ = write!(s, "<p>{}</p>", escape(&closed.text()));
    }
    if let Some((intro, table)) = view::repeats_table(r) {
        let _ = write!(
            s,
            "<h2>Repeats</h2><p>{}</p>{}",
            escape(&intro),
            table.html()
        );
    }

    s.push_str("<h2>Summary</h2>");
    let _ = write!(s, "<p>Workload: {}.</p>", escape(&view::workload(r)));
    s.push_str(&view::latency_table(r).html());
    if let Some(deltas) = view::block_delta_line(r) {
        let _ = write!(s, "<p>{}</p>", escape(&deltas.text()));
    }
    let _ = write!(
        s,
        "<p>Offered {:.1} tx/s ({}); {}. Fee {} per transaction, {} {} in total.</p>",
        r.load.rate_per_s,
        escape(&r.load.shape),
        escape(&view::landed_words(r)),
        r.fee_unit.format(r.fees.mean),
        escape(&r.fees.total),
        escape(&r.fees.unit)
    );

    if !r.steps.is_empty() {
        let what = if r.load.profile == "saturate" {
            "probe"
        } else {
            "step"
        };
        if let Some(knee) = view::knee_line(r) {
            let _ = write!(s, "<p>{}</p>", escape(&knee.text()));
        }
        let _ = write!(
            s,
            "<h2>Rate against throughput and latency</h2><p>One point per {what}, by its offered rate; the dashed line is landed = offered. A chain past its knee lands less than it is offered, or lands it later.</p>"
        );
        s.push_str(&knee_charts(r));
        s.push_str(&view::steps_table(r).html());
    }
    s.push_str("<h2>Latency by percentile</h2><p>From the intended send time; the percentile axis is logarithmic, as HdrHistogram plots are read, and so is the latency axis, so that a fast level and a slow one both read.</p>");
    s.push_str(&latency_chart(r));
    if !r.mix.is_empty() {
        let level = r
            .levels
            .first()
            .map_or_else(String::new, |l| l.level.to_string());
        let _ = write!(
            s,
            "<h2>Traffic mix</h2><p>Each entry's latency to {level} by percentile, from the intended send time, beside its share, outcomes, fees and what the chain proved of it.</p>"
        );
        s.push_str(&mix_chart(r));
        s.push_str(&view::mix_table(r).html());
    }
    if !intervals.is_empty() {
        s.push_str("<h2>Latency over time</h2><p>Each second's p50 (solid) and p99 (dashed) per level, from the interval log (latency.hlog).</p>");
        s.push_str(&latency_over_time(intervals));
    }
    s.push_str("<h2>Throughput</h2><p>Offered (intended sends) and landed (first level reached) per second; dashed lines mark where each step or probe's measured window starts.</p>");
    s.push_str(&throughput_chart(r));
    s.push_str("<h2>Fees</h2>");
    s.push_str(&fee_chart(r));
    if !r.fee_buckets.is_empty() {
        let _ = write!(
            s,
            "<h2>Fee market</h2><p>Latency from the intended send time against the mean fee each bid's landed transactions were charged (bid = {}, offered {:.0} tx/s). On one local validator below its capacity a higher bid may buy nothing: this is what was measured.</p>",
            view::bid_unit(r),
            r.load.rate_per_s
        );
        s.push_str(&fee_market_chart(r));
        s.push_str(&view::fee_market_table(r).html());
    }

    let o = &r.outcomes;
    s.push_str("<h2>Outcomes</h2><table><tr><th>outcome</th><th>transactions</th></tr>");
    for (name, n) in [
        ("sent", o.sent),
        ("landed ok", o.landed_ok),
        ("landed, failed", o.landed_failed),
        ("rejected", o.rejected),
        ("expired", o.expired),
        ("unknown", o.unknown),
    ] {
        let _ = write!(s, "<tr><td>{name}</td><td>{n}</td></tr>");
    }
    for (class, n) in &o.rejected_by_class {
        let _ = write!(
            s,
            "<tr><td>rejected: {}</td><td>{n}</td></tr>",
            class.as_str()
        );
    }
    for (reason, n) in &o.unknown_by_reason {
        let _ = write!(
            s,
            "<tr><td>unknown: {}</td><td>{n}</td></tr>",
            escape(reason)
        );
    }
    for (name, n) in r.submitter.iter().filter(|(_, n)| **n > 0) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{n}</td></tr>",
            escape(&name.replace('_', " "))
        );
    }
    s.push_str("</table>");
    for (class, examples) in &o.error_examples {
        for e in examples {
            let _ = write!(
                s,
                "<p>e.g. {}: <code>{}</code></p>",
                escape(class),
                escape(e)
            );
        }
    }

    let e = &r.environment;
    s.push_str("<h2>Environment</h2><table>");
    for (k, v) in [
        (
            "chainmeter",
            format!(
                "{} ({})",
                e.chainmeter_version,
                e.git_revision.as_deref().unwrap_or("unknown revision")
            ),
        ),
        ("node", e.node.name()),
        (
            "node binary",
            e.node.binary_name().map_or_else(
                || "attached".to_owned(),
                |b| format!("{b}, started by chainmeter"),
            ),
        ),
        ("chain id / genesis", e.node.chain_id.clone()),
        (
            "chain parameters (as the node said)",
            e.node
                .parameters
                .as_ref()
                .map_or_else(|| "not recorded".to_owned(), view::parameters),
        ),
        (
            "machine",
            format!("{}, {} cores, {}", e.cpu_model, e.cores, e.os),
        ),
        (
            "timing",
            format!(
                "{} (resolution {})",
                r.tracking.method,
                micros(r.tracking.resolution_us)
            ),
        ),
        (
            "harness CPU per transaction",
            format!("{:.1} µs while sending", r.harness.sending_cpu_us_per_tx),
        ),
    ] {
        let _ = write!(
            s,
            "<tr><td>{k}</td><td style=\"text-align:left\">{}</td></tr>",
            escape(&v)
        );
    }
    let scenario = serde_json::to_string_pretty(&r.scenario).unwrap_or_default();
    let _ = write!(
        s,
        "</table><h3>Scenario as run</h3><pre>{}</pre>",
        escape(&scenario)
    );
    s
}

/// Charts that put runs side by side (chain against chain, or baseline
/// against candidate): every run's latency curve per level on one chart,
/// their throughput timelines, and the fee per transaction in USD when
/// every run has a price (the chains' coins differ otherwise).
pub fn comparison_charts(results: &[RunResult]) -> String {
    let name = |r: &RunResult| format!("{} {}", r.chain, r.scenario_name);
    let curves = results
        .iter()
        .flat_map(|r| {
            r.levels
                .iter()
                .filter_map(move |l| percentile_series(format!("{} {}", r.chain, l.level), l))
        })
        .collect();
    let latency = percentile_chart(curves);
    let timelines: Vec<Series> = results
        .iter()
        .map(|r| {
            Series::line(
                format!("{} landed", name(r)),
                r.throughput
                    .timeline
                    .iter()
                    .map(|c| (c.t_s as f64 + 0.5, c.landed as f64))
                    .collect(),
            )
        })
        .collect();
    let t_max = results
        .iter()
        .map(|r| r.throughput.timeline.len())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let y_max = nice_max(
        timelines
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0, f64::max),
    );
    let throughput = Chart {
        x_label: "seconds since each run's start".into(),
        y_label: "landed per second".into(),
        x_max: t_max,
        x_ticks: Vec::new(),
        y: Scale::Linear(y_max),
        series: timelines,
        marks: Vec::new(),
    };
    let mut s = String::new();
    s.push_str("<h2>Latency by percentile</h2><p>Every run's levels on one chart, from the intended send time; both axes logarithmic.</p>");
    s.push_str(&latency);
    s.push_str("<h2>Throughput</h2><p>Landed per second (first level reached), each run from its own start.</p>");
    s.push_str(&throughput.svg());
    s.push_str("<h2>Fee per transaction</h2>");
    let usd: Option<Vec<(String, f64)>> = results
        .iter()
        .map(|r| r.fees.mean_usd.map(|u| (name(r), u)))
        .collect();
    match usd {
        Some(bars) => {
            let _ = write!(
                s,
                "<p>Mean fee charged, in USD at the prices each scenario gives.</p>{}",
                bar_chart(&bars, "USD")
            );
        }
        None => {
            s.push_str("<table><tr><th>run</th><th>mean fee per transaction</th></tr>");
            for r in results {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(&name(r)),
                    escape(&r.fee_unit.format(r.fees.mean))
                );
            }
            s.push_str("</table><p>The chains' coins differ: give <code>[prices]</code> to put their fees on one axis, in USD.</p>");
        }
    }
    s
}

/// Horizontal bars, one per label, on one axis of `unit`.
fn bar_chart(bars: &[(String, f64)], unit: &str) -> String {
    let height = 40.0 + 30.0 * bars.len() as f64;
    let max = bars
        .iter()
        .map(|b| b.1)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut s = format!(
        "<svg width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\" role=\"img\" class=\"chart\">"
    );
    let left = 220.0;
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 20.0 + 30.0 * i as f64;
        let w = (W - left - 120.0) * v / max;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect x=\"{left}\" y=\"{y}\" width=\"{w:.1}\" height=\"20\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{v:.6} {unit}</text>",
            left - 8.0,
            y + 14.0,
            escape(label),
            COLORS[i % COLORS.len()],
            left + w + 6.0,
            y + 14.0
        );
    }
    s.push_str("</svg>");
    s
}

/// An SVG frame with axes; returns the opening and the plot area's mapping.
fn frame(s: &mut String, x_label: &str, y_label: &str, y_max: f64, y_unit: &str) {
    let _ = write!(
        s,
        "<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\">\
         <line x1=\"{PAD}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#333\"/><line x1=\"{PAD}\" y1=\"{PAD}\" x2=\"{PAD}\" y2=\"{b}\" stroke=\"#333\"/>\
         <text x=\"{cx}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"12\">{x_label}</text>\
         <text x=\"12\" y=\"{cy}\" font-size=\"12\" transform=\"rotate(-90 12 {cy})\" text-anchor=\"middle\">{y_label}</text>",
        b = H - PAD,
        r = W - 10.0,
        cx = W / 2.0,
        ty = H - 12.0,
        cy = H / 2.0,
    );
    for i in 0..=4 {
        let v = y_max * i as f64 / 4.0;
        let y = (H - PAD) - (H - 2.0 * PAD) * i as f64 / 4.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}{y_unit}</text><line x1=\"{PAD}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#eee\"/>",
            PAD - 4.0,
            y + 3.0,
            short(v),
            W - 10.0
        );
    }
}

fn latency_chart(r: &RunResult) -> String {
    percentile_chart(
        r.levels
            .iter()
            .filter_map(|l| percentile_series(l.level.to_string(), l))
            .collect(),
    )
}

/// Each mix entry's latency curve to the weakest recorded level.
fn mix_chart(r: &RunResult) -> String {
    percentile_chart(
        r.mix
            .iter()
            .filter_map(|e| {
                let l = e.levels.first()?;
                let h = l.latency_us.decode().ok().filter(|h| !h.is_empty())?;
                Some(percentile_curve(format!("{} {}", e.kind, l.level), &h))
            })
            .collect(),
    )
}

/// A level's latency by percentile, in ms; `None` when nothing reached it.
fn percentile_series(name: String, l: &chainmeter_result::run::LevelLatency) -> Option<Series> {
    let h = l.latency_us.decode().ok().filter(|h| !h.is_empty())?;
    Some(percentile_curve(name, &h))
}

/// Latency `h` by percentile, in ms.
fn percentile_curve(name: String, h: &hdrhistogram::Histogram<u64>) -> Series {
    let points = PERCENTILES
        .iter()
        .map(|&p| {
            // x: log10(1 / (1 - q)), the HdrHistogram percentile axis.
            let x = (1.0 / (1.0 - p / 100.0)).log10();
            (x, (h.value_at_percentile(p) as f64 / 1e3).max(0.001))
        })
        .collect();
    Series::line(name, points)
}

/// Latency curves on the HdrHistogram percentile axis, latency logarithmic.
fn percentile_chart(series: Vec<Series>) -> String {
    let (lo, hi) = min_max(series.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
    Chart {
        x_label: "percentile".into(),
        y_label: "latency".into(),
        x_max: 5.0, // 99.999%
        x_ticks: ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
            .iter()
            .enumerate()
            .map(|(i, l)| (i as f64, (*l).to_owned()))
            .collect(),
        y: Scale::log_ms(lo, hi),
        series,
        marks: Vec::new(),
    }
    .svg()
}

/// The smallest and largest of `values` (1 and 10 when there are none).
fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        (1.0, 10.0)
    } else {
        (lo, hi)
    }
}

/// Each step's or probe's measured window start, as chart marks.
fn step_marks(r: &RunResult) -> Vec<(f64, String)> {
    r.steps
        .iter()
        .enumerate()
        .map(|(i, st)| (st.window_s[0], format!("{}", i + 1)))
        .collect()
}

fn throughput_chart(r: &RunResult) -> String {
    let t = &r.throughput.timeline;
    let y_max = nice_max(
        t.iter()
            .map(|c| c.offered.max(c.landed) as f64)
            .fold(0.0, f64::max),
    );
    let series = |name: &str, pick: fn(&chainmeter_result::run::SecondCounts) -> u64| {
        Series::line(
            name,
            t.iter()
                .map(|c| (c.t_s as f64 + 0.5, pick(c) as f64))
                .collect(),
        )
    };
    Chart {
        x_label: "seconds since start".into(),
        y_label: "transactions per second".into(),
        x_max: t.len().max(1) as f64,
        x_ticks: Vec::new(),
        y: Scale::Linear(y_max),
        series: vec![
            series("offered", |c| c.offered),
            series("landed", |c| c.landed),
        ],
        marks: step_marks(r),
    }
    .svg()
}

/// Offered rate against landed rate, and against latency, one point per
/// step or probe, with the knee marked.
fn knee_charts(r: &RunResult) -> String {
    let mut steps: Vec<_> = r.steps.iter().collect();
    steps.sort_by(|a, b| a.offered_per_s.total_cmp(&b.offered_per_s));
    let x_max = nice_max(
        steps
            .iter()
            .map(|s| s.offered_per_s.max(s.landed_per_s.unwrap_or(0.0)))
            .fold(0.0, f64::max),
    );
    let marks: Vec<(f64, String)> = r
        .knee
        .as_ref()
        .map(|k| {
            let label = match (k.is_found(), k.broke_per_s) {
                (true, _) => format!("knee {:.0} tx/s", k.rate_per_s),
                (false, Some(_)) => format!("knee above {:.0} tx/s", k.rate_per_s),
                (false, None) => format!("knee at least {:.0} tx/s", k.rate_per_s),
            };
            (k.rate_per_s, label)
        })
        .into_iter()
        .collect();
    let mut landed = Series::line(
        "landed",
        steps
            .iter()
            .filter_map(|s| Some((s.offered_per_s, s.landed_per_s?)))
            .collect(),
    );
    landed.dots = true;
    let mut diagonal = Series::line("landed = offered", vec![(0.0, 0.0), (x_max, x_max)]);
    diagonal.dashed = true;
    let throughput = Chart {
        x_label: "offered (tx/s)".into(),
        y_label: "landed (tx/s)".into(),
        x_max,
        x_ticks: Vec::new(),
        y: Scale::Linear(x_max),
        series: vec![landed, diagonal],
        marks: marks.clone(),
    };
    let mut latency: Vec<Series> = Vec::new();
    if let Some(level) = r.levels.first().map(|l| l.level) {
        for (name, pick) in [
            (
                "p50",
                (|h: &chainmeter_result::histogram::StoredHistogram| h.p50) as fn(&_) -> u64,
            ),
            ("p99", |h| h.p99),
        ] {
            let mut series = Series::line(
                format!("{level} {name}"),
                steps
                    .iter()
                    .filter_map(|s| {
                        let l = s.levels.iter().find(|l| l.level == level)?;
                        (l.latency_us.count > 0).then(|| {
                            (
                                s.offered_per_s,
                                (pick(&l.latency_us) as f64 / 1e3).max(0.001),
                            )
                        })
                    })
                    .collect(),
            );
            series.dots = true;
            latency.push(series);
        }
    }
    let (lo, hi) = min_max(latency.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
    let latency = Chart {
        x_label: "offered (tx/s)".into(),
        y_label: "latency".into(),
        x_max,
        x_ticks: Vec::new(),
        y: Scale::log_ms(lo, hi),
        series: latency,
        marks,
    };
    format!("{}{}", throughput.svg(), latency.svg())
}

/// Each second's p50 and p99 per level, from the interval log.
fn latency_over_time(intervals: &[IntervalPoint]) -> String {
    let mut levels: Vec<&str> = Vec::new();
    for p in intervals {
        if !levels.contains(&p.level.as_str()) {
            levels.push(&p.level);
        }
    }
    let mut series = Vec::new();
    for level in &levels {
        let of = |pick: fn(&IntervalPoint) -> u64| {
            intervals
                .iter()
                .filter(|p| p.level == *level)
                .map(|p| (p.t_s, (pick(p) as f64 / 1e3).max(0.001)))
                .collect::<Vec<_>>()
        };
        series.push(Series::line(format!("{level} p50"), of(|p| p.p50_us)));
        let mut p99 = Series::line(format!("{level} p99"), of(|p| p.p99_us));
        p99.dashed = true;
        series.push(p99);
    }
    let (lo, hi) = min_max(series.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
    let t_max = intervals.iter().map(|p| p.t_s).fold(1.0, f64::max);
    Chart {
        x_label: "seconds since start".into(),
        y_label: "latency".into(),
        x_max: t_max.ceil(),
        x_ticks: Vec::new(),
        y: Scale::log_ms(lo, hi),
        series,
        marks: Vec::new(),
    }
    .svg()
}

/// Latency (p50 and p99 of the weakest and strongest level) against the
/// fee charged, one point per bid bucket, in bucket order.
fn fee_market_chart(r: &RunResult) -> String {
    // Buckets where nothing landed have no fee to place them at: the table
    // says so; the chart leaves them out.
    let buckets: Vec<_> = r.fee_buckets.iter().filter(|b| b.landed > 0).collect();
    let mut s = String::new();
    // One entry per level: the weakest, and the strongest when it is another.
    let shown = 0..buckets.first().map_or(0, |b| b.levels.len());
    let series: Vec<(String, Vec<u64>)> = shown
        .flat_map(|i| {
            let name = buckets
                .first()
                .and_then(|b| b.levels.get(i))
                .map_or_else(String::new, |l| l.level.to_string());
            let pick = |f: fn(&chainmeter_result::histogram::StoredHistogram) -> u64| {
                buckets
                    .iter()
                    .map(|b| b.levels.get(i).map_or(0, |l| f(&l.latency_us)))
                    .collect::<Vec<_>>()
            };
            [
                (format!("{name} p50"), pick(|h| h.p50)),
                (format!("{name} p99"), pick(|h| h.p99)),
            ]
        })
        .collect();
    let y_max = nice_max(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().map(|&us| us as f64 / 1e3))
            .fold(0.0, f64::max),
    );
    frame(
        &mut s,
        &format!("fee charged per transaction, mean ({})", r.fees.unit),
        "latency",
        y_max,
        " ms",
    );
    let (pw, ph) = (W - PAD - 10.0, H - 2.0 * PAD);
    let n = buckets.len().max(2) as f64 - 1.0;
    let x = |k: usize| PAD + pw * k as f64 / n;
    for (k, b) in buckets.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x(k),
            H - PAD + 14.0,
            short(b.fee_mean)
        );
    }
    for (i, (name, values)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(k, &us)| {
                format!(
                    "{:.1},{:.1}",
                    x(k),
                    (H - PAD) - ph * (us as f64 / 1e3) / y_max
                )
            })
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
        for p in &points {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                s,
                "<circle cx=\"{px}\" cy=\"{py}\" r=\"3\" fill=\"{color}\"/>"
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{color}\">{}</text>",
            W - 140.0,
            PAD + 14.0 * (i as f64 + 1.0),
            escape(name)
        );
    }
    s.push_str("</svg>");
    s
}

fn fee_chart(r: &RunResult) -> String {
    let Ok(h) = r.fees.per_tx.decode() else {
        return "<p>No fee histogram.</p>".into();
    };
    if h.is_empty() {
        return "<p>No landed transaction, no fee.</p>".into();
    }
    let bars: Vec<(u64, u64)> = h
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect();
    let mut s = format!(
        "<p>Fee per transaction, read from the chain ({}): {} distinct values, min {}, max {}.</p>",
        escape(&r.fees.unit),
        bars.len(),
        escape(&r.fees.min),
        escape(&r.fees.max)
    );
    let y_max = nice_max(bars.iter().map(|b| b.1 as f64).fold(0.0, f64::max));
    frame(
        &mut s,
        &format!("fee ({})", escape(&r.fees.unit)),
        "transactions",
        y_max,
        "",
    );
    let (pw, ph) = (W - PAD - 10.0, H - 2.0 * PAD);
    let shown = &bars[..bars.len().min(200)];
    let bw = (pw / shown.len() as f64).max(1.0);
    for (i, (value, count)) in shown.iter().enumerate() {
        let bh = ph * *count as f64 / y_max;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{value}: {count}</title></rect>",
            PAD + bw * i as f64,
            (H - PAD) - bh,
            (bw - 1.0).max(1.0),
            bh,
            COLORS[1]
        );
    }
    let (first, last) = (shown[0].0, shown[shown.len() - 1].0);
    let _ = write!(
        s,
        "<text x=\"{PAD}\" y=\"{y}\" font-size=\"10\">{first}</text><text x=\"{}\" y=\"{y}\" font-size=\"10\" text-anchor=\"end\">{last}</text></svg>",
        W - 10.0,
        y = H - PAD + 14.0
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
