//! Faults around a real validator: a stalled node, a node that refuses
//! sends for a while, a full disk. Each run must measure what happened,
//! lose nothing it could know, and leave no validator behind.

use crate::{
    proxy::{Fault, FaultProxy, WsFaultProxy},
    support::{self, pids_named, scenario, stderr},
};
use chainmeter_core::outcome::RejectClass;
use chainmeter_evm::spec::INCLUDED;
use chainmeter_result::run::RunResult;
use std::time::Duration;

/// 2,000 transfers at 100 tx/s against an anvil the test stops (SIGSTOP)
/// for 5 s in the middle, then lets go on (SIGCONT): everything lands, and
/// the latency shows the stall.
#[test]
fn a_stalled_validator_shows_in_latency_and_nothing_is_lost() {
    let f = support::Fixture::anvil();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-stall"
[accounts]
count = 16
[load]
rate = 100
count = 2000
drain_timeout = "30s"
[evm]
levels = ["included"]
"#,
    );
    let out_dir = f.out();
    let mut run = support::Running::start(&[
        "run",
        file.to_str().unwrap(),
        "--url",
        f.url(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    run.wait_for_line("sending", Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(6));
    let pid = f.node().pid() as i32;
    // SAFETY: signalling the anvil this test started.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    std::thread::sleep(Duration::from_secs(5));
    unsafe { libc::kill(pid, libc::SIGCONT) };
    let (code, log) = run.finish(Duration::from_secs(120));
    assert_eq!(code, Some(0), "{log}");
    let r = support::result(&out_dir);
    support::assert_consistent(&r);
    assert_eq!(r.outcomes.landed_ok, 2000, "{:?}", r.outcomes);
    assert!(r.verification.as_ref().is_some_and(|v| v.passed()));
    let inc = &r.level(INCLUDED).unwrap().latency_us;
    eprintln!(
        "included: p50 {} µs, p99 {} µs, max {} µs",
        inc.p50, inc.p99, inc.max
    );
    assert!(
        inc.max >= 5_000_000,
        "the 5 s stall is not in the latency: max {} µs",
        inc.max
    );
}

/// The node refuses every send for 2 s in the middle of a run (through a
/// proxy in front of a real solana-test-validator): those sends are
/// counted rejected by class, with the node's message, and the run goes on
/// and lands what came after.
#[test]
fn a_node_refusing_sends_for_a_while_is_counted_and_the_run_goes_on() {
    let f = support::Fixture::validator();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-refused"
[accounts]
count = 16
[load]
rate = 100
duration = "12s"
[solana]
levels = ["processed", "confirmed"]
"#,
    );
    // Its window counts from its start, just before the run's: after funding.
    let proxy = FaultProxy::start(
        f.url(),
        Fault::RefuseSends {
            from: Duration::from_secs(12),
            to: Duration::from_secs(14),
        },
    );
    let out_dir = f.out();
    let run = support::Running::start(&[
        "run",
        file.to_str().unwrap(),
        "--url",
        &proxy.url,
        "--ws-url",
        f.node().ws_url(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let (code, log) = run.finish(Duration::from_secs(240));
    let r = support::result(&out_dir);
    let refused = *proxy.injected.lock().unwrap();
    eprintln!("{:?}; the proxy refused {refused}", r.outcomes);
    assert_eq!(code, Some(0), "{log}");
    assert_refusals_counted(&r, refused, &log);
}

/// What a run whose sends a proxy refused for a while must show: each
/// refusal `rejected` as the node's, with the proxy's message, everything
/// else landed (before the window and after it), verified on the chain.
fn assert_refusals_counted(r: &chainmeter_result::run::RunResult, refused: u64, log: &str) {
    support::assert_consistent(r);
    assert!(refused > 0, "the window fell outside the run: {log}");
    assert_eq!(r.outcomes.rejected, refused, "{:?}", r.outcomes);
    assert_eq!(
        r.outcomes
            .rejected_by_class
            .get(&RejectClass::Node)
            .copied(),
        Some(refused),
        "{:?}",
        r.outcomes.rejected_by_class
    );
    assert!(
        r.outcomes
            .error_examples
            .values()
            .flatten()
            .any(|e| e.contains("proxy: node unavailable")),
        "{:?}",
        r.outcomes.error_examples
    );
    assert_eq!(
        r.outcomes.landed_ok + refused,
        r.outcomes.sent,
        "{:?}",
        r.outcomes
    );
    assert!(r.verification.as_ref().is_some_and(|v| v.passed()), "{log}");
}

/// The same on anvil: the EVM submitter sends over a WebSocket, so the
/// proxy sits on that WebSocket and refuses `eth_sendRawTransaction` for
/// two seconds, passing everything else (heads included) on. Each refused
/// send is `rejected` as the node's, its sender's nonce is read again, and
/// everything else lands: the chain's nonces say so.
#[test]
fn an_evm_node_refusing_sends_for_a_while_is_counted_and_the_run_goes_on() {
    let f = support::Fixture::anvil();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-evm-refused"
[accounts]
count = 16
[load]
rate = 100
duration = "12s"
[evm]
levels = ["included"]
block_time = "1s"
"#,
    );
    // Funding takes a few blocks: the window falls in the measured window.
    let proxy = WsFaultProxy::start(
        f.node().ws_url(),
        Duration::from_secs(7),
        Duration::from_secs(9),
    );
    let (r, refused, log) = run_through(&proxy, f.url(), &file, f.path());
    assert_refusals_counted(&r, refused, &log);
    // Refusals had their senders' nonces read again: one read per sender
    // at a time, so refusals of a sender that come while its read is under
    // way are covered by that read (184 reads for 200 refusals, once, on a
    // loaded machine). The chain's nonces above say nothing was lost.
    let resyncs = r.submitter.get("nonce_resyncs").copied().unwrap_or(0);
    assert!(
        (1..=refused).contains(&resyncs),
        "{resyncs} reads for {refused} refusals"
    );
}

/// The result directory on a full disk (its temporary result file is
/// /dev/full): a clear error naming the file, exit code 1, no result.json
/// passed off as whole, and the validator chainmeter started is stopped.
#[test]
fn a_full_disk_is_a_clear_error_and_leaves_no_half_result() {
    let f = support::Fixture::bare();
    let anvils_before = pids_named("anvil").len();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-full-disk"
[load]
rate = 50
count = 50
[evm]
levels = ["included"]
"#,
    );
    let out_dir = f.out();
    std::fs::create_dir_all(&out_dir).unwrap();
    std::os::unix::fs::symlink("/dev/full", out_dir.join(".result.json.tmp")).unwrap();
    let out = support::chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(".result.json.tmp"), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        !out_dir.join("result.json").exists(),
        "a result.json was written"
    );
    assert_eq!(
        pids_named("anvil").len(),
        anvils_before,
        "anvil is still running"
    );
}

/// Ctrl-C twice: the second exits at once, with 130, and the validator the
/// run started is gone.
#[test]
fn a_second_ctrl_c_exits_at_once_and_the_validator_is_stopped() {
    let f = support::Fixture::bare();
    let anvils_before = pids_named("anvil").len();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-ctrl-c-twice"
[load]
rate = 100
duration = "60s"
[evm]
block_time = "1s"
"#,
    );
    let out_dir = f.out();
    let mut run = support::Running::start(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    run.wait_for_line("sending", Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(2));
    let pid = run.pid() as i32;
    let sent = std::time::Instant::now();
    // SAFETY: signalling the chainmeter this test started.
    unsafe { libc::kill(pid, libc::SIGINT) };
    std::thread::sleep(Duration::from_millis(50));
    unsafe { libc::kill(pid, libc::SIGINT) };
    let (code, log) = run.finish(Duration::from_secs(10));
    eprintln!("exited {code:?} after {:?}", sent.elapsed());
    assert_eq!(code, Some(130), "{log}");
    assert!(sent.elapsed() < Duration::from_secs(5), "{log}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        pids_named("anvil").len(),
        anvils_before,
        "anvil is still running"
    );
}

/// One sender at 400 tx/s through a proxy that refuses every 40th message
/// of sends: each refusal leaves a hole with the sender's later
/// transactions already queued behind it. The hole is filled and the queued
/// nonces are never signed again, so the node refuses nothing more than
/// the proxy did (rewinding to the node's pending count reused queued
/// nonces: "replacement transaction underpriced"), and everything else
/// lands, verified against the chain's nonces and balances.
#[test]
fn a_refused_send_among_queued_ones_is_refilled_without_reusing_their_nonces() {
    let f = support::Fixture::anvil();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-evm-holes"
[accounts]
count = 1
[load]
rate = 400
count = 2400
drain_timeout = "30s"
[evm]
levels = ["included"]
"#,
    );
    // Refusals only from 1 s to 3 s after the first send, well before the
    // sender's last signature (6 s after it): a hole left after that has
    // nothing to fill it (see the README). A count of refused messages
    // bounded them before, and with sends going out several to a message the
    // last refusal could fall among the last sends (CI: 41 refused, 40 holes
    // refilled, 2 unknown).
    let proxy = WsFaultProxy::every(
        f.node().ws_url(),
        40,
        Duration::from_secs(1),
        Duration::from_secs(3),
    );
    let (r, refused, log) = run_through(&proxy, f.url(), &file, f.path());
    assert!(refused > 0);
    assert_eq!(
        r.outcomes.rejected, refused,
        "only the proxy's refusals: {:?}",
        r.outcomes
    );
    assert_eq!(r.outcomes.landed_ok, r.outcomes.sent - refused);
    assert_eq!(r.outcomes.unknown, 0);
    assert_eq!(r.submitter.get("nonce_holes_refilled"), Some(&refused));
    assert!(r.verification.as_ref().is_some_and(|v| v.passed()), "{log}");
}

/// Runs `file` against anvil at `rpc_url`, its sends through `proxy`: the
/// result, the proxy's refusals and chainmeter's log, the run a success.
fn run_through(
    proxy: &WsFaultProxy,
    rpc_url: &str,
    file: &std::path::Path,
    dir: &std::path::Path,
) -> (RunResult, u64, String) {
    let out_dir = dir.join("out");
    let out = support::chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--url",
        rpc_url,
        "--ws-url",
        &proxy.url,
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    let log = stderr(&out);
    let r = support::result(&out_dir);
    let refused = *proxy.injected.lock().unwrap();
    eprintln!(
        "{:?}; the proxy refused {refused}; submitter {:?}",
        r.outcomes, r.submitter
    );
    assert!(out.status.success(), "{log}");
    (r, refused, log)
}
