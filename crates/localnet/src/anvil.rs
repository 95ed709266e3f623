//! anvil (foundry): how to find it, start it and know it is ready.

use crate::{
    binary::Binary,
    node::{spawn, version_of, Node, POLL},
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

/// The anvil binary.
pub const ANVIL: Binary = Binary {
    name: "anvil",
    env_var: "ANVIL",
    install_script: "scripts/install-anvil.sh",
    installed_at,
};

/// Where `scripts/install-anvil.sh` puts it (npm's per-platform package).
fn installed_at() -> Option<PathBuf> {
    let platform = match (env::consts::OS, env::consts::ARCH) {
        ("linux", "x86_64") => "linux-amd64",
        ("linux", "aarch64") => "linux-arm64",
        ("macos", "x86_64") => "darwin-amd64",
        ("macos", "aarch64") => "darwin-arm64",
        _ => return None,
    };
    let tools = env::var_os("CHAINMETER_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools"));
    Some(tools.join(format!(
        "node_modules/@foundry-rs/anvil-{platform}/bin/anvil"
    )))
}

/// How long anvil may take to become ready.
const ANVIL_READY_TIMEOUT: Duration = Duration::from_secs(30);

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
/// Blocks whose transactions and receipts anvil keeps in memory: the
/// verification of a mix and of swaps reads the run's blocks back after the
/// drain, which with `finalized` recorded ends 64 blocks after the last
/// send; 256 covers a run of three minutes at 1 s blocks beside that, at
/// a few hundred bytes per transaction kept.
const KEPT_BLOCKS: u32 = 256;

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
        // behind, verification at the last block scanned, and the blocks of
        // the run for a mix's and swaps' checks). Even 8 states
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
