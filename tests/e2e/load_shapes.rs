//! Load profiles against a real anvil: saturation searches that find the
//! knee the chain's own parameters set, steps whose parts add up to the
//! run, and a ramp that offers its profile second by second.

use crate::support;
use chainmeter_core::pacer::StageKind;
use chainmeter_result::run::RunResult;

/// anvil's gas per block in these tests (its default) and its block time.
const GAS_LIMIT: f64 = 30_000_000.0;

/// Runs a saturation search on anvil at 1 s blocks for `workload` and
/// returns the result and the bound the chain's parameters set: gas limit
/// over the gas a transaction used (from the receipts), per second.
fn saturate(workload: &str, from: u32, to: u32) -> (RunResult, f64) {
    saturate_with(workload, "", from, to)
}

/// [`saturate`] with the workload's own `settings` (`[workload.<kind>]` lines).
fn saturate_with(workload: &str, settings: &str, from: u32, to: u32) -> (RunResult, f64) {
    let settings = match settings {
        "" => String::new(),
        s => format!("[workload.{workload}]\n{s}\n"),
    };
    let r = support::run_text(&format!(
        r#"
name = "e2e-saturate-{workload}"
[accounts]
count = 64
[workload]
kind = "{workload}"
{settings}[load]
profile = "saturate"
[load.saturate]
from = {from}
to = {to}
factor = 1.5
resolution = 0.04
probe = "8s"
probe_warmup = "2s"
[load.objective]
landed = 0.99
level = "included"
latency = "2s"
[evm]
levels = ["included"]
block_time = "1s"
"#
    ));
    let gas = r.fees.compute_per_tx.mean;
    (r, GAS_LIMIT / gas)
}

/// The search's answer lies within 10% of the bound, which the result
/// carries, every probe has a verdict, the knee's probe held and the
/// probes above it broke.
fn assert_knee_near(r: &RunResult, bound: f64) {
    let knee = r.knee.as_ref().expect("a probe held");
    assert!(
        knee.is_found(),
        "the search ended on a bound, not a knee: {}",
        knee.rate_words()
    );
    for s in &r.steps {
        let v = s.verdict.as_ref().expect("every probe is judged");
        eprintln!(
            "{}: sent {} landed {} ({:.0?}/s), {}",
            s.label, s.sent, s.landed, s.landed_per_s, v.reason
        );
        assert_eq!(s.kind, StageKind::Probe);
        if s.rate_per_s > knee.rate_per_s {
            assert!(!v.held, "{} held above the knee", s.label);
        }
    }
    assert!(r.steps[knee.step].verdict.as_ref().unwrap().held);
    eprintln!(
        "knee {:.0} tx/s (landed {:.0?}/s), bound {bound:.0} tx/s, {} probes in {:.0} s",
        knee.rate_per_s, knee.landed_per_s, knee.probes, knee.search_s
    );
    assert!(
        (knee.rate_per_s - bound).abs() <= 0.1 * bound,
        "knee {:.0} tx/s is not within 10% of the bound {bound:.0} tx/s",
        knee.rate_per_s
    );
    // The result carries the bound itself, from the knee's own gas and the
    // blocks' interval as the node reported them.
    let written = knee.block_bound_per_s.expect("anvil gives its block limit");
    assert!(
        (written - bound).abs() <= 0.05 * bound,
        "the result's bound {written:.0} tx/s against {bound:.0} from the gas limit"
    );
}

#[test]
fn saturate_finds_anvils_transfer_knee_near_its_gas_bound() {
    let (r, bound) = saturate("transfer", 700, 3000);
    assert_eq!(r.fees.compute_per_tx.mean, 21_000.0);
    assert_knee_near(&r, bound);
}

#[test]
fn saturate_finds_anvils_erc20_knee_near_its_gas_bound() {
    let (r, bound) = saturate("token", 250, 1500);
    assert!(
        r.fees.compute_per_tx.mean > 30_000.0,
        "{}",
        r.fees.compute_per_tx.mean
    );
    assert_knee_near(&r, bound);
}

/// The storage workload dials the gas per transaction, and the knee moves
/// with it: at 8 fresh slots and 200 loops (about 214,000 gas) anvil's
/// 30M-gas blocks hold some 140 a second.
#[test]
fn saturate_finds_anvils_storage_knee_near_its_gas_bound() {
    let (r, bound) = saturate_with("storage", "slots = 8\nloops = 200", 60, 400);
    assert!(
        r.fees.compute_per_tx.mean > 150_000.0,
        "{}",
        r.fees.compute_per_tx.mean
    );
    assert_knee_near(&r, bound);
}

#[test]
fn steps_add_up_to_the_run_and_each_offers_its_rate() {
    let r = support::run_text(
        r#"
name = "e2e-steps"
[accounts]
count = 16
[load]
profile = "steps"
rates = [100, 300, 200]
step = "4s"
warmup = "1s"
[evm]
levels = ["included"]
block_time = "1s"
"#,
    );
    assert_eq!(r.steps.len(), 3);
    let sum =
        |f: fn(&chainmeter_result::run::StepResult) -> u64| r.steps.iter().map(f).sum::<u64>();
    assert_eq!(sum(|s| s.sent), r.load.measured_sent);
    assert_eq!(sum(|s| s.landed), r.fees.per_tx.count);
    assert_eq!(
        sum(|s| s.outcomes.landed_ok),
        r.outcomes.landed_ok - r.fees.warmup.as_ref().map_or(0, |w| w.landed)
    );
    for s in &r.steps {
        eprintln!(
            "{}: offered {:.1}/s, landed {}",
            s.label, s.offered_per_s, s.landed
        );
        assert!(
            (s.offered_per_s - s.rate_per_s).abs() <= 0.02 * s.rate_per_s,
            "{}: offered {:.1}/s",
            s.label,
            s.offered_per_s
        );
        assert_eq!(s.landed, s.sent, "{}", s.label);
        assert_eq!(s.levels[0].latency_us.count, s.sent);
    }
}

#[test]
fn a_ramp_offers_its_profile_second_by_second() {
    let r = support::run_text(
        r#"
name = "e2e-ramp"
[accounts]
count = 16
[load]
profile = "ramp"
from = 100
to = 500
duration = "8s"
[evm]
levels = ["included"]
block_time = "1s"
"#,
    );
    assert_eq!(r.load.profile, "ramp");
    // Second k offers the mean of the rate over it: 100 + 50 (k + 1/2).
    for k in 0..8 {
        let offered = r.throughput.timeline[k].offered as f64;
        let want = 100.0 + 50.0 * (k as f64 + 0.5);
        eprintln!("second {k}: offered {offered}, profile {want}");
        assert!(
            (offered - want).abs() <= 0.02 * want,
            "second {k}: offered {offered}, the profile says {want}"
        );
    }
    assert_eq!(r.load.measured_sent, 2_400);
}

/// A closed loop of 20 on anvil (1 s blocks): no second ends with more
/// than 20 sent and not yet included, and the summary says it was a closed
/// loop, not an offered rate.
#[test]
fn a_closed_loop_never_has_more_than_its_concurrency_in_flight() {
    let r = support::run_text(
        r#"
name = "e2e-closed"
[accounts]
count = 20
[load]
profile = "closed"
concurrency = 20
wait_for = "included"
duration = "6s"
[evm]
levels = ["included"]
block_time = "1s"
"#,
    );
    assert_eq!(r.load.profile, "closed loop");
    let (mut offered, mut landed) = (0, 0);
    for second in &r.throughput.timeline {
        offered += second.offered;
        landed += second.landed;
        eprintln!(
            "second {}: {} sent, {} in flight",
            second.t_s,
            second.offered,
            offered - landed
        );
        assert!(
            offered - landed <= 20,
            "second {}: {} in flight",
            second.t_s,
            offered - landed
        );
    }
    // About one round of 20 per block.
    assert!(r.load.measured_sent >= 80, "{}", r.load.measured_sent);
    let md = chainmeter_report::markdown::run_summary(&r);
    assert!(
        md.contains("**Closed loop:** 20 transactions in flight"),
        "{md}"
    );
}
