//! Several generators of one scenario (`chainmeter run --shard I/N`) driving
//! one validator at once, and their results merged; the Kubernetes
//! manifests that run them on a cluster.

use crate::support::{self, binary, quantity, repo_root, result, rpc, scenario, stderr};
use chainmeter_core::{
    plugin::Chain,
    scenario::{self as scenarios, Overrides},
    shard::{Shard, Split},
};
use chainmeter_result::run::RunResult;
use serde_json::json;
use std::{collections::HashSet, process::Command};

const VALUE_WEI: u128 = 1_000;

/// Three shard processes at once against one anvil, 300 tx/s in all for
/// 8 s, then `chainmeter merge`: the merged landed count equals the nonce
/// increase of every shard's senders (which no two shards share), the
/// merged fee total equals their balance decrease less the value sent, the
/// merged percentiles lie within the shards', and the merged timeline
/// offers the whole 300 tx/s in each second all three were sending.
#[test]
fn three_shards_against_one_anvil_merge_into_the_chains_own_counts() {
    let f = support::Fixture::anvil();
    let url = f.url();
    let file = scenario(
        f.path(),
        "s.toml",
        &format!(
            "name = \"e2e-shards\"\n[accounts]\ncount = 12\n[workload]\nvalue = {VALUE_WEI}\n\
             [load]\nrate = 300\nduration = \"8s\"\ndrain_timeout = \"30s\"\n\
             [evm]\nlevels = [\"included\"]\n"
        ),
    );
    let dirs: Vec<_> = (0..3)
        .map(|i| f.path().join(format!("shard-{i}")))
        .collect();
    let children: Vec<_> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            Command::new(binary())
                .args(["run".as_ref(), file.as_os_str()])
                .args(["--url", url, "--shard", &format!("{i}/3"), "-q", "--out"])
                .arg(dir)
                .current_dir(repo_root())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("chainmeter starts")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a shard failed: {}", stderr(&out));
    }
    let shards: Vec<RunResult> = dirs.iter().map(|d| result(d)).collect();
    for (i, s) in shards.iter().enumerate() {
        assert_eq!(s.shard, Some(Shard::new(i as u32, 3).unwrap()));
        assert_eq!(s.senders.len(), 4);
        assert!(
            (s.load.rate_per_s - 100.0).abs() < 1e-9,
            "{}",
            s.load.rate_per_s
        );
    }
    let addresses: HashSet<_> = shards
        .iter()
        .flat_map(|s| s.senders.iter().map(|x| x.address.clone()))
        .collect();
    assert_eq!(addresses.len(), 12, "no sender is shared between shards");

    let merged_path = f.path().join("merged.json");
    let mut merge = Command::new(binary());
    merge.arg("merge").current_dir(repo_root());
    for d in &dirs {
        merge.arg(d.join("result.json"));
    }
    let out = merge.arg("--out").arg(&merged_path).output().unwrap();
    assert!(out.status.success(), "merge failed: {}", stderr(&out));
    support::assert_matches_schema(&merged_path);
    let m = RunResult::read(&merged_path).unwrap();
    assert_eq!(m.shard, None);

    // The chain's own counts, over every shard's senders.
    let (mut nonces, mut spent) = (0u128, 0u128);
    for s in &m.senders {
        let nonce = quantity(&rpc(
            url,
            "eth_getTransactionCount",
            json!([s.address, "latest"]),
        ));
        let balance = quantity(&rpc(url, "eth_getBalance", json!([s.address, "latest"])));
        nonces += nonce - u128::from(s.nonce_before.unwrap());
        spent += s.balance_before.parse::<u128>().unwrap() - balance;
    }
    let fees: u128 = m.fees.total.parse().unwrap();
    println!(
        "3 shards merged: landed {} (chain: {nonces} nonces), fees {fees} wei (chain: {} wei), sent {}",
        m.outcomes.landed(),
        spent - VALUE_WEI * nonces,
        m.outcomes.sent
    );
    assert_eq!(
        u128::from(m.outcomes.landed()),
        nonces,
        "landed = nonce increase"
    );
    assert_eq!(
        fees,
        spent - VALUE_WEI * nonces,
        "fees = balance decrease - value"
    );
    assert_eq!(
        m.outcomes.sent,
        shards.iter().map(|s| s.outcomes.sent).sum::<u64>()
    );

    let (merged, parts) = (
        &m.levels[0].latency_us,
        shards
            .iter()
            .map(|s| &s.levels[0].latency_us)
            .collect::<Vec<_>>(),
    );
    for (name, pick) in [
        (
            "p50",
            (|h: &chainmeter_result::histogram::StoredHistogram| h.p50) as fn(&_) -> u64,
        ),
        ("p90", |h| h.p90),
        ("p99", |h| h.p99),
    ] {
        let (lo, hi) = (
            parts.iter().map(|h| pick(h)).min().unwrap(),
            parts.iter().map(|h| pick(h)).max().unwrap(),
        );
        let v = pick(merged);
        println!("included {name}: merged {v} µs, shards {lo}..{hi} µs");
        assert!(
            lo <= v && v <= hi,
            "merged {name} {v} outside the shards' {lo}..{hi}"
        );
    }

    // Per-second offered: the shards' counts add up, and every second all
    // three were sending offers the whole rate.
    let offered = |r: &RunResult| r.throughput.timeline.iter().map(|s| s.offered).sum::<u64>();
    assert_eq!(offered(&m), shards.iter().map(offered).sum::<u64>());
    let starts: Vec<f64> = shards
        .iter()
        .map(|s| seconds_since(&m.started_at, &s.started_at))
        .collect();
    let (last_start, first_end) = (
        starts.iter().copied().fold(0.0, f64::max),
        starts.iter().map(|s| s + 8.0).fold(f64::MAX, f64::min),
    );
    let full: Vec<u64> = m
        .throughput
        .timeline
        .iter()
        .filter(|s| s.t_s as f64 >= last_start.ceil() && (s.t_s + 1) as f64 <= first_end.floor())
        .map(|s| s.offered)
        .collect();
    println!("shard starts {starts:?} s after the first; merged offered per full second {full:?}");
    assert!(full.len() >= 5, "{full:?}");
    assert!(full.iter().all(|&n| (297..=303).contains(&n)), "{full:?}");
}

/// Seconds from RFC 3339 time `t0` to `t`.
fn seconds_since(t0: &str, t: &str) -> f64 {
    use time::{format_description::well_known::Rfc3339, OffsetDateTime};
    let parse = |s: &str| OffsetDateTime::parse(s, &Rfc3339).unwrap();
    (parse(t) - parse(t0)).as_seconds_f64()
}

/// Runs scripts/validate-k8s.mjs on `files` (all of deploy/kubernetes/
/// when empty), after installing what it needs; with `scenarios`, the
/// mounted scenarios are written there.
fn validate_manifests(
    files: &[&std::path::Path],
    scenarios: Option<&std::path::Path>,
) -> std::process::Output {
    let root = repo_root();
    let install = Command::new(root.join("scripts/install-k8s-models.sh"))
        .output()
        .expect("install script runs");
    assert!(install.status.success(), "{}", stderr(&install));
    let mut node = Command::new("node");
    node.arg(root.join("scripts/validate-k8s.mjs")).args(files);
    if let Some(dir) = scenarios {
        node.env("SCENARIO_OUT", dir);
    }
    node.output().expect("node runs")
}

/// The manifests in deploy/kubernetes/ are valid Kubernetes 1.27 objects
/// (kubernetes-models' OpenAPI schemas, from npm) that run the shards as
/// chainmeter needs (scripts/validate-k8s.mjs says what it checks), and
/// the scenario they mount is one chainmeter accepts and can shard so.
#[test]
fn the_kubernetes_manifests_are_valid_and_their_scenario_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let out = validate_manifests(&[], Some(tmp.path()));
    assert!(out.status.success(), "{}", stderr(&out));
    println!("{}", String::from_utf8_lossy(&out.stdout));

    let text = std::fs::read_to_string(tmp.path().join("chainmeter-scenario.toml")).unwrap();
    let chains: &[&dyn Chain] = &[&chainmeter_evm::Evm, &chainmeter_solana::Solana];
    let overrides = Overrides {
        url: Some("http://solana-validator:8899".into()),
        ..Overrides::default()
    };
    let mut s = scenarios::parse(&text, "scenario.yaml", &overrides, chains)
        .unwrap_or_else(|e| panic!("the mounted scenario: {e}"));
    Shard::new(2, 3).unwrap().apply(&mut s).unwrap();
    assert_eq!(s.accounts.get(), 32);
}

/// A malformed manifest is caught, with what is wrong.
#[test]
fn a_broken_generator_job_is_refused_with_its_faults() {
    let tmp = tempfile::tempdir().unwrap();
    let good =
        std::fs::read_to_string(repo_root().join("deploy/kubernetes/generators.yaml")).unwrap();
    let bad = good
        .replace("completions: 3", "completions: \"three\"")
        .replace("backoffLimit: 0", "backoffLimit: 4");
    let path = scenario(tmp.path(), "generators.yaml", &bad);
    let out = validate_manifests(&[&path], None);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("spec/completions must be integer"), "{err}");
    assert!(err.contains("backoffLimit must be 0"), "{err}");
}
