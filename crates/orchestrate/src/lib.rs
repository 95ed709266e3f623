//! Running a chainmeter scenario end to end.
//!
//! Owns everything between a checked [`Scenario`] and the files its runs
//! leave: the [`Plan`] (a run per chain and write mode, or one run
//! repeated), each local node's lifetime, the runs themselves, every output
//! (results, summaries, pages, and the comparison and contention tables,
//! made from the results in memory), and what it all came to, as a typed
//! [`Error`] whose predicates decide an exit code.
//!
//! It must never import a chain crate (chains come in through the
//! scenario's targets), parse command lines, or print: what the user sees
//! goes through a [`Console`], and signals come in through
//! [`Options::stop`].
//!
//! ```no_run
//! # async fn demo(scenario: chainmeter_core::scenario::Scenario) {
//! use chainmeter_orchestrate::{run, Build, Options, Silent};
//! let build = Build { version: "0.1.0".into(), git_revision: None };
//! let options = Options::new("results/demo".into(), build);
//! let results = run(&scenario, &options, &Silent).await;
//! # }
//! ```

mod chain_run;
mod console;
mod environment;
mod error;
pub mod exit;
mod outputs;
mod plan;
#[cfg(test)]
mod tests;

pub use console::{Console, Silent};
pub use environment::Build;
pub use error::Error;
pub use plan::{Plan, PlanError, PlannedRun};

use chain_run::Attempt;
use chainmeter_core::{
    chain::{BoxFuture, Stop},
    funder::FunderKey,
    metrics::Served,
    scenario::{Scenario, Writes},
    shard::Shard,
};
use chainmeter_result::run::{Repeat, RunResult};
use std::{num::NonZeroU32, path::PathBuf, sync::Arc};

/// Makes the future that resolves when the run must stop (Ctrl-C,
/// SIGTERM); called once for each stretch that can be stopped.
pub type StopSource = Arc<dyn Fn() -> BoxFuture<Stop> + Send + Sync>;

/// How to run a scenario, besides the scenario itself.
#[derive(Clone)]
pub struct Options {
    /// Where the outputs go.
    pub out: PathBuf,
    /// Which chainmeter this is, for each result's environment.
    pub build: Build,
    /// Times to run the scenario's one run.
    pub repeat: NonZeroU32,
    /// Check each run's figures against the chain after its drain.
    pub verify: bool,
    /// Allow a run against a public mainnet.
    pub allow_mainnet: bool,
    /// The key to fund senders from (`--funder-key`), instead of cheat codes.
    pub funder: Option<FunderKey>,
    /// Return the senders' leftover funds to the funder after each run
    /// (`--sweep`; needs `funder`).
    pub sweep: bool,
    /// The generator this is, when the scenario was sharded.
    pub shard: Option<Shard>,
    /// Where live metrics are served, if they are.
    pub served: Option<Served>,
    /// What stops a run early.
    pub stop: StopSource,
    /// Write each run's trace (`trace.jsonl` in its directory): every
    /// send, head and level reached, stamped on the wall clock.
    pub trace: bool,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("out", &self.out)
            .field("build", &self.build)
            .field("repeat", &self.repeat)
            .field("verify", &self.verify)
            .field("allow_mainnet", &self.allow_mainnet)
            .field("funder", &self.funder)
            .field("shard", &self.shard)
            .finish_non_exhaustive()
    }
}

impl Options {
    /// Runs once into `out`, verified, never stopped early, no metrics served.
    pub fn new(out: PathBuf, build: Build) -> Self {
        Self {
            out,
            build,
            repeat: NonZeroU32::MIN,
            verify: true,
            allow_mainnet: false,
            funder: None,
            sweep: false,
            shard: None,
            served: None,
            stop: Arc::new(|| Box::pin(std::future::pending())),
            trace: false,
        }
    }
}

/// Runs every run `scenario` makes and writes their outputs; returns the
/// results written at the top of each run's directory (for a repeated run,
/// the one with every repeat's headline metrics).
///
/// A failed run does not stop the others (each is told to `console` as it
/// fails); a signal stops everything at once.
pub async fn run(
    scenario: &Scenario,
    options: &Options,
    console: &dyn Console,
) -> Result<Vec<RunResult>, Error> {
    let plan = Plan::new(scenario, &options.out, options.repeat)?;
    // A key no chain of the scenario can read is bad input, found before
    // any node starts.
    if let Some(key) = &options.funder {
        for target in &scenario.targets {
            target.chain.check_funder(key)?;
        }
    }
    std::fs::create_dir_all(&options.out).map_err(|source| Error::OutputDir {
        path: options.out.clone(),
        source,
    })?;
    if plan.repeat.get() > 1 {
        return run_repeated(scenario, &plan, options, console)
            .await
            .map(|r| vec![r]);
    }
    let runs = plan.runs.len();
    let mut results: Vec<(usize, Option<Writes>, RunResult)> = Vec::new();
    let mut failures = Vec::new();
    for (index, target) in scenario.targets.iter().enumerate() {
        let chain = target.spec().name;
        for planned in plan.of_target(index) {
            // With `writes = "both"` each mode is a run of its own, whose
            // result says which mode it ran.
            let run_scenario = match planned.writes {
                Some(mode) => {
                    let mut s = scenario.clone();
                    s.writes = mode;
                    s.as_run["workload"]["writes"] = mode.as_str().into();
                    s
                }
                None => scenario.clone(),
            };
            let attempt = match outputs::create_dir(&planned.dir) {
                Ok(()) => {
                    chain_run::run(&run_scenario, target, &planned.dir, options, console).await
                }
                Err(e) => return Err(e),
            };
            let Attempt { result, error } = attempt;
            if let Some(r) = result {
                results.push((index, planned.writes, r));
            }
            match error {
                None => {}
                Some(e) if e.signal().is_some() => return Err(e),
                Some(e) => {
                    if runs > 1 {
                        console.note(&format!(
                            "error: {chain} {} run: {}",
                            planned.writes.unwrap_or(scenario.writes).as_str(),
                            chainmeter_core::chain::chained(&e)
                        ));
                    }
                    failures.push((chain, e));
                }
            }
        }
        if scenario.writes == Writes::Both {
            let of = |mode| {
                results
                    .iter()
                    .find(|(t, w, _)| *t == index && *w == Some(mode))
                    .map(|(_, _, r)| r)
            };
            let dir = plan.runs.iter().find(|r| r.target == index).map(|r| {
                r.dir
                    .parent()
                    .map_or_else(|| r.dir.clone(), |p| p.to_path_buf())
            });
            if let Some(dir) = dir {
                outputs::write_contention(
                    chain,
                    &dir,
                    of(Writes::Hot),
                    of(Writes::Disjoint),
                    console,
                );
            }
        }
    }
    if plan.compares_chains {
        let mode = outputs::compared_mode(scenario.writes);
        let compared = results
            .iter()
            .filter(|(_, w, _)| *w == mode)
            .map(|(_, _, r)| r.clone())
            .collect();
        outputs::write_comparison(scenario, &options.out, compared, console);
    }
    match failures.len() {
        0 => Ok(results.into_iter().map(|(_, _, r)| r).collect()),
        1 if runs == 1 => Err(failures.pop().expect("one failure").1),
        _ => Err(Error::Several {
            failed: failures.iter().map(|(c, _)| *c).collect(),
            runs,
        }),
    }
}

/// The one run of `plan` `plan.repeat` times, each into its own directory,
/// then the last repeat's result with every repeat's headline metrics at
/// the top. A failed repeat stops the series (its own result is written;
/// the repeats before it stay).
async fn run_repeated(
    scenario: &Scenario,
    plan: &Plan,
    options: &Options,
    console: &dyn Console,
) -> Result<RunResult, Error> {
    let planned = &plan.runs[0];
    let target = &scenario.targets[planned.target];
    let mut repeats = Vec::new();
    let mut last = None;
    for k in 1..=plan.repeat.get() {
        console.note(&format!("repeat {k} of {}", plan.repeat));
        let dir = plan.repeat_dir(k);
        outputs::create_dir(&dir)?;
        let Attempt { result, error } =
            chain_run::run(scenario, target, &dir, options, console).await;
        if let Some(e) = error {
            return Err(e);
        }
        let r = result.expect("a run without an error wrote its result");
        repeats.push(Repeat::headline(&r));
        last = Some(r);
    }
    let mut result = last.expect("a repeated run runs at least twice");
    result.repeats = repeats;
    let path = outputs::write_repeated(&result, &planned.dir, console)?;
    console.note(&format!(
        "result of {} repeats: {}",
        plan.repeat,
        path.display()
    ));
    Ok(result)
}
