//! `chainmeter report`, `compare` and `merge`: commands over result files.

use crate::failure::Failure;
use anyhow::{anyhow, Context};
use chainmeter_report::{
    compare, comparison::Comparison, history, html, markdown, merge as merging,
};
use chainmeter_result::run::RunResult;
use clap::Args;
use std::path::{Path, PathBuf};

/// `chainmeter report` arguments.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A result file written by `chainmeter run`; or a directory of runs,
    /// for their history: index.html and index.md list every run found
    /// under it (any schema version), grouped by scenario and chain, draw
    /// each headline metric over the runs and link each run's page
    /// (written beside its result when it has none).
    result: PathBuf,
    /// Write the Markdown report here, and the HTML page beside it with an
    /// .html extension [default: report.md and report.html beside the
    /// result; for a directory, index.md and index.html in it].
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
    if args.result.is_dir() {
        return history(&args.result, args.out);
    }
    let r = read(&args.result)?;
    warn_partial(&args.result, &r);
    let md = markdown::run_summary(&r);
    let out = args
        .out
        .unwrap_or_else(|| args.result.with_file_name("report.md"));
    write(&out, &md)?;
    let page = out.with_extension("html");
    write(&page, &run_page(&args.result, &r))?;
    println!("{md}");
    eprintln!("report: {} and {}", out.display(), page.display());
    Ok(())
}

/// The page of the result at `path`, with the interval log beside it
/// when there is one (it draws latency over time).
fn run_page(path: &Path, r: &RunResult) -> String {
    let intervals =
        chainmeter_report::interval::read(&path.with_file_name("latency.hlog")).unwrap_or_default();
    html::run_page(r, &intervals)
}

/// `chainmeter report DIR`: the history of every run under `dir`.
fn history(dir: &Path, out: Option<PathBuf>) -> Result<(), Failure> {
    let mut files = Vec::new();
    collect_json(dir, &mut files).map_err(bad)?;
    files.sort();
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for file in files {
        let rel = relative(dir, &file);
        let Ok(r) = RunResult::read(&file) else {
            // ab.json, benchmark data and the like sit among runs.
            if file.file_name().is_some_and(|n| n != "ab.json") {
                skipped.push(rel);
            }
            continue;
        };
        let page = if file.file_name().is_some_and(|n| n == "result.json") {
            file.with_file_name("report.html")
        } else {
            file.with_extension("html")
        };
        if !page.exists() {
            write(&page, &run_page(&file, &r))?;
        }
        found.push(history::Found {
            path: rel,
            page: relative(dir, &page),
            result: r,
        });
    }
    if found.is_empty() {
        return Err(bad(anyhow!(
            "{}: no result file under it (a run writes result.json)",
            dir.display()
        )));
    }
    let h = history::History::build(found, skipped);
    let md_path = out.unwrap_or_else(|| dir.join("index.md"));
    let html_path = md_path.with_extension("html");
    write(&md_path, &h.markdown())?;
    write(&html_path, &h.html())?;
    eprintln!("history: {} and {}", md_path.display(), html_path.display());
    Ok(())
}

/// Every `.json` file under `dir`, but not in a repeated run's
/// `repeat-K/` (the run's own result carries its repeats).
fn collect_json(dir: &Path, into: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !name.starts_with("repeat-") {
                collect_json(&path, into)?;
            }
        } else if name.ends_with(".json") {
            into.push(path);
        }
    }
    Ok(())
}

/// `path` as a page names it: relative to the working directory when it
/// lies under it, else by its last three parts; a page never shows where
/// files were on the machine that made it.
fn shown(path: &Path) -> String {
    if path.is_relative() {
        return path.display().to_string();
    }
    if let Some(rel) = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
    {
        return rel.display().to_string();
    }
    let parts: Vec<_> = path
        .components()
        .rev()
        .take(3)
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    format!(
        "…/{}",
        parts.into_iter().rev().collect::<Vec<_>>().join("/")
    )
}

/// `path` relative to `dir`, `/`-separated.
fn relative(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

pub(crate) fn compare(args: CompareArgs) -> Result<(), Failure> {
    let names: Vec<String> = args.results.iter().map(|p| shown(p)).collect();
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
