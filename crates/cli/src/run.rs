//! `chainmeter run`: parses the arguments, loads the scenario, and hands it
//! to the orchestration with a terminal to tell and the process's signals.

use crate::{
    chains::CHAINS,
    failure::Failure,
    progress::{ProgressLine, ProgressMode},
};
use anyhow::{anyhow, Context};
use chainmeter_core::{
    chain::{BoxFuture, FundingProgress, Stop},
    funder::{FunderKey, FUNDER_KEY_ENV},
    metrics::{self, Served},
    recorder::Progress,
    scenario::{self, HumanDuration, Overrides},
    shard::{Shard, Split},
};
use chainmeter_orchestrate::{exit, Build, Console, Options};
use chainmeter_result::run::{RunResult, StopKind};
use clap::Args;
use std::{
    cell::RefCell,
    num::NonZeroU32,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
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
    /// Set any scenario key by its dotted path, as if the file wrote it
    /// (repeatable; a later one wins): load.rate=2000, solana.send=tpu,
    /// evm.block_time=2s, workload.kind=token, workload.storage.slots=8.
    /// VALUE is TOML (2000, true, ["a"]) or else text. Checked as the file's
    /// keys are, and recorded in the result's scenario.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<scenario::Setting>,
    /// Allow a run against a public mainnet (refused by default: chainmeter spends real money there).
    #[arg(long)]
    allow_mainnet: bool,
    /// Fund the senders by transfers from the key in FILE (EVM: the private
    /// key in hex; Solana: a keypair file as solana-keygen writes it) instead
    /// of cheat codes (anvil_setBalance, airdrops), which a node you run may
    /// not offer. The file must be readable by its owner alone (chmod 600);
    /// the key is never printed or written. [env: CHAINMETER_FUNDER_KEY
    /// names the file]
    #[arg(long, value_name = "FILE")]
    funder_key: Option<PathBuf>,
    /// After the run, send each sender's leftover funds (less the transfer's
    /// fee) back to the funder key's account, and check that its balance
    /// rose by exactly that. Needs a funder key.
    #[arg(long)]
    sweep: bool,
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
    #[arg(long, value_name = "K", default_value = "1",
          value_parser = repeats)]
    repeat: NonZeroU32,
    /// Serve live metrics for Prometheus at http://ADDR/metrics while the
    /// run goes (e.g. 127.0.0.1:9464): offered, sent, landed, rejected and
    /// expired counters, in flight, latency per level, the current step.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<std::net::SocketAddr>,
    /// Write trace.jsonl beside the result: every transaction's intended
    /// and actual send, every head the node announced and every level a
    /// transaction reached, a JSON line each, stamped in wall-clock
    /// nanoseconds, to check chainmeter's timing against another client
    /// watching the same node.
    #[arg(long)]
    trace: bool,
    /// No progress line (unless --progress names one).
    #[arg(long, short)]
    quiet: bool,
    /// How progress is shown on stderr: auto (the human line on a terminal,
    /// nothing elsewhere), human, json (a JSON object a second with sent,
    /// landed, failed, rejected, in flight and each level's p50/p99 so far,
    /// then a final line with the run's headline; see
    /// schemas/progress.schema.json), or none.
    #[arg(long, value_name = "MODE", default_value = "auto")]
    progress: ProgressMode,
}

/// `--repeat`: 1 to 100.
fn repeats(s: &str) -> Result<NonZeroU32, String> {
    match s.parse::<u32>() {
        Ok(k @ 1..=100) => Ok(NonZeroU32::new(k).expect("1 to 100")),
        _ => Err(format!("{s} is not in 1..=100")),
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
        sets: args.sets.clone(),
    };
    let mut scenario =
        scenario::load(&args.scenario, &overrides, CHAINS).map_err(Failure::bad_input)?;
    if let Some(shard) = args.shard {
        shard
            .apply(&mut scenario)
            .map_err(|e| Failure::bad_input(anyhow!("--shard {shard}: {e}")))?;
    }
    let funder = args
        .funder_key
        .clone()
        .or_else(|| std::env::var_os(FUNDER_KEY_ENV).map(PathBuf::from))
        .map(|path| FunderKey::read(&path))
        .transpose()
        .map_err(Failure::bad_input)?;
    if args.sweep && funder.is_none() {
        return Err(Failure::bad_input(anyhow!(
            "--sweep returns the senders' funds to the funder key's account: give --funder-key FILE \
             (or name the file in {FUNDER_KEY_ENV})"
        )));
    }
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
    let options = Options {
        out: args
            .out
            .clone()
            .unwrap_or_else(|| default_dir(&scenario.name)),
        build: build(),
        repeat: args.repeat,
        verify: !args.no_verify,
        allow_mainnet: args.allow_mainnet,
        funder,
        sweep: args.sweep,
        shard: args.shard,
        served,
        stop: stop_on_signal(),
        trace: args.trace,
    };
    let terminal = Terminal::new(args.quiet, args.progress);
    match chainmeter_orchestrate::run(&scenario, &options, &terminal).await {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure {
            code: e.exit_code(),
            error: e.into(),
        }),
    }
}

/// Which chainmeter this is, for each result's environment.
pub(crate) fn build() -> Build {
    Build {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        git_revision: option_env!("CHAINMETER_GIT_REVISION").map(str::to_owned),
    }
}

/// What stops a run early: Ctrl-C or SIGTERM.
pub(crate) fn stop_on_signal() -> chainmeter_orchestrate::StopSource {
    Arc::new(|| -> BoxFuture<Stop> { Box::pin(stop_signal()) })
}

/// Tells the user on stderr (reports on stdout) as the runs go.
#[derive(Debug)]
pub(crate) struct Terminal {
    quiet: bool,
    mode: ProgressMode,
    progress: RefCell<ProgressLine>,
}

impl Terminal {
    /// Progress in `mode`, or none when `quiet` and not asked by name.
    pub(crate) fn new(quiet: bool, mode: ProgressMode) -> Self {
        let mode = mode.resolve(quiet);
        Self {
            quiet,
            mode,
            progress: RefCell::new(ProgressLine::new(mode, "", None)),
        }
    }
}

impl Console for Terminal {
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }

    fn show(&self, markdown: &str) {
        println!("{markdown}");
    }

    fn sending(&self, chain: &str, planned: Option<u64>) {
        *self.progress.borrow_mut() = ProgressLine::new(self.mode, chain, planned);
    }

    fn progress(&self, progress: &Progress) {
        self.progress.borrow_mut().update(progress);
    }

    fn progress_done(&self) {
        self.progress.borrow_mut().finish();
    }

    fn result(&self, result: &RunResult, path: &std::path::Path) {
        self.progress.borrow_mut().result(result, path);
    }

    fn funding(&self) -> FundingProgress {
        funding_progress(self.quiet)
    }

    fn node_group(&self, pid: Option<u32>) {
        NODE_GROUP.store(pid.unwrap_or(0), Ordering::SeqCst);
    }
}

pub(crate) fn default_dir(name: &str) -> PathBuf {
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
            std::process::exit(
                match again.kind {
                    StopKind::Terminated => exit::TERMINATED,
                    _ => exit::INTERRUPTED,
                }
                .into(),
            );
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

/// Senders from which funding reports its progress: below it, funding takes seconds.
const FUNDING_PROGRESS_FROM: u64 = 2_000;

/// Prints funding progress for large sender counts, about every tenth.
fn funding_progress(quiet: bool) -> FundingProgress {
    if quiet {
        return FundingProgress::default();
    }
    let last = AtomicU64::new(0);
    FundingProgress::new(move |done, total| {
        if total < FUNDING_PROGRESS_FROM {
            return;
        }
        let tenth = done * 10 / total;
        if tenth > last.swap(tenth, Ordering::Relaxed) || done == total {
            eprintln!("funding: {done} of {total} senders");
        }
    })
}
