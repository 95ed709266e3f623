//! Helpers shared by the end-to-end tests.

use chainmeter_result::run::RunResult;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::{Mutex, MutexGuard},
    time::Duration,
};

static SERIAL: Mutex<()> = Mutex::new(());

/// Held by every test that starts a validator: one at a time.
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `chainmeter` binary of the same profile as this test.
pub(crate) fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CHAINMETER_BIN") {
        return p.into();
    }
    // target/<profile>/deps/e2e-<hash> -> target/<profile>/chainmeter
    let exe = std::env::current_exe().expect("test binary path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("chainmeter");
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build --release -p chainmeter-cli`, as scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// Runs `chainmeter` with `args` and returns its output.
pub(crate) fn chainmeter(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("chainmeter runs")
}

/// The repository's root directory.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_owned()
}

/// Writes a scenario file into `dir` and returns its path.
pub(crate) fn scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

/// Reads `<dir>/result.json`, which must match the published schema.
pub(crate) fn result(dir: &Path) -> RunResult {
    let path = dir.join("result.json");
    assert_matches_schema(&path);
    RunResult::read(&path).expect("result.json is readable")
}

/// Where `value` breaks schemas/result.schema.json (at most 10 places).
pub(crate) fn schema_errors(value: &Value) -> Vec<String> {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(repo_root().join("schemas/result.schema.json"))
            .expect("schemas/result.schema.json is readable");
        jsonschema::validator_for(&serde_json::from_str(&text).expect("the schema is JSON"))
            .expect("the schema compiles")
    });
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect()
}

/// Fails unless the JSON file at `path` matches schemas/result.schema.json.
pub(crate) fn assert_matches_schema(path: &Path) {
    let text = std::fs::read_to_string(path).expect("the result is readable");
    let errors = schema_errors(&serde_json::from_str(&text).expect("the result is JSON"));
    assert!(
        errors.is_empty(),
        "{} does not match schemas/result.schema.json:\n{}",
        path.display(),
        errors.join("\n")
    );
}

/// Pids of running processes whose executable name is `name` (zombies excluded).
pub(crate) fn pids_named(name: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let state = stat[close + 1..].split_whitespace().next().unwrap_or("");
        // The kernel keeps only the first 15 bytes of a process name.
        if comm == &name[..name.len().min(15)] && state != "Z" {
            pids.push(pid);
        }
    }
    pids
}

/// Pids of the children of `parent` named `name`.
pub(crate) fn children_named(parent: u32, name: &str) -> Vec<u32> {
    pids_named(name)
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .is_some_and(|stat| {
                    let close = stat.rfind(')').unwrap_or(0);
                    stat[close + 1..]
                        .split_whitespace()
                        .nth(1)
                        .and_then(|p| p.parse::<u32>().ok())
                        == Some(parent)
                })
        })
        .collect()
}

/// Calls a JSON-RPC method on a node.
pub(crate) fn rpc(url: &str, method: &str, params: Value) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(chainmeter_localnet::rpc_call(
        url,
        method,
        params,
        Duration::from_secs(10),
    ))
    .unwrap_or_else(|e| panic!("{method} failed: {e}"))
}

/// A hex quantity as u128.
pub(crate) fn quantity(v: &Value) -> u128 {
    let s = v.as_str().expect("hex quantity");
    u128::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex quantity")
}

/// `stderr` as text, for assertion messages.
pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A `chainmeter` process whose stderr is read line by line as it runs.
pub(crate) struct Running {
    pub(crate) child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    /// Starts `chainmeter` with `args`.
    pub(crate) fn start(args: &[&str]) -> Self {
        let mut child = Command::new(binary())
            .args(args)
            .current_dir(repo_root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("chainmeter starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The process id of the running chainmeter.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until a stderr line starts with `prefix`.
    pub(crate) fn wait_for_line(&mut self, prefix: &str, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.starts_with(prefix);
                    self.seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!(
                    "no line starting with {prefix:?} within {timeout:?}; stderr so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Waits for the process to exit (at most `timeout`) and returns its exit code and whole stderr.
    pub(crate) fn finish(mut self, timeout: Duration) -> (Option<i32>, String) {
        self.wait(timeout)
    }

    fn wait(&mut self, timeout: Duration) -> (Option<i32>, String) {
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "chainmeter did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
            self.seen.push(line);
        }
        (status.code(), self.seen.join("\n"))
    }
}

impl Drop for Running {
    /// A test that fails half-way must not leave its run, or the run's
    /// validator, behind: Ctrl-C makes chainmeter stop its validator.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
            let deadline = std::time::Instant::now() + Duration::from_secs(15);
            while matches!(self.child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `scenario_text` (which must start its own validator, `validator` by
/// process name), kills the validator once transactions flow, and checks that
/// the run stops with a clear error, exit code 1, and a result whose open
/// transactions are `unknown`.
pub(crate) fn kill_validator_mid_run(scenario_text: &str, validator: &str) {
    use chainmeter_result::run::{RunStatus, StopKind};
    let _one_validator = serial();
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario(tmp.path(), "s.toml", scenario_text);
    let out_dir = tmp.path().join("out");
    let mut run = Running::start(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    run.wait_for_line("sending", Duration::from_secs(180));
    let pid = *children_named(run.child.id(), validator)
        .first()
        .expect("the run's validator is its child");
    // Let transactions land for a while, then kill the validator under the run.
    std::thread::sleep(Duration::from_secs(5));
    // SAFETY: signalling a process we found as our child's child.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let (code, err) = run.finish(Duration::from_secs(30));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("run aborted"), "{err}");
    let r = result(&out_dir);
    assert!(
        matches!(
            r.status,
            RunStatus::Aborted {
                kind: StopKind::NodeGone,
                ..
            }
        ),
        "{:?}",
        r.status
    );
    assert_consistent(&r);
    assert!(r.outcomes.unknown > 0, "{:?}", r.outcomes);
    assert!(
        r.outcomes.landed_ok > 0,
        "some landed before the kill: {:?}",
        r.outcomes
    );
    assert!(
        !pids_named(validator).contains(&pid),
        "the killed validator is still there"
    );
}

/// Reads an HdrHistogram interval log: how many intervals carry `tag`, and
/// how many samples they hold in all.
pub(crate) fn interval_log_counts(path: &Path, tag: &str) -> (usize, u64) {
    use base64::Engine;
    use hdrhistogram::serialization::{
        interval_log::{IntervalLogIterator, LogEntry},
        Deserializer,
    };
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut intervals, mut samples) = (0, 0);
    for entry in IntervalLogIterator::new(&bytes) {
        if let Ok(LogEntry::Interval(h)) = entry {
            if h.tag().map(|t| t.as_str()) == Some(tag) {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(h.encoded_histogram())
                    .unwrap();
                let hist: hdrhistogram::Histogram<u64> = Deserializer::new()
                    .deserialize(&mut raw.as_slice())
                    .unwrap();
                intervals += 1;
                samples += hist.len();
            }
        }
    }
    (intervals, samples)
}

/// Runs the scenario `file`, against the node at `url` if one is given (else
/// the scenario's own local validator), writing into `out_dir`; asserts that
/// it completed with consistent outcomes.
pub(crate) fn run_ok(file: &Path, url: Option<&str>, out_dir: &Path) -> RunResult {
    let out = run_quietly(file, url, out_dir);
    assert!(out.status.success(), "chainmeter failed: {}", stderr(&out));
    let r = result(out_dir);
    assert_eq!(r.status, chainmeter_result::run::RunStatus::Completed);
    assert_consistent(&r);
    // Every run checks itself against the chain, and says so.
    let v = r.verification.as_ref().expect("the run was verified");
    assert!(v.passed(), "{}", v.line());
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("verified against the chain: landed "),
        "{summary}"
    );
    r
}

/// Runs scenario `text` with the local validator it names, one validator at
/// a time, and returns its checked result (see [`run_ok`]).
pub(crate) fn run_text(text: &str) -> RunResult {
    Fixture::bare().run(text)
}

/// Outcomes add up to what the load says was sent; `is_consistent` alone
/// cannot fail on that, since counting an outcome counts it as sent.
pub(crate) fn assert_consistent(r: &RunResult) {
    assert!(r.outcomes.is_consistent(), "{:?}", r.outcomes);
    assert_eq!(
        r.outcomes.sent,
        r.load.warmup_sent + r.load.measured_sent,
        "every planned transaction has exactly one outcome: {:?}",
        r.outcomes
    );
}

/// A mix's entries add up to the whole (sent, landed, fees, the first
/// level's samples), and every entry has a landed check of its own and all
/// its checks hold.
pub(crate) fn assert_mix_adds_up_and_verifies(r: &RunResult) {
    let sum =
        |f: fn(&chainmeter_result::run::MixEntryResult) -> u64| r.mix.iter().map(f).sum::<u64>();
    assert_eq!(sum(|e| e.outcomes.sent), r.outcomes.sent);
    assert_eq!(sum(|e| e.outcomes.landed_ok), r.outcomes.landed_ok);
    assert_eq!(sum(|e| e.fees.per_tx.count), r.fees.per_tx.count);
    assert_eq!(
        sum(|e| e.levels[0].latency_us.count),
        r.levels[0].latency_us.count
    );
    let checks = &r.verification.as_ref().expect("verified").checks;
    for e in &r.mix {
        let own: Vec<_> = checks
            .iter()
            .filter(|c| c.entry.as_deref() == Some(e.kind.as_str()))
            .collect();
        assert!(
            own.iter().any(|c| c.name == "landed"),
            "{}: {own:?}",
            e.kind
        );
        assert!(own.iter().all(|c| c.chain == c.recorded), "{own:?}");
    }
}

/// Runs a scenario with `writes = "both"` (against `url` if given) and
/// returns its hot and disjoint results, each checked: consistent, every
/// one of `landed` transactions landed, verified, and labelled with its
/// mode; the side-by-side `contention.md` is written.
pub(crate) fn run_both_modes(
    file: &Path,
    url: Option<&str>,
    out_dir: &Path,
    landed: u64,
) -> (RunResult, RunResult) {
    let out = run_quietly(file, url, out_dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let [hot, disjoint] = ["hot", "disjoint"].map(|mode| {
        let r = result(&out_dir.join(mode));
        assert_consistent(&r);
        assert_eq!(r.outcomes.landed_ok, landed, "{mode}: {:?}", r.outcomes);
        assert_eq!(r.scenario["workload"]["writes"], mode);
        assert!(r.verification.as_ref().is_some_and(|v| v.passed()));
        r
    });
    let table = std::fs::read_to_string(out_dir.join("contention.md")).unwrap();
    assert!(table.contains("| hot / disjoint |"), "{table}");
    (hot, disjoint)
}

/// `chainmeter run FILE --out OUT_DIR -q [--url URL]`.
/// `chainmeter run FILE --url URL --out DIR`, with its notes and warnings
/// on stderr and its summary on stdout.
pub(crate) fn run_attached(file: &Path, url: &str, out_dir: &Path) -> Output {
    chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--url",
        url,
        "--out",
        out_dir.to_str().unwrap(),
    ])
}

fn run_quietly(file: &Path, url: Option<&str>, out_dir: &Path) -> Output {
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ];
    if let Some(url) = url {
        args.extend(["--url", url]);
    }
    chainmeter(&args)
}

/// The fee market's buckets, one per bid, add up to the measured sends and
/// to what landed.
pub(crate) fn assert_buckets_add_up(r: &RunResult, buckets: usize) {
    let b = &r.fee_buckets;
    assert_eq!(b.len(), buckets);
    assert_eq!(b.iter().map(|b| b.sent).sum::<u64>(), r.load.measured_sent);
    assert_eq!(b.iter().map(|b| b.landed).sum::<u64>(), r.outcomes.landed());
}

/// Compiles the Solidity `source` with solc from the npm registry (the one
/// `scripts/compile-contracts.sh` installs) and writes solc's standard-JSON
/// output to `<dir>/<name>.json`, the artifact a scenario names.
pub(crate) fn solc(dir: &Path, name: &str, source: &str) -> PathBuf {
    let tools = std::env::var_os("CHAINMETER_TOOLS")
        .map_or_else(|| repo_root().join(".tools"), PathBuf::from);
    let solc = tools.join("solc/node_modules/solc/index.js");
    assert!(
        solc.is_file(),
        "{}: run scripts/compile-contracts.sh once to install solc",
        solc.display()
    );
    let src = dir.join(format!("{name}.sol"));
    std::fs::write(&src, source).unwrap();
    let out = dir.join(format!("{name}.json"));
    let status = Command::new("node")
        .arg("-e")
        .arg(
            r#"
            const [solcjs, src, name, out] = process.argv.slice(1);
            const fs = require("fs");
            const solc = require(solcjs);
            const input = {
              language: "Solidity",
              sources: { [name + ".sol"]: { content: fs.readFileSync(src, "utf8") } },
              settings: { optimizer: { enabled: true, runs: 200 },
                          outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
            };
            const output = solc.compile(JSON.stringify(input));
            const errors = (JSON.parse(output).errors || []).filter((e) => e.severity === "error");
            if (errors.length) { console.error(errors.map((e) => e.formattedMessage).join("\n")); process.exit(1); }
            fs.writeFileSync(out, output);
            "#,
        )
        .arg(&solc)
        .arg(&src)
        .arg(name)
        .arg(&out)
        .status()
        .expect("node runs");
    assert!(status.success(), "solc failed on {name}.sol");
    out
}

/// One end-to-end test's ground, in one call: the one-validator lock, a
/// directory of its own, and the node it started, if any. Fields drop in
/// order: the node stops before its directory goes and the lock is let go.
pub(crate) struct Fixture {
    node: Option<chainmeter_localnet::Node>,
    dir: tempfile::TempDir,
    _one_validator: MutexGuard<'static, ()>,
}

impl Fixture {
    /// The lock and a directory; the run starts its own validator.
    pub(crate) fn bare() -> Self {
        let one_validator = serial();
        Self {
            node: None,
            dir: tempfile::tempdir().expect("a temporary directory"),
            _one_validator: one_validator,
        }
    }

    /// With an anvil of the test's own (1 s blocks, 2-slot epochs).
    pub(crate) fn anvil() -> Self {
        let mut f = Self::bare();
        f.node = Some(crate::evm::own_anvil(f.path()));
        f
    }

    /// With a solana-test-validator of the test's own.
    pub(crate) fn validator() -> Self {
        Self::validator_with(&chainmeter_localnet::SolanaOptions::default())
    }

    /// With a solana-test-validator of the test's own, started with `options`.
    pub(crate) fn validator_with(options: &chainmeter_localnet::SolanaOptions) -> Self {
        let mut f = Self::bare();
        f.node = Some(crate::solana::own_validator_with(f.path(), options));
        f
    }

    /// The test's directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The node the test started.
    pub(crate) fn node(&self) -> &chainmeter_localnet::Node {
        self.node.as_ref().expect("the fixture started a node")
    }

    /// The RPC URL of the node the test started.
    pub(crate) fn url(&self) -> &str {
        self.node().rpc_url()
    }

    /// Writes scenario `text` to `<dir>/s.toml`.
    pub(crate) fn scenario(&self, text: &str) -> PathBuf {
        scenario(self.path(), "s.toml", text)
    }

    /// `<dir>/out`, where [`Fixture::run`] writes.
    pub(crate) fn out(&self) -> PathBuf {
        self.path().join("out")
    }

    /// Runs scenario `text` into `<dir>/out` (against the test's node, if
    /// it started one) and returns the checked result (see [`run_ok`]).
    pub(crate) fn run(&self, text: &str) -> RunResult {
        let file = self.scenario(text);
        run_ok(&file, self.node.as_ref().map(|n| n.rpc_url()), &self.out())
    }
}
