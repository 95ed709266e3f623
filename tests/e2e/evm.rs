//! EVM runs against a real anvil.

use crate::support::{self, pids_named, quantity, result, rpc, scenario, stderr};
use chainmeter_evm::spec::{FINALIZED, INCLUDED, SAFE};
use chainmeter_localnet::{locate, start_anvil, AnvilOptions, ANVIL};
use chainmeter_result::run::{RunStatus, StopKind};
use serde_json::json;
use std::time::Duration;

const VALUE_WEI: u128 = 1_000;

/// An anvil the test owns (1 s blocks, 2-slot epochs), so that the chain can
/// be questioned, and changed, around a run attached to it.
pub(crate) fn own_anvil(dir: &std::path::Path) -> chainmeter_localnet::Node {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(start_anvil(
        &locate(&ANVIL).expect("anvil installed (scripts/install-anvil.sh)"),
        &AnvilOptions {
            block_time: Duration::from_secs(1),
            slots_in_an_epoch: 2,
            gas_limit: 30_000_000,
        },
        dir,
    ))
    .expect("anvil starts")
}

/// 200 transfers at a constant rate against an anvil the test owns, so that the
/// chain can be questioned after the run: every transaction lands, the landed
/// count equals the senders' nonce increase, and the fee total equals the
/// senders' balance decrease minus the value sent, to the wei.
#[test]
fn transfers_land_and_fees_match_the_chain() {
    let f = support::Fixture::anvil();
    let url = f.url();
    let r = f.run(&format!(
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
    ));
    assert_eq!(r.outcomes.sent, 200);
    assert_eq!(r.outcomes.landed_ok, 200, "outcomes: {:?}", r.outcomes);
    for level in [INCLUDED, SAFE, FINALIZED] {
        let l = r.level(level).unwrap_or_else(|| panic!("{level} recorded"));
        assert_eq!(l.latency_us.count, 200, "{level} samples");
    }
    let inc = r.level(INCLUDED).unwrap().latency_us.p50;
    let safe = r.level(SAFE).unwrap().latency_us.p50;
    let fin = r.level(FINALIZED).unwrap().latency_us.p50;
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
            url,
            "eth_getTransactionCount",
            json!([s.address, "latest"]),
        ));
        let balance = quantity(&rpc(url, "eth_getBalance", json!([s.address, "latest"])));
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
    // The chain's parameters, as the node reports them: the gas limit set
    // on anvil's command line, its chain id.
    match r.environment.node.parameters.as_ref().expect("parameters") {
        p @ chainmeter_result::run::ChainParameters::Evm {
            chain_id,
            block_gas_limit,
            block_interval_ms,
            ..
        } => {
            assert_eq!(
                u128::from(*chain_id),
                quantity(&rpc(url, "eth_chainId", json!([])))
            );
            assert_eq!(*block_gas_limit, Some(30_000_000));
            // 1 s blocks, by their timestamps.
            if let Some(ms) = block_interval_ms {
                assert!((500.0..=1_500.0).contains(ms), "{p:?}");
            }
            // anvil's tags trail latest (or still name genesis): never
            // taken for levels it cannot tell apart.
            assert_ne!(p.behind("safe"), Some(0), "{p:?}");
            assert!(r.levels.iter().all(|l| !l.at_latest));
        }
        other => panic!("{other:?}"),
    }
}

/// With 1 s blocks, inclusion latency from the intended send time is at most
/// about one block plus overhead, and about half a block at the median. The
/// run starts its own anvil, which must be gone when it exits.
#[test]
fn inclusion_latency_has_the_shape_of_the_block_time() {
    let f = support::Fixture::bare();
    let anvils_before = pids_named("anvil").len();
    let file = scenario(
        f.path(),
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
    let out_dir = f.out();
    let r = support::run_ok(&file, None, &out_dir);
    assert!(r.environment.node.started_locally);
    assert!(
        r.environment.node.version.contains("anvil"),
        "{}",
        r.environment.node.version
    );
    assert!(out_dir.join("anvil.log").exists());
    assert!(out_dir.join("summary.md").exists());
    // What ran, by name and version as the node says, and never where its
    // binary lies in any page.
    let client = r
        .environment
        .node
        .client
        .as_ref()
        .expect("the node's client");
    assert_eq!(client.name, "anvil", "{client:?}");
    assert!(
        client.version.starts_with(|c: char| c.is_ascii_digit()),
        "{client:?}"
    );
    let binary = r.environment.node.binary.clone().expect("started here");
    for page in ["summary.md", "report.html"] {
        let text = std::fs::read_to_string(out_dir.join(page)).unwrap();
        assert!(!text.contains(&binary), "{page} shows {binary}");
        assert!(
            text.contains(&format!("anvil {}", client.version)),
            "{page}"
        );
    }
    assert_eq!(r.outcomes.landed_ok, r.outcomes.sent, "{:?}", r.outcomes);
    let inc = &r.level(INCLUDED).unwrap().latency_us;
    assert_eq!(inc.count, 1000);
    // Fees cover the measured window like latency; the 2 s warm-up is apart.
    assert_eq!(r.fees.per_tx.count, inc.count, "fees include the warm-up");
    assert_eq!(r.fees.compute_per_tx.count, inc.count);
    assert_eq!(r.fees.warmup.as_ref().map(|w| w.landed), Some(200));
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
    // Below capacity a transfer is in the next block, or the one after
    // when it arrived as the next was being built.
    let blocks = r
        .level(INCLUDED)
        .and_then(|l| l.block_delta.clone())
        .expect("block deltas recorded");
    println!(
        "included block delta: min {} p50 {} max {}",
        blocks.min, blocks.p50, blocks.max
    );
    assert_eq!(blocks.count, inc.count);
    assert!(blocks.min >= 1 && blocks.max <= 2, "{blocks:?}");
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

/// Throughput over whole block intervals: a constant 200 tx/s for 15 s on
/// 1 s blocks reads 200 within 2% (whole wall-clock seconds read 14 or 15
/// blocks' worth by their phase), and 500 sent in half a second, which no
/// two blocks of the window bound, print the count and the window, never
/// "0.0 tx/s".
#[test]
fn landed_throughput_is_over_whole_block_intervals() {
    let f = support::Fixture::anvil();
    let url = f.url();
    let run = |name: &str, load: &str| {
        let file = scenario(
            f.path(),
            &format!("{name}.toml"),
            &format!(
                "name = \"e2e-{name}\"\n[accounts]\ncount = 16\nseed = \"e2e-{name}\"\n[load]\n{load}\n[evm]\nlevels = [\"included\"]\n"
            ),
        );
        let out_dir = f.path().join(name);
        let out = support::run_attached(&file, url, &out_dir);
        assert!(out.status.success(), "{}", stderr(&out));
        (
            result(&out_dir),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (steady, _) = run("steady", "rate = 200\nduration = \"15s\"\nwarmup = \"2s\"");
    let mean = steady.throughput.landed_mean_per_s.expect("a rate");
    println!("200 tx/s for 15 s: landed {mean:.2} tx/s mean");
    assert!((mean - 200.0).abs() <= 4.0, "{mean}");

    let (burst, summary) = run("burst", "rate = 1000\ncount = 500\nwarmup = \"0s\"");
    assert_eq!(burst.outcomes.landed_ok, 500, "{:?}", burst.outcomes);
    assert_eq!(burst.throughput.landed_mean_per_s, None);
    let why = burst.throughput.no_rate.as_ref().expect("the reason");
    assert!(why.blocks < 2, "{why:?}");
    assert!(
        summary.contains("landed 500 of 500 sent in a 0.50 s window (no rate: "),
        "{summary}"
    );
    assert!(!summary.contains("0.0 tx/s mean"), "{summary}");
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
    a_signal_stops_the_run(libc::SIGINT, 130, "interrupted by Ctrl-C");
}

/// SIGTERM (what `timeout`, CI runners and Kubernetes send) is handled like
/// Ctrl-C: exit 143, the result written, anvil stopped.
#[test]
fn sigterm_stops_the_run_writes_the_result_and_the_validator() {
    a_signal_stops_the_run(libc::SIGTERM, 143, "terminated by SIGTERM");
}

/// Runs `scenario_text` (100 tx/s for 60 s on an anvil chainmeter starts)
/// into `<tmp>/out`, sends chainmeter `signal` `after` it started sending,
/// and waits for it to exit: its exit code and stderr, and its anvil's pid.
fn signal_a_run(
    tmp: &std::path::Path,
    scenario_text: &str,
    after: Duration,
    signal: i32,
) -> (Option<i32>, String, u32) {
    let file = scenario(tmp, "s.toml", scenario_text);
    let out_dir = tmp.join("out");
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
    std::thread::sleep(after);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(run.child.id() as i32, signal) };
    let (code, err) = run.finish(Duration::from_secs(20));
    (code, err, anvil)
}

fn a_signal_stops_the_run(signal: i32, exit_code: i32, says: &str) {
    let f = support::Fixture::bare();
    let (code, err, anvil) = signal_a_run(
        f.path(),
        "name = \"e2e-ctrl-c\"\n[load]\nrate = 100\nduration = \"60s\"\n[evm]\n",
        Duration::from_secs(3),
        signal,
    );
    let out_dir = f.out();
    assert_eq!(code, Some(exit_code), "{err}");
    assert!(err.contains(says), "{err}");
    let r = result(&out_dir);
    // The kind of stop is in the file for machines, beside the words.
    let kind = match signal {
        libc::SIGTERM => StopKind::Terminated,
        _ => StopKind::Interrupted,
    };
    assert!(
        matches!(r.status, RunStatus::Aborted { kind: k, .. } if k == kind),
        "{:?}",
        r.status
    );
    assert!(r.outcomes.sent > 0, "{:?}", r.outcomes);
    support::assert_consistent(&r);
    assert!(
        r.outcomes
            .unknown_by_reason
            .keys()
            .all(|k| k.contains("aborted")),
        "{:?}",
        r.outcomes
    );
    assert!(
        !pids_named("anvil").contains(&anvil),
        "anvil outlived the run"
    );
}

/// An attached anvil SIGKILLed 8 s into a 100 tx/s run: the closed
/// WebSocket ends the run at once (not after 15 s without a block), and
/// nothing is counted as sent to a node that was gone.
#[test]
fn a_dead_attached_node_is_seen_at_once() {
    let f = support::Fixture::anvil();
    let file = scenario(
        f.path(),
        "s.toml",
        "name = \"e2e-dead-node\"\n[load]\nrate = 100\nduration = \"60s\"\n[evm]\nlevels = [\"included\"]\n",
    );
    let out_dir = f.out();
    let mut run = support::Running::start(&[
        "run",
        file.to_str().unwrap(),
        "--url",
        f.url(),
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    run.wait_for_line("sending", Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(8));
    let killed = std::time::Instant::now();
    // SAFETY: signalling the anvil this test started.
    unsafe { libc::kill(f.node().pid() as i32, libc::SIGKILL) };
    let (code, err) = run.finish(Duration::from_secs(30));
    let took = killed.elapsed();
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("run aborted"), "{err}");
    assert!(
        took < Duration::from_secs(5),
        "the run went on {took:?} after the node died"
    );
    let r = result(&out_dir);
    support::assert_consistent(&r);
    assert!(r.outcomes.landed_ok > 0, "{:?}", r.outcomes);
    // 100 tx/s for 8 s and the few seconds after: far from the 1,863 that
    // went out over the closed socket before.
    assert!(r.outcomes.sent <= 1_300, "{:?}", r.outcomes);
    if let RunStatus::Aborted { reason, kind } = &r.status {
        eprintln!("aborted {took:?} after the kill: {reason}");
        assert_eq!(*kind, StopKind::NodeGone, "{reason}");
    } else {
        panic!("{:?}", r.status);
    }
}

/// chainmeter itself killed outright (SIGKILL: the OOM killer, an eviction)
/// 8 s into a run: it leaves a readable partial result (status running)
/// and an interval log that was written as it went, its anvil dies with
/// it, `report` says the result is partial and `compare --fail-if` refuses
/// it as a candidate.
#[test]
fn a_killed_chainmeter_leaves_a_partial_result_and_its_interval_log() {
    let f = support::Fixture::bare();
    let (code, _, anvil) = signal_a_run(
        f.path(),
        "name = \"e2e-sigkill\"\n[load]\nrate = 100\nduration = \"60s\"\n[evm]\nblock_time = \"1s\"\n",
        Duration::from_secs(8),
        libc::SIGKILL,
    );
    assert_eq!(code, None, "killed by a signal");
    let out_dir = f.out();
    let path = out_dir.join("result.json");
    support::assert_matches_schema(&path);
    let r = result(&out_dir);
    assert_eq!(r.status, RunStatus::Running);
    support::assert_consistent(&r);
    // Sent in the 3 to 8 s before the last partial result; what landed is there.
    assert!(r.outcomes.sent >= 200, "{:?}", r.outcomes);
    assert!(r.outcomes.landed_ok >= 100, "{:?}", r.outcomes);
    let (intervals, samples) =
        support::interval_log_counts(&out_dir.join("latency.hlog"), "included");
    assert!(
        intervals >= 5 && samples >= 300,
        "{intervals} intervals, {samples} samples"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while pids_named("anvil").contains(&anvil) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !pids_named("anvil").contains(&anvil),
        "anvil outlived chainmeter"
    );
    let report = support::chainmeter(&["report", path.to_str().unwrap()]);
    assert!(report.status.success(), "{}", support::stderr(&report));
    assert!(support::stderr(&report).contains("is a partial result"));
    assert!(String::from_utf8_lossy(&report.stdout).contains("**Run not finished:**"));
    let gate = support::chainmeter(&[
        "compare",
        path.to_str().unwrap(),
        path.to_str().unwrap(),
        "--fail-if",
        "tps<-50%",
    ]);
    assert_eq!(gate.status.code(), Some(1), "{}", support::stderr(&gate));
    assert!(
        support::stderr(&gate).contains("never finished"),
        "{}",
        support::stderr(&gate)
    );
}

/// A sender whose sends the node refuses for a moment (its balance set to 0
/// mid-run, then back) must not strand its later transactions behind the
/// nonce the refused ones consumed: the sender's nonce is read back from the
/// node, its later transactions land, and nothing ends `expired` (the EVM
/// has no expiry). Without the resync every later transaction of that
/// sender waits behind the gap until the drain ends.
#[test]
fn a_sender_refused_for_a_moment_resyncs_its_nonce_and_lands_again() {
    let f = support::Fixture::anvil();
    let url = f.url();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-evm-nonce-gap"
[accounts]
count = 4
seed = "e2e-nonce-gap"
[load]
rate = 40
count = 480
drain_timeout = "15s"
[evm]
levels = ["included"]
"#,
    );
    let out_dir = f.out();
    let mut run = support::Running::start(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--url",
        url,
        "-q",
    ]);
    run.wait_for_line("sending", Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(3));
    // Right after a block, so that nothing of the sender is mined between
    // reading its balance and setting it.
    let block = |u: &str| quantity(&rpc(u, "eth_blockNumber", json!([])));
    let now = block(url);
    while block(url) == now {
        std::thread::sleep(Duration::from_millis(5));
    }
    let head = rpc(url, "eth_getBlockByNumber", json!(["latest", true]));
    let sender = head["transactions"][0]["from"]
        .as_str()
        .expect("the run's transactions are in the block")
        .to_owned();
    let balance = rpc(url, "eth_getBalance", json!([sender, "latest"]));
    rpc(url, "anvil_setBalance", json!([sender, "0x0"]));
    std::thread::sleep(Duration::from_millis(1500));
    rpc(url, "anvil_setBalance", json!([sender, balance]));
    let nonce_at_restore = quantity(&rpc(
        url,
        "eth_getTransactionCount",
        json!([sender, "latest"]),
    ));
    let (code, err) = run.finish(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{err}");
    let r = result(&out_dir);
    support::assert_consistent(&r);
    println!("outcomes: {:?}, submitter: {:?}", r.outcomes, r.submitter);
    assert!(
        r.outcomes.rejected > 0,
        "the node refused some: {:?}",
        r.outcomes
    );
    assert!(r.submitter["nonce_resyncs"] > 0, "{:?}", r.submitter);
    assert_eq!(r.outcomes.expired, 0, "{:?}", r.outcomes);
    // Sends already in the pool when the balance went to 0 may be dropped
    // by anvil: at most a few, never the sender's whole tail.
    assert!(r.outcomes.unknown <= 3, "{:?}", r.outcomes);
    // Each is one the node dropped, found gone and its nonce signed anew;
    // none is stranded behind a hole.
    assert_eq!(
        r.outcomes.unknown, r.submitter["nonce_dropped_by_node"],
        "{:?}",
        r.submitter
    );
    let final_nonce = quantity(&rpc(
        url,
        "eth_getTransactionCount",
        json!([sender, "latest"]),
    ));
    assert!(
        final_nonce > nonce_at_restore + 20,
        "the sender's later transactions landed: nonce {nonce_at_restore} -> {final_nonce}"
    );
    let v = r.verification.as_ref().expect("verified");
    assert!(v.passed(), "{}", v.line());
}

/// A node that answers `null` to a block's receipts at first (not yet
/// indexed) must not make that block count as one without our
/// transactions: the receipts are asked for again, every transaction lands,
/// and the run's figures match the chain. Taking `null` for an empty block,
/// every transaction would be missed.
#[test]
fn null_receipts_are_retried_never_taken_for_an_empty_block() {
    let f = support::Fixture::anvil();
    let proxy = crate::proxy::FaultProxy::start(f.url(), crate::proxy::Fault::NullFirstReceipts);
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-evm-null-receipts"
[accounts]
count = 4
[load]
rate = 50
count = 150
drain_timeout = "15s"
[evm]
levels = ["included"]
"#,
    );
    let out = support::chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        f.out().to_str().unwrap(),
        "--url",
        &proxy.url,
        "--ws-url",
        f.node().ws_url(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    let r = result(&f.out());
    support::assert_consistent(&r);
    assert_eq!(r.outcomes.landed_ok, 150, "{:?}", r.outcomes);
    let nulls = *proxy.injected.lock().unwrap();
    assert!(nulls >= 3, "the proxy answered null {nulls} times");
    assert!(r.verification.as_ref().is_some_and(|v| v.passed()));
}

/// ERC-20 transfers: chainmeter deploys its token and mints to the senders;
/// every transfer lands, the senders' token balances fall by exactly what
/// landed, their ETH balances by exactly the fees, and the gas recorded is
/// the receipts' (an ERC-20 transfer to a new holder, not 21,000).
#[test]
fn token_transfers_move_exactly_what_landed() {
    let f = support::Fixture::anvil();
    let url = f.url();
    let r = f.run(
        r#"
name = "e2e-evm-token"
[accounts]
count = 8
seed = "e2e-token"
[workload]
kind = "token"
value = 3
[load]
rate = 50
count = 200
[evm]
levels = ["included"]
"#,
    );
    assert_eq!(r.outcomes.landed_ok, 200, "{:?}", r.outcomes);
    let v = r.verification.as_ref().unwrap();
    let tokens = v.check("tokens").expect("a token check");
    assert_eq!(tokens.chain, "600", "{}", v.line());

    // The chain's own view, read here independently of the run's verifier.
    let token = tokens.how.rsplit(' ').next().unwrap().to_owned();
    let (mut held, mut eth_spent) = (0u128, 0u128);
    for s in &r.senders {
        let data = format!("0x70a08231{:0>64}", s.address.trim_start_matches("0x"));
        held += quantity(&rpc(
            url,
            "eth_call",
            json!([{"to": token, "data": data}, "latest"]),
        ));
        let balance = quantity(&rpc(url, "eth_getBalance", json!([s.address, "latest"])));
        eth_spent += s.balance_before.parse::<u128>().unwrap() - balance;
    }
    let minted = 10u128.pow(30) * 8;
    assert_eq!(minted - held, 3 * 200, "senders' token balances");
    assert_eq!(
        eth_spent,
        r.fees.total.parse::<u128>().unwrap(),
        "fees = ETH spent"
    );
    let gas = &r.fees.compute_per_tx;
    println!("gas per ERC-20 transfer: p50 {}, max {}", gas.p50, gas.max);
    assert!(
        (30_000..80_000).contains(&gas.p50),
        "gas from receipts: {}",
        gas.p50
    );
}

/// Contention on the EVM: the same token workload with every transfer to one
/// holder (hot) and each to its own (disjoint), reported side by side. The
/// EVM executes in order either way, so both land everything; what differs
/// is storage: a transfer to a holder whose balance slot is already set
/// costs less gas than one that creates it (EIP-2929/2200), so hot must use
/// less gas per transaction.
#[test]
fn hot_and_disjoint_token_writes_are_reported_together() {
    let f = support::Fixture::anvil();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-evm-contention"
[accounts]
count = 8
[workload]
kind = "token"
writes = "both"
[load]
rate = 50
count = 100
[evm]
levels = ["included"]
"#,
    );
    let (hot, disjoint) = support::run_both_modes(&file, Some(f.url()), &f.out(), 100);
    let (h, d) = (
        hot.fees.compute_per_tx.p50,
        disjoint.fees.compute_per_tx.p50,
    );
    println!(
        "gas per transfer: hot {h}, disjoint {d} (ratio {:.2}); included p50 hot {} µs, disjoint {} µs",
        h as f64 / d as f64,
        hot.levels[0].latency_us.p50,
        disjoint.levels[0].latency_us.p50
    );
    assert!(h < d, "hot {h} gas, disjoint {d} gas");
}

/// The fee market on the EVM: tips from a list, reported per tip. Every
/// transaction's fee is the chain's (the run verifies the total to the wei),
/// the buckets add up to what landed, and a higher tip is charged more: at
/// least gas x tip, rising with the tip.
#[test]
fn fee_market_buckets_add_up_and_follow_the_tip() {
    let f = support::Fixture::anvil();
    let r = f.run(
        r#"
name = "e2e-evm-fee-market"
[accounts]
count = 8
[workload.bids]
list = [1000000000, 2000000000, 4000000000]
[load]
rate = 60
count = 300
[evm]
levels = ["included"]
"#,
    );
    support::assert_buckets_add_up(&r, 3);
    let b = &r.fee_buckets;
    for bucket in b {
        let min: u128 = bucket.fee_min.parse().unwrap();
        assert!(
            min >= 21_000 * u128::from(bucket.bid[0]),
            "charged {min} for a tip of {}",
            bucket.bid[0]
        );
        println!(
            "tip {} wei: {} of {} landed, fee mean {:.0} wei, included p50 {} µs",
            bucket.bid[0],
            bucket.landed,
            bucket.sent,
            bucket.fee_mean,
            bucket.levels[0].latency_us.p50
        );
    }
    assert!(b.windows(2).all(|w| w[0].fee_mean < w[1].fee_mean));
}

/// Each head's arrival at a WebSocket subscriber of the test's own, on the
/// wall clock (ns since the Unix epoch), by block number, until `stop`.
fn watch_heads(
    ws_url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ready: std::sync::mpsc::Sender<()>,
) -> std::collections::BTreeMap<u64, i128> {
    use std::sync::atomic::Ordering;
    use tungstenite::{stream::MaybeTlsStream, Message};
    let (mut ws, _) = tungstenite::connect(ws_url.as_str()).expect("a WebSocket to anvil");
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        s.set_nodelay(true).unwrap();
    }
    ws.send(Message::text(
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#,
    ))
    .unwrap();
    let mut arrivals = std::collections::BTreeMap::new();
    let mut ready = Some(ready);
    while !stop.load(Ordering::Relaxed) {
        let text = match ws.read() {
            Ok(Message::Text(t)) => t,
            Ok(_) => continue,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(e) => panic!("the test's subscriber lost anvil: {e}"),
        };
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i128;
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        if v["id"] == 1 {
            if let Some(r) = ready.take() {
                let _ = r.send(());
            }
        } else if let Some(number) = v["params"]["result"]["number"].as_str() {
            arrivals.insert(u64::from_str_radix(&number[2..], 16).unwrap(), at);
        }
    }
    arrivals
}

/// chainmeter stamps a transaction's inclusion at its block's `newHeads`
/// arrival: for every transaction of a 200 tx/s run, its included stamp
/// (from `--trace`) and the arrival of the head of the block it was stamped
/// with at a second, independent WebSocket subscriber of the test's own
/// differ by under 10 ms. A stamp that waited on the harness (a busy
/// thread, a batch) would show here.
#[test]
fn included_stamps_are_the_heads_arrival_at_an_independent_subscriber() {
    use std::sync::{atomic::AtomicBool, Arc};
    let f = support::Fixture::anvil();
    let ws_url = f.url().replacen("http://", "ws://", 1);
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let watcher = {
        let stop = stop.clone();
        std::thread::spawn(move || watch_heads(ws_url, stop, ready_tx))
    };
    ready
        .recv_timeout(Duration::from_secs(10))
        .expect("the test's subscription is confirmed");
    let file = f.scenario(
        "name = \"e2e-stamps\"\n[accounts]\ncount = 16\n[load]\nrate = 200\nduration = \"8s\"\nwarmup = \"1s\"\n[evm]\nlevels = [\"included\"]\n",
    );
    let out = support::chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--url",
        f.url(),
        "--out",
        f.out().to_str().unwrap(),
        "--trace",
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let arrivals = watcher.join().unwrap();

    let trace = std::fs::read_to_string(f.out().join("trace.jsonl")).unwrap();
    let mut head_at: std::collections::BTreeMap<i128, u64> = Default::default();
    let mut differences_us = Vec::new();
    for line in trace.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let at = v["at_ns"].as_i64().map(i128::from);
        if let (Some(number), Some(at)) = (v["head"].as_u64(), at) {
            head_at.insert(at, number);
        } else if v["level"] == "included" {
            let at = at.unwrap();
            let number = head_at[&at];
            let theirs = *arrivals
                .get(&number)
                .unwrap_or_else(|| panic!("block {number}'s head never reached the test"));
            differences_us.push(((at - theirs) / 1_000) as i64);
        }
    }
    let sent = trace.lines().filter(|l| l.contains("\"sent_ns\"")).count();
    assert_eq!(
        differences_us.len(),
        sent,
        "every transaction sent was stamped"
    );
    assert!(sent as u64 >= result(&f.out()).outcomes.sent);
    differences_us.sort_unstable();
    let n = differences_us.len();
    println!(
        "included stamp - the test's head arrival, µs: min {}, p50 {}, p99 {}, max {} ({n} transactions, {} blocks)",
        differences_us[0],
        differences_us[n / 2],
        differences_us[n * 99 / 100],
        differences_us[n - 1],
        arrivals.len()
    );
    assert!(
        differences_us[0] > -10_000 && differences_us[n - 1] < 10_000,
        "a stamp {} µs to {} µs off the head's arrival",
        differences_us[0],
        differences_us[n - 1]
    );
}
