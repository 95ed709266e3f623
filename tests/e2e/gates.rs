//! Gates that know noise: `run --repeat K` and `compare --fail-if` on
//! repeated runs, against real anvil runs.

use crate::support::{self, chainmeter, result, scenario, stderr};

/// The gate's scenario, a 5 s transfer run on anvil with `block_time`,
/// written into `dir` as `<name>.toml`.
fn gate_scenario(dir: &std::path::Path, name: &str, block_time: &str) -> std::path::PathBuf {
    scenario(
        dir,
        &format!("{name}.toml"),
        &format!(
            "name = \"e2e-gate\"\n[load]\nrate = 50\nduration = \"5s\"\n\
             [evm]\nlevels = [\"included\"]\nblock_time = \"{block_time}\"\n"
        ),
    )
}

/// The gate's scenario with `block_time`, repeated 3 times (each repeat
/// with its own anvil), into `out`.
fn repeated(dir: &std::path::Path, name: &str, block_time: &str) -> std::path::PathBuf {
    let file = gate_scenario(dir, name, block_time);
    let out = dir.join(name);
    let run = chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--repeat",
        "3",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    out
}

/// Two baselines (1 s blocks) do not fail `included.p50>+20%`; a candidate
/// with 2 s blocks, whose inclusion takes about twice as long, does, and
/// the output says by which method and with which interval.
#[test]
fn repeated_runs_gate_on_a_confidence_interval() {
    let f = support::Fixture::bare();
    let base = repeated(f.path(), "base", "1s");
    let r = result(&base);
    assert_eq!(r.repeats.len(), 3);
    assert!(r
        .repeats
        .iter()
        .all(|rep| rep.metrics.contains_key("included.p50")));
    for k in 1..=3 {
        assert!(base.join(format!("repeat-{k}/result.json")).is_file());
    }
    let base2 = repeated(f.path(), "base2", "1s");
    let slow = repeated(f.path(), "slow", "2s");

    let gate = |candidate: &std::path::Path| {
        chainmeter(&[
            "compare",
            base.join("result.json").to_str().unwrap(),
            candidate.join("result.json").to_str().unwrap(),
            "--fail-if",
            "included.p50>+20%",
        ])
    };
    let same = gate(&base2);
    let text = String::from_utf8_lossy(&same.stdout);
    println!("baseline vs baseline:\n{text}");
    assert!(same.status.success(), "{text}\n{}", stderr(&same));
    assert!(text.contains("bootstrap"), "{text}");
    assert!(text.contains("95% interval"), "{text}");

    let changed = gate(&slow);
    let text = String::from_utf8_lossy(&changed.stdout);
    println!("2 s blocks against 1 s:\n{text}");
    assert_eq!(changed.status.code(), Some(1), "{text}");
    assert!(
        text.contains("included.p50>+20%") && text.contains("BREAKS"),
        "{text}"
    );
}

/// Without repeats, a comparison judges one figure against another, as
/// before: a 2 s-block candidate against a 1 s baseline fails, and no
/// interval is claimed.
#[test]
fn a_single_run_comparison_judges_figures_as_before() {
    let f = support::Fixture::bare();
    let run = |name: &str, block_time: &str| {
        let file = gate_scenario(f.path(), name, block_time);
        let out = f.path().join(name);
        support::run_ok(&file, None, &out);
        out.join("result.json")
    };
    let (base, slow) = (run("base", "1s"), run("slow", "2s"));
    let out = chainmeter(&[
        "compare",
        base.to_str().unwrap(),
        slow.to_str().unwrap(),
        "--fail-if",
        "included.p50>+20%",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("bootstrap"), "{text}");
    assert!(stderr(&out).contains("included.p50"), "{}", stderr(&out));
}

/// A merge with an input that holds no verification is unverified, and a
/// gate fails it whatever its figures; a repeated run merges only from its
/// repeats' own results. Result files only: no validator.
#[test]
fn an_unverified_merge_fails_the_gate_and_repeats_need_their_results() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = support::repo_root().join("crates/report/tests/fixtures/evm-mix.json");
    let mut a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let mut b = a.clone();
    b["started_at"] = "2026-12-02T17:00:01Z".into();
    for s in b["senders"].as_array_mut().unwrap() {
        s["address"] = format!("{}-b", s["address"].as_str().unwrap()).into();
    }
    b.as_object_mut().unwrap().remove("verification");
    let write = |name: &str, v: &serde_json::Value| {
        let path = tmp.path().join(name);
        std::fs::write(&path, serde_json::to_string(v).unwrap()).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (pa, pb, merged) = (
        write("a.json", &a),
        write("b.json", &b),
        tmp.path().join("m.json"),
    );
    let out = chainmeter(&["merge", &pa, &pb, "--out", merged.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    assert_eq!(m["verification"]["unverified"], serde_json::json!([pb]));
    let gate = chainmeter(&[
        "compare",
        &pa,
        merged.to_str().unwrap(),
        "--fail-if",
        "success<-50%",
    ]);
    let text = format!("{}{}", String::from_utf8_lossy(&gate.stdout), stderr(&gate));
    assert_eq!(gate.status.code(), Some(1), "{text}");
    assert!(text.contains("UNVERIFIED"), "{text}");

    // Repeats without their repeat-<k>/result.json beside them: refused.
    a["repeats"] = serde_json::json!([
        {"started_at": "2026-12-02T17:00:00Z", "metrics": {"tps": 1.0}},
        {"started_at": "2026-12-02T17:01:00Z", "metrics": {"tps": 1.0}}
    ]);
    let pa = write("a.json", &a);
    let out = chainmeter(&["merge", &pa, &pb, "--out", merged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("holds 2 repeats, and")
            && stderr(&out).contains("repeat-1/result.json is missing"),
        "{}",
        stderr(&out)
    );
}
