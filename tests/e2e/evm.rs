//! EVM runs against a real anvil.

use crate::support::{self, pids_named, quantity, result, rpc, scenario};
use chainmeter_core::{result::RunStatus, Level};
use chainmeter_localnet::{locate, start_anvil, AnvilOptions, BinaryKind};
use serde_json::json;
use std::time::Duration;

const VALUE_WEI: u128 = 1_000;

/// 200 transfers at a constant rate against an anvil the test owns, so that the
/// chain can be questioned after the run: every transaction lands, the landed
/// count equals the senders' nonce increase, and the fee total equals the
/// senders' balance decrease minus the value sent, to the wei.
#[test]
fn transfers_land_and_fees_match_the_chain() {
    let _one_validator = support::serial();
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let anvil = rt
        .block_on(start_anvil(
            &locate(BinaryKind::Anvil).expect("anvil installed (scripts/install-anvil.sh)"),
            &AnvilOptions {
                block_time: Duration::from_secs(1),
                slots_in_an_epoch: 2,
                gas_limit: 30_000_000,
            },
            tmp.path(),
        ))
        .expect("anvil starts");
    let url = anvil.rpc_url().to_owned();
    let file = scenario(
        tmp.path(),
        "s.toml",
        &format!(
            r#"
name = "e2e-evm-fees"
[accounts]
count = 8
seed = "e2e-fees"
[workload]
value = {VALUE_WEI}
[load]
rate = 50
count = 200
drain_timeout = "30s"
[evm]
levels = ["included", "safe", "finalized"]
"#
        ),
    );
    let r = support::run_ok(&file, Some(&url), &tmp.path().join("out"));
    assert_eq!(r.outcomes.sent, 200);
    assert_eq!(r.outcomes.landed_ok, 200, "outcomes: {:?}", r.outcomes);
    for level in [Level::Included, Level::Safe, Level::Finalized] {
        let l = r.level(level).unwrap_or_else(|| panic!("{level} recorded"));
        assert_eq!(l.latency_us.count, 200, "{level} samples");
    }
    let inc = r.level(Level::Included).unwrap().latency_us.p50;
    let safe = r.level(Level::Safe).unwrap().latency_us.p50;
    let fin = r.level(Level::Finalized).unwrap().latency_us.p50;
    assert!(
        inc <= safe && safe <= fin,
        "levels in order: {inc} {safe} {fin}"
    );

    // The chain's own accounts.
    assert_eq!(r.senders.len(), 8);
    let mut nonce_increase = 0u128;
    let mut balance_decrease = 0u128;
    for s in &r.senders {
        let nonce = quantity(&rpc(
            &url,
            "eth_getTransactionCount",
            json!([s.address, "latest"]),
        ));
        let balance = quantity(&rpc(&url, "eth_getBalance", json!([s.address, "latest"])));
        nonce_increase += nonce - u128::from(s.nonce_before.unwrap());
        balance_decrease += s.balance_before.parse::<u128>().unwrap() - balance;
    }
    assert_eq!(
        nonce_increase,
        u128::from(r.outcomes.landed()),
        "landed count = nonce increase"
    );
    let fee_total: u128 = r.fees.total.parse().unwrap();
    assert_eq!(
        fee_total,
        balance_decrease - VALUE_WEI * nonce_increase,
        "fee total = balance decrease - value"
    );
    assert!(fee_total > 0);
    assert_eq!(r.fees.per_tx.count, 200);
    drop(anvil);
}

/// With 1 s blocks, inclusion latency from the intended send time is at most
/// about one block plus overhead, and about half a block at the median. The
/// run starts its own anvil, which must be gone when it exits.
#[test]
fn inclusion_latency_has_the_shape_of_the_block_time() {
    let _one_validator = support::serial();
    let anvils_before = pids_named("anvil").len();
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario(
        tmp.path(),
        "s.toml",
        r#"
name = "e2e-evm-latency"
[load]
rate = 100
duration = "10s"
warmup = "2s"
drain_timeout = "20s"
[evm]
levels = ["included"]
block_time = "1s"
"#,
    );
    let out_dir = tmp.path().join("out");
    let r = support::run_ok(&file, None, &out_dir);
    assert!(r.environment.node.started_locally);
    assert!(
        r.environment.node.version.contains("anvil"),
        "{}",
        r.environment.node.version
    );
    assert!(out_dir.join("anvil.log").exists());
    assert!(out_dir.join("summary.md").exists());
    assert_eq!(r.outcomes.landed_ok, r.outcomes.sent, "{:?}", r.outcomes);
    let inc = &r.level(Level::Included).unwrap().latency_us;
    assert_eq!(inc.count, 1000);
    println!(
        "included latency: p50 {} µs, p99 {} µs, max {} µs",
        inc.p50, inc.p99, inc.max
    );
    assert!(inc.p99 > 0 && inc.p99 <= 1_300_000, "p99 {} µs", inc.p99);
    assert!(
        (250_000..=800_000).contains(&inc.p50),
        "p50 {} µs not near half a block",
        inc.p50
    );
    let interval = &r.chain_view.block_interval_us;
    assert!(
        (900_000..=1_100_000).contains(&interval.p50),
        "block interval p50 {} µs",
        interval.p50
    );
    assert_eq!(
        pids_named("anvil").len(),
        anvils_before,
        "the run's anvil is still running"
    );
    // The interval log holds the same samples, second by second.
    let (intervals, samples) =
        support::interval_log_counts(&out_dir.join("latency.hlog"), "included");
    assert!(intervals >= 10, "{intervals} intervals");
    assert_eq!(
        samples, inc.count,
        "interval log samples = histogram samples"
    );
}

/// Killing anvil in the middle of a run: a clear error, a result with the open
/// transactions as `unknown`, a non-zero exit.
#[test]
fn killing_anvil_mid_run_still_writes_the_result() {
    support::kill_validator_mid_run(
        r#"
name = "e2e-evm-kill"
[load]
rate = 100
duration = "60s"
[evm]
block_time = "1s"
"#,
        "anvil",
    );
}

/// Ctrl-C: the run stops at once with exit code 130, writes what it measured,
/// and its anvil is gone.
#[test]
fn ctrl_c_stops_the_run_writes_the_result_and_the_validator() {
    let _one_validator = support::serial();
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario(
        tmp.path(),
        "s.toml",
        "name = \"e2e-ctrl-c\"\n[load]\nrate = 100\nduration = \"60s\"\n[evm]\n",
    );
    let out_dir = tmp.path().join("out");
    let mut run = support::Running::start(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    run.wait_for_line("sending", Duration::from_secs(60));
    let anvil = *support::children_named(run.child.id(), "anvil")
        .first()
        .expect("the run's anvil is its child");
    std::thread::sleep(Duration::from_secs(3));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(run.child.id() as i32, libc::SIGINT) };
    let (code, err) = run.finish(Duration::from_secs(20));
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted by Ctrl-C"), "{err}");
    let r = result(&out_dir);
    assert!(matches!(r.status, RunStatus::Aborted { .. }));
    assert!(
        r.outcomes.is_consistent() && r.outcomes.sent > 0,
        "{:?}",
        r.outcomes
    );
    assert!(
        !pids_named("anvil").contains(&anvil),
        "anvil outlived the run"
    );
}
