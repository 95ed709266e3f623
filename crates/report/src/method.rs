//! How runs were measured, said on every page that shows their figures,
//! and how to run one again: the command and the scenario as run, without
//! a local path, a key or a URL's path.

use crate::{escape::escape, format::micros, view::Line};
use chainmeter_result::run::{file_name, Funding, RunResult, RunStatus};
use serde_json::Value;

/// What was measured and how, a line each: one per run (what, where, on
/// which node), then the rules every run follows.
pub fn lines(results: &[RunResult]) -> Vec<Line> {
    let mut lines: Vec<Line> = results.iter().map(run_line).collect();
    lines.push(where_line(results));
    lines.extend(rules(results));
    lines
}

/// One run: its workload and load, its node and its machine.
fn run_line(r: &RunResult) -> Line {
    let e = &r.environment;
    let node = &e.node;
    let load = match &r.load.closed_loop {
        Some(c) => format!(
            "a closed loop of {} in flight (each sent once the last reached a level)",
            c.concurrency
        ),
        None => format!(
            "offered {:.0} tx/s ({} profile, {} arrivals)",
            r.load.rate_per_s, r.load.profile, r.load.shape
        ),
    };
    let drain = r
        .load
        .drain_s
        .map_or_else(String::new, |s| format!("; drain up to {s:.0} s"));
    Line::lead(
        format!("{} on {}:", r.scenario_name, r.chain),
        format!(
            " {}; {load} for {:.0} s after a {:.0} s warm-up{drain}; node {}, {}; on {}, {} cores ({}); chainmeter {} ({}).",
            crate::view::workload(r),
            r.load.window_s,
            r.load.warmup_s,
            node.name(),
            if node.started_locally {
                "started by chainmeter on this machine"
            } else {
                "a node chainmeter attached to"
            },
            e.cpu_model,
            e.cores,
            e.os,
            e.chainmeter_version,
            e.git_revision.as_deref().unwrap_or("revision unknown"),
        ),
    )
}

/// Whether these are dev-node figures or a network's.
fn where_line(results: &[RunResult]) -> Line {
    if results.iter().all(|r| r.environment.node.started_locally) {
        Line::lead(
            "Local single-node validators:",
            " these are dev-node results on one machine, the harness beside the validator, not a network's: no gossip, no other validators, no other traffic. They compare software and settings on this machine; they do not predict mainnet.",
        )
    } else {
        Line::lead(
            "Nodes the user runs:",
            " figures are what that node and whatever network it belongs to did while this machine sent the load; its other traffic and its distance from here are part of them.",
        )
    }
}

/// The rules every run follows.
fn rules(results: &[RunResult]) -> Vec<Line> {
    let lag = results
        .iter()
        .map(|r| {
            format!(
                "{} p50 {}, p99 {}",
                r.chain,
                micros(r.load.send_lag_us.p50),
                micros(r.load.send_lag_us.p99)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    vec![
        Line::lead(
            "Open loop, from the intended send time:",
            format!(
                " every transaction has a time the schedule meant to send it, and every latency runs from that time, so a harness or node that falls behind shows as latency, not as a lower load (how far sends lagged their schedule: {lag})."
            ),
        ),
        Line::lead(
            "Drain and timeouts:",
            " after the last send the run waits, up to the drain, for every transaction to reach every level; one the chain proves can no longer land (Solana: its blockhash's last valid height passed, every block up to it scanned) is expired; any other one not seen by then is unknown, never counted as landed.",
        ),
        Line::lead(
            "Landed share:",
            " landed = landed ok + landed but failed on chain, out of every transaction sent (warm-up excluded); rejected (refused by the node), expired and unknown did not land. The success rate counts only those that landed ok; a landed failure still paid its fee.",
        ),
        Line::lead(
            "Per block interval:",
            " the landed rate is counted over whole block (slot) intervals, the best of them over a run of blocks spanning at least a second, not per wall-clock second; block times and transactions per block are the measured window's blocks.",
        ),
        Line::lead(
            "Percentiles before means:",
            " latencies are HDR histograms of every transaction (three significant digits); p50 and p99 are the figures to quote; a mean hides the tail and comes last. Fees are read from the chain, per transaction.",
        ),
    ]
}

/// The method block at the top of a page.
pub fn html(lines: &[Line]) -> String {
    let items: String = lines
        .iter()
        .map(|l| format!("<li>{}</li>", l.html()))
        .collect();
    format!("<section class=\"method\"><h2>How this was measured</h2><ul>{items}</ul></section>")
}

/// The method block, in Markdown.
pub fn markdown(lines: &[Line]) -> String {
    let items: String = lines
        .iter()
        .map(|l| format!("- {}\n", l.markdown()))
        .collect();
    format!("### How this was measured\n\n{items}")
}

/// How to run `r` again: the command line and the scenario file it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reproduce {
    /// `chainmeter run scenario.toml` and the flags the run was given that
    /// the scenario does not hold.
    pub command: String,
    /// The scenario as run (defaults filled in, overrides applied), as
    /// TOML, paths by their file names.
    pub scenario: String,
}

/// The file name [`Reproduce::command`] gives the scenario.
pub const SCENARIO_FILE: &str = "scenario.toml";

/// How to run `r` again.
pub fn reproduce(r: &RunResult) -> Reproduce {
    let mut command = format!("chainmeter run {SCENARIO_FILE}");
    let node = &r.environment.node;
    if !node.started_locally {
        command.push_str(&format!(" --url {}", url_origin(&node.rpc_url)));
    }
    if r.funding
        .as_ref()
        .is_some_and(|f| f.method == Funding::BY_KEY)
    {
        command.push_str(" --funder-key FILE");
    }
    if r.sweep.is_some() {
        command.push_str(" --sweep");
    }
    if r.verification.is_none() && matches!(r.status, RunStatus::Completed) {
        command.push_str(" --no-verify");
    }
    if let Some(shard) = r.shard {
        command.push_str(&format!(" --shard {shard}"));
    }
    if !r.repeats.is_empty() {
        command.push_str(&format!(" --repeat {}", r.repeats.len()));
    }
    let scenario = without_paths(&r.scenario);
    let scenario = toml::to_string(&scenario).unwrap_or_else(|e| {
        format!("# this scenario does not write as TOML ({e}); as JSON:\n{scenario:#}")
    });
    Reproduce { command, scenario }
}

impl Reproduce {
    /// The section at the bottom of a run's page.
    pub fn html(&self, r: &RunResult) -> String {
        format!(
            "<h2>Reproduce</h2><p>With chainmeter {} ({}) and the same node: save the scenario below as <code>{SCENARIO_FILE}</code> (the scenario as run: defaults filled in, overrides applied; files by their names, to put beside it) and run</p><pre>{}</pre><pre>{}</pre>",
            escape(&r.environment.chainmeter_version),
            escape(r.environment.git_revision.as_deref().unwrap_or("revision unknown")),
            escape(&self.command),
            escape(&self.scenario)
        )
    }
}

/// `scheme://host:port` of `url`: its path and query may hold an API key.
fn url_origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    // Credentials before an `@` are left out too.
    let host = host.rsplit('@').next().unwrap_or(host);
    format!("{scheme}://{host}")
}

/// `v` with every absolute path by its file name alone and no nulls (TOML
/// has none): a page never shows where a file was on the machine that ran.
pub fn without_paths(v: &Value) -> Value {
    match v {
        Value::String(s) if is_absolute_path(s) => Value::String(file_name(s).to_owned()),
        Value::Array(items) => Value::Array(items.iter().map(without_paths).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_paths(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `/x/y`, `~/x`, `C:\x`: a path on some machine's disk.
pub fn is_absolute_path(s: &str) -> bool {
    let b = s.as_bytes();
    (s.starts_with('/') && s.len() > 1 && !s.starts_with("//"))
        || s.starts_with("~/")
        || (b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_go_by_their_file_names_and_nulls_go() {
        let v = json!({
            "evm": { "binary": "/root/.cache/bin/anvil", "url": null },
            "workload": { "program": { "file": "programs/counter.so" } },
            "files": ["/tmp/x/a.so", "b.so"],
            "note": "/"
        });
        assert_eq!(
            without_paths(&v),
            json!({
                "evm": { "binary": "anvil" },
                "workload": { "program": { "file": "programs/counter.so" } },
                "files": ["a.so", "b.so"],
                "note": "/"
            })
        );
    }

    #[test]
    fn a_url_keeps_its_origin_alone() {
        assert_eq!(
            url_origin("https://user:pw@rpc.example.org:8443/v2/SECRET?key=1"),
            "https://rpc.example.org:8443"
        );
        assert_eq!(url_origin("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
    }
}
