//! Solana runs against a real solana-test-validator.

use crate::support::{self, rpc, scenario};
use chainmeter_localnet::{
    locate, start_solana_test_validator, SolanaOptions, SOLANA_TEST_VALIDATOR,
};
use chainmeter_solana::spec::{CONFIRMED, FINALIZED, PROCESSED};
use serde_json::json;

const VALIDATOR: &str = "solana-test-validator";
/// SPL Memo v3, which solana-test-validator holds at genesis.
const MEMO: &str = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr";

/// A validator the test owns, so that the chain can be questioned after a
/// run attached to it.
pub(crate) fn own_validator_with(
    dir: &std::path::Path,
    options: &SolanaOptions,
) -> chainmeter_localnet::Node {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let binary =
        locate(&SOLANA_TEST_VALIDATOR).expect("scripts/install-solana-test-validator.sh has run");
    rt.block_on(start_solana_test_validator(&binary, options, dir))
        .expect("solana-test-validator starts")
}

/// 200 transfers at a constant rate against a validator the test owns, so that
/// the chain can be questioned after the run: every transaction lands and
/// reaches every level in order, the payers' balance decrease equals the
/// lamports sent plus the fee total to the lamport, and finalized trails
/// confirmed by about 32 slots.
#[test]
fn transfers_land_and_fees_match_the_chain() {
    let f = support::Fixture::validator();
    let url = f.url();
    let r = f.run(
        r#"
name = "e2e-solana-fees"
[accounts]
count = 8
seed = "e2e-fees"
[load]
rate = 50
count = 200
drain_timeout = "60s"
[solana]
"#,
    );
    assert_eq!(r.outcomes.sent, 200);
    assert_eq!(r.outcomes.landed_ok, 200, "outcomes: {:?}", r.outcomes);
    let levels: Vec<_> = [PROCESSED, CONFIRMED, FINALIZED]
        .iter()
        .map(|&l| {
            r.level(l)
                .unwrap_or_else(|| panic!("{l} recorded"))
                .latency_us
                .clone()
        })
        .collect();
    for (l, h) in levels.iter().enumerate() {
        assert_eq!(h.count, 200, "level {l} samples");
    }
    for pair in levels.windows(2) {
        assert!(
            pair[0].min <= pair[1].min && pair[0].p50 <= pair[1].p50 && pair[0].max <= pair[1].max,
            "levels in order"
        );
    }
    // Slots beside milliseconds: a transfer lands a slot or a few after the
    // one frozen when it was sent, and each level takes at least as many.
    let deltas: Vec<_> = [PROCESSED, CONFIRMED, FINALIZED]
        .iter()
        .map(|&l| {
            r.level(l)
                .and_then(|l| l.block_delta.clone())
                .unwrap_or_else(|| panic!("{l}: slot deltas recorded"))
        })
        .collect();
    println!(
        "slot deltas: processed p50 {} p99 {} max {}; finalized p50 {}",
        deltas[0].p50, deltas[0].p99, deltas[0].max, deltas[2].p50
    );
    assert!(deltas.iter().all(|d| d.count == 200), "{deltas:?}");
    assert!(
        deltas[0].min >= 1 && deltas[0].p99 <= 8,
        "processed slot deltas {:?}",
        deltas[0]
    );
    assert!(deltas[0].p50 <= deltas[1].p50 && deltas[1].p50 < deltas[2].p50);
    let summary = std::fs::read_to_string(f.out().join("summary.md")).unwrap();
    assert!(summary.contains("**In slots:** processed p50"), "{summary}");
    let gap_us = levels[2].p50 - levels[1].p50;
    let slot_us = r.chain_view.block_interval_us.p50;
    println!(
        "confirmed p50 {} µs, finalized p50 {} µs, gap {} µs = {:.1} slots of {} µs",
        levels[1].p50,
        levels[2].p50,
        gap_us,
        gap_us as f64 / slot_us as f64,
        slot_us
    );
    assert!(
        (300_000..=700_000).contains(&slot_us),
        "slot time {slot_us} µs"
    );
    let slots = gap_us as f64 / slot_us as f64;
    assert!(
        (20.0..=45.0).contains(&slots),
        "finalized trails confirmed by {slots:.1} slots, not about 32"
    );

    // The chain's own balances.
    let value: u128 = r.load.value_per_tx.parse().unwrap();
    let mut decrease = 0u128;
    for s in &r.senders {
        let now = rpc(
            url,
            "getBalance",
            json!([s.address, {"commitment": "confirmed"}]),
        )["value"]
            .as_u64()
            .unwrap();
        decrease += s.balance_before.parse::<u128>().unwrap() - u128::from(now);
    }
    let fee_total: u128 = r.fees.total.parse().unwrap();
    assert_eq!(
        decrease,
        value * u128::from(r.outcomes.landed()) + fee_total,
        "balance decrease = value + fees"
    );
    // A single-signature transfer costs exactly 5,000 lamports: the fee total
    // pins the landed count to what the chain charged.
    assert_eq!((r.fees.min.as_str(), r.fees.max.as_str()), ("5000", "5000"));
    assert_eq!(fee_total, 5_000 * u128::from(r.outcomes.landed()));
    // What ran, as the node says: getVersion read by name and version.
    let client = r
        .environment
        .node
        .client
        .as_ref()
        .expect("the node's client");
    assert_eq!(
        (client.name.as_str(), client.version.as_str()),
        ("solana-core", "4.2.2"),
        "{client:?}"
    );
    assert!(client.detail.starts_with("feature set "), "{client:?}");
    // The chain's parameters, as the node reports them.
    match r.environment.node.parameters.as_ref().expect("parameters") {
        chainmeter_result::run::ChainParameters::Solana {
            slot_ms,
            slots_per_epoch,
            fee_per_signature,
            block_compute_limit,
        } => {
            // solana-test-validator activates every feature gate at genesis,
            // SIMD-0286's 100M included.
            assert_eq!(*block_compute_limit, Some(100_000_000));
            let schedule = rpc(url, "getEpochSchedule", json!([]));
            assert_eq!(Some(*slots_per_epoch), schedule["slotsPerEpoch"].as_u64());
            assert_eq!(*fee_per_signature, 5_000);
            if let Some(ms) = slot_ms {
                assert!((300.0..=700.0).contains(ms), "slot time {ms} ms");
            }
        }
        other => panic!("{other:?}"),
    }
}

/// Killing the validator in the middle of a run: a clear error, a result with
/// the open transactions as `unknown`, a non-zero exit.
#[test]
fn killing_the_validator_mid_run_still_writes_the_result() {
    support::kill_validator_mid_run(
        r#"
name = "e2e-solana-kill"
[load]
rate = 100
duration = "120s"
[solana]
"#,
        VALIDATOR,
    );
}

/// Where slot notifications are not used, levels come from batched
/// `getSignatureStatuses` polls: every transaction still lands and reaches
/// every level in order, and the result says how it was timed.
#[test]
fn polled_levels_when_slot_events_are_not_used() {
    let f = support::Fixture::bare();
    let file = scenario(
        f.path(),
        "s.toml",
        "name = \"e2e-solana-poll\"\n[load]\nrate = 50\ncount = 100\n[solana]\ntracking = \"poll\"\n",
    );
    let out_dir = f.out();
    let r = support::run_ok(&file, None, &out_dir);
    assert_eq!(r.outcomes.landed_ok, 100, "{:?}", r.outcomes);
    assert!(
        r.tracking.method.starts_with("getSignatureStatuses polled"),
        "{}",
        r.tracking.method
    );
    // The resolution is the interval the poll loop achieved, not the one asked.
    let achieved = r
        .tracking
        .achieved_interval_us
        .as_ref()
        .expect("the achieved poll interval is recorded");
    println!(
        "poll interval achieved: p50 {} µs, p99 {} µs",
        achieved.p50, achieved.p99
    );
    assert!(
        achieved.count > 10 && achieved.p50 >= 25_000,
        "{achieved:?}"
    );
    assert_eq!(r.tracking.resolution_us, achieved.p99);
    let levels: Vec<_> = [PROCESSED, CONFIRMED, FINALIZED]
        .iter()
        .map(|&l| r.level(l).unwrap().latency_us.clone())
        .collect();
    for pair in levels.windows(2) {
        assert_eq!(pair[1].count, 100);
        assert!(
            pair[0].p50 <= pair[1].p50 && pair[0].max <= pair[1].max,
            "levels in order"
        );
    }
    assert_eq!(r.fees.total, "500000", "100 transfers at 5000 lamports");
}

/// `send = "tpu"`: 3,000 transfers at 1,000 tx/s over QUIC straight to the
/// TPU of a validator chainmeter starts. The TPU admits an unstaked
/// connection 200 tx/s, so every one landing (verified against the chain,
/// fees to the lamport) shows the connection carried the validator's stake.
#[test]
fn transfers_sent_to_the_tpu_over_quic_all_land() {
    let r = support::run_text(
        "name = \"e2e-solana-tpu\"\n[accounts]\ncount = 64\n[load]\nrate = 1000\ncount = 3000\n\
         [solana]\nlevels = [\"processed\", \"confirmed\"]\nsend = \"tpu\"\n",
    );
    assert_eq!(r.outcomes.landed_ok, 3000, "{:?}", r.outcomes);
    assert!(
        r.sending.starts_with("QUIC to the leaders' TPU ports") && r.sending.contains("staked as"),
        "{}",
        r.sending
    );
    assert_eq!(r.scenario["solana"]["send"], "tpu");
    assert_eq!(r.fees.total, (5_000u64 * 3000).to_string());
    let confirmed = &r.level(CONFIRMED).unwrap().latency_us;
    println!(
        "TPU: 3000 landed, confirmed p50 {} µs p99 {} µs; harness {:.1} µs/tx",
        confirmed.p50, confirmed.p99, r.harness.sending_cpu_us_per_tx
    );
}

/// SPL Token transfers: chainmeter creates a mint and every payer's token
/// accounts before the clock starts; every transfer lands, the payers'
/// source token accounts fall by exactly what landed, and their lamports by
/// exactly the fees (the funder, not the payers, paid for the setup).
#[test]
fn token_transfers_move_exactly_what_landed() {
    let f = support::Fixture::validator();
    let url = f.url();
    let r = f.run(
        r#"
name = "e2e-solana-token"
[accounts]
count = 8
seed = "e2e-token"
[workload]
kind = "token"
value = 3
[load]
rate = 50
count = 200
[solana]
levels = ["processed", "confirmed"]
"#,
    );
    assert_eq!(r.outcomes.landed_ok, 200, "{:?}", r.outcomes);
    let v = r.verification.as_ref().unwrap();
    assert_eq!(v.check("tokens").expect("a token check").chain, "600");
    let mut decrease = 0u128;
    for s in &r.senders {
        let now = rpc(
            url,
            "getBalance",
            json!([s.address, {"commitment": "confirmed"}]),
        )["value"]
            .as_u64()
            .unwrap();
        decrease += s.balance_before.parse::<u128>().unwrap() - u128::from(now);
    }
    assert_eq!(
        decrease,
        r.fees.total.parse::<u128>().unwrap(),
        "lamports spent = fees"
    );
    let cu = &r.fees.compute_per_tx;
    println!(
        "compute units per SPL transfer: p50 {}, max {}",
        cu.p50, cu.max
    );
    assert!(cu.p50 > 150, "compute units from the chain: {}", cu.p50);
}

/// Contention on Solana: SOL transfers all to one receiver (hot: one
/// writable account in every transaction, which the bank must serialise)
/// and each to its own (disjoint), reported side by side. At this rate one
/// validator absorbs both fully; the test pins what must hold at any rate
/// (everything lands, figures verified, the same fee per transaction) and
/// prints the sizes. The throughput gap appears near the knee, which is
/// a benchmark, not a test.
#[test]
fn hot_and_disjoint_writes_are_reported_together() {
    let f = support::Fixture::bare();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-solana-contention"
[accounts]
count = 8
[workload]
writes = "both"
[load]
rate = 100
count = 200
[solana]
levels = ["processed", "confirmed"]
"#,
    );
    let (hot, disjoint) = support::run_both_modes(&file, None, &f.out(), 200);
    // Without a priority price, contention costs no fee: 5,000 lamports a
    // signature either way.
    for r in [&hot, &disjoint] {
        assert_eq!((r.fees.min.as_str(), r.fees.max.as_str()), ("5000", "5000"));
    }
    let conf = |r: &chainmeter_result::run::RunResult| r.level(CONFIRMED).unwrap().latency_us.p50;
    println!(
        "landed TPS hot {:.1?}, disjoint {:.1?}; confirmed p50 hot {} µs, disjoint {} µs",
        hot.throughput.landed_mean_per_s,
        disjoint.throughput.landed_mean_per_s,
        conf(&hot),
        conf(&disjoint)
    );
}

/// The fee market on Solana: compute-unit prices from a list, with a limit
/// of 1,000 units, reported per price. Every landed transaction was charged
/// exactly 5,000 lamports plus price x limit (rounded up), and the buckets
/// add up to what landed.
#[test]
fn fee_market_buckets_are_charged_exactly_their_price() {
    let f = support::Fixture::bare();
    let r = f.run(
        r#"
name = "e2e-solana-fee-market"
[accounts]
count = 8
[workload.bids]
list = [0, 1000, 1000000]
[load]
rate = 60
count = 300
[solana]
levels = ["processed", "confirmed"]
compute_unit_limit = 1000
"#,
    );
    support::assert_buckets_add_up(&r, 3);
    let b = &r.fee_buckets;
    for bucket in b {
        let price = u128::from(bucket.bid[0]);
        let expected = 5_000 + (price * 1_000).div_ceil(1_000_000);
        println!(
            "price {price} µlamports/CU: {} of {} landed, fee {}, confirmed p50 {} µs",
            bucket.landed, bucket.sent, bucket.fee_min, bucket.levels[1].latency_us.p50
        );
        assert_eq!(bucket.fee_min, expected.to_string());
        assert_eq!(bucket.fee_max, expected.to_string());
    }
}

/// `memo`: the SPL Memo program the validator holds at genesis, a program
/// chainmeter has no code of its own for. 100 memos of 512 bytes all land
/// and verify (a signature's 5,000 lamports each, to the lamport), each
/// costs the program a few hundred compute units a byte, within the limit
/// the workload asks; a memo larger than a transaction holds is a located
/// error before any validator starts.
#[test]
fn memos_of_a_given_size_land_through_the_memo_program() {
    let f = support::Fixture::validator();
    let r = f.run(
        r#"
name = "e2e-solana-memo"
[accounts]
count = 4
[workload]
kind = "memo"
[workload.memo]
bytes = 512
[load]
rate = 50
count = 100
drain_timeout = "60s"
[solana]
levels = ["processed", "confirmed"]
"#,
    );
    assert_eq!(r.outcomes.landed_ok, 100, "{:?}", r.outcomes);
    let v = r.verification.as_ref().expect("verified");
    assert!(v.passed(), "{}", v.line());
    assert_eq!(r.fees.total, "500000", "100 memos at 5,000 lamports");
    let units = &r.fees.compute_per_tx;
    println!("memo of 512 bytes: {} compute units (p50)", units.p50);
    assert!(
        (100_000..=3_000 + 400 * 512).contains(&units.p50),
        "{units:?}"
    );
    assert!(
        r.workload.description.contains("512-byte payload"),
        "{}",
        r.workload.description
    );
    // The result's transaction size is the landed transactions' on the
    // chain, and a smaller memo is smaller by its payload.
    let wire_len = |memo_bytes: usize| {
        let sizes: std::collections::BTreeSet<u64> =
            crate::solana_programs::transactions_naming(f.url(), MEMO)
                .iter()
                .map(|tx| tx.wire.len() as u64)
                .collect();
        println!("memo of {memo_bytes} bytes: transactions of {sizes:?} bytes on the chain");
        sizes
    };
    let at_512 = wire_len(512);
    assert_eq!(at_512.len(), 1, "one size: {at_512:?}");
    let size_512 = *at_512.first().unwrap();
    assert_eq!(r.workload.tx_bytes, Some(size_512));
    let small = f.run(
        r#"
name = "e2e-solana-memo-small"
[accounts]
count = 4
[workload]
kind = "memo"
[workload.memo]
bytes = 64
[load]
rate = 50
count = 100
drain_timeout = "60s"
[solana]
levels = ["processed", "confirmed"]
"#,
    );
    assert_eq!(small.outcomes.landed_ok, 100, "{:?}", small.outcomes);
    let both: Vec<u64> = wire_len(64).into_iter().collect();
    // 448 bytes of payload less, and one byte of its length (a compact-u16
    // takes two bytes from 128 up).
    assert_eq!(both, [size_512 - 449, size_512], "both sizes on the chain");
    assert_eq!(small.workload.tx_bytes, Some(both[0]));

    let too_big = scenario(
        f.path(),
        "big.toml",
        "name = \"m\"\n[workload]\nkind = \"memo\"\n[workload.memo]\nbytes = 2000\n[load]\nrate = 1\ncount = 1\n[solana]\n",
    );
    let out = support::chainmeter(&["run", too_big.to_str().unwrap(), "-q"]);
    let err = support::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("big.toml:5:9") && err.contains("2000 bytes"),
        "{err}"
    );
}

/// A search past what solana-test-validator executes: 512-byte memos
/// (about 181,000 compute units each; this validator executes some 590 a
/// second) offered at 500, 1,000 and 2,000 tx/s, then between. The probe
/// past it leaves a backlog (on this machine it lands, seconds late; a
/// longer overload has the chain drop part of it); the search goes on once
/// the backlog has drained, and by the end of the drain every transaction
/// is accounted for: landed, or proved expired, none unknown, each booked
/// to its probe.
#[test]
fn a_solana_search_past_the_chain_accounts_for_every_transaction() {
    let r = support::run_text(
        r#"
name = "e2e-solana-search"
[accounts]
count = 64
[workload]
kind = "memo"
[workload.memo]
bytes = 512
[load]
profile = "saturate"
[load.saturate]
from = 500
to = 2000
factor = 2
resolution = 0.1
probe = "5s"
probe_warmup = "1s"
max_probes = 4
[load.objective]
landed = 0.99
level = "processed"
percentile = 99
latency = "3s"
[solana]
levels = ["processed"]
"#,
    );
    let o = &r.outcomes;
    for s in &r.steps {
        println!(
            "{}: sent {} landed {} expired {}, {}",
            s.label,
            s.sent,
            s.landed,
            s.outcomes.expired,
            s.verdict.as_ref().map_or("unjudged", |v| v.reason.as_str())
        );
        assert!(s.verdict.is_some(), "{} judged", s.label);
    }
    let knee = r.knee.as_ref().map(|k| k.search_s);
    println!("{o:?}; search {knee:?} s");
    assert_eq!(r.steps.len(), 4, "up, up, broke, between");
    assert_eq!(o.unknown, 0, "every transaction accounted for: {o:?}");
    assert_eq!(
        o.sent,
        o.landed_ok + o.landed_failed + o.rejected + o.expired,
        "{o:?}"
    );
    // Each probe's transactions, warm-up and window, are booked to it alone.
    let expired: u64 = r.steps.iter().map(|s| s.outcomes.expired).sum();
    assert!(expired <= o.expired, "{expired} of {o:?}");
}
