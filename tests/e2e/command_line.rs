//! `--set KEY=VALUE` and `--progress json`, against anvils the runs start.

use crate::support::{self, chainmeter, pids_named, scenario, stderr, Running};
use chainmeter_result::{
    headline::headline,
    progress::{ProgressEvent, Snapshot},
    run::{RunResult, RunStatus},
};
use std::time::Duration;

const SCENARIO: &str = r#"
name = "e2e-command-line"
[accounts]
count = 4
[load]
rate = 10
count = 20
[evm]
block_time = "1s"
levels = ["included"]
"#;

/// The flags win over the file (a later flag over an earlier), a nested
/// key the file lacks is made, and the result's scenario records what ran.
#[test]
fn set_keys_override_the_file_and_are_recorded() {
    let f = support::Fixture::bare();
    let file = f.scenario(SCENARIO);
    let out = f.out();
    let anvil = chainmeter_localnet::locate(&chainmeter_localnet::ANVIL).expect("anvil installed");
    let binary = format!("evm.binary=\"{}\"", anvil.display());
    let run = chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--set",
        "load.rate=30",
        "--set",
        "load.count=50",
        "--set",
        "load.rate=40",
        "--set",
        "evm.block_time=500ms",
        "--set",
        "workload.value=7",
        "--set",
        &binary,
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let r = support::result(&out);
    assert_eq!(r.outcomes.landed_ok, 50, "{:?}", r.outcomes);
    assert_eq!(r.scenario["load"]["rate"], 40.0);
    assert_eq!(r.scenario["load"]["count"], 50);
    assert_eq!(r.scenario["evm"]["block_time"], "500ms");
    assert_eq!(r.workload.value, 7);
    assert_eq!(r.load.value_per_tx, "7");
    assert_eq!(r.scenario["evm"]["binary"], anvil.display().to_string());
}

/// Every `--progress json` line parses and validates against the published
/// schema, they come about a second apart, and the last is the result's
/// headline; a run stopped by SIGTERM still ends with a final line, its
/// status the result's.
#[test]
fn progress_json_lines_validate_and_end_with_the_headline() {
    let f = support::Fixture::bare();
    let file = f.scenario(&SCENARIO.replace("count = 20", "duration = \"6s\""));
    let out = f.out();
    let mut run = with_json_progress(&file, &out);
    run.wait_for_line("{", Duration::from_secs(120));
    let (code, err) = run.finish(Duration::from_secs(120));
    assert_eq!(code, Some(0), "{err}");
    let r = support::result(&out);
    let lines = events(&err);
    let snapshots: Vec<&Snapshot> = lines
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Progress(s) => Some(s),
            ProgressEvent::Final(_) => None,
        })
        .collect();
    assert!(snapshots.len() >= 5, "{err}");
    assert!(snapshots.iter().all(|s| s.chain == "evm"));
    let gaps: Vec<f64> = snapshots
        .windows(2)
        .map(|w| w[1].elapsed_s - w[0].elapsed_s)
        .collect();
    let about_a_second = gaps.iter().filter(|g| (0.5..=1.5).contains(*g)).count();
    assert!(about_a_second * 10 >= gaps.len() * 8, "{gaps:?}");
    let last = snapshots.last().unwrap();
    assert!(last.sent > 0 && last.landed <= last.sent, "{last:?}");
    assert!(
        snapshots.iter().any(|s| !s.levels.is_empty()),
        "latency so far"
    );
    assert_final(&lines, &r);

    // Stopped half-way by SIGTERM: still a final line, and it is the
    // stopped result's.
    let out = f.path().join("stopped");
    let file = f.scenario(&SCENARIO.replace("count = 20", "duration = \"60s\""));
    let mut run = with_json_progress(&file, &out);
    run.wait_for_line("{\"event\":\"progress\"", Duration::from_secs(120));
    std::thread::sleep(Duration::from_secs(3));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(run.pid() as i32, libc::SIGTERM) };
    let (code, err) = run.finish(Duration::from_secs(120));
    assert_ne!(code, Some(0), "{err}");
    let r = support::result(&out);
    assert!(
        matches!(r.status, RunStatus::Aborted { .. }),
        "{:?}",
        r.status
    );
    assert_final(&events(&err), &r);
}

/// `chainmeter run FILE --out OUT --progress json`, running.
fn with_json_progress(file: &std::path::Path, out: &std::path::Path) -> Running {
    Running::start(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--progress",
        "json",
    ])
}

/// The JSON lines of `stderr`, each checked against the published schema.
fn events(stderr: &str) -> Vec<ProgressEvent> {
    let schema = std::fs::read_to_string(support::repo_root().join("schemas/progress.schema.json"))
        .expect("the published progress schema");
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let value: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{l}: {errors:?}");
            serde_json::from_value(value).unwrap()
        })
        .collect()
}

/// The last event is the final line, and it is `r`'s headline and status.
fn assert_final(events: &[ProgressEvent], r: &RunResult) {
    let Some(ProgressEvent::Final(last)) = events.last() else {
        panic!("the last line is no final line: {:?}", events.last());
    };
    assert_eq!(last.status, r.status);
    let names: Vec<(String, f64)> = last
        .headline
        .iter()
        .map(|m| (m.name.clone(), m.value))
        .collect();
    let want: Vec<(String, f64)> = headline(r).into_iter().map(|m| (m.name, m.value)).collect();
    assert_eq!(names, want);
}

/// A `--set` that cannot be is a located error naming the flag: a key
/// that does not exist, a value of the wrong type, an array of tables; exit
/// 2, no node started.
#[test]
fn bad_set_keys_name_the_flag() {
    let _one_validator = support::serial();
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "s.toml", SCENARIO);
    let before = pids_named("anvil").len();
    for (set, says) in [
        (
            "evm.blok_time=2s",
            "--set evm.blok_time=2s: evm.blok_time: unknown field `blok_time`",
        ),
        (
            "load.rate=fast",
            "--set load.rate=fast: load.rate: invalid type: string \"fast\", expected f64",
        ),
        ("load.rate", "load.rate: give KEY=VALUE"),
        (
            "evm.binary=/nonexistent/anvil",
            "--set evm.binary=/nonexistent/anvil: evm.binary: /nonexistent/anvil is not an executable file",
        ),
        (
            "workload.kind=teleport",
            "--set workload.kind=teleport: workload.kind: evm offers no `teleport` workload",
        ),
    ] {
        let out = chainmeter(&["run", file.to_str().unwrap(), "-q", "--set", set]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{set}: {err}");
        assert!(err.contains(says), "{set}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(
        pids_named("anvil").len(),
        before,
        "an anvil was left running"
    );
}

/// `ab` on anvil, A with 1 s blocks and B with 2 s blocks, 3 pairs of
/// short runs: the runs went A-B-B-A, every pair agrees B's included p50
/// is higher, and `included.p50>+20%` breaks (exit 1). A against A never
/// fails: it holds or is undecided (exit 0 or 3).
#[test]
fn ab_runs_pairs_in_a_b_b_a_order_and_gates_on_the_paired_change() {
    let f = support::Fixture::bare();
    let file = f.scenario(SCENARIO);
    let out = f.path().join("ab");
    let run = chainmeter(&[
        "ab",
        file.to_str().unwrap(),
        "--a",
        "evm.block_time=1s",
        "--b",
        "evm.block_time=2s",
        "--pairs",
        "3",
        "--fail-if",
        "included.p50>+20%",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("B regressed against A"), "{err}");
    let ab: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("ab.json")).unwrap()).unwrap();
    let order: Vec<(u64, String)> = ab["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["pair"].as_u64().unwrap(),
                r["side"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(u64, String)> = [(1, "A"), (1, "B"), (2, "B"), (2, "A"), (3, "A"), (3, "B")]
        .iter()
        .map(|(k, s)| (*k, (*s).to_owned()))
        .collect();
    assert_eq!(order, want);
    for r in ab["runs"].as_array().unwrap() {
        let result = RunResult::read(std::path::Path::new(r["result"].as_str().unwrap())).unwrap();
        let block_time = if r["side"] == "A" { "1s" } else { "2s" };
        assert_eq!(result.scenario["evm"]["block_time"], block_time);
    }
    let p50 = ab["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "included.p50")
        .expect("included.p50 compared");
    assert_eq!(p50["pairs_agree"], true, "{p50}");
    assert_eq!(p50["cross_agree"], true, "{p50}");
    assert!(p50["pair_changes_pct"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c.as_f64().unwrap() > 20.0));
    assert_eq!(ab["gates"][0]["verdict"], "breaks");
    for page in ["ab.md", "ab.html"] {
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(text.contains("included.p50"), "{page}");
    }

    let same = f.path().join("same");
    let run = chainmeter(&[
        "ab",
        file.to_str().unwrap(),
        "--pairs",
        "2",
        "--fail-if",
        "included.p50>+20%",
        "--out",
        same.to_str().unwrap(),
        "-q",
    ]);
    let err = stderr(&run);
    assert!(
        matches!(run.status.code(), Some(0) | Some(3)),
        "A against A: {err}"
    );
}
