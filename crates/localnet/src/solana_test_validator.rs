//! solana-test-validator (agave): how to find it, start it on free
//! loopback ports with a fresh ledger, and know it is ready.

use crate::{
    binary::Binary,
    node::{spawn, version_of, Node},
    rpc::rpc_call,
    LocalnetError,
};
use serde_json::json;
use std::{
    env,
    path::{Path, PathBuf},
    process::Command,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// The solana-test-validator binary.
pub const SOLANA_TEST_VALIDATOR: Binary = Binary {
    name: "solana-test-validator",
    env_var: "SOLANA_TEST_VALIDATOR",
    install_script: "scripts/install-solana-test-validator.sh",
    installed_at,
};

/// Where `scripts/install-solana-test-validator.sh` puts it (`cargo install`).
fn installed_at() -> Option<PathBuf> {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    Some(cargo_home.join("bin/solana-test-validator"))
}

/// Options for solana-test-validator.
#[derive(Debug, Clone, Default)]
pub struct SolanaOptions {
    /// `--ticks-per-slot`.
    pub ticks_per_slot: Option<u64>,
    /// `--slots-per-epoch`.
    pub slots_per_epoch: Option<u64>,
    /// `--mint`: the account genesis funds (base58), e.g. a funder key's.
    pub mint: Option<String>,
    /// `--bpf-program <id> <file>`: programs loaded at genesis, as (program
    /// id in base58, ELF file).
    pub programs: Vec<(String, PathBuf)>,
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
    if let Some(mint) = &options.mint {
        cmd.args(["--mint", mint]);
    }
    for (id, elf) in &options.programs {
        cmd.args(["--bpf-program", id]).arg(elf);
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
