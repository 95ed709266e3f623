//! One chain's run of a scenario: its node started (or attached to), its
//! senders prepared, its load driven, its outputs written.

use crate::{
    console::Console,
    environment,
    error::Error,
    outputs::{self, write_result},
    Options,
};
use chainmeter_core::{
    chain::{chained, AnySubmitter, Session, Stop},
    metrics::LiveMetrics,
    pacer::planned_sends,
    plugin::{Connect, LocalNode},
    runner::{self, RunPlan},
    scenario::{seed_number, Profile, Scenario, Target, Writes},
};
use chainmeter_result::run::{Client, NodeInfo, RunResult, RunStatus};
use std::{future::Future, path::Path, sync::Arc};

/// What one run came to: the result it wrote, if it got that far, and
/// whether it succeeded.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// What it measured, as written.
    pub(crate) result: Option<RunResult>,
    /// Why it failed, if it did.
    pub(crate) error: Option<Error>,
}

impl Attempt {
    fn failed(error: Error) -> Self {
        Self {
            result: None,
            error: Some(error),
        }
    }
}

/// Records the local node's process group with the console while it lives.
struct NodeGroup<'a>(&'a dyn Console);

impl<'a> NodeGroup<'a> {
    fn new(console: &'a dyn Console, pid: u32) -> Self {
        console.node_group(Some(pid));
        Self(console)
    }
}

impl Drop for NodeGroup<'_> {
    fn drop(&mut self) {
        self.0.node_group(None);
    }
}

/// Runs `scenario` on `target` into `dir`, starting the local node unless
/// attaching; the node stops when this returns, whatever happened.
pub(crate) async fn run(
    scenario: &Scenario,
    target: &Target,
    dir: &Path,
    options: &Options,
    console: &dyn Console,
) -> Attempt {
    // The node guard lives until this function returns: it stops the node on
    // success, on error and on a signal. The group record drops after it
    // (declared first).
    let mut _group: Option<NodeGroup<'_>> = None;
    let chain = target.spec().name;
    let (node, rpc_url, ws_url) = match target.attach() {
        Some(a) => (None, a.url.clone(), a.ws_url.clone()),
        None => {
            let node = match or_stop(options, target.chain.start_local(dir.to_owned())).await {
                Ok(Ok(node)) => node,
                Ok(Err(source)) => return Attempt::failed(Error::NodeStart { chain, source }),
                Err(e) => return Attempt::failed(e),
            };
            _group = Some(NodeGroup::new(console, node.pid));
            console.note(&format!(
                "started {} at {} (log: {})",
                node.version,
                node.rpc_url,
                node.log.display()
            ));
            let (rpc, ws) = (node.rpc_url.clone(), node.ws_url.clone());
            (Some(node), rpc, ws)
        }
    };
    // Exact when known up front (for progress), at least (for funding).
    let (planned, at_most) = planned_sends(&scenario.load);
    let connect = Connect {
        rpc_url: rpc_url.clone(),
        ws_url: ws_url.clone(),
        seed: scenario.seed.clone(),
        accounts: scenario.accounts.get(),
        hot: (scenario.writes == Writes::Hot).then(|| scenario.shared_seed.clone()),
        bids: scenario.bids.clone(),
        planned: at_most,
        allow_mainnet: options.allow_mainnet,
        funding_progress: console.funding(),
        node_dir: node.as_ref().and_then(|n| n.data_dir.clone()),
        started_locally: node.is_some(),
        funder: options.funder.clone(),
        sweep: options.sweep,
    };
    console.note(&format!(
        "preparing {} senders on {chain} at {rpc_url} (events: {ws_url})",
        scenario.accounts,
    ));
    let session = match or_stop(options, target.chain.connect(connect)).await {
        Ok(Ok(session)) => session,
        Ok(Err(source)) => {
            return Attempt::failed(Error::Prepare {
                chain,
                url: rpc_url,
                source,
            })
        }
        Err(e) => return Attempt::failed(e),
    };
    Drive {
        scenario,
        target,
        planned,
        node: node.as_ref(),
        rpc_url: &rpc_url,
        dir,
        options,
        console,
    }
    .drive(session)
    .await
}

/// Awaits `f` unless a stop signal comes first.
async fn or_stop<T>(options: &Options, f: impl Future<Output = T>) -> Result<T, Error> {
    tokio::select! {
        v = f => Ok(v),
        stop = (options.stop)() => Err(Error::Stopped { kind: stop.kind, reason: stop.reason, result: None }),
    }
}

/// One chain's run once its node is up.
struct Drive<'a> {
    scenario: &'a Scenario,
    target: &'a Target,
    /// Sends the load plans, when known up front.
    planned: Option<u64>,
    /// The node chainmeter started, if it did.
    node: Option<&'a LocalNode>,
    rpc_url: &'a str,
    dir: &'a Path,
    options: &'a Options,
    console: &'a dyn Console,
}

impl Drive<'_> {
    /// What the result says of the node: the local node's binary and
    /// version when chainmeter started it, else what the node reports.
    fn node_info(&self, session: &Session<AnySubmitter>) -> NodeInfo {
        NodeInfo {
            started_locally: self.node.is_some(),
            binary: self.node.map(|n| n.binary.display().to_string()),
            version: self
                .node
                .map_or_else(|| session.node_version.clone(), |n| n.version.clone()),
            rpc_url: self.rpc_url.to_owned(),
            chain_id: session.chain_id.clone(),
            // What the node itself says it runs, started here or not.
            client: Client::parse(&session.node_version),
            parameters: session.parameters.clone(),
        }
    }

    /// Drives a prepared session through the scenario's load and writes
    /// what it measured.
    async fn drive(&self, session: Session<AnySubmitter>) -> Attempt {
        let &Self {
            scenario,
            target,
            node,
            dir,
            options,
            console,
            planned,
            ..
        } = self;
        let node_info = self.node_info(&session);
        let plan = RunPlan {
            load: scenario.load.clone(),
            chain_levels: target.spec().levels,
            levels: target.levels().to_vec(),
            seed: seed_number(&scenario.seed),
            drain: target.drain(scenario.load.drain_timeout, session.parameters.as_ref()),
            settle_quiet: target.settle_quiet(session.parameters.as_ref()),
            verify: options.verify,
            bids: scenario.bids.clone(),
            mix: scenario.mix.clone().map(Arc::new),
            senders: scenario.accounts.get(),
            node_pid: node.map(|n| n.pid),
            metrics: options.served.as_ref().map(|served| {
                let m = Arc::new(LiveMetrics::new(target.spec().name, &scenario.name));
                *served.write().unwrap_or_else(|e| e.into_inner()) = Some(m.clone());
                m
            }),
        };
        console.note(&format!("timing: {}", session.tracking.method));
        for w in &session.warnings {
            console.note(&format!("warning: {w}"));
        }
        console.sending(target.spec().name, planned);
        let abort = async {
            tokio::select! {
                stop = (options.stop)() => stop,
                reason = async {
                    match node {
                        Some(n) => n.exited().await,
                        None => std::future::pending().await,
                    }
                } => Stop::node_gone(reason),
            }
        };
        console.note(&format!(
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
        ));
        // The interval log is written as the run goes, so a long run keeps no
        // per-second histograms in memory; unbuffered, so that each second's
        // lines are on disk even if chainmeter is killed.
        let hlog_path = dir.join("latency.hlog");
        let mut hlog = std::fs::File::create(&hlog_path)
            .map_err(|e| {
                console.note(&format!(
                    "warning: no interval log: cannot create {}: {e}",
                    hlog_path.display()
                ))
            })
            .ok();
        // Like the interval log, a trace that cannot be created is a
        // warning, and the run goes on without it.
        let trace = options
            .trace
            .then(|| dir.join("trace.jsonl"))
            .and_then(|path| {
                std::fs::File::create(&path)
                    .map(|f| Box::new(f) as Box<dyn std::io::Write + Send>)
                    .map_err(|e| {
                        console.note(&format!(
                            "warning: --trace: cannot create {}: {e}",
                            path.display()
                        ))
                    })
                    .ok()
            });
        let env = environment::current(&options.build, node_info);
        // A partial result (status `running`) replaces result.json as the run
        // goes: if chainmeter is killed, what it measured up to then stays.
        let mut checkpoint_failed = false;
        let checkpoint = |partial: runner::Finished| {
            let mut r = partial.into_result(scenario, target.spec(), env.clone());
            r.shard = options.shard;
            if let Err(e) = write_result(&r, dir) {
                if !std::mem::replace(&mut checkpoint_failed, true) {
                    console.note(&format!(
                        "warning: cannot write the partial result: {}",
                        chained(&e)
                    ));
                }
            }
        };
        let finished = runner::run(
            session,
            plan,
            abort,
            |p| console.progress(p),
            checkpoint,
            hlog.as_mut(),
            trace,
        )
        .await;
        drop(hlog);
        console.progress_done();
        let mut result = finished.into_result(scenario, target.spec(), env);
        result.shard = options.shard;
        let path = match outputs::write_run(&result, dir, &hlog_path, console) {
            Ok(path) => path,
            Err(e) => {
                return Attempt {
                    result: Some(result),
                    error: Some(e),
                }
            }
        };
        let error = verdict(&result, path.clone());
        if error.is_none() {
            console.note(&format!("result: {}", path.display()));
        }
        Attempt {
            result: Some(result),
            error,
        }
    }
}

/// What a written result says of its run: its status, then its verification.
fn verdict(result: &RunResult, path: std::path::PathBuf) -> Option<Error> {
    match &result.status {
        RunStatus::Aborted { reason, kind } => {
            return Some(Error::Stopped {
                kind: *kind,
                reason: reason.clone(),
                result: Some(path),
            })
        }
        RunStatus::Incomplete { .. } => {
            return Some(Error::Incomplete {
                shortfall: result.status.shortfall().unwrap_or_default(),
                result: path,
            })
        }
        // A run the runner returns has ended; a `running` one cannot come here.
        RunStatus::Completed | RunStatus::Running => {}
    }
    result
        .verification
        .as_ref()
        .filter(|v| !v.passed())
        .map(|v| Error::Verification {
            verdict: v.line(),
            result: path,
        })
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
