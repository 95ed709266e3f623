//! `chainmeter`: benchmark local validators with real, signed transactions.
//!
//! This binary only parses arguments and dispatches; each subcommand lives in
//! its own module and calls the library crates.

mod ab;
mod analyze;
mod chains;
mod failure;
mod progress;
mod run;

use chainmeter_orchestrate::exit;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "chainmeter",
    version,
    about = "Benchmark local validators (anvil, solana-test-validator) with real, signed transactions.",
    long_about = "chainmeter sends real, signed transactions to a local validator it starts itself \
(or to a node you name with --url), and records for every transaction the latency to each \
confirmation level, the fee the chain charged, and the landed throughput, in HDR histograms. \
It writes a versioned JSON result file, a Markdown summary, an HTML report and a per-second \
latency interval log for every run; `compare` puts runs side by side or gates a candidate \
against a baseline, `merge` combines the results of several generators.\n\n\
Every run checks its own figures against the chain after the drain (landed count from \
nonces or signature statuses, fees from balances) unless --no-verify is given.\n\n\
Exit codes: 0 success; 1 the run failed, was aborted, is incomplete (the drain ended before \
every landed transaction reached every level) or failed its verification (what it measured is \
still written); 2 bad input (scenario, flag or file); 3 `ab` could not decide a rule; 130 interrupted by Ctrl-C; 143 terminated \
by SIGTERM (the result is written and the validator stopped, as for Ctrl-C)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario: start (or attach to) the chain, send the load, write the result.
    Run(run::RunArgs),
    /// Render a result file as a Markdown report and a self-contained HTML page with charts.
    Report(analyze::ReportArgs),
    /// Compare results: chains side by side, or a baseline against a candidate
    /// with regression thresholds (exit code 1 when one is broken).
    Compare(analyze::CompareArgs),
    /// Merge the results of several generator processes that drove the same
    /// chain with the same scenario.
    Merge(analyze::MergeArgs),
    /// Run a scenario as A and as B (each its --set overrides), interleaved
    /// A-B-B-A over K pairs, and judge B against A pair by pair: ab.json,
    /// ab.md, ab.html; --fail-if gates (exit 1 broken, 3 undecided).
    Ab(ab::AbArgs),
    /// Print the result file's JSON Schema (what schemas/result.schema.json holds).
    Schema,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread for everything: on the 2-core machines this runs on, the
    // validator measured needs the other core, and a multi-thread runtime
    // spends CPU on work stealing and cross-thread wake-ups for every send
    // and event. The price is that trackers stamp events on the thread that
    // also signs: the runner yields after at most `SIGN_STRETCH` of signing,
    // which bounds how late an event can be stamped. Block parsing runs on
    // the blocking pool, off this thread.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::RUN_FAILED);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(args).await,
            Command::Ab(args) => ab::ab(args).await,
            Command::Report(args) => analyze::report(args),
            Command::Compare(args) => analyze::compare(args),
            Command::Merge(args) => analyze::merge(args),
            Command::Schema => {
                let schema = chainmeter_result::run::json_schema();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&schema).expect("a schema serializes")
                );
                Ok(())
            }
        }
    });
    // Validators are stopped by their guards inside `run`; nothing is left to wait for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {:#}", failure.error);
            ExitCode::from(failure.code)
        }
    }
}
