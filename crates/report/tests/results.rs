//! Report logic over real result files (tests/fixtures: two anvil runs of
//! scenarios/evm-poisson.toml with --count 300).

use chainmeter_result::run::RunResult;
mod common;

use chainmeter_report::{compare, markdown, merge::merge};
use common::fixture;

/// `r` as another generator's result: the same figures from other senders.
fn from_other_senders(mut r: RunResult, tag: &str) -> RunResult {
    for s in &mut r.senders {
        s.address.push_str(tag);
    }
    r
}

#[test]
fn merge_adds_counts_and_histograms() {
    let (a, b) = (fixture("evm-a.json"), fixture("evm-b.json"));
    let m = merge(&[("a".into(), a.clone()), ("b".into(), b.clone())]).unwrap();
    assert_eq!(m.outcomes.sent, a.outcomes.sent + b.outcomes.sent);
    assert!(m.outcomes.is_consistent());
    for ((lm, la), lb) in m.levels.iter().zip(&a.levels).zip(&b.levels) {
        let (hm, ha, hb) = (&lm.latency_us, &la.latency_us, &lb.latency_us);
        assert_eq!(hm.count, ha.count + hb.count);
        assert_eq!(hm.max, ha.max.max(hb.max));
        assert_eq!(hm.min, ha.min.min(hb.min));
        for (pm, pa, pb) in [
            (hm.p50, ha.p50, hb.p50),
            (hm.p99, ha.p99, hb.p99),
            (hm.p90, ha.p90, hb.p90),
        ] {
            assert!(
                pa.min(pb) <= pm && pm <= pa.max(pb),
                "merged percentile {pm} outside {pa}..{pb}"
            );
        }
        assert_eq!(hm.decode().unwrap().len(), hm.count);
    }
    let total = |r: &RunResult| r.fees.total.parse::<u128>().unwrap();
    assert_eq!(total(&m), total(&a) + total(&b));
    let landed = |r: &RunResult| r.throughput.timeline.iter().map(|s| s.landed).sum::<u64>();
    assert_eq!(landed(&m), landed(&a) + landed(&b));
    assert_eq!(m.senders.len(), a.senders.len() + b.senders.len());
}

#[test]
fn merge_refuses_different_scenarios_and_single_inputs() {
    let a = fixture("evm-a.json");
    let mut b = fixture("evm-b.json");
    b.scenario["load"]["rate"] = serde_json::json!(999);
    let e = merge(&[("a.json".into(), a.clone()), ("b.json".into(), b)])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("a.json and b.json cannot be merged: they ran different scenarios"),
        "{e}"
    );
    assert!(merge(&[("a".into(), a)]).is_err());
}

#[test]
fn compare_refuses_mismatched_workloads() {
    let a = fixture("evm-a.json");
    let mut b = fixture("evm-b.json");
    compare::check_same_workload(&[a.clone(), b.clone()]).unwrap();
    b.scenario["load"]["rate"] = serde_json::json!(999);
    let e = compare::check_same_workload(&[a, b])
        .unwrap_err()
        .to_string();
    assert!(e.contains("rate: 100") && e.contains("999"), "{e}");
}

#[test]
fn candidate_regressions_are_listed() {
    let a = fixture("evm-a.json");
    let mut b = fixture("evm-b.json");
    b.throughput.landed_mean_per_s = a.throughput.landed_mean_per_s.map(|t| t * 0.5);
    let deltas = compare::deltas(&a, &b);
    let t = [
        compare::Threshold::parse("tps<-5%").unwrap(),
        compare::Threshold::parse("included.p99>+50%").unwrap(),
    ];
    let r = compare::regressions(&deltas, &t).unwrap();
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].starts_with("tps:"), "{r:?}");
    let (smaller, bigger) = compare::benchmark_entries(&b);
    assert!(bigger.iter().any(|e| e.name == "evm tps"));
    assert!(smaller
        .iter()
        .any(|e| e.name == "evm included.p99" && e.unit == "ms"));
}

#[test]
fn markdown_summary_has_every_section() {
    let md = markdown::run_summary(&fixture("evm-a.json"));
    for needle in [
        "| included |",
        "**Throughput:**",
        "**Outcomes:** 300 sent",
        "**Fees**",
        "**Chain** (the measured window's blocks)",
        "**Harness:**",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
}

#[test]
fn an_empty_or_aborted_candidate_fails_the_gate() {
    use chainmeter_result::run::RunStatus;
    let a = fixture("evm-a.json");
    assert!(compare::unfit_candidate(&a, &fixture("evm-b.json")).is_empty());

    let mut aborted = fixture("evm-b.json");
    aborted.status = RunStatus::Aborted {
        reason: "the node stopped".into(),
        kind: chainmeter_result::run::StopKind::NodeGone,
    };
    let why = compare::unfit_candidate(&a, &aborted);
    assert!(
        why.iter().any(|w| w.contains("aborted: the node stopped")),
        "{why:?}"
    );

    // An empty level summarises as 0 ms: a -100% "improvement" without this.
    let mut empty = fixture("evm-b.json");
    let level = empty.levels[0].level;
    empty.levels[0].latency_us = chainmeter_result::histogram::StoredHistogram::from_histogram(
        &chainmeter_result::histogram::new_histogram(),
    );
    let deltas = compare::deltas(&a, &empty);
    let rule = compare::Threshold::parse(&format!("{level}.p99>+10%")).unwrap();
    assert!(compare::regressions(&deltas, &[rule]).unwrap().is_empty());
    let why = compare::unfit_candidate(&a, &empty);
    assert!(
        why.iter()
            .any(|w| w.contains(&format!("no samples at {level}"))),
        "{why:?}"
    );

    let mut few = fixture("evm-b.json");
    let mut h = chainmeter_result::histogram::new_histogram();
    for v in 0..10u64 {
        h.record(1_000 + v).unwrap();
    }
    few.levels[0].latency_us = chainmeter_result::histogram::StoredHistogram::from_histogram(&h);
    let why = compare::unfit_candidate(&a, &few);
    assert!(why.iter().any(|w| w.contains("has 10 samples")), "{why:?}");
}

#[test]
fn merged_timelines_align_to_the_millisecond_and_the_peak_stays_in_the_window() {
    let a = fixture("evm-a.json");
    let mut b = fixture("evm-b.json");
    // b started 1.5 s after a.
    let start = time::OffsetDateTime::parse(
        &a.started_at,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    b.started_at = (start + time::Duration::milliseconds(1_500))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let m = merge(&[("a".into(), a.clone()), ("b".into(), b.clone())]).unwrap();
    let offered = |r: &RunResult| r.throughput.timeline.iter().map(|s| s.offered).sum::<u64>();
    assert_eq!(offered(&m), offered(&a) + offered(&b));
    // b's first second straddles merged seconds 1 and 2, half in each.
    let b0 = b.throughput.timeline[0].offered;
    let a1 = a.throughput.timeline.get(1).map_or(0, |s| s.offered);
    assert_eq!(m.throughput.timeline[1].offered, a1 + (b0 - b0.div_ceil(2)));
    // The peak is a whole second of the merged window, never of the drain.
    let (from, to) = (m.load.warmup_s, m.load.warmup_s + m.load.window_s);
    let peak_seconds: Vec<_> = m
        .throughput
        .timeline
        .iter()
        .filter(|s| Some(s.landed as f64) == m.throughput.landed_peak_1s)
        .map(|s| s.t_s as f64)
        .collect();
    assert!(
        peak_seconds.iter().any(|&t| t >= from && t + 1.0 <= to),
        "peak {:?} at {peak_seconds:?} outside {from}..{to}",
        m.throughput.landed_peak_1s
    );
}

#[test]
fn the_fee_market_is_tabled_and_charted_without_empty_buckets() {
    use chainmeter_result::run::{BucketLatency, FeeBucket};
    let mut r = fixture("evm-a.json");
    // The fixture records one level: a bucket holds it once.
    let level = BucketLatency {
        level: r.levels[0].level,
        latency_us: r.levels[0].latency_us.clone(),
    };
    let bucket = |bid: u64, landed: u64| FeeBucket {
        bid: [bid, bid],
        sent: 100,
        landed,
        fee_min: (21_000 * bid).to_string(),
        fee_max: (21_000 * bid).to_string(),
        fee_mean: (21_000 * bid) as f64,
        levels: vec![level.clone()],
        dry_senders: 0,
    };
    r.fee_buckets = vec![bucket(1, 0), bucket(2, 100), bucket(4, 100)];
    let md = markdown::run_summary(&r);
    assert!(!md.contains("ran out of funds"), "{md}");
    r.fee_buckets[2].landed = 87;
    r.fee_buckets[2].dry_senders = 2;
    r.verification = Some(chainmeter_result::run::Verification {
        method: "test".into(),
        checks: Vec::new(),
        error: None,
        dry_senders: vec![7, 11],
        unverified: Vec::new(),
    });
    let md = markdown::run_summary(&r);
    assert!(
        md.contains("| 87 (87.0%), 2 of its senders ran out of funds |"),
        "{md}"
    );
    assert!(
        md.contains("senders ran out of funds: what they sent last"),
        "{md}"
    );
    assert!(md.contains("not the chain's or the fee market's"), "{md}");
    r.fee_buckets[2].landed = 100;
    r.fee_buckets[2].dry_senders = 0;
    r.verification = None;
    let md = markdown::run_summary(&r);
    assert!(
        md.contains("**Fee market** (bid = tip in wei per gas"),
        "{md}"
    );
    assert!(md.contains("| 1 | 100 | 0 (0.0%) | none landed |"), "{md}");
    let page = chainmeter_report::html::run_page(&r, &[]);
    assert!(page.contains("<h2>Fee market</h2>"));
    // Two buckets landed: two positions, each reading both percentiles of
    // the one level on hover; p50 dotted, p99 dashed.
    let chart = &page[page.find("<h2>Fee market</h2>").unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert_eq!(chart.matches("<circle").count(), 2, "{chart}");
    assert_eq!(chart.matches("<title>").count(), 2, "{chart}");
    assert!(
        chart.contains(" p50: ") && chart.contains(" p99: "),
        "{chart}"
    );
}

#[test]
fn merge_adds_fee_buckets_and_warmup_fees() {
    use chainmeter_result::run::{BucketLatency, FeeBucket, WarmupFees};
    let with = |name: &str, landed: u64, fee: u64| {
        let mut r = fixture(name);
        r.fee_buckets = vec![FeeBucket {
            bid: [1, 1],
            sent: 10,
            landed,
            fee_min: fee.to_string(),
            fee_max: fee.to_string(),
            fee_mean: fee as f64,
            levels: vec![BucketLatency {
                level: r.levels[0].level,
                latency_us: r.levels[0].latency_us.clone(),
            }],
            dry_senders: 0,
        }];
        r.fees.warmup = Some(WarmupFees {
            landed: 2,
            total: "7".into(),
        });
        r
    };
    let (a, b) = (with("evm-a.json", 10, 100), with("evm-b.json", 5, 400));
    let m = merge(&[("a".into(), a.clone()), ("b".into(), b.clone())]).unwrap();
    let bucket = &m.fee_buckets[0];
    assert_eq!((bucket.sent, bucket.landed), (20, 15));
    assert_eq!(
        (bucket.fee_min.as_str(), bucket.fee_max.as_str()),
        ("100", "400")
    );
    assert!((bucket.fee_mean - 200.0).abs() < 1e-9);
    assert_eq!(
        bucket.levels[0].latency_us.count,
        a.levels[0].latency_us.count + b.levels[0].latency_us.count
    );
    assert_eq!(
        m.fees.warmup,
        Some(WarmupFees {
            landed: 4,
            total: "14".into()
        })
    );
    // An input where nothing of a bid landed says nothing of its fees.
    let none = with("evm-b.json", 0, 0);
    let m = merge(&[("a".into(), a), ("b".into(), none)]).unwrap();
    assert_eq!(m.fee_buckets[0].fee_min, "100");
}

#[test]
fn files_before_schema_3_read_with_their_chains_fee_unit() {
    let r = fixture("evm-a.json");
    assert!(r.schema_version < 3, "{}", r.schema_version);
    assert_eq!(r.chain, "evm");
    assert_eq!(r.fee_unit.coin, "ETH");
    assert_eq!(r.fee_unit.format(21_000e9), "21000 gwei");
    // The Solana half of the 2026-11-25 reference run, kept as written then.
    let sol = fixture("solana-v1.json");
    assert!(sol.schema_version < 3, "{}", sol.schema_version);
    assert_eq!(sol.fee_unit.unit, "lamports");
}

#[test]
fn steps_merge_step_by_step_and_a_search_refuses_to() {
    let steps = fixture("evm-steps/result.json");
    assert_eq!(steps.steps.len(), 3);
    let twin = from_other_senders(steps.clone(), "-b");
    let m = merge(&[("a".into(), steps.clone()), ("b".into(), twin)]).unwrap();
    for (merged, one) in m.steps.iter().zip(&steps.steps) {
        assert_eq!(merged.sent, 2 * one.sent);
        assert_eq!(merged.landed, 2 * one.landed);
        assert_eq!(
            merged.levels[0].latency_us.count,
            2 * one.levels[0].latency_us.count
        );
        assert_eq!(merged.fees.per_tx.count, 2 * one.fees.per_tx.count);
    }
    let sum: u64 = m.steps.iter().map(|s| s.sent).sum();
    assert_eq!(sum, m.load.measured_sent);
    let mut search = steps.clone();
    search.load.profile = "saturate".into();
    let e = merge(&[
        ("a".into(), search.clone()),
        ("b".into(), from_other_senders(search, "-b")),
    ])
    .unwrap_err();
    assert!(
        e.to_string().contains("saturation search cannot be merged"),
        "{e}"
    );
    let md = markdown::run_summary(&steps);
    assert!(md.contains("| step 2: 300 tx/s |"), "{md}");
}

#[test]
fn shards_merge_only_as_a_whole_set() {
    use chainmeter_result::shard::Shard;
    let shard = |name: &str, i: u32| {
        let mut r = fixture(name);
        r.shard = Some(Shard::new(i, 3).unwrap());
        (format!("shard-{i}.json"), r)
    };
    let err = |inputs: &[(String, RunResult)]| merge(inputs).unwrap_err().to_string();
    let (s0, s1, s2) = (shard("evm-a.json", 0), shard("evm-b.json", 1), {
        let (path, r) = shard("evm-a.json", 2);
        (path, from_other_senders(r, "-2"))
    });
    let e = err(&[s0.clone(), s1.clone()]);
    assert!(e.ends_with("shard 2/3 of these 3 is missing"), "{e}");
    let e = err(&[s0.clone(), s1.clone(), s1.clone()]);
    assert!(
        e.ends_with("shard-1.json and shard-1.json are both shard 1/3"),
        "{e}"
    );
    let e = err(&[s0.clone(), ("whole.json".into(), fixture("evm-b.json"))]);
    assert!(e.contains("whole.json is not a shard"), "{e}");
    let m = merge(&[s0, s1, s2]).unwrap();
    assert_eq!(m.shard, None);
}
