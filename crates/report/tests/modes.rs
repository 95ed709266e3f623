//! The figures of the newer modes (searches, repeats, merges): each test
//! builds the case from a real result file and checks the figure a user
//! would quote.

use chainmeter_result::{
    level::Level,
    run::{Check, Knee, Repeat, RunResult, RunStatus, SecondCounts, Verification},
    shard::Shard,
};
mod common;

use chainmeter_report::{
    compare,
    comparison::Comparison,
    gate, markdown,
    merge::{merge, merge_repeated},
    view,
};
use common::fixture;
use std::collections::BTreeMap;
use time::{format_description::well_known::Rfc3339, Duration, OffsetDateTime};

fn included() -> Level {
    fixture("evm-a.json").levels[0].level
}

fn later(r: &RunResult, seconds: i64) -> String {
    (OffsetDateTime::parse(&r.started_at, &Rfc3339).unwrap() + Duration::seconds(seconds))
        .format(&Rfc3339)
        .unwrap()
}

fn verification(landed: u64, chain: u64) -> Verification {
    Verification {
        method: "nonces".into(),
        checks: vec![Check {
            name: "landed".into(),
            recorded: landed.to_string(),
            chain: chain.to_string(),
            how: "nonces".into(),
            entry: None,
        }],
        error: None,
        dry_senders: Vec::new(),
        unverified: Vec::new(),
    }
}

/// A search result whose probes ran out while rising: the highest that
/// held was 759 tx/s, and none broke.
fn search_that_ran_out(broke: Option<f64>) -> RunResult {
    let mut r = fixture("evm-steps/result.json");
    r.load.profile = "saturate".into();
    r.knee = Some(Knee {
        step: 0,
        rate_per_s: 759.0,
        landed_per_s: Some(758.0),
        at_least: broke.is_none(),
        broke_per_s: broke,
        objective: "landed >= 99%".into(),
        probes: 6,
        search_s: 150.0,
        block_bound_per_s: None,
    });
    r
}

#[test]
fn a_search_that_ran_out_of_probes_reports_a_bound_never_a_knee() {
    for broke in [None, Some(1_139.0)] {
        let r = search_that_ran_out(broke);
        let line = view::knee_line(&r).unwrap().markdown();
        assert!(line.starts_with("**No knee found:"), "{line}");
        assert!(!line.contains("**Knee: 759"), "{line}");
        match broke {
            None => assert!(line.contains("at least 759 tx/s"), "{line}"),
            Some(_) => assert!(line.contains("between 759 and 1139 tx/s"), "{line}"),
        }
        // No `knee` metric to gate on: a rule on it fails, with the reason.
        assert!(compare::headline(&r).iter().all(|m| m.name != "knee"));
        let rule = compare::Threshold::parse("knee<-5%").unwrap();
        let (failures, rest) = compare::knee_rules(&r, &r, std::slice::from_ref(&rule));
        assert!(rest.is_empty());
        assert_eq!(failures.len(), 1);
        assert!(failures[0].contains("found no knee"), "{}", failures[0]);
        let page = chainmeter_report::html::run_page(&r, &[]);
        assert!(!page.contains("knee 759 tx/s"));
    }
    let mut found = search_that_ran_out(None);
    found.knee.as_mut().unwrap().at_least = false;
    assert!(view::knee_line(&found)
        .unwrap()
        .markdown()
        .starts_with("**Knee: 759 tx/s offered**"));
    assert!(compare::headline(&found).iter().any(|m| m.name == "knee"));
    // A constant run gated on the knee fails with the reason, not exit 2.
    let constant = fixture("evm-a.json");
    let (failures, _) = compare::knee_rules(
        &found,
        &constant,
        &[compare::Threshold::parse("knee<-5%").unwrap()],
    );
    assert!(
        failures[0].contains("not a saturation search"),
        "{failures:?}"
    );
}

/// `r` repeated: each repeat's tps and included p50 as given, fit.
fn repeated(r: &RunResult, values: &[(f64, u64)]) -> RunResult {
    let mut out = r.clone();
    out.repeats = values
        .iter()
        .map(|&(tps, samples)| {
            let mut metrics = BTreeMap::new();
            metrics.insert("tps".to_owned(), tps);
            if samples > 0 {
                metrics.insert("included.p50".to_owned(), 500.0);
            }
            let mut rep = Repeat::of(r, metrics);
            rep.samples = BTreeMap::from([(included(), samples)]);
            rep.verification = Some(verification(samples, samples));
            rep
        })
        .collect();
    out
}

/// A comparison is built once: its gate's lines in both pages, its failures
/// the verdict; rules refused for anything but a baseline and a candidate.
#[test]
fn a_comparison_carries_its_gate_to_both_pages_and_gives_the_verdict() {
    let r = fixture("evm-a.json");
    let baseline = repeated(&r, &[(100.0, 300), (101.0, 300), (99.0, 300)]);
    let slower = repeated(&r, &[(80.0, 300), (81.0, 300), (79.0, 300)]);
    let rule = compare::Threshold::parse("tps<-5%").unwrap();
    let names = ["base.json".to_owned(), "cand.json".to_owned()];
    let c = Comparison::build(
        &names,
        &[baseline.clone(), slower],
        std::slice::from_ref(&rule),
        false,
    )
    .unwrap();
    assert!(c.is_pair() && !c.passed(), "{:?}", c.failures);
    assert!(
        c.failures.iter().any(|f| f.contains("tps")),
        "{:?}",
        c.failures
    );
    let (md, html) = (c.markdown(), c.html());
    assert!(md.contains("**Gate** ("), "{md}");
    assert!(md.contains("baseline: base.json ("), "{md}");
    for line in c.failures.iter() {
        assert!(md.contains(line.as_str()), "{line} in {md}");
        assert!(
            html.contains(&line.replace('<', "&lt;").replace('>', "&gt;")),
            "{line} in the HTML page"
        );
    }
    let same = Comparison::build(
        &names,
        &[baseline.clone(), baseline],
        std::slice::from_ref(&rule),
        false,
    )
    .unwrap();
    assert!(same.passed(), "{:?}", same.failures);
    // Three results stand side by side, and take no rules.
    let three = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
    let results = [r.clone(), r.clone(), r];
    assert!(matches!(
        Comparison::build(&three, &results, &[rule], false),
        Err(compare::CompareError::NotAPair)
    ));
    let side = Comparison::build(&three, &results, &[], false).unwrap();
    assert!(!side.is_pair() && side.passed());
    assert_eq!(side.intro, "a, b, c");
}

#[test]
fn every_repeat_of_both_sides_must_be_fit_and_have_every_metric() {
    let r = fixture("evm-a.json");
    let baseline = repeated(&r, &[(100.0, 300), (101.0, 300), (99.0, 300)]);
    let fit = repeated(&r, &[(100.0, 300), (100.5, 300), (99.5, 300)]);
    assert!(compare::unfit_repeats(&baseline, &fit).is_empty());
    // Repeat 2: every send refused; it "completed" with nothing landed.
    let refused = repeated(&r, &[(100.0, 300), (0.0, 0), (99.5, 300)]);
    let unfit = compare::unfit_repeats(&baseline, &refused);
    assert!(
        unfit
            .iter()
            .any(|u| u.contains("the candidate's repeat 2 has no samples at included")),
        "{unfit:?}"
    );
    // The baseline's repeats are held to the rules too.
    let unfit = compare::unfit_repeats(&refused, &fit);
    assert!(
        unfit.iter().any(|u| u.contains("the baseline's repeat 2")),
        "{unfit:?}"
    );
    // Half the baseline's samples at most: unfit.
    let thin = repeated(&r, &[(100.0, 300), (100.0, 100), (100.0, 300)]);
    assert!(compare::unfit_repeats(&baseline, &thin)
        .iter()
        .any(|u| u.contains("fewer than 50%")));
    // An aborted repeat, a failed verification.
    let mut bad = fit.clone();
    bad.repeats[0].status = Some(RunStatus::Aborted {
        reason: "node gone".into(),
        kind: chainmeter_result::run::StopKind::NodeGone,
    });
    bad.repeats[2].verification = Some(verification(300, 299));
    let unfit = compare::unfit_repeats(&baseline, &bad);
    assert!(
        unfit.iter().any(|u| u.contains("repeat 1 was aborted")),
        "{unfit:?}"
    );
    assert!(unfit
        .iter()
        .any(|u| u.contains("repeat 3 failed its verification")));
    // A metric missing from one repeat: undecidable, which fails.
    let rule = compare::Threshold::parse("included.p50>+10%").unwrap();
    let gates = gate::gates(&baseline, &refused, &[rule]).unwrap();
    assert_eq!(gates[0].verdict, gate::Verdict::Undecidable);
    assert!(
        gates[0].line().contains("the candidate's repeats 2 lack"),
        "{}",
        gates[0].line()
    );
}

#[test]
fn a_merge_keeps_what_each_input_proved_and_fails_if_one_failed() {
    let mut a = fixture("evm-a.json");
    let mut b = fixture("evm-b.json");
    a.verification = Some(verification(300, 300));
    b.verification = Some(verification(300, 290));
    let m = merge(&[("a.json".into(), a.clone()), ("b.json".into(), b.clone())]).unwrap();
    let v = m.verification.as_ref().expect("the inputs' verifications");
    assert!(!v.passed(), "{}", v.line());
    assert!(
        v.line().contains("landed (b.json) 300 ≠ 290"),
        "{}",
        v.line()
    );
    let inputs = &m.merged.as_ref().unwrap().inputs;
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[1].verification, b.verification);
    let unfit = compare::unfit_candidate(&a, &m);
    assert!(
        unfit.iter().any(|u| u.contains("failed its verification")),
        "{unfit:?}"
    );
    b.verification = Some(verification(300, 300));
    let m = merge(&[("a.json".into(), a), ("b.json".into(), b)]).unwrap();
    assert!(m.verification.unwrap().passed());
}

/// A shard of three at 1,000 tx/s for 60 s, started `offset_s` after the first.
fn shard_at(i: u32, offset_s: i64) -> (String, RunResult) {
    let mut r = fixture("evm-a.json");
    r.started_at = later(&r, offset_s);
    r.shard = Some(Shard::new(i, 3).unwrap());
    for s in &mut r.senders {
        s.address.push_str(&format!("-{i}"));
    }
    r.load.warmup_s = 0.0;
    r.load.window_s = 60.0;
    r.load.rate_per_s = 1_000.0;
    r.load.measured_sent = 60_000;
    r.throughput.timeline = (0..61)
        .map(|t| SecondCounts {
            t_s: t,
            offered: if t < 60 { 1_000 } else { 0 },
            landed: if t < 60 { 1_000 } else { 0 },
            rejected: 0,
        })
        .collect();
    // One block a second, stamped mid-second, a millisecond apart per shard.
    r.throughput.arrivals = (0..60)
        .map(|t| [t * 1_000_000 + 500_000 + u64::from(i) * 1_000, 1_000])
        .collect();
    r.throughput.landed_mean_per_s = Some(1_000.0);
    r.throughput.offered_mean_per_s = 1_000.0;
    r.throughput.landed_peak_1s = Some(1_000.0);
    (format!("shard-{i}.json"), r)
}

#[test]
fn merged_throughput_is_over_the_merged_window_with_its_overlap_said() {
    let m = merge(&[shard_at(0, 0), shard_at(1, 30), shard_at(2, 60)]).unwrap();
    assert!(
        (m.load.window_s - 120.0).abs() < 1e-9,
        "{}",
        m.load.window_s
    );
    // Over whole block intervals: the first block closes an interval that
    // began before the window, so 179,000 over 119.002 s.
    let mean = m.throughput.landed_mean_per_s.unwrap();
    assert!((mean - 179_000.0 / 119.002).abs() < 1e-6, "{mean}");
    assert!((m.throughput.offered_mean_per_s - 1_500.0).abs() < 1e-6);
    assert!((m.load.rate_per_s - 1_500.0).abs() < 1e-6);
    // Two shards at once at most: the best is 2,000, never more.
    let peak = m.throughput.landed_peak_1s.unwrap();
    assert!((peak - 2_000.0).abs() < 1e-6, "{peak}");
    let merged = m.merged.as_ref().unwrap();
    assert_eq!(merged.overlap_s, 0.0, "no moment had all three sending");
    let line = view::merged_line(&m).unwrap().markdown();
    assert!(
        line.contains("0.0 s of the merged 120.0 s window"),
        "{line}"
    );
    // Side by side, all the way: their windows overlap wholly.
    let m = merge(&[shard_at(0, 0), shard_at(1, 0), shard_at(2, 0)]).unwrap();
    assert!((m.throughput.landed_mean_per_s.unwrap() - 3_000.0).abs() < 1e-6);
    assert!((m.throughput.landed_peak_1s.unwrap() - 3_000.0).abs() < 1e-6);
    assert!((m.merged.unwrap().overlap_s - 60.0).abs() < 1e-9);
}

#[test]
fn merge_refuses_one_run_twice_and_orders_times_as_times() {
    let a = fixture("evm-a.json");
    let e = merge(&[("a.json".into(), a.clone()), ("a.json".into(), a.clone())])
        .unwrap_err()
        .to_string();
    assert!(e.contains("the same run"), "{e}");
    // b started later but writes its time with an offset that sorts first as text.
    let mut b = fixture("evm-b.json");
    for s in &mut b.senders {
        s.address.push_str("-b");
    }
    let t = OffsetDateTime::parse(&a.started_at, &Rfc3339).unwrap() + Duration::seconds(3600);
    b.started_at = t
        .to_offset(time::UtcOffset::from_hms(-5, 0, 0).unwrap())
        .format(&Rfc3339)
        .unwrap();
    b.ended_at = later(&b, 5);
    assert!(b.started_at < a.started_at, "as text, b sorts first");
    let m = merge(&[("a.json".into(), a.clone()), ("b.json".into(), b.clone())]).unwrap();
    assert_eq!(m.started_at, a.started_at);
    assert_eq!(m.ended_at, b.ended_at);
}

#[test]
fn merged_fee_extremes_ignore_inputs_where_nothing_landed() {
    let a = fixture("evm-a.json");
    let mut b = fixture("evm-b.json");
    for s in &mut b.senders {
        s.address.push_str("-b");
    }
    // b landed nothing: its fee figures are zeros that say nothing.
    let empty = chainmeter_result::histogram::StoredHistogram::from_histogram(
        &chainmeter_result::histogram::new_histogram(),
    );
    b.fees.per_tx = empty.clone();
    b.fees.compute_per_tx = empty;
    b.fees.min = "0".into();
    b.fees.max = "0".into();
    b.fees.total = "0".into();
    let m = merge(&[("a.json".into(), a.clone()), ("b.json".into(), b)]).unwrap();
    assert_eq!(m.fees.min, a.fees.min);
    assert_ne!(m.fees.min, "0");
}

#[test]
fn compare_refuses_runs_of_different_load_profiles() {
    let a = fixture("evm-steps/result.json");
    let mut b = a.clone();
    b.scenario["load"]["rates"] = serde_json::json!([100.0, 200.0, 400.0]);
    let e = compare::check_same_workload(&[a.clone(), b])
        .unwrap_err()
        .to_string();
    assert!(e.contains("load.rates"), "{e}");
    let mut closed = fixture("evm-a.json");
    closed.scenario["load"]["concurrency"] = serde_json::json!(8);
    let e = compare::check_same_workload(&[fixture("evm-a.json"), closed])
        .unwrap_err()
        .to_string();
    assert!(e.contains("load.concurrency"), "{e}");
    // What tunes the harness is not the workload.
    let mut coalesced = fixture("evm-a.json");
    coalesced.scenario["load"]["coalesce"] = serde_json::json!("2ms");
    compare::check_same_workload(&[fixture("evm-a.json"), coalesced]).unwrap();
}

#[test]
fn a_partial_result_reads_as_one_and_cannot_be_a_candidate() {
    let a = fixture("evm-a.json");
    let mut partial = a.clone();
    partial.status = RunStatus::Running;
    let md = markdown::run_summary(&partial);
    assert!(md.contains("**Run not finished:**"), "{md}");
    let unfit = compare::unfit_candidate(&a, &partial);
    assert!(
        unfit.iter().any(|u| u.contains("never finished")),
        "{unfit:?}"
    );
    let mut other = fixture("evm-b.json");
    for s in &mut other.senders {
        s.address.push_str("-b");
    }
    let m = merge(&[("a.json".into(), partial), ("b.json".into(), other)]).unwrap();
    assert_eq!(m.status, RunStatus::Running);
}

#[test]
fn shards_of_any_chain_merge_whatever_url_each_attached_by() {
    let mut a = fixture("evm-a.json");
    let mut b = fixture("evm-b.json");
    for (r, url) in [
        (&mut a, "http://10.0.0.1:8899"),
        (&mut b, "http://node:8899"),
    ] {
        r.chain = "cosmos".into();
        r.scenario["cosmos"] = serde_json::json!({ "url": url, "ws_url": url, "depth": 3 });
    }
    let m = merge(&[("a.json".into(), a.clone()), ("b.json".into(), b.clone())]).unwrap();
    assert_eq!(m.chain, "cosmos");
    // What differs beside the URLs still refuses the merge.
    b.scenario["cosmos"]["depth"] = 4.into();
    assert!(merge(&[("a.json".into(), a), ("b.json".into(), b)]).is_err());
}

/// Two generators of one mix merge entry by entry: every entry's counts,
/// latency samples and fees add, the entries still add up to the whole,
/// and the summary's mix table says what the chain proved of each. Mixes
/// of different shares do not merge.
#[test]
fn a_merged_mix_adds_up_entry_by_entry() {
    let a = fixture("evm-mix.json");
    let mut b = a.clone();
    b.started_at = later(&a, 1);
    for s in &mut b.senders {
        s.address.push_str("-b");
    }
    let m = merge(&[("a.json".into(), a.clone()), ("b.json".into(), b.clone())]).unwrap();
    assert_eq!(m.mix.len(), 3);
    for (merged, one) in m.mix.iter().zip(&a.mix) {
        assert_eq!(merged.outcomes.sent, 2 * one.outcomes.sent, "{}", one.kind);
        assert_eq!(
            merged.levels[0].latency_us.count,
            2 * one.levels[0].latency_us.count
        );
        let total =
            |e: &chainmeter_result::run::MixEntryResult| e.fees.total.parse::<u128>().unwrap();
        assert_eq!(total(merged), 2 * total(one));
    }
    let sent: u64 = m.mix.iter().map(|e| e.outcomes.sent).sum();
    assert_eq!(sent, m.outcomes.sent, "the entries add up to the whole");
    let summary = markdown::run_summary(&a);
    assert!(summary.contains("**Traffic mix**"), "{summary}");
    // Shares as given; landed failed, rejected, expired and unknown apart.
    assert!(
        summary.contains("| token | 30.5% (30%) | 610 | 610 (100.0%) | 0 | 0 | 0 | 0 |"),
        "{summary}"
    );
    assert!(
        summary.contains("yes: landed, tokens (and the whole run's)"),
        "{summary}"
    );
    assert!(
        summary.contains("token landed 610 = 610"),
        "the verification names the entry"
    );

    b.mix[0].share = 0.5;
    let e = merge(&[("a.json".into(), a), ("b.json".into(), b)]).unwrap_err();
    assert!(
        e.to_string().contains("they mix workloads differently"),
        "{e}"
    );
}

/// A knee beside the bound the chain's block limit sets at the knee's gas
/// per transaction, in the page and in the result's knee; none without a
/// limit.
#[test]
fn the_knee_is_reported_beside_the_block_limits_bound() {
    let mut r = search_that_ran_out(None);
    r.knee.as_mut().unwrap().at_least = false;
    assert!(!view::knee_line(&r)
        .unwrap()
        .markdown()
        .contains("block limit"));
    r.bound_the_knee();
    assert_eq!(r.knee.as_ref().unwrap().block_bound_per_s, None);
    r.chain_view.block_limit = Some(30_000_000);
    r.bound_the_knee();
    let gas = r.steps[0].fees.compute_per_tx.mean;
    let interval_s = r.chain_view.block_interval_us.p50 as f64 / 1e6;
    let line = view::knee_line(&r).unwrap().markdown();
    let bound = (30e6 / gas).floor() / interval_s;
    assert_eq!(r.knee.as_ref().unwrap().block_bound_per_s, Some(bound));
    assert!(
        line.contains(&format!(
            "The block limit bounds it at {bound:.0} tx/s: 30000000 per block"
        )),
        "{line}"
    );
}

/// A mix entry is verified only when its own checks and the whole run's
/// hold: a whole-run fee check that fails leaves no entry "yes".
#[test]
fn a_failed_whole_run_check_leaves_no_mix_entry_verified() {
    let mut r = fixture("evm-mix.json");
    let v = r.verification.as_mut().unwrap();
    let fees = v
        .checks
        .iter_mut()
        .find(|c| c.entry.is_none() && c.name == "fees")
        .expect("a whole-run fee check");
    fees.chain = format!("{}1", fees.chain);
    let table = view::mix_table(&r).markdown();
    assert!(!table.contains("yes"), "{table}");
    assert_eq!(
        table.matches("NO: the run's fees differ").count(),
        3,
        "{table}"
    );
}

/// One input without a verification makes the merged result unverified:
/// never absent, which a gate would read as fit.
#[test]
fn a_merge_with_an_unverified_input_is_unverified_and_unfit() {
    let mut a = fixture("evm-a.json");
    let mut b = fixture("evm-b.json");
    a.verification = Some(verification(300, 300));
    b.verification = None;
    let m = merge(&[("a.json".into(), a.clone()), ("b.json".into(), b)]).unwrap();
    let v = m.verification.as_ref().expect("never absent");
    assert!(!v.passed());
    assert_eq!(v.unverified, ["b.json"]);
    assert!(v.line().starts_with("UNVERIFIED: b.json"), "{}", v.line());
    let unfit = compare::unfit_candidate(&a, &m);
    assert!(
        unfit
            .iter()
            .any(|u| u.contains("failed its verification: UNVERIFIED")),
        "{unfit:?}"
    );
}

/// Repeats merge repeat by repeat, from each repeat's own results; the
/// inputs alone (whose repeats hold headlines only) are refused.
#[test]
fn repeats_of_shards_merge_repeat_by_repeat() {
    // Two shards side by side, each repeated twice; repeat 2 ran 30 s later.
    let repeat = |i: u32, k: i64| {
        let (p, mut r) = shard_at(i, 100 * k);
        r.shard = Some(Shard::new(i, 2).unwrap());
        (format!("repeat-{k}/{p}"), r)
    };
    let runs: Vec<Vec<(String, RunResult)>> = (1..=2)
        .map(|k| (0..2).map(|i| repeat(i, k)).collect())
        .collect();
    let inputs: Vec<(String, RunResult)> = (0..2)
        .map(|i| {
            let (_, mut top) = runs[1][i].clone();
            top.repeats = runs
                .iter()
                .map(|of_k| Repeat::headline(&of_k[i].1))
                .collect();
            (format!("shard-{i}/result.json"), top)
        })
        .collect();
    let e = merge(&inputs).unwrap_err().to_string();
    assert!(
        e.contains("holds 2 repeats: they merge only repeat by repeat"),
        "{e}"
    );

    let m = merge_repeated(&inputs, &runs).unwrap();
    assert_eq!(m.repeats.len(), 2);
    for (k, rep) in m.repeats.iter().enumerate() {
        // Both shards at 1,000 tx/s at once: the repeat's rate is 2,000,
        // not one shard's 1,000.
        let tps = rep.metrics["tps"];
        assert!((tps - 2_000.0).abs() < 40.0, "repeat {}: {tps}", k + 1);
        assert_eq!(rep.started_at, runs[k][0].1.started_at);
    }
    // A repeat's result that is not that repeat is refused.
    let mut swapped = runs.clone();
    swapped.swap(0, 1);
    let e = merge_repeated(&inputs, &swapped).unwrap_err().to_string();
    assert!(e.contains("not that repeat's result"), "{e}");
}

/// Steps of shards that ran at different times keep their rates: each is
/// taken over the merged step's window, as the whole run's is.
#[test]
fn merged_steps_of_staggered_shards_keep_their_rates() {
    let step = |r: &RunResult| chainmeter_result::run::StepResult {
        kind: chainmeter_result::run::StageKind::Step,
        label: "step 1: 1000 tx/s".into(),
        rate_per_s: 1_000.0,
        window_s: [0.0, 60.0],
        sent: 60_000,
        offered_per_s: 1_000.0,
        landed: 60_000,
        landed_per_s: Some(1_000.0),
        levels: r.levels.clone(),
        outcomes: r.outcomes.clone(),
        fees: r.fees.clone(),
        verdict: None,
    };
    let shards: Vec<(String, RunResult)> = [0, 60]
        .iter()
        .enumerate()
        .map(|(i, &offset)| {
            let (p, mut r) = shard_at(i as u32, offset);
            r.shard = Some(Shard::new(i as u32, 2).unwrap());
            r.steps = vec![step(&r)];
            (p, r)
        })
        .collect();
    let m = merge(&shards).unwrap();
    let st = &m.steps[0];
    // 60 s apart: the merged step spans 120 s at 1,000 tx/s, not 2,000.
    assert_eq!(st.window_s, [0.0, 120.0]);
    assert!(
        (st.offered_per_s - 1_000.0).abs() < 1e-6,
        "{}",
        st.offered_per_s
    );
    let landed = st.landed_per_s.unwrap();
    assert!((landed - 1_000.0).abs() < 10.0, "{landed}");
}

/// One page, rendered twice: every caveat a reader must see is in the
/// Markdown summary and in the HTML page alike (repeats and "the last
/// repeat's", a closed loop, senders that ran dry, a harness that may
/// have limited the run, unknowns by reason, the submitter's counters).
#[test]
fn every_caveat_is_on_both_pages() {
    let mut r = fixture("evm-mix.json");
    r.repeats = (0..3).map(|_| Repeat::headline(&r)).collect();
    r.load.closed_loop = Some(chainmeter_result::run::ClosedLoopSummary {
        concurrency: 8,
        wait_for: None,
    });
    r.verification.as_mut().unwrap().dry_senders = vec![1, 2];
    r.harness.cores_while_sending = r.environment.cores as f64;
    r.outcomes
        .unknown_by_reason
        .insert("not seen by the end of the drain".into(), 3);
    r.submitter.insert("nonce_stalls_found".into(), 2);
    r.funding = Some(chainmeter_result::run::Funding {
        method: chainmeter_result::run::Funding::BY_KEY.into(),
        funder: Some("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".into()),
        amount: "44100000000000100".into(),
        transactions: 4,
        seconds: 1.0,
    });
    r.sweep = Some(chainmeter_result::run::Sweep {
        to: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".into(),
        amount: "40000000000000000".into(),
        transactions: 4,
        fees: "84000000000000".into(),
        seconds: 1.5,
        error: None,
    });
    let markdown = markdown::run_summary(&r);
    let html = chainmeter_report::html::run_page(&r, &[]);
    for caveat in [
        "Repeated 3 times; the figures below are the last repeat's.",
        "8 transactions in flight, each followed by the next",
        "2 of the run's",
        "ran out of funds",
        "the harness kept",
        "not seen by the end of the drain",
        "nonce stalls found",
        "by transfers from a funder key 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266: 0.044100 ETH in 4 transactions",
        "back to 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 in 4 transactions",
    ] {
        assert!(markdown.contains(caveat), "Markdown lacks {caveat:?}");
        assert!(html.contains(caveat), "HTML lacks {caveat:?}");
    }
}

/// A merge takes its rates by the single run's rule over the merged
/// arrivals: two shards started 0.4 s apart watching the same 1 s blocks
/// (100 of each shard's in every block) read 200 within 0.5%; two bursts
/// whose windows hold no two blocks have no rate, with the reason.
#[test]
fn merged_rates_follow_the_block_rule_or_say_there_is_none() {
    let shard = |i: u32, start_ms: u64, window_s: f64, blocks: &[u64]| {
        let mut r = fixture("evm-a.json");
        r.started_at = (OffsetDateTime::parse(&r.started_at, &Rfc3339).unwrap()
            + Duration::milliseconds(start_ms as i64))
        .format(&Rfc3339)
        .unwrap();
        r.shard = Some(Shard::new(i, 2).unwrap());
        for s in &mut r.senders {
            s.address.push_str(&format!("-{i}"));
        }
        r.load.warmup_s = 0.0;
        r.load.window_s = window_s;
        // The chain's blocks, at 0.98 s past each second of the first
        // shard's clock, seen from this shard's start.
        r.throughput.arrivals = blocks
            .iter()
            .map(|&b| [b * 1_000_000 + 980_000 - start_ms * 1_000, 100])
            .collect();
        (format!("shard-{i}.json"), r)
    };
    let blocks: Vec<u64> = (0..16).collect();
    let m = merge(&[
        shard(0, 0, 15.0, &blocks),
        shard(1, 400, 15.0, &blocks[1..]),
    ])
    .unwrap();
    let mean = m.throughput.landed_mean_per_s.unwrap();
    assert!((mean - 200.0).abs() <= 1.0, "{mean}");
    let m = merge(&[shard(0, 0, 0.5, &[1]), shard(1, 400, 0.5, &[1])]).unwrap();
    assert_eq!(m.throughput.landed_mean_per_s, None);
    let why = m.throughput.no_rate.as_ref().expect("the reason");
    assert!(why.blocks < 2, "{why:?}");
}

/// Block deltas beside milliseconds: a line on both pages in the chain's
/// own word, a row in a comparison, and added when shards merge.
#[test]
fn block_deltas_are_on_both_pages_in_compare_and_in_a_merge() {
    let deltas = |values: &[u64]| {
        let mut h = chainmeter_result::histogram::new_histogram();
        for &v in values {
            chainmeter_result::histogram::record(&mut h, v);
        }
        chainmeter_result::histogram::StoredHistogram::from_histogram(&h)
    };
    let mut a = fixture("evm-a.json");
    a.levels[0].block_delta = Some(deltas(&[1, 1, 1, 2]));
    let line = "In blocks: included p50 1, p99 2, max 2";
    assert!(markdown::run_summary(&a).contains("**In blocks:** included p50 1"));
    assert!(chainmeter_report::html::run_page(&a, &[]).contains(line));
    let mut solana = a.clone();
    solana.chain = "solana".into();
    assert!(view::block_delta_line(&solana)
        .unwrap()
        .text()
        .starts_with("In slots:"));

    let mut b = a.clone();
    b.levels[0].block_delta = Some(deltas(&[3, 3, 3, 4]));
    let d = compare::deltas(&a, &b);
    let p50 = d.iter().find(|d| d.name == "included.delta.p50").unwrap();
    assert_eq!(
        (p50.baseline, p50.candidate, p50.unit.as_str()),
        (1.0, 3.0, "blocks")
    );

    let shard = |i: u32, r: &mut RunResult| {
        r.shard = Some(Shard::new(i, 2).unwrap());
        for s in &mut r.senders {
            s.address.push_str(&format!("-{i}"));
        }
    };
    shard(0, &mut a);
    shard(1, &mut b);
    let merged = merge(&[("a".into(), a.clone()), ("b".into(), b.clone())]).unwrap();
    assert_eq!(
        merged.levels[0].block_delta.as_ref().map(|d| d.count),
        Some(8)
    );
    // A delta of only some of the shards would stand for all of them.
    b.levels[0].block_delta = None;
    let merged = merge(&[("a".into(), a), ("b".into(), b)]).unwrap();
    assert!(merged.levels[0].block_delta.is_none());
}
