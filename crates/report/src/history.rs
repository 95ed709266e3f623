//! A directory of runs as one page: every run found under it, grouped by
//! scenario and chain, each headline metric drawn over the runs in time
//! order, each run linked to its own page. Results of every schema
//! version read (the result crate migrates them).
//!
//! A repeated run is one point with its repeats' range; the runs of one
//! `chainmeter ab` (`pair-K-a/`, `pair-K-b/` beside `ab.json`) are two
//! points, A and B, each with its runs' range.

use crate::{
    chart::{level_color, nice_max, Chart, Scale, Series, Style, XUnit, LANDED, PALETTE},
    escape::escape,
    html,
    table::Table,
};
use chainmeter_result::{
    headline::{headline, Better, Metric},
    run::{RunResult, RunStatus},
};
use std::{collections::BTreeMap, fmt::Write};

/// A result found under the directory.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its path relative to the directory, `/`-separated.
    pub path: String,
    /// Its page, relative to the directory, `/`-separated.
    pub page: String,
    /// The result.
    pub result: RunResult,
}

/// One point of a group: a run, a repeated run, or one side of an A/B.
#[derive(Debug, Clone)]
struct Point {
    /// What it was: `run`, `3 repeats`, `ab A (3 runs)`.
    what: String,
    /// The first run's start (RFC 3339).
    started_at: String,
    node: String,
    revision: String,
    status: &'static str,
    /// Pages of its runs, relative to the directory.
    pages: Vec<String>,
    /// Per headline metric: its value (the mean over runs or repeats) and,
    /// with more than one, the lowest and highest.
    metrics: BTreeMap<String, (f64, Option<(f64, f64)>)>,
}

/// Runs of one scenario on one chain, in time order.
#[derive(Debug, Clone)]
struct Group {
    scenario: String,
    chain: String,
    points: Vec<Point>,
    /// Headline metrics in their order, with units and direction.
    metrics: Vec<(String, String, Better)>,
}

/// The history of a directory of runs.
#[derive(Debug, Clone)]
pub struct History {
    groups: Vec<Group>,
    runs: usize,
    /// JSON files under the directory that are not results, by path.
    pub skipped: Vec<String>,
}

impl History {
    /// The history of `found`; `skipped` names the JSON files that were
    /// not results.
    pub fn build(mut found: Vec<Found>, skipped: Vec<String>) -> Self {
        found.sort_by(|a, b| a.result.started_at.cmp(&b.result.started_at));
        let runs = found.len();
        // Points first: an A/B's side gathers its runs wherever they lie
        // in time.
        let mut points: Vec<(String, String, Vec<Found>)> = Vec::new();
        for f in found {
            let key = ab_side(&f.path).unwrap_or_else(|| f.path.clone());
            match points.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, runs)) => runs.push(f),
                None => {
                    let what = match ab_side(&f.path) {
                        Some(side) => format!("ab {}", &side[side.len() - 1..].to_uppercase()),
                        None if !f.result.repeats.is_empty() => {
                            format!("{} repeats", f.result.repeats.len())
                        }
                        None => "run".to_owned(),
                    };
                    points.push((key, what, vec![f]));
                }
            }
        }
        let mut groups: Vec<Group> = Vec::new();
        for (_, what, runs) in points {
            let first = &runs[0].result;
            let key = (first.scenario_name.clone(), first.chain.clone());
            let index = match groups
                .iter()
                .position(|g| (g.scenario.clone(), g.chain.clone()) == key)
            {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        scenario: key.0,
                        chain: key.1,
                        points: Vec::new(),
                        metrics: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let group = &mut groups[index];
            // Once a run: the group's metric names and the point's values.
            let headlines: Vec<Vec<Metric>> = runs.iter().map(|r| headline(&r.result)).collect();
            for m in headlines.iter().flatten() {
                if !group.metrics.iter().any(|(n, _, _)| *n == m.name) {
                    group
                        .metrics
                        .push((m.name.clone(), m.unit.clone(), m.better));
                }
            }
            group.points.push(point(what, &runs, headlines));
        }
        groups.sort_by(|a, b| (&a.scenario, &a.chain).cmp(&(&b.scenario, &b.chain)));
        Self {
            groups,
            runs,
            skipped,
        }
    }

    /// The groups' tables, a row a point.
    fn tables(&self) -> Vec<(String, Table, Vec<Vec<String>>)> {
        self.groups
            .iter()
            .map(|g| {
                // The headline columns: throughput, the first level's p50
                // and p99, the fee; the charts hold the rest.
                let shown: Vec<&(String, String, Better)> = g
                    .metrics
                    .iter()
                    .filter(|(n, _, _)| {
                        n == "tps" || n == "fee" || n == "success" || {
                            let first = g.metrics.iter().find(|(m, _, _)| m.ends_with(".p50"));
                            first.is_some_and(|(f, _, _)| {
                                let level = f.trim_end_matches(".p50");
                                *n == format!("{level}.p50") || *n == format!("{level}.p99")
                            })
                        }
                    })
                    .collect();
                let mut header: Vec<String> =
                    ["started (UTC)", "what", "status", "node", "chainmeter"]
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect();
                header.extend(shown.iter().map(|(n, u, _)| format!("{n} ({u})")));
                let rows = g
                    .points
                    .iter()
                    .map(|p| {
                        let mut row = vec![
                            date(&p.started_at),
                            p.what.clone(),
                            p.status.to_owned(),
                            p.node.clone(),
                            p.revision.clone(),
                        ];
                        row.extend(shown.iter().map(|(n, _, _)| {
                            p.metrics.get(n).map_or_else(
                                || "–".to_owned(),
                                |(v, range)| match range {
                                    Some((lo, hi)) => {
                                        format!("{} ({}–{})", figure(*v), figure(*lo), figure(*hi))
                                    }
                                    None => figure(*v),
                                },
                            )
                        }));
                        row
                    })
                    .collect();
                let pages = g.points.iter().map(|p| p.pages.clone()).collect();
                (
                    format!("{} on {}", g.scenario, g.chain),
                    Table { header, rows },
                    pages,
                )
            })
            .collect()
    }

    /// The history as Markdown: each group's table, each run linked.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "## chainmeter: {} runs in {} groups\n\n{}\n",
            self.runs,
            self.groups.len(),
            self.intro()
        );
        for (title, mut table, pages) in self.tables() {
            for (row, pages) in table.rows.iter_mut().zip(&pages) {
                row[0] = link_markdown(&row[0], pages);
            }
            let _ = write!(s, "\n### {title}\n\n{}", table.markdown());
        }
        s
    }

    fn intro(&self) -> String {
        let skipped = match self.skipped.len() {
            0 => String::new(),
            n => format!(
                " {n} other JSON file{} under it {} not a result: {}.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" },
                self.skipped.join(", ")
            ),
        };
        format!(
            "Every run found under this directory, grouped by scenario and chain, in the order they started; each headline figure over the runs. A repeated run is one point with its repeats' range; an A/B's A and B are a point each, with their runs' range. Figures are as each run's page gives them: latencies from the intended send time, in ms.{skipped}"
        )
    }

    /// The history as a self-contained page: per group a chart per
    /// headline metric, and the table with each run linked.
    pub fn html(&self) -> String {
        let mut body = format!("<p>{}</p>", escape(&self.intro()));
        for ((title, table, pages), group) in self.tables().into_iter().zip(&self.groups) {
            let _ = write!(body, "<h2>{}</h2>", escape(&title));
            body.push_str(&linked_table(&table, &pages));
            body.push_str("<div class=\"grid\">");
            for (name, unit, better) in &group.metrics {
                body.push_str(&metric_chart(group, name, unit, *better));
            }
            body.push_str("</div>");
        }
        html::document(&format!("chainmeter: {} runs", self.runs), &body)
    }
}

/// `…/pair-K-a/result.json` of an `ab` session: the session's directory
/// and the side (`…/a`).
fn ab_side(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop()?;
    let dir = parts.pop()?;
    let rest = dir.strip_prefix("pair-")?;
    let (k, side) = rest.rsplit_once('-')?;
    (k.parse::<u32>().is_ok() && (side == "a" || side == "b"))
        .then(|| format!("{}/{side}", parts.join("/")))
}

/// A point from its runs and their headlines.
fn point(what: String, runs: &[Found], headlines: Vec<Vec<Metric>>) -> Point {
    let first = &runs[0].result;
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (f, metrics) in runs.iter().zip(headlines) {
        if f.result.repeats.is_empty() {
            for m in metrics {
                values.entry(m.name).or_default().push(m.value);
            }
        } else {
            for rep in &f.result.repeats {
                for (name, v) in &rep.metrics {
                    values.entry(name.clone()).or_default().push(*v);
                }
            }
        }
    }
    let metrics = values
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(name, v)| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let range = (v.len() > 1).then(|| {
                (
                    v.iter().copied().fold(f64::INFINITY, f64::min),
                    v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                )
            });
            (name, (mean, range))
        })
        .collect();
    let what = if runs.len() > 1 {
        format!("{what} ({} runs)", runs.len())
    } else {
        what
    };
    let status = runs
        .iter()
        .map(|f| status(&f.result.status))
        .find(|s| *s != "completed")
        .unwrap_or("completed");
    let status = match (status, first.verification.as_ref()) {
        ("completed", Some(v)) if !v.passed() => "verification failed",
        (s, _) => s,
    };
    Point {
        what,
        started_at: first.started_at.clone(),
        node: first.environment.node.name(),
        revision: first
            .environment
            .git_revision
            .clone()
            .unwrap_or_else(|| first.environment.chainmeter_version.clone()),
        status,
        pages: runs.iter().map(|f| f.page.clone()).collect(),
        metrics,
    }
}

fn status(s: &RunStatus) -> &'static str {
    match s {
        RunStatus::Completed => "completed",
        RunStatus::Aborted { .. } => "aborted",
        RunStatus::Incomplete { .. } => "incomplete",
        RunStatus::Running => "partial",
    }
}

/// `2026-12-01 23:00` of an RFC 3339 time.
fn date(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

/// A figure in a table cell.
fn figure(v: f64) -> String {
    if v.abs() >= 1e5 {
        crate::chart::short(v)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn link_markdown(text: &str, pages: &[String]) -> String {
    match pages {
        [one] => format!("[{text}]({})", one.replace(' ', "%20")),
        many => {
            let links: Vec<String> = many
                .iter()
                .enumerate()
                .map(|(i, p)| format!("[{}]({})", i + 1, p.replace(' ', "%20")))
                .collect();
            format!("{text} ({})", links.join(" "))
        }
    }
}

/// The table with each row's first cell linked to its runs' pages.
fn linked_table(table: &Table, pages: &[Vec<String>]) -> String {
    let mut s = String::from("<div class=\"scroll\"><table><tr>");
    for h in &table.header {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr>");
    for (row, pages) in table.rows.iter().zip(pages) {
        let link = |text: &str, page: &str| {
            format!(
                "<a href=\"{}\">{}</a>",
                escape(&page.replace(' ', "%20")),
                escape(text)
            )
        };
        let first = match pages.as_slice() {
            [one] => link(&row[0], one),
            many => format!(
                "{} ({})",
                escape(&row[0]),
                many.iter()
                    .enumerate()
                    .map(|(i, p)| link(&(i + 1).to_string(), p))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        };
        let _ = write!(s, "<tr><td>{first}</td>");
        for cell in &row[1..] {
            let _ = write!(s, "<td>{}</td>", escape(cell));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table></div>");
    s
}

/// A metric's colour: a level's latency in the level's colour, as on
/// every page; throughput in black, as what landed is drawn.
fn metric_color(group: &Group, name: &str) -> &'static str {
    let Some((level, _)) = name.split_once('.').filter(|(l, _)| *l != "block_time") else {
        return match name {
            "tps" | "tps_peak" | "knee" => LANDED,
            "success" | "failed" => PALETTE[3],
            "fee" => PALETTE[4],
            _ => PALETTE[5],
        };
    };
    let mut levels: Vec<&str> = Vec::new();
    for (n, _, _) in &group.metrics {
        if let Some((l, _)) = n.split_once('.').filter(|(l, _)| *l != "block_time") {
            if !levels.contains(&l) {
                levels.push(l);
            }
        }
    }
    let rank = levels.iter().position(|l| *l == level).unwrap_or(0);
    level_color(level, rank)
}

/// One headline metric of a group over its points, ranges as whiskers.
fn metric_chart(group: &Group, name: &str, unit: &str, better: Better) -> String {
    let mut points = Vec::new();
    let mut whiskers = Vec::new();
    for (i, p) in group.points.iter().enumerate() {
        if let Some((v, range)) = p.metrics.get(name) {
            points.push((i as f64 + 0.5, *v));
            whiskers.push(range.unwrap_or((*v, *v)));
        }
    }
    let top = whiskers
        .iter()
        .map(|w| w.1)
        .chain(points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let mut chart = Chart::new(
        "runs, in the order they started",
        &format!("{name} ({unit})"),
        group.points.len().max(1) as f64,
        XUnit::Named(
            group
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        i as f64 + 0.5,
                        format!(
                            "{} · {} · {} · {}",
                            date(&p.started_at),
                            p.what,
                            p.node,
                            p.revision
                        ),
                    )
                })
                .collect(),
        ),
        Scale::Linear(nice_max(top)),
    );
    chart.y_unit = unit.to_owned();
    if let (Some(first), Some(last)) = (group.points.first(), group.points.last()) {
        chart.x_ticks = vec![
            (0.5, date(&first.started_at)),
            (group.points.len() as f64 - 0.5, date(&last.started_at)),
        ];
    }
    let mut series = Series::line(
        format!(
            "{name}, {}",
            match better {
                Better::Smaller => "lower is better",
                Better::Bigger => "higher is better",
            }
        ),
        points,
    )
    .styled(Style::Dots)
    .colored(metric_color(group, name));
    series.whiskers = whiskers;
    chart.size = (420.0, 250.0);
    chart.series = vec![series];
    format!(
        "<section><h3>{}</h3>{}</section>",
        escape(name),
        chart.html()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ab_sessions_runs_are_known_by_their_directories() {
        assert_eq!(
            ab_side("nightly/ab-1/pair-2-b/result.json").as_deref(),
            Some("nightly/ab-1/b")
        );
        assert_eq!(ab_side("pair-1-a/result.json").as_deref(), Some("/a"));
        assert_eq!(ab_side("runs/pair-x-a/result.json"), None);
        assert_eq!(ab_side("runs/evm/result.json"), None);
    }

    #[test]
    fn dates_read_to_the_minute() {
        assert_eq!(date("2026-12-01T23:00:17.462103216Z"), "2026-12-01 23:00");
    }
}
