//! `chainmeter report`, `compare` and `merge`: commands over result files.

use crate::failure::Failure;
use anyhow::{anyhow, Context};
use chainmeter_report::{compare, gate, html, markdown, merge as merging};
use chainmeter_result::run::RunResult;
use clap::Args;
use std::path::{Path, PathBuf};

/// `chainmeter report` arguments.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A result file written by `chainmeter run`.
    result: PathBuf,
    /// Write the Markdown report here, and the HTML page beside it with an
    /// .html extension [default: report.md and report.html beside the result].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `chainmeter compare` arguments.
#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// Result files. Different chains: a side-by-side table. One chain, two
    /// files: the first is the baseline, the second the candidate.
    #[arg(required = true, num_args = 2..)]
    results: Vec<PathBuf>,
    /// Compare runs of different workloads (refused by default).
    #[arg(long)]
    allow_mismatch: bool,
    /// Fail (exit code 1) when the candidate breaks this rule, e.g.
    /// `confirmed.p99>+10%`, `tps<-5%`, `fee>100` (absolute, in the metric's
    /// unit). Repeatable. Metrics: tps, tps_peak, success, failed (the
    /// share of sent that landed but failed on chain, %), <level>.p50,
    /// <level>.p99, fee, block_time.p50, cpu_per_tx.
    #[arg(long = "fail-if", value_name = "RULE")]
    fail_if: Vec<String>,
    /// Write the candidate's metrics for github-action-benchmark to
    /// PREFIX-smaller.json (customSmallerIsBetter) and PREFIX-bigger.json
    /// (customBiggerIsBetter).
    #[arg(long, value_name = "PREFIX")]
    bench_json: Option<PathBuf>,
    /// Also write the comparison (Markdown) to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write the comparison as a self-contained HTML page to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// `chainmeter merge` arguments.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Result files of one scenario against one chain, from several generators.
    #[arg(required = true, num_args = 2..)]
    results: Vec<PathBuf>,
    /// Where to write the merged result.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn bad(e: impl Into<anyhow::Error>) -> Failure {
    Failure::bad_input(e)
}

fn read(path: &Path) -> Result<RunResult, Failure> {
    RunResult::read(path).map_err(bad)
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(bad)
}

/// Warns that `r`, read from `path`, is a partial result.
fn warn_partial(path: &Path, r: &RunResult) {
    if !r.status.is_final() {
        eprintln!(
            "warning: {} is a partial result (status running): chainmeter never finished that run; its figures cover it up to {}",
            path.display(),
            r.ended_at
        );
    }
}

pub(crate) fn report(args: ReportArgs) -> Result<(), Failure> {
    let r = read(&args.result)?;
    warn_partial(&args.result, &r);
    let md = markdown::run_summary(&r);
    let out = args
        .out
        .unwrap_or_else(|| args.result.with_file_name("report.md"));
    write(&out, &md)?;
    let page = out.with_extension("html");
    // The interval log beside the result, when there is one, draws latency over time.
    let intervals = chainmeter_report::interval::read(&args.result.with_file_name("latency.hlog"))
        .unwrap_or_default();
    write(&page, &html::run_page(&r, &intervals))?;
    println!("{md}");
    eprintln!("report: {} and {}", out.display(), page.display());
    Ok(())
}

pub(crate) fn compare(args: CompareArgs) -> Result<(), Failure> {
    let results = args
        .results
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    if !args.allow_mismatch {
        compare::check_same_workload(&results).map_err(bad)?;
    }
    let thresholds = args
        .fail_if
        .iter()
        .map(|t| compare::Threshold::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    let same_chain = results.iter().all(|r| r.chain == results[0].chain);
    let baseline_vs_candidate = same_chain && results.len() == 2;
    if !baseline_vs_candidate && (!thresholds.is_empty() || args.bench_json.is_some()) {
        return Err(bad(anyhow!("--fail-if and --bench-json compare a baseline with a candidate: give two results of one chain")));
    }
    let mut gate_text = String::new();
    let (title, intro, table, regressions) = if baseline_vs_candidate {
        let deltas = compare::deltas(&results[0], &results[1]);
        let (knee_failures, thresholds) =
            compare::knee_rules(&results[0], &results[1], &thresholds);
        let mut regressions = if gate::repeated(&results[0], &results[1]) {
            // Repeated runs: each rule judged by a confidence interval.
            let gates = gate::gates(&results[0], &results[1], &thresholds).map_err(bad)?;
            if !gates.is_empty() {
                gate_text = format!(
                    "\n\n**Gate** ({}):\n\n{}",
                    gate::METHOD,
                    gates
                        .iter()
                        .map(|g| format!("- {}", g.line()))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
            gates
                .iter()
                .filter(|g| {
                    matches!(
                        g.verdict,
                        gate::Verdict::Breaks | gate::Verdict::Undecidable
                    )
                })
                .map(gate::Gate::line)
                .collect()
        } else {
            compare::regressions(&deltas, &thresholds).map_err(bad)?
        };
        if !thresholds.is_empty() || !knee_failures.is_empty() {
            // Before any figure: a candidate that cannot stand for a run fails the gate.
            let mut unfit = compare::unfit_candidate(&results[0], &results[1]);
            if gate::repeated(&results[0], &results[1]) {
                unfit.extend(compare::unfit_repeats(&results[0], &results[1]));
            }
            unfit.extend(knee_failures);
            unfit.append(&mut regressions);
            regressions = unfit;
        }
        if let Some(prefix) = &args.bench_json {
            let (smaller, bigger) = compare::benchmark_entries(&results[1]);
            for (suffix, entries) in [("smaller", smaller), ("bigger", bigger)] {
                let path = PathBuf::from(format!("{}-{suffix}.json", prefix.display()));
                write(
                    &path,
                    &serde_json::to_string_pretty(&entries).expect("entries serialize"),
                )?;
                eprintln!("benchmark data: {}", path.display());
            }
        }
        let intro = format!(
            "baseline: {} ({}), candidate: {} ({})",
            args.results[0].display(),
            chainmeter_report::view::workload(&results[0]),
            args.results[1].display(),
            chainmeter_report::view::workload(&results[1]),
        );
        let title = format!("chainmeter: {} baseline vs candidate", results[0].chain);
        (title, intro, compare::delta_table(&deltas), regressions)
    } else {
        let intro = args
            .results
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        (
            "chainmeter: chains side by side".to_owned(),
            intro,
            compare::chain_table(&results),
            Vec::new(),
        )
    };
    let text = format!("## {title}\n\n{intro}\n\n{}{gate_text}", table.markdown());
    println!("{text}");
    if let Some(out) = &args.out {
        write(out, &text)?;
    }
    if let Some(out) = &args.html {
        let body = format!(
            "<p>{}</p>{}{}",
            html::escape(&intro),
            table.html(),
            html::comparison_charts(&results)
        );
        write(out, &html::document(&title, &body))?;
    }
    if regressions.is_empty() {
        return Ok(());
    }
    Err(Failure::run_failed(anyhow!(
        "the candidate regressed:\n- {}",
        regressions.join("\n- ")
    )))
}

pub(crate) fn merge(args: MergeArgs) -> Result<(), Failure> {
    let inputs = args
        .results
        .iter()
        .map(|p| read(p).map(|r| (p.display().to_string(), r)))
        .collect::<Result<Vec<_>, _>>()?;
    for (p, r) in &inputs {
        warn_partial(Path::new(p), r);
    }
    // A repeated run's repeats merge repeat by repeat, each from the result
    // `run --repeat` wrote beside it (`repeat-<k>/result.json`).
    let repeats = inputs
        .iter()
        .map(|(_, r)| r.repeats.len())
        .max()
        .unwrap_or(0);
    let merged = if repeats == 0 {
        merging::merge(&inputs)
    } else {
        let of_repeat = |k: usize| -> Result<Vec<(String, RunResult)>, Failure> {
            args.results
                .iter()
                .map(|p| {
                    let file = p
                        .parent()
                        .unwrap_or(Path::new("."))
                        .join(format!("repeat-{k}"))
                        .join("result.json");
                    if !file.exists() {
                        return Err(bad(anyhow!(
                            "{} holds {repeats} repeats, and {} is missing: a repeated run merges repeat by repeat, from each repeat's own result",
                            p.display(),
                            file.display()
                        )));
                    }
                    read(&file).map(|r| (file.display().to_string(), r))
                })
                .collect()
        };
        let of_repeats = (1..=repeats).map(of_repeat).collect::<Result<Vec<_>, _>>()?;
        merging::merge_repeated(&inputs, &of_repeats)
    }
    .map_err(bad)?;
    let json = serde_json::to_string_pretty(&merged).expect("a result serializes");
    write(&args.out, &json)?;
    eprintln!(
        "merged {} results: {} sent, {} landed; written to {}",
        inputs.len(),
        merged.outcomes.sent,
        merged.outcomes.landed(),
        args.out.display()
    );
    Ok(())
}
