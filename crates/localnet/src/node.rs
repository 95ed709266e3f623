//! A running local validator, as a guard that stops it when dropped.

use crate::{rpc::rpc_call, LocalnetError};
use serde_json::json;
use std::{
    fs::File,
    io::{BufRead, BufReader},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// How long a validator may take to become ready.
const ANVIL_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stopped validator gets to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);

/// A validator started by chainmeter. Dropping it stops its whole process group.
#[derive(Debug)]
pub struct Node {
    name: &'static str,
    child: Arc<Mutex<Child>>,
    pid: u32,
    rpc_url: String,
    ws_url: String,
    binary: PathBuf,
    version: String,
    log: PathBuf,
    /// The ledger, kept so that it lives exactly as long as the node.
    ledger: Option<tempfile::TempDir>,
}

impl Node {
    /// JSON-RPC URL (loopback).
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }
    /// WebSocket URL (loopback).
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }
    /// The binary that runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }
    /// The first line of its `--version`.
    pub fn version(&self) -> &str {
        &self.version
    }
    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }
    /// Its process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Resolves when the validator exits, with a description of how.
    pub fn exited(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        let (name, child, log) = (self.name, self.child.clone(), self.log.clone());
        async move {
            loop {
                if let Some(status) = try_status(&child) {
                    return format!(
                        "{name} exited unexpectedly ({status}); see {}",
                        log.display()
                    );
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }

    fn try_status(&self) -> Option<String> {
        try_status(&self.child)
    }

    /// Stops the validator's process group: SIGTERM, then SIGKILL after a grace period.
    pub fn stop(&self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(child.try_wait(), Ok(Some(_))) {
            // The leader is gone; its group may not be (e.g. a wrapper's child).
            signal_group(self.pid, libc::SIGKILL);
            return;
        }
        signal_group(self.pid, libc::SIGTERM);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                signal_group(self.pid, libc::SIGKILL);
                return;
            }
            std::thread::sleep(POLL);
        }
        signal_group(self.pid, libc::SIGKILL);
        let _ = child.wait();
    }
}

fn try_status(child: &Mutex<Child>) -> Option<String> {
    let mut child = child.lock().unwrap_or_else(|e| e.into_inner());
    match child.try_wait() {
        Ok(Some(status)) => Some(status.to_string()),
        Ok(None) => None,
        Err(e) => Some(format!("cannot wait for it: {e}")),
    }
}

impl chainmeter_core::plugin::LocalNode for Node {
    fn rpc_url(&self) -> &str {
        &self.rpc_url
    }
    fn ws_url(&self) -> &str {
        &self.ws_url
    }
    fn binary(&self) -> &Path {
        &self.binary
    }
    fn version(&self) -> &str {
        &self.version
    }
    fn log(&self) -> &Path {
        &self.log
    }
    fn pid(&self) -> u32 {
        self.pid
    }
    fn data_dir(&self) -> Option<&Path> {
        self.ledger.as_ref().map(tempfile::TempDir::path)
    }
    fn exited(&self) -> chainmeter_core::chain::BoxFuture<String> {
        Box::pin(Node::exited(self))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signal_group(pgid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) with a negative pid signals a process group we created.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), signal);
    }
}

/// Runs `binary --version` and returns its first line.
pub(crate) fn version_of(binary: &Path) -> Result<String, LocalnetError> {
    let out = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|source| LocalnetError::Spawn {
            binary: binary.to_owned(),
            source,
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or("").trim().to_owned())
}

/// Spawns `cmd` in its own process group with output to `log`, dying with us if we die.
fn spawn(mut cmd: Command, binary: &Path, log: &Path) -> Result<(Child, u32), LocalnetError> {
    let io = |what: String| move |source| LocalnetError::Io { what, source };
    let out = File::create(log).map_err(io(format!("cannot create log {}", log.display())))?;
    let err = out
        .try_clone()
        .map_err(io("cannot duplicate log handle".into()))?;
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
    unsafe {
        cmd.pre_exec(|| {
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|source| LocalnetError::Spawn {
        binary: binary.to_owned(),
        source,
    })?;
    let pid = child.id();
    Ok((child, pid))
}

fn log_tail(log: &Path, lines: usize) -> String {
    let Ok(f) = File::open(log) else {
        return String::new();
    };
    let all: Vec<String> = BufReader::new(f).lines().map_while(Result::ok).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Options for anvil.
#[derive(Debug, Clone)]
pub struct AnvilOptions {
    /// Interval mining period.
    pub block_time: Duration,
    /// `--slots-in-an-epoch`.
    pub slots_in_an_epoch: u64,
    /// `--gas-limit`.
    pub gas_limit: u64,
}

/// How far behind the head, in time, anvil keeps block states: the
/// verifier reads the last block the tracker scanned, a block or two behind
/// the head when the run ends.
const KEPT_STATE_SPAN: Duration = Duration::from_secs(8);

/// The block states anvil keeps in memory for `block_time`: enough to
/// cover [`KEPT_STATE_SPAN`], from 4 to 256. Each kept state is a whole
/// copy of the accounts, so with a new account per transfer anvil's memory
/// grows with the states kept times the accounts created.
fn kept_states(block_time: Duration) -> u32 {
    let blocks = KEPT_STATE_SPAN.as_secs_f64() / block_time.as_secs_f64().max(1e-3);
    (blocks.ceil() as u32).clamp(4, 256)
}
/// Blocks whose transactions and receipts anvil keeps in memory.
const KEPT_BLOCKS: u32 = 64;

/// Starts anvil on a free loopback port, logging to `<log_dir>/anvil.log`, and
/// waits until it answers JSON-RPC.
pub async fn start_anvil(
    binary: &Path,
    options: &AnvilOptions,
    log_dir: &Path,
) -> Result<Node, LocalnetError> {
    let version = version_of(binary)?;
    let log = log_dir.join("anvil.log");
    let mut cmd = Command::new(binary);
    cmd.args(["--host", "127.0.0.1", "--port", "0", "--accounts", "1"])
        .arg("--block-time")
        .arg(format!("{}", options.block_time.as_secs_f64()))
        .arg("--slots-in-an-epoch")
        .arg(options.slots_in_an_epoch.to_string())
        .arg("--gas-limit")
        .arg(options.gas_limit.to_string())
        // anvil keeps every block's state and every mined transaction in
        // memory by default: 24 GB (and the OOM killer) 9 minutes into a
        // 500 tx/s run with a new account per transfer. The run reads state
        // and receipts only near the head (the tracker a block or two
        // behind, verification at the last block scanned). Even 8 states
        // grow with the accounts created (2.4 GB after 2 min 45 s at 500
        // tx/s); with one receiver anvil stays near 0.2 GB.
        .args([
            "--prune-history",
            &kept_states(options.block_time).to_string(),
        ])
        .args(["--transaction-block-keeper", &KEPT_BLOCKS.to_string()]);
    let (child, pid) = spawn(cmd, binary, &log)?;
    let mut node = Node {
        name: "anvil",
        child: Arc::new(Mutex::new(child)),
        pid,
        rpc_url: String::new(),
        ws_url: String::new(),
        binary: binary.to_owned(),
        version,
        log: log.clone(),
        ledger: None,
    };
    // anvil picks the port (--port 0) and says which: no race for a free port.
    let deadline = Instant::now() + ANVIL_READY_TIMEOUT;
    let addr = loop {
        if let Some(addr) = std::fs::read_to_string(&log).ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("Listening on ").map(|a| a.trim().to_owned()))
        }) {
            break addr;
        }
        node.check_alive()?;
        if Instant::now() > deadline {
            return Err(node.not_ready(ANVIL_READY_TIMEOUT, "no \"Listening on\" line"));
        }
        tokio::time::sleep(POLL).await;
    };
    node.rpc_url = format!("http://{addr}");
    node.ws_url = format!("ws://{addr}");
    loop {
        match rpc_call(
            &node.rpc_url,
            "eth_chainId",
            json!([]),
            Duration::from_secs(2),
        )
        .await
        {
            Ok(_) => return Ok(node),
            Err(e) if Instant::now() > deadline => {
                return Err(node.not_ready(ANVIL_READY_TIMEOUT, &format!("eth_chainId failed: {e}")))
            }
            Err(_) => {
                node.check_alive()?;
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

impl Node {
    fn check_alive(&self) -> Result<(), LocalnetError> {
        match self.try_status() {
            None => Ok(()),
            Some(status) => Err(LocalnetError::ExitedEarly {
                binary: self.name.to_owned(),
                status,
                log: self.log.clone(),
                tail: log_tail(&self.log, 20),
            }),
        }
    }

    fn not_ready(&self, waited: Duration, what: &str) -> LocalnetError {
        LocalnetError::NotReady {
            binary: self.name.to_owned(),
            waited,
            what: what.to_owned(),
            log: self.log.clone(),
        }
    }
}

/// Options for solana-test-validator.
#[derive(Debug, Clone, Default)]
pub struct SolanaOptions {
    /// `--ticks-per-slot`.
    pub ticks_per_slot: Option<u64>,
    /// `--slots-per-epoch`.
    pub slots_per_epoch: Option<u64>,
}

/// How long solana-test-validator may take to answer and produce its first slot.
const SOLANA_READY_TIMEOUT: Duration = Duration::from_secs(120);
/// Ports a validator takes: RPC, PubSub (RPC + 1), faucet, gossip, then the dynamic range.
const SOLANA_PORTS: u16 = 4 + SOLANA_DYNAMIC_PORTS;
const SOLANA_DYNAMIC_PORTS: u16 = 40;

/// Starts solana-test-validator with a fresh ledger in a temporary directory on
/// free loopback ports, logging to `<log_dir>/solana-test-validator.log`, and
/// waits until it is healthy and has produced a slot. (That its fees are
/// non-zero is checked by the Solana submitter, which can build a message.)
pub async fn start_solana_test_validator(
    binary: &Path,
    options: &SolanaOptions,
    log_dir: &Path,
) -> Result<Node, LocalnetError> {
    let version = version_of(binary)?;
    let ledger = tempfile::Builder::new()
        .prefix("chainmeter-ledger-")
        .tempdir()
        .map_err(|source| LocalnetError::Io {
            what: "cannot create a ledger directory".into(),
            source,
        })?;
    let log = log_dir.join("solana-test-validator.log");
    let base = free_port_block(SOLANA_PORTS)?;
    let (rpc, faucet, gossip, dynamic) = (base, base + 2, base + 3, base + 4);
    let mut cmd = Command::new(binary);
    cmd.arg("--ledger")
        .arg(ledger.path())
        .args(["--reset", "--log", "--bind-address", "127.0.0.1"])
        .args(["--rpc-port", &rpc.to_string()])
        .args(["--faucet-port", &faucet.to_string()])
        .args(["--gossip-port", &gossip.to_string()])
        .args([
            "--dynamic-port-range",
            &format!("{dynamic}-{}", dynamic + SOLANA_DYNAMIC_PORTS - 1),
        ]);
    // The default keeps 10,000 shreds: a few busy blocks. The verifier reads
    // every landed signature's status from the ledger after the run, so the
    // ledger must keep the whole run (5,000,000 shreds is some 6 GB at most,
    // in the run's temporary ledger; a 15-minute search used a tenth of it).
    cmd.args(["--limit-ledger-size", "5000000"]);
    if let Some(t) = options.ticks_per_slot {
        cmd.args(["--ticks-per-slot", &t.to_string()]);
    }
    if let Some(s) = options.slots_per_epoch {
        cmd.args(["--slots-per-epoch", &s.to_string()]);
    }
    // Info-level logging costs the validator CPU and the disk gigabytes under load.
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "warn");
    }
    let (child, pid) = spawn(cmd, binary, &log)?;
    let node = Node {
        name: "solana-test-validator",
        child: Arc::new(Mutex::new(child)),
        pid,
        rpc_url: format!("http://127.0.0.1:{rpc}"),
        ws_url: format!("ws://127.0.0.1:{}", rpc + 1),
        binary: binary.to_owned(),
        version,
        log,
        ledger: Some(ledger),
    };
    // getHealth says "ok" before the first slot: wait for a slot as well.
    let deadline = Instant::now() + SOLANA_READY_TIMEOUT;
    let mut waiting_for = "getHealth".to_owned();
    loop {
        node.check_alive()?;
        if Instant::now() > deadline {
            return Err(node.not_ready(SOLANA_READY_TIMEOUT, &waiting_for));
        }
        let health = rpc_call(
            &node.rpc_url,
            "getHealth",
            json!([]),
            Duration::from_secs(2),
        )
        .await;
        if matches!(&health, Ok(v) if v == "ok") {
            waiting_for = "the first slot".to_owned();
            let slot = rpc_call(
                &node.rpc_url,
                "getSlot",
                json!([{"commitment": "processed"}]),
                Duration::from_secs(2),
            )
            .await;
            if slot.ok().and_then(|s| s.as_u64()).is_some_and(|s| s >= 1) {
                return Ok(node);
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A block of `n` consecutive loopback ports that are free for TCP and UDP now.
fn free_port_block(n: u16) -> Result<u16, LocalnetError> {
    use std::net::{TcpListener, UdpSocket};
    // Start from a process-specific place so concurrent runs rarely collide.
    let mut base = 20_000 + (std::process::id() as u16 % 2_000) * 20;
    for _ in 0..200 {
        let free = (base..base + n).all(|p| {
            TcpListener::bind(("127.0.0.1", p)).is_ok() && UdpSocket::bind(("127.0.0.1", p)).is_ok()
        });
        if free {
            return Ok(base);
        }
        base = if base > 60_000 { 20_000 } else { base + n };
    }
    Err(LocalnetError::Io {
        what: format!("no block of {n} free loopback ports"),
        source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anvil_keeps_eight_seconds_of_states_within_bounds() {
        assert_eq!(kept_states(Duration::from_secs(1)), 8);
        assert_eq!(kept_states(Duration::from_millis(100)), 80);
        assert_eq!(kept_states(Duration::from_secs(12)), 4);
        assert_eq!(kept_states(Duration::from_millis(1)), 256);
    }
}
