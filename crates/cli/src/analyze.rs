//! `chainmeter report`, `compare` and `merge`: commands over result files.

use crate::failure::Failure;
use anyhow::{anyhow, Context};
use chainmeter_report::{compare, comparison::Comparison, html, markdown, merge as merging};
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
    let names: Vec<String> = args
        .results
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let results = args
        .results
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let rules = args
        .fail_if
        .iter()
        .map(|t| compare::Threshold::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    let comparison =
        Comparison::build(&names, &results, &rules, args.allow_mismatch).map_err(bad)?;
    if let Some(prefix) = &args.bench_json {
        if !comparison.is_pair() {
            return Err(bad(compare::CompareError::NotAPair));
        }
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
    let text = comparison.markdown();
    println!("{text}");
    if let Some(out) = &args.out {
        write(out, &text)?;
    }
    if let Some(out) = &args.html {
        write(out, &comparison.html())?;
    }
    if comparison.passed() {
        return Ok(());
    }
    Err(Failure::run_failed(anyhow!(
        "the candidate regressed:\n- {}",
        comparison.failures.join("\n- ")
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
