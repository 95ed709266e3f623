//! Funding from the user's key (`--funder-key`) on a node that offers no
//! cheat code: a proxy before a real node refuses them, as a geth or reth
//! devnet does.

use crate::{
    proxy::{Fault, FaultProxy},
    support::{self, chainmeter, quantity, result, rpc, scenario, stderr},
};
use serde_json::json;
use std::{os::unix::fs::PermissionsExt, path::Path};

/// anvil's first development account, funded with 10,000 ETH at genesis.
const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const DEV_ADDRESS: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/// A key of an account that holds nothing.
const POOR_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690e";

/// Writes `key` to `<dir>/<name>` with permission bits `mode`.
fn key_file(dir: &Path, name: &str, key: &str, mode: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{key}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// Every file under `dir`, read as text where it is text.
fn texts_under(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(texts_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out
}

const SCENARIO: &str = r#"
name = "e2e-funder-key"
[accounts]
count = 6
seed = "e2e-funder-key"
[workload]
value = 1000
[load]
rate = 40
count = 120
drain_timeout = "30s"
[evm]
levels = ["included"]
"#;

/// Attached through a proxy that refuses every cheat code, without a
/// funder: a clear error naming --funder-key. With anvil's first dev key
/// in a 0600 file: every transfer lands and is verified; the funder's
/// balance fell by what the result says it sent plus its fees, to the wei;
/// the senders hold exactly what they were given; and the key is nowhere
/// in the output, on stdout or on stderr.
#[test]
fn an_attached_node_without_cheat_codes_is_funded_from_a_key() {
    let f = support::Fixture::anvil();
    let proxy = FaultProxy::start(f.url(), Fault::NoCheatCodes);
    let file = f.scenario(SCENARIO);
    let ws = f.node().ws_url().to_owned();
    let run = |out: &Path, key: Option<&Path>| {
        let mut args = vec![
            "run",
            file.to_str().unwrap(),
            "--url",
            &proxy.url,
            "--ws-url",
            &ws,
            "--out",
            out.to_str().unwrap(),
            "-q",
        ];
        if let Some(key) = key {
            args.extend(["--funder-key", key.to_str().unwrap(), "--sweep"]);
        }
        chainmeter(&args)
    };

    let refused = run(&f.path().join("no-key"), None);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let err = stderr(&refused);
    assert!(
        err.contains("anvil_setBalance") && err.contains("--funder-key FILE"),
        "{err}"
    );

    let key = key_file(f.path(), "funder.key", DEV_KEY, 0o600);
    let before = quantity(&rpc(
        f.url(),
        "eth_getBalance",
        json!([DEV_ADDRESS, "latest"]),
    ));
    let out_dir = f.out();
    let out = run(&out_dir, Some(&key));
    assert!(out.status.success(), "{}", stderr(&out));
    let r = result(&out_dir);
    assert_eq!(r.outcomes.landed_ok, 120, "{:?}", r.outcomes);
    let v = r.verification.as_ref().expect("verified");
    assert!(v.passed(), "{}", v.line());
    let funder = v.check("funder").expect("the funder's balance is checked");
    let funding = r
        .funding
        .as_ref()
        .expect("the result says how senders were funded");
    assert_eq!(funding.method, "transfers from a funder key");
    assert_eq!(
        funding.funder.as_deref().map(str::to_lowercase),
        Some(DEV_ADDRESS.to_lowercase())
    );
    assert_eq!(funding.transactions, 6);
    // The chain's own word, read by the test: the funder fell by exactly
    // what the verification says it sent plus its fees, and rose by what
    // the sweep returned.
    let after = quantity(&rpc(
        f.url(),
        "eth_getBalance",
        json!([DEV_ADDRESS, "latest"]),
    ));
    assert_eq!(funder.recorded, funder.chain);
    let sweep = r.sweep.as_ref().expect("--sweep is in the result");
    assert_eq!(sweep.error, None);
    assert_eq!(sweep.transactions, 6, "one per sender");
    let swept = v.check("sweep").expect("the sweep is checked");
    assert_eq!(
        (swept.recorded.as_str(), swept.chain.as_str()),
        (sweep.amount.as_str(), sweep.amount.as_str())
    );
    let returned: u128 = sweep.amount.parse().unwrap();
    let spent: u128 = funder.chain.parse().unwrap();
    assert_eq!(before - after, spent - returned);
    // Every sender is left with nothing.
    for s in &r.senders {
        let left = quantity(&rpc(
            f.url(),
            "eth_getBalance",
            json!([s.address, "latest"]),
        ));
        assert_eq!(left, 0, "{} kept {left} wei", s.address);
    }
    // No cheat code: each sender holds what the key gave it, no more.
    let given: u128 = r
        .senders
        .iter()
        .map(|s| s.balance_before.parse::<u128>().unwrap())
        .sum();
    assert_eq!(given.to_string(), funding.amount);
    assert!(
        *proxy.injected.lock().unwrap() >= 1,
        "the proxy refused the cheat code at least once"
    );
    let secret = DEV_KEY.trim_start_matches("0x");
    for (path, text) in texts_under(&out_dir) {
        assert!(!text.contains(secret), "the key is in {}", path.display());
    }
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(secret));
    }
}

/// Bad keys and a poor funder: clear errors naming the file or the
/// amounts, never the key, and no node left running; a key the chain
/// cannot read is bad input (exit 2), found before any node starts.
#[test]
fn bad_funder_keys_are_clear_errors_and_leave_nothing_running() {
    let f = support::Fixture::bare();
    let anvils_before = support::pids_named("anvil").len();
    let file = scenario(f.path(), "s.toml", SCENARIO);
    let run = |key: &Path| {
        chainmeter(&[
            "run",
            file.to_str().unwrap(),
            "--out",
            f.path().join("out").to_str().unwrap(),
            "-q",
            "--funder-key",
            key.to_str().unwrap(),
        ])
    };
    let cases = [
        (f.path().join("missing.key"), 2, "cannot read the file"),
        (
            key_file(f.path(), "open.key", DEV_KEY, 0o644),
            2,
            "chmod 600",
        ),
        (
            key_file(f.path(), "bad.key", "not-a-key", 0o600),
            2,
            "not a key evm can read; expected a 32-byte private key in hex",
        ),
        (
            key_file(f.path(), "poor.key", POOR_KEY, 0o600),
            1,
            "holds 0 wei, and funding this run needs",
        ),
    ];
    for (key, code, says) in cases {
        let out = run(&key);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{}: {err}", key.display());
        assert!(err.contains(says), "{}: {err}", key.display());
        for secret in [DEV_KEY, POOR_KEY] {
            assert!(!err.contains(secret.trim_start_matches("0x")), "{err}");
        }
        assert_eq!(
            support::pids_named("anvil").len(),
            anvils_before,
            "no anvil left running after {}",
            key.display()
        );
    }
    // --sweep returns funds to a funder key: without one it is bad input.
    let out = chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        f.path().join("out").to_str().unwrap(),
        "-q",
        "--sweep",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--sweep") && err.contains("--funder-key FILE"),
        "{err}"
    );
}

/// Solana without an airdrop: a validator whose genesis funds the test's
/// keypair (`--mint`), attached through a proxy that refuses
/// `requestAirdrop`. Payers are funded from the keypair by transfers, every
/// transfer lands and is verified, and the funder's balance fell by what
/// the result says it sent plus its fees, to the lamport.
#[test]
fn solana_payers_are_funded_from_a_keypair_without_an_airdrop() {
    use solana_sdk::{signature::Keypair, signer::Signer};
    let funder = Keypair::new();
    let f = support::Fixture::validator_with(&chainmeter_localnet::SolanaOptions {
        mint: Some(funder.pubkey().to_string()),
        ..Default::default()
    });
    let bytes: Vec<u8> = funder.to_bytes().to_vec();
    let key = key_file(
        f.path(),
        "funder.json",
        &serde_json::to_string(&bytes).unwrap(),
        0o600,
    );
    let proxy = FaultProxy::start(f.url(), Fault::NoCheatCodes);
    let file = f.scenario(
        r#"
name = "e2e-solana-funder-key"
[accounts]
count = 4
seed = "e2e-solana-funder-key"
[load]
rate = 40
count = 80
drain_timeout = "60s"
[solana]
"#,
    );
    let balance = || {
        rpc(
            f.url(),
            "getBalance",
            json!([funder.pubkey().to_string(), {"commitment": "confirmed"}]),
        )["value"]
            .as_u64()
            .unwrap()
    };
    let before = balance();
    let out_dir = f.out();
    let out = chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--url",
        &proxy.url,
        "--ws-url",
        f.node().ws_url(),
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
        "--funder-key",
        key.to_str().unwrap(),
        "--sweep",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = result(&out_dir);
    assert_eq!(r.outcomes.landed_ok, 80, "{:?}", r.outcomes);
    let v = r.verification.as_ref().expect("verified");
    assert!(v.passed(), "{}", v.line());
    let checked = v.check("funder").expect("the funder's balance is checked");
    let funding = r.funding.as_ref().expect("how payers were funded");
    assert_eq!(funding.method, "transfers from a funder key");
    assert_eq!(funding.funder, Some(funder.pubkey().to_string()));
    assert_eq!(checked.recorded, checked.chain);
    // Swept back: every payer emptied, the funder up by exactly that.
    let sweep = r.sweep.as_ref().expect("--sweep is in the result");
    assert_eq!((sweep.error.as_deref(), sweep.transactions), (None, 4));
    let swept = v.check("sweep").expect("the sweep is checked");
    assert_eq!(swept.recorded, sweep.amount);
    assert_eq!(swept.chain, sweep.amount);
    let returned: u64 = sweep.amount.parse().unwrap();
    let spent: u64 = checked.chain.parse().unwrap();
    assert_eq!(before - balance(), spent - returned);
    for s in &r.senders {
        let left = rpc(
            f.url(),
            "getBalance",
            json!([s.address, {"commitment": "confirmed"}]),
        )["value"]
            .as_u64()
            .unwrap();
        assert_eq!(left, 0, "{} kept {left} lamports", s.address);
    }
    let secret = serde_json::to_string(&bytes).unwrap();
    for (path, text) in texts_under(&out_dir) {
        assert!(!text.contains(&secret), "the key is in {}", path.display());
    }
}

/// A Hardhat node the test owns (1 s blocks, no automine): killed when dropped.
struct Hardhat {
    child: std::process::Child,
    url: String,
}

impl Drop for Hardhat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hardhat {
    /// Starts `hardhat node` (scripts/install-hardhat.sh's) in `dir` on a free
    /// loopback port and waits until it answers.
    fn start(dir: &Path) -> Self {
        let out =
            std::process::Command::new(support::repo_root().join("scripts/install-hardhat.sh"))
                .output()
                .expect("scripts/install-hardhat.sh runs");
        assert!(out.status.success(), "{}", stderr(&out));
        let cli = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        // The project is the installation's directory (node_modules/hardhat/internal/cli/…).
        let project = Path::new(&cli)
            .ancestors()
            .nth(5)
            .expect("the installation's directory")
            .to_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.join("hardhat.log")).unwrap();
        let child = std::process::Command::new("node")
            .arg(&cli)
            .args([
                "node",
                "--hostname",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .current_dir(&project)
            .env("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("node runs hardhat");
        let node = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        loop {
            let answer = rt.block_on(chainmeter_localnet::rpc_call(
                &node.url,
                "web3_clientVersion",
                json!([]),
                std::time::Duration::from_secs(2),
            ));
            if answer.is_ok() {
                return node;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "hardhat node did not answer within 90 s: see {}",
                dir.join("hardhat.log").display()
            );
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }
}

/// A second, independent EVM node: Hardhat 2 (its EDR engine, no
/// eth_getBlockReceipts, no anvil_setBalance). Funded from its first dev
/// key, every transfer lands and is verified, the funder's balance to the
/// wei; receipts are read one by one, and the node is named by its own
/// client version.
#[test]
fn a_hardhat_node_is_funded_from_a_key_and_every_transfer_verified() {
    let f = support::Fixture::bare();
    let node = Hardhat::start(f.path());
    let key = key_file(f.path(), "funder.key", DEV_KEY, 0o600);
    let file = f.scenario(
        r#"
name = "e2e-hardhat"
[accounts]
count = 8
seed = "e2e-hardhat"
[workload]
value = 1000
[load]
rate = 50
count = 200
[evm]
levels = ["included", "safe", "finalized"]
"#,
    );
    let out_dir = f.out();
    let out = chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--url",
        &node.url,
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
        "--funder-key",
        key.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = result(&out_dir);
    assert_eq!(r.outcomes.landed_ok, 200, "{:?}", r.outcomes);
    let v = r.verification.as_ref().expect("verified");
    assert!(v.passed(), "{}", v.line());
    assert!(v.check("funder").is_some(), "{}", v.line());
    let client = r
        .environment
        .node
        .client
        .as_ref()
        .expect("the node's client");
    assert_eq!(
        (client.name.as_str(), client.version.as_str()),
        ("HardhatNetwork", "2.29.1"),
        "{client:?}"
    );
    assert!(
        r.tracking.method.contains("eth_getTransactionReceipt"),
        "{}",
        r.tracking.method
    );
    let included = &r.levels[0].latency_us;
    println!(
        "hardhat, 50 tx/s on 1 s blocks: included p50 {} µs, p99 {} µs; landed {:?} tx/s",
        included.p50, included.p99, r.throughput.landed_mean_per_s
    );
    assert!(included.p50 < 2_000_000, "{included:?}");
    let blocks = r.levels[0].block_delta.as_ref().expect("block deltas");
    println!(
        "hardhat included block delta: p50 {} p99 {} max {}",
        blocks.p50, blocks.p99, blocks.max
    );
    assert_eq!(blocks.count, 200);
    assert!(blocks.min >= 1 && blocks.max <= 3, "{blocks:?}");
    // Hardhat names its latest block safe and finalized: measured, but
    // labelled as not told apart, in the result and the summary.
    let p = r.environment.node.parameters.as_ref().expect("parameters");
    assert_eq!(
        (p.behind("safe"), p.behind("finalized")),
        (Some(0), Some(0)),
        "{p:?}"
    );
    let labels: Vec<bool> = r.levels.iter().map(|l| l.at_latest).collect();
    assert_eq!(labels, [false, true, true]);
    let summary = std::fs::read_to_string(out_dir.join("summary.md")).unwrap();
    assert!(
        summary.contains("| finalized (= latest on this node) |"),
        "{summary}"
    );
    // No drain given: (0 + 2) blocks of its 1 s (by its timestamps) x 1.25
    // + 10 s, where anvil's two epochs would take 92.5 s.
    println!("hardhat parameters {p:?}; drain {:?} s", r.load.drain_s);
    let interval_s = p
        .block_interval()
        .expect("its blocks' interval")
        .as_secs_f64();
    assert!((0.9..=2.1).contains(&interval_s), "{p:?}");
    assert_eq!(
        r.load.drain_s,
        Some(2.0 * interval_s * 1.25 + 10.0),
        "{p:?}"
    );
}
