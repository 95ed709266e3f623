//! One run as a self-contained HTML page: tables and inline SVG charts drawn
//! from the result's own data. Nothing is fetched when the page is opened.

use crate::{
    chart::{
        level_color, nice_max, Chart, Scale, Series, Style, XUnit, LANDED, OFFERED, PALETTE, W,
    },
    format::micros,
    interval::IntervalPoint,
    method, view,
};
use chainmeter_result::run::{RunResult, RunStatus};
use std::fmt::Write;

/// Percentiles plotted on the latency chart, HdrHistogram style.
const PERCENTILES: &[f64] = &[
    0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999,
];

pub use crate::escape::escape;

/// The pages' styles: the page's width on a screen, a phone's on a phone,
/// paper in print; charts take the page's width, their legends under them.
const STYLE: &str = "\
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:1em 1.5em;max-width:64em;color:#222}\
h1{font-size:1.6em;margin:.4em 0}h2{font-size:1.25em;margin:1.6em 0 .4em}\
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.6em 0}\
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right;vertical-align:top}\
th:first-child,td:first-child{text-align:left}\
figure.chart{margin:.8em 0 1.4em}figure.chart svg{display:block;width:100%;height:auto;background:#fafafa;border:1px solid #ddd}\
.legend{display:flex;flex-wrap:wrap;gap:.2em 1.4em;font-size:.85em;margin-top:.35em}\
.legend i{display:inline-block;width:1.8em;height:0;margin-right:.4em;vertical-align:middle;border-top:3px solid currentColor}\
.legend i.dashed{border-top-style:dashed}.legend i.bar{height:.8em;border:0;background:currentColor;width:1em}\
.legend i.dot{width:.6em;height:.6em;border:0;border-radius:50%;background:currentColor}\
.method{background:#f3f6f9;border-left:4px solid #0072B2;padding:.2em 1em;margin:1em 0}\
.method li{margin:.15em 0}pre{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;padding:.6em}\
.aborted{color:#b00;font-weight:bold}\
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(24em,1fr));gap:0 1.5em}.grid h3{font-size:1em;margin:.6em 0 0}\
@media (max-width:40em){body{font-size:14px;padding:.5em}td,th{padding:.2em .35em}\
figure.chart{overflow-x:auto}figure.chart svg{min-width:34em}.legend{position:sticky;left:0}}\
@media print{body{max-width:none;padding:0;font-size:11pt}.scroll{overflow:visible}\
figure.chart,table,pre{break-inside:avoid}h2{break-after:avoid}a{color:inherit;text-decoration:none}}";

/// A standalone page: `title` and an HTML `body`, with the report's
/// styles. It fetches nothing: no script, no font, no image.
pub fn document(title: &str, body: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1>{body}</body></html>",
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
    let method_block = method::html(&method::lines(std::slice::from_ref(r)));
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

    s.push_str(&method_block);
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
    s.push_str("</table>");
    s.push_str(&method::reproduce(r).html(r));
    s
}

/// How each run's curves are told apart on a chart of several runs: the
/// colour says the level, the stroke the run.
fn run_style(i: usize) -> Style {
    [Style::Line, Style::Dashed, Style::Dots][i % 3]
}

/// Charts that put runs side by side (chain against chain, or baseline
/// against candidate): every run's latency curve per level on one chart,
/// their throughput timelines, and the fee per transaction in USD when
/// every run has a price (the chains' coins differ otherwise).
pub fn comparison_charts(results: &[RunResult]) -> String {
    let name = |r: &RunResult| format!("{} {}", r.chain, r.scenario_name);
    let curves = results
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.levels.iter().enumerate().filter_map(move |(rank, l)| {
                Some(
                    percentile_series(format!("{} {}", r.chain, l.level), l)?
                        .styled(run_style(i))
                        .colored(level_color(l.level.as_str(), rank)),
                )
            })
        })
        .collect();
    let latency = percentile_chart(curves);
    let timelines: Vec<Series> = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            Series::line(
                format!("{} landed", name(r)),
                r.throughput
                    .timeline
                    .iter()
                    .map(|c| (c.t_s as f64 + 0.5, c.landed as f64))
                    .collect(),
            )
            .styled(run_style(i))
            .colored(PALETTE[i % PALETTE.len()])
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
    let mut throughput = Chart::new(
        "seconds since each run's start",
        "landed per second",
        t_max,
        XUnit::Seconds,
        Scale::Linear(y_max),
    );
    throughput.y_unit = "tx/s".into();
    throughput.series = timelines;
    let mut s = String::new();
    s.push_str("<h2>Latency by percentile</h2><p>Every run's levels on one chart, from the intended send time; both axes logarithmic. The colour is the level, the stroke the run.</p>");
    s.push_str(&latency);
    s.push_str("<h2>Throughput</h2><p>Landed per second (first level reached), each run from its own start.</p>");
    s.push_str(&throughput.html());
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
            s.push_str("<div class=\"scroll\"><table><tr><th>run</th><th>mean fee per transaction</th></tr>");
            for r in results {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(&name(r)),
                    escape(&r.fee_unit.format(r.fees.mean))
                );
            }
            s.push_str("</table></div><p>The chains' coins differ: give <code>[prices]</code> to put their fees on one axis, in USD.</p>");
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
        "<figure class=\"chart\"><svg viewBox=\"0 0 {W} {height}\" role=\"img\" aria-label=\"{unit} per run\">"
    );
    let left = 220.0;
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 20.0 + 30.0 * i as f64;
        let w = (W - left - 120.0) * v / max;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect x=\"{left}\" y=\"{y}\" width=\"{w:.1}\" height=\"20\" fill=\"{}\"><title>{}: {v:.6} {unit}</title></rect><text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{v:.6} {unit}</text>",
            left - 8.0,
            y + 14.0,
            escape(label),
            PALETTE[i % PALETTE.len()],
            escape(label),
            left + w + 6.0,
            y + 14.0
        );
    }
    s.push_str("</svg></figure>");
    s
}

fn latency_chart(r: &RunResult) -> String {
    percentile_chart(
        r.levels
            .iter()
            .enumerate()
            .filter_map(|(rank, l)| {
                Some(
                    percentile_series(l.level.to_string(), l)?
                        .colored(level_color(l.level.as_str(), rank)),
                )
            })
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
    Series::line(name, points).styled(Style::Dots)
}

/// Latency curves on the HdrHistogram percentile axis, latency logarithmic.
fn percentile_chart(series: Vec<Series>) -> String {
    let (lo, hi) = min_max(series.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
    let mut chart = Chart::new(
        "percentile (logarithmic)",
        "latency (logarithmic)",
        5.0, // 99.999%
        XUnit::Percentile,
        Scale::log_ms(lo, hi),
    );
    chart.x_ticks = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
        .iter()
        .enumerate()
        .map(|(i, l)| (i as f64, (*l).to_owned()))
        .collect();
    chart.series = series;
    chart.html()
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
    let mut chart = Chart::new(
        "seconds since start",
        "transactions per second",
        t.len().max(1) as f64,
        XUnit::Seconds,
        Scale::Linear(y_max),
    );
    chart.y_unit = "tx/s".into();
    chart.series = vec![
        series("offered", |c| c.offered)
            .styled(Style::Dashed)
            .colored(OFFERED),
        series("landed", |c| c.landed).colored(LANDED),
    ];
    chart.marks = step_marks(r);
    chart.html()
}

/// Offered rate against landed rate, and against latency, one point per
/// step or probe, with the knee and the chain's block bound marked.
fn knee_charts(r: &RunResult) -> String {
    let mut steps: Vec<_> = r.steps.iter().collect();
    steps.sort_by(|a, b| a.offered_per_s.total_cmp(&b.offered_per_s));
    let mut marks: Vec<(f64, String)> = r
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
    if let Some(bound) = r
        .knee
        .as_ref()
        .and_then(|k| r.block_bound(&r.steps[k.step]))
        .map(|b| b.per_s())
    {
        marks.push((bound, format!("block limit {bound:.0} tx/s")));
    }
    let x_max = nice_max(
        steps
            .iter()
            .map(|s| s.offered_per_s.max(s.landed_per_s.unwrap_or(0.0)))
            .chain(marks.iter().map(|m| m.0))
            .fold(0.0, f64::max),
    );
    let landed = Series::line(
        "landed",
        steps
            .iter()
            .filter_map(|s| Some((s.offered_per_s, s.landed_per_s?)))
            .collect(),
    )
    .styled(Style::Dots)
    .colored(LANDED);
    let diagonal = Series::line("landed = offered", vec![(0.0, 0.0), (x_max, x_max)])
        .styled(Style::Dashed)
        .colored(OFFERED);
    let mut throughput = Chart::new(
        "offered (tx/s)",
        "landed (tx/s)",
        x_max,
        XUnit::Rate,
        Scale::Linear(x_max),
    );
    throughput.y_unit = "tx/s".into();
    throughput.series = vec![landed, diagonal];
    throughput.marks = marks.clone();
    let mut latency: Vec<Series> = Vec::new();
    if let Some(level) = r.levels.first().map(|l| l.level) {
        let color = level_color(level.as_str(), 0);
        for (name, pick, style) in [
            (
                "p50",
                (|h: &chainmeter_result::histogram::StoredHistogram| h.p50) as fn(&_) -> u64,
                Style::Dots,
            ),
            ("p99", |h| h.p99, Style::Dashed),
        ] {
            let series = Series::line(
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
            )
            .styled(style)
            .colored(color);
            latency.push(series);
        }
    }
    let (lo, hi) = min_max(latency.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
    let mut latency_chart = Chart::new(
        "offered (tx/s)",
        "latency (logarithmic)",
        x_max,
        XUnit::Rate,
        Scale::log_ms(lo, hi),
    );
    latency_chart.series = latency;
    latency_chart.marks = marks;
    format!("{}{}", throughput.html(), latency_chart.html())
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
    for (rank, level) in levels.iter().enumerate() {
        let of = |pick: fn(&IntervalPoint) -> u64| {
            intervals
                .iter()
                .filter(|p| p.level == *level)
                .map(|p| (p.t_s, (pick(p) as f64 / 1e3).max(0.001)))
                .collect::<Vec<_>>()
        };
        let color = level_color(level, rank);
        series.push(Series::line(format!("{level} p50"), of(|p| p.p50_us)).colored(color));
        series.push(
            Series::line(format!("{level} p99"), of(|p| p.p99_us))
                .styled(Style::Dashed)
                .colored(color),
        );
    }
    let (lo, hi) = min_max(series.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
    let t_max = intervals.iter().map(|p| p.t_s).fold(1.0, f64::max);
    let mut chart = Chart::new(
        "seconds since start",
        "latency (logarithmic)",
        t_max.ceil(),
        XUnit::Seconds,
        Scale::log_ms(lo, hi),
    );
    chart.series = series;
    chart.html()
}

/// Latency (p50 and p99 of each level) against the fee charged, one point
/// per bid bucket, in bucket order.
fn fee_market_chart(r: &RunResult) -> String {
    // Buckets where nothing landed have no fee to place them at: the table
    // says so; the chart leaves them out.
    let buckets: Vec<_> = r.fee_buckets.iter().filter(|b| b.landed > 0).collect();
    let levels = buckets.first().map_or(0, |b| b.levels.len());
    let mut series = Vec::new();
    for i in 0..levels {
        let level = buckets[0].levels[i].level;
        let color = level_color(level.as_str(), i);
        for (name, pick, style) in [
            (
                "p50",
                (|h: &chainmeter_result::histogram::StoredHistogram| h.p50) as fn(&_) -> u64,
                Style::Dots,
            ),
            ("p99", |h| h.p99, Style::Dashed),
        ] {
            series.push(
                Series::line(
                    format!("{level} {name}"),
                    buckets
                        .iter()
                        .enumerate()
                        .filter_map(|(k, b)| {
                            let us = pick(&b.levels.get(i)?.latency_us);
                            Some((k as f64 + 0.5, (us as f64 / 1e3).max(0.001)))
                        })
                        .collect(),
                )
                .styled(style)
                .colored(color),
            );
        }
    }
    let (lo, hi) = min_max(series.iter().flat_map(|c| c.points.iter().map(|p| p.1)));
    let mut chart = Chart::new(
        &format!(
            "fee charged per transaction, mean, by bid ({})",
            r.fees.unit
        ),
        "latency (logarithmic)",
        buckets.len().max(1) as f64,
        XUnit::Named(Vec::new()),
        Scale::log_ms(lo, hi),
    );
    chart.x_ticks = buckets
        .iter()
        .enumerate()
        .map(|(k, b)| (k as f64 + 0.5, r.fee_unit.format(b.fee_mean)))
        .collect();
    chart.x_unit = XUnit::Named(chart.x_ticks.clone());
    chart.series = series;
    chart.html()
}

/// How many buckets the fee distribution is drawn in, at most.
const FEE_BUCKETS: usize = 12;

/// The fees charged as a distribution: their percentiles in words, and
/// the landed transactions counted in equal buckets from the least fee to
/// the most (one bar per bucket, never one per distinct value).
fn fee_chart(r: &RunResult) -> String {
    let Ok(h) = r.fees.per_tx.decode() else {
        return "<p>No fee histogram.</p>".into();
    };
    if h.is_empty() {
        return "<p>No landed transaction, no fee.</p>".into();
    }
    let unit = &r.fee_unit;
    let (min, max) = (
        r.fees.min.parse::<f64>().unwrap_or(h.min() as f64),
        r.fees.max.parse::<f64>().unwrap_or(h.max() as f64),
    );
    if max <= min {
        return format!(
            "<p>Every one of the {} landed transactions was charged {} ({} {}), read from the chain.</p>",
            h.len(),
            escape(&unit.format(min)),
            escape(&r.fees.min),
            escape(&r.fees.unit)
        );
    }
    let quantiles: Vec<String> = [50.0, 90.0, 99.0]
        .iter()
        .map(|&p| format!("p{p} {}", unit.format(h.value_at_percentile(p) as f64)))
        .collect();
    let mut s = format!(
        "<p>Fee per landed transaction, read from the chain: {}; least {}, most {}, mean {}.</p>",
        escape(&quantiles.join(", ")),
        escape(&unit.format(min)),
        escape(&unit.format(max)),
        escape(&unit.format(r.fees.mean))
    );
    let width = (max - min) / FEE_BUCKETS as f64;
    let mut counts = [0u64; FEE_BUCKETS];
    for v in h.iter_recorded() {
        let fee = (v.value_iterated_to() as f64).clamp(min, max);
        let k = (((fee - min) / width) as usize).min(FEE_BUCKETS - 1);
        counts[k] += v.count_since_last_iteration();
    }
    let y_max = nice_max(counts.iter().copied().max().unwrap_or(1) as f64);
    let edge = |k: usize| min + width * k as f64;
    // Each bucket named on hover; the axis names the ends alone, as labels
    // at every bucket would overlap.
    let names = (0..FEE_BUCKETS)
        .map(|k| {
            (
                k as f64 + 0.5,
                format!("{} to {}", unit.format(edge(k)), unit.format(edge(k + 1))),
            )
        })
        .collect();
    let mut chart = Chart::new(
        &format!("fee charged ({FEE_BUCKETS} equal ranges from the least to the most)"),
        "landed transactions",
        FEE_BUCKETS as f64,
        XUnit::Named(names),
        Scale::Linear(y_max),
    );
    chart.x_ticks = vec![
        (0.0, unit.format(min)),
        (FEE_BUCKETS as f64, unit.format(max)),
    ];
    chart.series = vec![Series::line(
        "landed transactions charged a fee in the range",
        counts
            .iter()
            .enumerate()
            .map(|(k, &n)| (k as f64 + 0.5, n as f64))
            .collect(),
    )
    .styled(Style::Bars)
    .colored(PALETTE[0])];
    s.push_str(&chart.html());
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
