//! The orchestration driven by a fake chain: plans, outputs, repeats, a
//! signal mid-run and a failed verification, without a validator.

use super::*;
use chainmeter_core::{
    chain::{
        AnySubmitter, ChainEvent, Claimed, Session, Submitter, TaskSet, TxSeq, Verifier,
        VerifyError,
    },
    outcome::Reject,
    plugin::{ChainError, ChainTarget, Connect, LocalNode, NodeProcess},
    scenario::{self, Overrides, Section},
    section::ScenarioError,
    spec::{ChainSpec, FeeUnit},
};
use chainmeter_result::level::Level;
use chainmeter_result::run::{Check, RunStatus, StopKind, Tracking, Verification};
use std::{
    borrow::Cow,
    cell::RefCell,
    future::Future,
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};
use tokio::sync::mpsc;

const SEEN: Level = Level::new("seen");
const SETTLED: Level = Level::new("settled");

const fn spec(name: &'static str) -> ChainSpec {
    ChainSpec {
        name,
        levels: &[SEEN, SETTLED],
        fee_unit: FeeUnit {
            unit: Cow::Borrowed("crumbs"),
            coin: Cow::Borrowed("FAK"),
            decimals: 6,
            small: Cow::Borrowed("crumbs"),
            small_decimals: 0,
            bid: Cow::Borrowed("crumbs per step"),
        },
    }
}

static ALPHA: ChainSpec = spec("alpha");
static BETA: ChainSpec = spec("beta");

/// A chain whose node "starts" at once and shows every transaction at both
/// levels as soon as it is sent, with a fee of 1,000. Its verifier counts
/// what was really sent; with `miscount = true` in its section it claims one
/// transaction more on chain than the run recorded.
struct FakeChain(&'static ChainSpec);

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FakeSection {
    #[serde(default)]
    miscount: bool,
}

#[derive(Debug)]
struct FakeTarget {
    spec: &'static ChainSpec,
    miscount: bool,
}

impl chainmeter_core::plugin::Chain for FakeChain {
    fn spec(&self) -> &'static ChainSpec {
        self.0
    }
    fn target(&self, section: &Section<'_>) -> Result<Arc<dyn ChainTarget>, ScenarioError> {
        let f: FakeSection = section.parse()?;
        Ok(Arc::new(FakeTarget {
            spec: self.0,
            miscount: f.miscount,
        }))
    }
}

impl ChainTarget for FakeTarget {
    fn spec(&self) -> &'static ChainSpec {
        self.spec
    }
    fn levels(&self) -> &[Level] {
        self.spec.levels
    }
    fn attach(&self) -> Option<&chainmeter_core::plugin::Attach> {
        None
    }
    fn default_drain(&self, _: Option<&chainmeter_result::run::ChainParameters>) -> Duration {
        Duration::from_secs(2)
    }
    fn as_run(&self) -> serde_json::Value {
        serde_json::json!({ "miscount": self.miscount })
    }
    fn start_local(&self, dir: PathBuf) -> BoxFuture<Result<LocalNode, ChainError>> {
        Box::pin(async move {
            Ok(LocalNode {
                rpc_url: "http://127.0.0.1:1".into(),
                ws_url: "ws://127.0.0.1:1".into(),
                binary: "fake-node".into(),
                version: "fake-node 1".into(),
                log: dir.join("node.log"),
                // Not a process: no CPU is read for it.
                pid: u32::MAX,
                data_dir: None,
                process: Box::new(FakeProcess),
            })
        })
    }
    fn connect(&self, _: Connect) -> BoxFuture<Result<Session<AnySubmitter>, ChainError>> {
        let miscount = self.miscount;
        Box::pin(async move {
            let (events, rx) = mpsc::unbounded_channel();
            let sent = Arc::new(AtomicU64::new(0));
            Ok(Session {
                submitter: FakeSubmitter {
                    events,
                    sent: sent.clone(),
                },
                events: rx,
                tracking: Tracking {
                    method: "fake".into(),
                    resolution_us: 0,
                    achieved_interval_us: None,
                },
                sending: "fake".into(),
                senders: Vec::new(),
                funding: None,
                parameters: None,
                chain_id: "fake".into(),
                node_version: "fake 1".into(),
                value_per_tx: 1,
                workload: "fake, one per transaction".into(),
                block_limit: None,
                tx_bytes: None,
                warnings: Vec::new(),
                verifier: Some(Box::new(Counting { sent, miscount })),
                sweeper: None,
                tasks: TaskSet::default(),
            }
            .erase())
        })
    }
}

/// A node process that never exits.
#[derive(Debug)]
struct FakeProcess;

impl NodeProcess for FakeProcess {
    fn exited(&self) -> BoxFuture<String> {
        Box::pin(std::future::pending())
    }
}

struct FakeSubmitter {
    events: mpsc::UnboundedSender<ChainEvent>,
    sent: Arc<AtomicU64>,
}

impl Submitter for FakeSubmitter {
    type Signed = TxSeq;

    fn sign(&mut self, seq: TxSeq) -> Result<TxSeq, Reject> {
        Ok(seq)
    }

    fn send(
        &self,
        batch: Vec<TxSeq>,
    ) -> impl Future<Output = Vec<Result<(), Reject>>> + Send + 'static {
        let events = self.events.clone();
        self.sent.fetch_add(batch.len() as u64, Ordering::SeqCst);
        async move {
            let results = batch.iter().map(|_| Ok(())).collect();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let at = tokio::time::Instant::now().into_std();
                for seq in batch {
                    for level in [SEEN, SETTLED] {
                        let _ = events.send(ChainEvent::Reached { seq, level, at });
                    }
                    let _ = events.send(ChainEvent::Landed {
                        seq,
                        success: true,
                        fee: 1_000,
                        compute: 1,
                        error: None,
                    });
                }
            });
            results
        }
    }
}

/// Puts what the submitter really sent beside what the run recorded.
#[derive(Debug)]
struct Counting {
    sent: Arc<AtomicU64>,
    miscount: bool,
}

impl Verifier for Counting {
    fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, VerifyError>> {
        let on_chain = self.sent.load(Ordering::SeqCst) + u64::from(self.miscount);
        Box::pin(async move {
            Ok(Verification {
                method: "fake".into(),
                checks: vec![Check {
                    name: "landed".into(),
                    recorded: claimed.landed_ok.to_string(),
                    chain: on_chain.to_string(),
                    how: "fake".into(),
                    entry: None,
                }],
                error: None,
                dry_senders: Vec::new(),
                unverified: Vec::new(),
            })
        })
    }
}

const CHAINS: &[&dyn chainmeter_core::plugin::Chain] = &[&FakeChain(&ALPHA), &FakeChain(&BETA)];

/// A scenario of `count` transactions at 200 tx/s with `rest` appended.
fn scenario(count: u64, rest: &str) -> Scenario {
    let text = format!(
        "name = \"t\"\n[accounts]\ncount = 2\n[load]\nrate = 200\ncount = {count}\nwarmup = \"0s\"\n{rest}"
    );
    scenario::parse(&text, "t.toml", &Overrides::default(), CHAINS).unwrap()
}

/// Records what the user would have been told.
#[derive(Debug, Default)]
struct Recorded {
    notes: RefCell<Vec<String>>,
    shown: RefCell<Vec<String>>,
    groups: RefCell<Vec<Option<u32>>>,
}

impl Console for Recorded {
    fn note(&self, line: &str) {
        self.notes.borrow_mut().push(line.to_owned());
    }
    fn show(&self, markdown: &str) {
        self.shown.borrow_mut().push(markdown.to_owned());
    }
    fn node_group(&self, pid: Option<u32>) {
        self.groups.borrow_mut().push(pid);
    }
}

fn options(out: &Path) -> Options {
    Options::new(
        out.to_owned(),
        Build {
            version: "test".into(),
            git_revision: None,
        },
    )
}

fn read(path: &Path) -> RunResult {
    RunResult::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_two_chain_plan_runs_each_chain_into_its_own_directory() {
    let s = scenario(10, "[alpha]\n[beta]\n");
    let plan = Plan::new(&s, Path::new("out"), NonZeroU32::MIN).unwrap();
    let dirs: Vec<_> = plan.runs.iter().map(|r| r.dir.clone()).collect();
    assert_eq!(
        dirs,
        [PathBuf::from("out/alpha"), PathBuf::from("out/beta")]
    );
    assert!(plan.compares_chains);
    let both = scenario(10, "[workload]\nwrites = \"both\"\n[alpha]\n");
    let plan = Plan::new(&both, Path::new("out"), NonZeroU32::MIN).unwrap();
    let runs: Vec<_> = plan
        .runs
        .iter()
        .map(|r| (r.writes, r.dir.clone()))
        .collect();
    assert_eq!(
        runs,
        [
            (Some(Writes::Hot), PathBuf::from("out/hot")),
            (Some(Writes::Disjoint), PathBuf::from("out/disjoint"))
        ]
    );
    assert!(!plan.compares_chains);
    let three = NonZeroU32::new(3).unwrap();
    assert_eq!(
        Plan::new(&s, Path::new("out"), three),
        Err(PlanError::RepeatOfSeveral { runs: 2 })
    );
}

#[tokio::test]
async fn two_chains_write_both_results_and_their_comparison_from_memory() {
    let out = tempfile::tempdir().unwrap();
    let console = Recorded::default();
    let results = run(
        &scenario(20, "[alpha]\n[beta]\n"),
        &options(out.path()),
        &console,
    )
    .await
    .unwrap();
    assert_eq!(results.len(), 2);
    for (chain, r) in ["alpha", "beta"].iter().zip(&results) {
        let written = read(&out.path().join(chain).join("result.json"));
        assert_eq!(&written.chain, chain);
        assert_eq!(written.status, RunStatus::Completed);
        assert_eq!(written.outcomes.landed_ok, 20);
        assert_eq!(written.fees.total, "20000");
        assert!(written.verification.as_ref().unwrap().passed());
        assert_eq!(written.outcomes, r.outcomes);
        for file in ["summary.md", "report.html", "latency.hlog"] {
            assert!(
                out.path().join(chain).join(file).is_file(),
                "{chain}/{file}"
            );
        }
    }
    let comparison = std::fs::read_to_string(out.path().join("comparison.md")).unwrap();
    assert!(
        comparison.contains("alpha") && comparison.contains("beta"),
        "{comparison}"
    );
    assert!(out.path().join("comparison.html").is_file());
    // Each node's group was told while it ran, and its end.
    assert_eq!(
        *console.groups.borrow(),
        [Some(u32::MAX), None, Some(u32::MAX), None]
    );
}

#[tokio::test]
async fn writes_both_runs_hot_then_disjoint_and_puts_them_side_by_side() {
    let out = tempfile::tempdir().unwrap();
    let results = run(
        &scenario(10, "[workload]\nwrites = \"both\"\n[alpha]\n"),
        &options(out.path()),
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(results.len(), 2);
    for mode in ["hot", "disjoint"] {
        let r = read(&out.path().join(mode).join("result.json"));
        assert_eq!(r.scenario["workload"]["writes"], mode);
        assert_eq!(r.outcomes.landed_ok, 10);
    }
    let table = std::fs::read_to_string(out.path().join("contention.md")).unwrap();
    assert!(table.contains("hot vs disjoint"), "{table}");
    assert!(!out.path().join("comparison.md").exists());
}

#[tokio::test]
async fn a_repeated_run_keeps_every_repeat_and_their_headlines() {
    let out = tempfile::tempdir().unwrap();
    let mut options = options(out.path());
    options.repeat = NonZeroU32::new(3).unwrap();
    let results = run(&scenario(10, "[alpha]\n"), &options, &Silent)
        .await
        .unwrap();
    for k in 1..=3 {
        let r = read(&out.path().join(format!("repeat-{k}/result.json")));
        assert_eq!(r.outcomes.landed_ok, 10, "repeat {k}");
        assert!(r.repeats.is_empty());
    }
    let top = read(&out.path().join("result.json"));
    assert_eq!(top.repeats.len(), 3);
    assert_eq!(top.repeat_values("success"), [Some(100.0); 3]);
    assert_eq!(top.repeats, results[0].repeats);
    assert!(out.path().join("summary.md").is_file());
}

#[tokio::test]
async fn a_signal_mid_run_writes_the_partial_result_and_stops_as_interrupted() {
    let out = tempfile::tempdir().unwrap();
    let mut options = options(out.path());
    let at = tokio::time::Instant::now() + Duration::from_millis(300);
    options.stop = Arc::new(move || {
        Box::pin(async move {
            tokio::time::sleep_until(at).await;
            Stop::signal(StopKind::Interrupted, "interrupted by Ctrl-C")
        })
    });
    // 400 transactions at 200 tx/s: two seconds, of which 0.3 are sent.
    let e = run(&scenario(400, "[alpha]\n[beta]\n"), &options, &Silent)
        .await
        .unwrap_err();
    assert_eq!(e.signal(), Some(StopKind::Interrupted));
    assert_eq!(e.exit_code(), exit::INTERRUPTED);
    let path = out.path().join("alpha/result.json");
    assert_eq!(e.result(), Some(&path));
    let r = read(&path);
    assert_eq!(
        r.status,
        RunStatus::Aborted {
            reason: "interrupted by Ctrl-C".into(),
            kind: StopKind::Interrupted
        }
    );
    assert!(
        r.outcomes.sent > 0 && r.outcomes.sent < 400,
        "{}",
        r.outcomes.sent
    );
    // Nothing after the signal: the second chain never started.
    assert!(!out.path().join("beta").exists());
    assert!(e
        .to_string()
        .starts_with("run aborted: interrupted by Ctrl-C; what it measured is in "));
}

#[tokio::test]
async fn a_verification_failure_fails_the_run_with_its_result_written() {
    let out = tempfile::tempdir().unwrap();
    let e = run(
        &scenario(10, "[alpha]\nmiscount = true\n"),
        &options(out.path()),
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::Verification { .. }), "{e:?}");
    assert_eq!(e.exit_code(), exit::RUN_FAILED);
    let r = read(&out.path().join("result.json"));
    let v = r.verification.unwrap();
    assert!(!v.passed());
    assert_eq!(v.checks[0].recorded, "10");
    assert_eq!(v.checks[0].chain, "11");
}

#[tokio::test]
async fn one_failed_chain_of_two_still_leaves_the_other_and_names_the_failure() {
    let out = tempfile::tempdir().unwrap();
    let console = Recorded::default();
    let e = run(
        &scenario(10, "[alpha]\nmiscount = true\n[beta]\n"),
        &options(out.path()),
        &console,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, Error::Several { failed, runs: 2 } if failed == &["alpha"]),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "1 of 2 runs failed: alpha");
    assert_eq!(
        read(&out.path().join("beta/result.json"))
            .outcomes
            .landed_ok,
        10
    );
    // The failed run's result is still compared: it measured the chain.
    assert!(out.path().join("comparison.md").is_file());
    assert!(console
        .notes
        .borrow()
        .iter()
        .any(|n| n.starts_with("error: alpha disjoint run: VERIFICATION FAILED")));
}

#[test]
fn bad_input_and_signals_have_their_exit_codes() {
    let e = Error::Plan(PlanError::RepeatOfSeveral { runs: 2 });
    assert!(e.is_bad_input());
    assert_eq!(e.exit_code(), exit::BAD_INPUT);
    let term = Error::Stopped {
        kind: StopKind::Terminated,
        reason: "terminated by SIGTERM".into(),
        result: None,
    };
    assert_eq!(term.exit_code(), exit::TERMINATED);
    let gone = Error::Stopped {
        kind: StopKind::NodeGone,
        reason: "gone".into(),
        result: None,
    };
    assert_eq!(gone.signal(), None);
    assert_eq!(gone.exit_code(), exit::RUN_FAILED);
}
