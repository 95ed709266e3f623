//! `chainmeter ab`: one scenario run as A and as B (each its `--set`
//! overrides), interleaved A-B-B-A over K pairs, each run on a fresh local
//! node (or against `--url`), then judged pair by pair
//! (`chainmeter_report::ab`).

use crate::{
    chains::CHAINS,
    failure::Failure,
    progress::ProgressMode,
    run::{build, stop_on_signal, Terminal},
};
use anyhow::anyhow;
use chainmeter_core::scenario::{self, Overrides, Setting};
use chainmeter_orchestrate::{exit, Options};
use chainmeter_report::{
    ab::{self, AbGate, AbVerdict, MetricChange, Side},
    compare::Threshold,
};
use chainmeter_result::run::RunResult;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

/// `chainmeter ab` arguments.
#[derive(Debug, Args)]
pub(crate) struct AbArgs {
    /// The scenario file (TOML), of one chain.
    scenario: PathBuf,
    /// A's setting, KEY=VALUE as for `run --set` (repeatable).
    #[arg(long = "a", value_name = "KEY=VALUE")]
    a: Vec<Setting>,
    /// B's setting, KEY=VALUE as for `run --set` (repeatable).
    #[arg(long = "b", value_name = "KEY=VALUE")]
    b: Vec<Setting>,
    /// A setting of both sides (repeatable), before each side's own.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<Setting>,
    /// Pairs to run: A-B, B-A, A-B, ... (at least 2 decide a rule).
    #[arg(long, value_name = "K", default_value = "3", value_parser = clap::value_parser!(u32).range(1..=50))]
    pairs: u32,
    /// Attach every run to this JSON-RPC URL instead of starting a node.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Fail (exit code 1) when B breaks this rule against A, judged on the
    /// wider of the paired and between-pairings intervals and only when
    /// every pair agrees on the direction, e.g. `included.p50>+20%`,
    /// `tps<-5%`. Repeatable. A rule neither held nor broken is undecided
    /// (exit code 3), never a pass or a fail.
    #[arg(long = "fail-if", value_name = "RULE")]
    fail_if: Vec<String>,
    /// Where the runs and ab.json, ab.md and ab.html go [default:
    /// results/<timestamp>-<scenario>-ab].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress line.
    #[arg(long, short)]
    quiet: bool,
}

/// `ab.json`.
#[derive(Debug, Serialize)]
struct AbFile<'a> {
    scenario: String,
    a: Vec<String>,
    b: Vec<String>,
    both: Vec<String>,
    method: &'static str,
    /// Every run, in the order it ran.
    runs: Vec<RunRecord>,
    metrics: &'a [MetricChange],
    gates: &'a [AbGate],
}

#[derive(Debug, Serialize)]
struct RunRecord {
    pair: u32,
    side: Side,
    result: PathBuf,
}

pub(crate) async fn ab(args: AbArgs) -> Result<(), Failure> {
    let rules = args
        .fail_if
        .iter()
        .map(|t| Threshold::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::bad_input)?;
    let overrides = |side: &[Setting]| Overrides {
        url: args.url.clone(),
        sets: args.sets.iter().chain(side).cloned().collect(),
        ..Overrides::default()
    };
    // Both sides are read before anything runs: a mistake in B is found
    // before A has run for minutes.
    let mut scenarios = Vec::with_capacity(2);
    for (name, side) in [("--a", &args.a), ("--b", &args.b)] {
        let s = scenario::load(&args.scenario, &overrides(side), CHAINS)
            .map_err(|e| Failure::bad_input(anyhow!("{name}: {e}")))?;
        if s.targets.len() != 1 || s.writes == scenario::Writes::Both {
            return Err(Failure::bad_input(anyhow!(
                "{}: ab runs a scenario of one chain and one run (no writes = \"both\")",
                args.scenario.display()
            )));
        }
        scenarios.push(s);
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| crate::run::default_dir(&format!("{}-ab", scenarios[0].name)));
    let console = Terminal::new(args.quiet, ProgressMode::Auto);
    let mut runs = Vec::new();
    let mut pairs: Vec<(Option<RunResult>, Option<RunResult>)> =
        (0..args.pairs).map(|_| (None, None)).collect();
    for k in 0..args.pairs {
        for side in ab::order(k as usize) {
            let (s, letter) = match side {
                Side::A => (&scenarios[0], "a"),
                Side::B => (&scenarios[1], "b"),
            };
            let dir = out.join(format!("pair-{}-{letter}", k + 1));
            eprintln!("ab: pair {} of {}, {letter}", k + 1, args.pairs);
            let mut options = Options::new(dir.clone(), build());
            options.stop = stop_on_signal();
            let result = chainmeter_orchestrate::run(s, &options, &console)
                .await
                .map_err(|e| Failure {
                    code: e.exit_code(),
                    error: anyhow!("ab: pair {} {letter}: {e}", k + 1),
                })?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    Failure::run_failed(anyhow!("ab: pair {} {letter}: no result", k + 1))
                })?;
            runs.push(RunRecord {
                pair: k + 1,
                side,
                result: dir.join("result.json"),
            });
            let slot = &mut pairs[k as usize];
            match side {
                Side::A => slot.0 = Some(result),
                Side::B => slot.1 = Some(result),
            }
        }
    }
    let pairs: Vec<(RunResult, RunResult)> = pairs
        .into_iter()
        .filter_map(|(a, b)| Some((a?, b?)))
        .collect();
    let changes = ab::changes(&pairs);
    let gates = ab::gates(&pairs, &rules).map_err(Failure::bad_input)?;
    let given = |v: &[Setting]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    let file = AbFile {
        scenario: args.scenario.display().to_string(),
        a: given(&args.a),
        b: given(&args.b),
        both: given(&args.sets),
        method: ab::METHOD,
        runs,
        metrics: &changes,
        gates: &gates,
    };
    let title = format!("A/B: {}", scenarios[0].name);
    let intro = format!(
        "{} pairs in A-B-B-A order. A: {}. B: {}.",
        args.pairs,
        side_words(&args.a),
        side_words(&args.b)
    );
    let md = ab::markdown(&title, &intro, &changes, &gates);
    println!("{md}");
    write(
        &out.join("ab.json"),
        &serde_json::to_string_pretty(&file).expect("ab.json serializes"),
    )?;
    write(&out.join("ab.md"), &md)?;
    write(
        &out.join("ab.html"),
        &ab::page(&title, &intro, &changes, &gates),
    )?;
    eprintln!("ab: {}", out.join("ab.md").display());
    let broken: Vec<String> = gates
        .iter()
        .filter(|g| g.verdict == AbVerdict::Breaks)
        .map(AbGate::line)
        .collect();
    if !broken.is_empty() {
        return Err(Failure::run_failed(anyhow!(
            "B regressed against A:\n- {}",
            broken.join("\n- ")
        )));
    }
    let undecided: Vec<String> = gates
        .iter()
        .filter(|g| matches!(g.verdict, AbVerdict::Undecided { .. }))
        .map(AbGate::line)
        .collect();
    if !undecided.is_empty() {
        return Err(Failure {
            code: exit::UNDECIDED,
            error: anyhow!(
                "undecided, neither a pass nor a fail:\n- {}",
                undecided.join("\n- ")
            ),
        });
    }
    Ok(())
}

fn side_words(sets: &[Setting]) -> String {
    if sets.is_empty() {
        "the scenario as written".to_owned()
    } else {
        sets.iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn write(path: &std::path::Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure::run_failed(anyhow!("cannot write {}: {e}", path.display())))
}
