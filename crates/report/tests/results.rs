//! Report logic over real result files (tests/fixtures: two anvil runs of
//! scenarios/evm-poisson.toml with --count 300).

use chainmeter_core::result::RunResult;
use chainmeter_report::{compare, markdown, merge::merge};
use std::path::Path;

fn fixture(name: &str) -> RunResult {
    RunResult::read(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
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
    b.throughput.landed_mean_per_s = a.throughput.landed_mean_per_s * 0.5;
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
        "**Chain:**",
        "**Harness:**",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
}
