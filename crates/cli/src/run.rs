//! `chainmeter run`: one scenario, each of its chains in turn.

use crate::{chains::CHAINS, environment, progress::ProgressLine};
use anyhow::{anyhow, Context};
use chainmeter_core::{
    chain::{AnySubmitter, FundingProgress, Session, Stop},
    metrics::{self, LiveMetrics, Served},
    pacer::planned_sends,
    plugin::{Connect, LocalNode},
    result::{NodeInfo, Repeat, RunResult, RunStatus, StopKind},
    runner::{self, RunPlan},
    scenario::{self, HumanDuration, Overrides, Profile, Scenario, Target, Writes},
    shard::{Shard, Split},
};
use clap::Args;
use std::{
    future::Future,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, AtomicU32, Ordering},
        Arc,
    },
};

/// `chainmeter run` arguments.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The scenario file (TOML). See scenarios/ for documented examples.
    scenario: PathBuf,
    /// Directory for the result, summary, HTML report, interval log and validator log
    /// [default: results/<UTC time>-<scenario name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Attach to this JSON-RPC URL instead of starting a validator
    /// (for a scenario with one chain).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// WebSocket URL when attaching [default: EVM: the RPC URL with ws://;
    /// Solana: the RPC port + 1].
    #[arg(long, value_name = "URL", requires = "url")]
    ws_url: Option<String>,
    /// Override the offered rate (transactions per second).
    #[arg(long, value_name = "TX_PER_S")]
    rate: Option<f64>,
    /// Override the measured window's length, e.g. 30s, 2m.
    #[arg(long, value_name = "DURATION", conflicts_with = "count")]
    duration: Option<HumanDuration>,
    /// Override the number of measured transactions.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Allow a run against a public mainnet (refused by default: chainmeter spends real money there).
    #[arg(long)]
    allow_mainnet: bool,
    /// Skip the check of the run's figures against the chain after the drain
    /// (landed count from nonces / signature statuses, fees from balances).
    /// Without it, a mismatch makes the run exit 1.
    #[arg(long)]
    no_verify: bool,
    /// Run the I-th of N generators of this scenario (counted from 0, as
    /// Kubernetes' JOB_COMPLETION_INDEX): 1/N of the offered rate (of a
    /// count or a closed loop's concurrency, its share), from its own 1/N
    /// of the senders, whose keys no other shard uses. Merge the N results
    /// with `chainmeter merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Run the scenario K times, each repeat with its own validator when
    /// chainmeter starts one, into <out>/repeat-<k>/; <out>/result.json is
    /// the last repeat's result with every repeat's headline metrics
    /// (`repeats`), which `compare --fail-if` judges by a confidence
    /// interval instead of one figure against another.
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    repeat: u32,
    /// Serve live metrics for Prometheus at http://ADDR/metrics while the
    /// run goes (e.g. 127.0.0.1:9464): offered, sent, landed, rejected and
    /// expired counters, in flight, latency per level, the current step.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<std::net::SocketAddr>,
    /// No progress line.
    #[arg(long, short)]
    quiet: bool,
}

/// How a command failed, which decides its exit code.
#[derive(Debug)]
pub(crate) enum FailureKind {
    /// Bad scenario, flag or file.
    BadInput,
    /// The run could not start, failed or was aborted.
    RunFailed,
    /// Ctrl-C.
    Interrupted,
    /// SIGTERM (`timeout`, CI runners, Kubernetes).
    Terminated,
}

/// A failed command: its kind and the error to print.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) error: anyhow::Error,
}

impl Failure {
    fn bad_input(error: impl Into<anyhow::Error>) -> Self {
        Self {
            kind: FailureKind::BadInput,
            error: error.into(),
        }
    }
    fn run_failed(error: impl Into<anyhow::Error>) -> Self {
        Self {
            kind: FailureKind::RunFailed,
            error: error.into(),
        }
    }
}

/// Runs the scenario named in `args`.
pub(crate) async fn run(args: RunArgs) -> Result<(), Failure> {
    let overrides = Overrides {
        url: args.url.clone(),
        ws_url: args.ws_url.clone(),
        rate: args.rate,
        duration: args.duration.map(|d| d.0),
        count: args.count,
    };
    let mut scenario =
        scenario::load(&args.scenario, &overrides, CHAINS).map_err(Failure::bad_input)?;
    if let Some(shard) = args.shard {
        shard
            .apply(&mut scenario)
            .map_err(|e| Failure::bad_input(anyhow!("--shard {shard}: {e}")))?;
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_dir(&scenario.name));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the output directory {}", dir.display()))
        .map_err(Failure::bad_input)?;
    let served: Option<Served> = match args.metrics {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("--metrics: cannot listen on {addr}"))
                .map_err(Failure::bad_input)?;
            let served = Served::default();
            // Ends with the process: the last run's figures stay up until then.
            tokio::spawn(metrics::serve(listener, served.clone()));
            eprintln!("metrics: http://{addr}/metrics");
            Some(served)
        }
        None => None,
    };

    let several = scenario.targets.len() > 1;
    let modes = scenario.writes.modes();
    let runs = scenario.targets.len() * modes.len();
    if args.repeat > 1 {
        if runs > 1 {
            return Err(Failure::bad_input(anyhow!(
                "--repeat repeats one run: this scenario makes {runs} (chains x writes modes); \
                 give it one chain and one writes mode"
            )));
        }
        return run_repeated(&scenario, &scenario.targets[0], &dir, &args, served).await;
    }
    let mut failures = Vec::new();
    for target in &scenario.targets {
        let chain_dir = if several {
            dir.join(target.spec().name)
        } else {
            dir.clone()
        };
        for &mode in modes {
            // With `writes = "both"` each mode is a run of its own, whose
            // result says which mode it ran.
            let (target_dir, mode_scenario) = if modes.len() > 1 {
                let mut s = scenario.clone();
                s.writes = mode;
                s.as_run["workload"]["writes"] = mode.as_str().into();
                (chain_dir.join(mode.as_str()), s)
            } else {
                (chain_dir.clone(), scenario.clone())
            };
            std::fs::create_dir_all(&target_dir)
                .with_context(|| format!("cannot create {}", target_dir.display()))
                .map_err(Failure::run_failed)?;
            match run_target(&mode_scenario, target, &target_dir, &args, served.clone()).await {
                Ok(_) => {}
                Err(f) if matches!(f.kind, FailureKind::Interrupted | FailureKind::Terminated) => {
                    return Err(f)
                }
                Err(f) => {
                    if runs > 1 {
                        eprintln!(
                            "error: {} {} run: {:#}",
                            target.spec().name,
                            mode.as_str(),
                            f.error
                        );
                    }
                    failures.push((target.spec().name, f));
                }
            }
        }
        if modes.len() > 1 {
            write_contention(target.spec().name, &chain_dir);
        }
    }
    if several {
        write_comparison(&scenario, &dir);
    }
    match failures.len() {
        0 => Ok(()),
        1 if runs == 1 => Err(failures.pop().expect("one failure").1),
        _ => Err(Failure::run_failed(anyhow!(
            "{} of {} runs failed: {}",
            failures.len(),
            runs,
            failures
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Puts the hot and disjoint runs of one chain side by side, with their
/// ratio, in `<dir>/contention.md` and `contention.html`.
fn write_contention(chain: &str, dir: &Path) {
    let read = |mode: Writes| RunResult::read(&dir.join(mode.as_str()).join("result.json"));
    let (Ok(hot), Ok(disjoint)) = (read(Writes::Hot), read(Writes::Disjoint)) else {
        eprintln!("warning: no contention.md: a hot or disjoint result is missing");
        return;
    };
    let table = chainmeter_report::compare::contention_table(&hot, &disjoint);
    write_table(
        dir,
        "contention",
        &format!("chainmeter: {chain}, hot vs disjoint writes"),
        &table,
        &[hot, disjoint],
    );
}

/// Prints `table` under `title` and writes it as `<dir>/<stem>.md` and
/// `<stem>.html` (with the charts comparing `results`); a file that cannot be written is a warning, not a failure:
/// the runs' own results are already written.
fn write_table(
    dir: &Path,
    stem: &str,
    title: &str,
    table: &chainmeter_report::table::Table,
    results: &[RunResult],
) {
    let text = format!("## {title}\n\n{}", table.markdown());
    let page = chainmeter_report::html::document(
        title,
        &format!(
            "{}{}",
            table.html(),
            chainmeter_report::html::comparison_charts(results)
        ),
    );
    if let Err(e) = std::fs::write(dir.join(format!("{stem}.html")), page) {
        eprintln!("warning: cannot write {stem}.html: {e}");
    }
    println!("{text}");
    let path = dir.join(format!("{stem}.md"));
    match std::fs::write(&path, &text) {
        Ok(()) => eprintln!("{stem}: {}", path.display()),
        Err(e) => eprintln!("warning: cannot write {}: {e}", path.display()),
    }
}

/// Puts the chains of a multi-chain run side by side in `<dir>/comparison.md`,
/// from whichever of their results were written.
fn write_comparison(scenario: &Scenario, dir: &Path) {
    let results: Vec<RunResult> = scenario
        .targets
        .iter()
        .filter_map(|t| {
            // With both write modes, the chains are compared on their disjoint runs.
            let mut d = dir.join(t.spec().name);
            if scenario.writes == Writes::Both {
                d.push(Writes::Disjoint.as_str());
            }
            RunResult::read(&d.join("result.json")).ok()
        })
        .collect();
    if results.len() < 2 {
        return;
    }
    write_table(
        dir,
        "comparison",
        &format!("chainmeter: {}, chains side by side", scenario.name),
        &chainmeter_report::compare::chain_table(&results),
        &results,
    );
}

fn default_dir(name: &str) -> PathBuf {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    PathBuf::from("results").join(format!("{stamp}-{name}"))
}

/// The process group of the validator chainmeter runs now (0: none), for a
/// second Ctrl-C, which does not wait for the node guard's graceful stop.
static NODE_GROUP: AtomicU32 = AtomicU32::new(0);

/// Records the running validator's process group while it lives.
struct NodeGroup;

impl NodeGroup {
    fn new(pid: u32) -> Self {
        NODE_GROUP.store(pid, Ordering::SeqCst);
        Self
    }
}

impl Drop for NodeGroup {
    fn drop(&mut self) {
        NODE_GROUP.store(0, Ordering::SeqCst);
    }
}

/// Resolves on Ctrl-C or SIGTERM, with which one it was. SIGTERM is what
/// `timeout`, CI runners and Kubernetes send: it stops the run like Ctrl-C,
/// so the result is written and the validator stopped. After the first, a
/// second one exits at once: it kills the validator's process group and
/// exits 130 (143), leaving the result unwritten if it was not yet.
async fn stop_signal() -> Stop {
    let stop = first_signal().await;
    static ARMED: AtomicBool = AtomicBool::new(false);
    if !ARMED.swap(true, Ordering::SeqCst) {
        tokio::spawn(async {
            let again = first_signal().await;
            eprintln!("\n{} again: exiting now", again.reason);
            let group = NODE_GROUP.load(Ordering::SeqCst);
            if group != 0 {
                // SAFETY: kill(2) on the process group of the validator we started.
                unsafe { libc::kill(-(group as libc::pid_t), libc::SIGKILL) };
            }
            std::process::exit(exit_code(again.kind).into());
        });
    }
    stop
}

async fn first_signal() -> Stop {
    let sigterm = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        r = tokio::signal::ctrl_c() => {
            if r.is_err() {
                // No signal handling available: never resolve rather than abort at once.
                std::future::pending::<()>().await;
            }
            Stop::signal(StopKind::Interrupted, "interrupted by Ctrl-C")
        }
        () = sigterm => Stop::signal(StopKind::Terminated, "terminated by SIGTERM"),
    }
}

/// The exit code of a run stopped by a signal of `kind`.
fn exit_code(kind: StopKind) -> u8 {
    match kind {
        StopKind::Terminated => crate::EXIT_TERMINATED,
        _ => crate::EXIT_INTERRUPTED,
    }
}

/// What a run stopped for `kind` fails as.
fn stopped(kind: StopKind) -> FailureKind {
    match kind {
        StopKind::Interrupted => FailureKind::Interrupted,
        StopKind::Terminated => FailureKind::Terminated,
        _ => FailureKind::RunFailed,
    }
}

/// `--repeat K`: the one run of `scenario` K times, each into its own
/// directory, then the last repeat's result with every repeat's headline
/// metrics as `<dir>/result.json`. A failed repeat stops the series (its
/// own result is written; the repeats before it stay).
async fn run_repeated(
    scenario: &Scenario,
    target: &Target,
    dir: &Path,
    args: &RunArgs,
    served: Option<Served>,
) -> Result<(), Failure> {
    let mut repeats = Vec::new();
    let mut last = None;
    for k in 1..=args.repeat {
        eprintln!("repeat {k} of {}", args.repeat);
        let repeat_dir = dir.join(format!("repeat-{k}"));
        std::fs::create_dir_all(&repeat_dir)
            .with_context(|| format!("cannot create {}", repeat_dir.display()))
            .map_err(Failure::run_failed)?;
        let r = run_target(scenario, target, &repeat_dir, args, served.clone()).await?;
        repeats.push(Repeat::of(
            &r,
            chainmeter_report::compare::headline(&r)
                .into_iter()
                .map(|m| (m.name, m.value))
                .collect(),
        ));
        last = Some(r);
    }
    let mut result = last.expect("at least two repeats");
    result.repeats = repeats;
    let path = write_result(&result, dir).map_err(Failure::run_failed)?;
    let md = chainmeter_report::markdown::run_summary(&result);
    std::fs::write(dir.join("summary.md"), &md)
        .with_context(|| format!("cannot write {}", dir.join("summary.md").display()))
        .map_err(Failure::run_failed)?;
    println!("{md}");
    eprintln!("result of {} repeats: {}", args.repeat, path.display());
    Ok(())
}

/// Awaits `f` unless Ctrl-C or SIGTERM comes first.
async fn or_interrupt<T>(f: impl Future<Output = T>) -> Result<T, Failure> {
    tokio::select! {
        v = f => Ok(v),
        stop = stop_signal() => Err(Failure { kind: stopped(stop.kind), error: anyhow!(stop.reason) }),
    }
}

/// Runs `scenario` on `target` into `dir`, starting the local validator
/// unless attaching, and returns the result it wrote when the run succeeded.
async fn run_target(
    scenario: &Scenario,
    target: &Target,
    dir: &Path,
    args: &RunArgs,
    served: Option<Served>,
) -> Result<RunResult, Failure> {
    // The node guard lives until this function returns, whatever happens: it
    // stops the validator on success, on error and on Ctrl-C. The group
    // record drops after it (declared first).
    let mut _group: Option<NodeGroup> = None;
    let (node, rpc_url, ws_url) = match target.attach() {
        Some(a) => (None, a.url.clone(), a.ws_url.clone()),
        None => {
            let node = or_interrupt(target.chain.start_local(dir.to_owned()))
                .await?
                .map_err(|e| Failure::run_failed(anyhow!(e)))?;
            _group = Some(NodeGroup::new(node.pid()));
            eprintln!(
                "started {} at {} (log: {})",
                node.version(),
                node.rpc_url(),
                node.log().display()
            );
            let (rpc, ws) = (node.rpc_url().to_owned(), node.ws_url().to_owned());
            (Some(node), rpc, ws)
        }
    };
    // Exact when known up front (for progress), at least (for funding).
    let (planned, at_most) = planned_sends(&scenario.load);
    let run = TargetRun {
        scenario,
        target,
        planned,
        node: node.as_deref(),
        rpc_url: &rpc_url,
        dir,
        quiet: args.quiet,
        no_verify: args.no_verify,
        shard: args.shard,
        served,
    };
    let connect = Connect {
        rpc_url: rpc_url.clone(),
        ws_url: ws_url.clone(),
        seed: scenario.seed.clone(),
        accounts: scenario.accounts.get(),
        workload: scenario.workload,
        value: scenario.value,
        hot: (scenario.writes == Writes::Hot).then(|| scenario.shared_seed.clone()),
        bids: scenario.bids.clone(),
        planned: at_most,
        allow_mainnet: args.allow_mainnet,
        funding_progress: funding_progress(args.quiet),
        node_dir: node
            .as_deref()
            .and_then(|n| n.data_dir())
            .map(Path::to_path_buf),
    };
    eprintln!(
        "preparing {} senders on {} at {rpc_url} (events: {ws_url})",
        scenario.accounts,
        target.spec().name
    );
    let session = or_interrupt(target.chain.connect(connect))
        .await?
        .map_err(|e| {
            Failure::run_failed(anyhow!(e).context(format!(
                "cannot prepare the {} run at {rpc_url}",
                target.spec().name
            )))
        })?;
    run.drive(session).await
}

/// Senders from which funding reports its progress: below it, funding takes seconds.
const FUNDING_PROGRESS_FROM: u64 = 2_000;

/// Prints funding progress for large sender counts, about every tenth.
fn funding_progress(quiet: bool) -> FundingProgress {
    if quiet {
        return FundingProgress::default();
    }
    let last = std::sync::atomic::AtomicU64::new(0);
    FundingProgress::new(move |done, total| {
        if total < FUNDING_PROGRESS_FROM {
            return;
        }
        let tenth = done * 10 / total;
        if tenth > last.swap(tenth, std::sync::atomic::Ordering::Relaxed) || done == total {
            eprintln!("funding: {done} of {total} senders");
        }
    })
}

/// One chain's run of a scenario, once its node is up.
struct TargetRun<'a> {
    scenario: &'a Scenario,
    target: &'a Target,
    /// Sends the load plans, when known up front.
    planned: Option<u64>,
    /// The validator chainmeter started, if it did.
    node: Option<&'a dyn LocalNode>,
    rpc_url: &'a str,
    dir: &'a Path,
    quiet: bool,
    no_verify: bool,
    /// The generator this is, with `--shard`.
    shard: Option<Shard>,
    /// Where live metrics are served, with `--metrics`.
    served: Option<Served>,
}

impl TargetRun<'_> {
    /// What the result says of the node: the local validator's binary and
    /// version when chainmeter started it, else what the node reports.
    fn node_info(&self, session: &Session<AnySubmitter>) -> NodeInfo {
        NodeInfo {
            started_locally: self.node.is_some(),
            binary: self.node.map(|n| n.binary().display().to_string()),
            version: self
                .node
                .map_or_else(|| session.node_version.clone(), |n| n.version().to_owned()),
            rpc_url: self.rpc_url.to_owned(),
            chain_id: session.chain_id.clone(),
        }
    }

    /// Drives a prepared session through the scenario's load and writes what
    /// it measured; returns the result it wrote when the run succeeded.
    async fn drive(&self, session: Session<AnySubmitter>) -> Result<RunResult, Failure> {
        let &Self {
            scenario,
            target,
            node,
            dir,
            quiet,
            ..
        } = self;
        let node_info = self.node_info(&session);
        let plan = RunPlan {
            load: scenario.load.clone(),
            chain_levels: target.spec().levels,
            levels: target.levels().to_vec(),
            seed: seed_number(&scenario.seed),
            drain: target.drain(scenario.load.drain_timeout),
            verify: !self.no_verify,
            bids: scenario.bids.clone(),
            senders: scenario.accounts.get(),
            node_pid: node.map(|n| n.pid()),
            metrics: self.served.as_ref().map(|served| {
                let m = Arc::new(LiveMetrics::new(target.spec().name, &scenario.name));
                *served.write().unwrap_or_else(|e| e.into_inner()) = Some(m.clone());
                m
            }),
        };
        let planned = self.planned;
        eprintln!("timing: {}", session.tracking.method);
        let mut progress = ProgressLine::new(quiet, planned);
        let abort = async {
            tokio::select! {
                stop = stop_signal() => stop,
                reason = async {
                    match node {
                        Some(n) => n.exited().await,
                        None => std::future::pending().await,
                    }
                } => Stop::node_gone(reason),
            }
        };
        eprintln!(
            "sending {} {}; waiting for {}, at most {:.0} s after the last send",
            planned.map_or_else(
                || "transactions".to_owned(),
                |n| format!("{n} transactions")
            ),
            describe(&scenario.load.profile),
            target
                .levels()
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            plan.drain.as_secs_f64()
        );
        // The interval log is written as the run goes, so a long run keeps no
        // per-second histograms in memory; unbuffered, so that each second's
        // lines are on disk even if chainmeter is killed.
        let hlog_path = dir.join("latency.hlog");
        let mut hlog = std::fs::File::create(&hlog_path)
            .map_err(|e| {
                eprintln!(
                    "warning: no interval log: cannot create {}: {e}",
                    hlog_path.display()
                )
            })
            .ok();
        let env = environment::current(node_info);
        // A partial result (status `running`) replaces result.json as the run
        // goes: if chainmeter is killed, what it measured up to then stays.
        let mut checkpoint_failed = false;
        let checkpoint = |partial: runner::Finished| {
            let mut r = partial.into_result(scenario, target.spec(), env.clone());
            r.shard = self.shard;
            if let Err(e) = write_result(&r, dir) {
                if !std::mem::replace(&mut checkpoint_failed, true) {
                    eprintln!("warning: cannot write the partial result: {e:#}");
                }
            }
        };
        let finished = runner::run(
            session,
            plan,
            abort,
            |p| progress.update(p),
            checkpoint,
            hlog.as_mut(),
        )
        .await;
        drop(hlog);
        progress.finish();
        let mut result = finished.into_result(scenario, target.spec(), env);
        result.shard = self.shard;
        let written = write_result(&result, dir);
        let md = chainmeter_report::markdown::run_summary(&result);
        println!("{md}");
        let summary_path = dir.join("summary.md");
        let page_path = dir.join("report.html");
        let summary_written = std::fs::write(&summary_path, &md)
            .and_then(|()| {
                let intervals = chainmeter_report::interval::read(&hlog_path).unwrap_or_default();
                std::fs::write(
                    &page_path,
                    chainmeter_report::html::run_page(&result, &intervals),
                )
            })
            .with_context(|| {
                format!(
                    "cannot write {} or {}",
                    summary_path.display(),
                    page_path.display()
                )
            });
        let path = match (written, summary_written) {
            (Err(e), _) | (_, Err(e)) => return Err(Failure::run_failed(e)),
            (Ok(path), Ok(())) => path,
        };
        match &result.status {
            RunStatus::Aborted { reason, kind } => {
                return Err(Failure {
                    kind: stopped(*kind),
                    error: anyhow!(
                        "run aborted: {reason}; what it measured is in {}",
                        path.display()
                    ),
                });
            }
            RunStatus::Incomplete { .. } => {
                return Err(Failure::run_failed(anyhow!(
                    "run incomplete: the drain ended before every landed transaction reached every level ({}); \
                     give a longer load.drain_timeout; what it measured is in {}",
                    result.status.shortfall().unwrap_or_default(),
                    path.display()
                )));
            }
            RunStatus::Completed => {}
            RunStatus::Running => unreachable!("the runner ends every run it returns"),
        }
        if let Some(v) = result.verification.as_ref().filter(|v| !v.passed()) {
            return Err(Failure::run_failed(anyhow!(
                "{}; the result is in {}",
                v.line(),
                path.display()
            )));
        }
        eprintln!("result: {}", path.display());
        Ok(result)
    }
}

/// The profile in words: `at 500 tx/s`, `in 3 steps of 20 s: 500, 1000, 1500 tx/s`.
fn describe(profile: &Profile) -> String {
    match profile {
        Profile::Constant { rate, .. } => format!("at {} tx/s", rate.per_second()),
        Profile::Ramp { from, to, over } => format!(
            "ramping from {} to {} tx/s over {:.0} s",
            from.per_second(),
            to.per_second(),
            over.as_secs_f64()
        ),
        Profile::Steps { rates, step } => format!(
            "in {} steps of {:.0} s: {} tx/s",
            rates.len(),
            step.as_secs_f64(),
            rates
                .iter()
                .map(|r| r.per_second().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Profile::Closed {
            concurrency,
            wait_for,
            ..
        } => format!(
            "in a closed loop: {concurrency} in flight, each followed by the next once it reached {}",
            wait_for.map_or_else(|| "the first level".to_owned(), |l| l.to_string())
        ),
        Profile::Saturate(s) => format!(
            "in probes of {:.0} s (+{:.0} s warm-up), searching {} to {} tx/s for the highest rate that holds",
            s.probe.as_secs_f64(),
            s.probe_warmup.as_secs_f64(),
            s.from.per_second(),
            s.to.per_second()
        ),
    }
}

fn write_result(result: &RunResult, dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join("result.json");
    let json = serde_json::to_vec_pretty(result).context("cannot serialize the result")?;
    // Write then rename, so a reader never sees half a file.
    let tmp = dir.join(".result.json.tmp");
    std::fs::write(&tmp, json).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// A schedule seed from the scenario's text seed (FNV-1a: stable across builds).
fn seed_number(seed: &str) -> u64 {
    seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
