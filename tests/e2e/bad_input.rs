//! Bad input: a clear error naming what and where, a non-zero exit, no validator left running.

use crate::support::{self, chainmeter, pids_named, scenario, stderr};

fn fails_with(args: &[&str], code: i32, needles: &[&str]) {
    // Serial with the tests that start validators, so the count below is ours alone.
    let _one_validator = support::serial();
    let anvils_before = pids_named("anvil").len();
    let out = chainmeter(args);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit code for {args:?}: {err}"
    );
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks {n:?}:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        pids_named("anvil").len(),
        anvils_before,
        "a validator was left running"
    );
}

#[test]
fn missing_file() {
    fails_with(
        &["run", "/nonexistent/s.toml"],
        2,
        &["cannot read scenario /nonexistent/s.toml"],
    );
}

#[test]
fn unknown_field_wrong_type_and_zero_rate_name_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let unknown = scenario(
        tmp.path(),
        "unknown.toml",
        "name = \"x\"\n[load]\nrate = 1\ncount = 1\nburst = 3\n[evm]\n",
    );
    let path = unknown.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!("{path}:5:1: load.burst: unknown field `burst`")],
    );

    let wrong = scenario(
        tmp.path(),
        "wrong.toml",
        "name = \"x\"\n[load]\nrate = 1\ncount = \"many\"\n[evm]\n",
    );
    let path = wrong.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!("{path}:4:9: load.count: invalid type: string")],
    );

    let zero = scenario(
        tmp.path(),
        "zero.toml",
        "name = \"x\"\n[load]\nrate = 0\ncount = 1\n[evm]\n",
    );
    let path = zero.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!(
            "{path}:3:8: load.rate: must be a number greater than 0"
        )],
    );
    fails_with(
        &["run", "scenarios/evm-transfer.toml", "--rate", "0"],
        2,
        &["--rate: must be a number greater than 0"],
    );
}

#[test]
fn unreachable_url_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    // Port 9 (discard) on loopback: nothing listens there.
    fails_with(
        &[
            "run",
            "scenarios/evm-transfer.toml",
            "--url",
            "http://127.0.0.1:9",
            "--out",
            tmp.path().to_str().unwrap(),
        ],
        1,
        &["http://127.0.0.1:9", "eth_chainId"],
    );
}

#[test]
fn every_shipped_scenario_parses() {
    for entry in std::fs::read_dir(support::repo_root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            chainmeter_core::scenario::load(
                &path,
                &Default::default(),
                &[&chainmeter_evm::Evm, &chainmeter_solana::Solana],
            )
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

/// The scale-out and CI flags refuse what cannot be, before any validator starts.
#[test]
fn shards_repeats_and_metrics_refuse_what_cannot_be() {
    let tmp = tempfile::tempdir().unwrap();
    let one = scenario(
        tmp.path(),
        "one.toml",
        "name = \"x\"\n[accounts]\ncount = 2\n[load]\nrate = 10\ncount = 10\n[evm]\n",
    );
    let one = one.to_str().unwrap();
    fails_with(
        &["run", one, "--shard", "3/3"],
        2,
        &["shard 3/3: the index counts from 0 and must be below 3"],
    );
    fails_with(&["run", one, "--shard", "1-3"], 2, &["\"1-3\" is not I/N"]);
    fails_with(
        &["run", one, "--shard", "2/3"],
        2,
        &["--shard 2/3: the scenario cannot be split into 3 shards: accounts.count (2) gives shard 2 no sender of its own"],
    );
    let search = repo_root_file("scenarios/evm-saturate.toml");
    fails_with(
        &["run", &search, "--shard", "0/2"],
        2,
        &["a saturation search is one process's"],
    );
    let both = repo_root_file("scenarios/compare.toml");
    fails_with(
        &["run", &both, "--repeat", "3"],
        2,
        &["--repeat repeats one run: this scenario makes 2"],
    );
    fails_with(&["run", one, "--repeat", "0"], 2, &["--repeat"]);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    fails_with(
        &[
            "run",
            one,
            "--metrics",
            &addr,
            "--out",
            tmp.path().join("o").to_str().unwrap(),
        ],
        2,
        &[&format!("--metrics: cannot listen on {addr}")],
    );
}

fn repo_root_file(path: &str) -> String {
    support::repo_root().join(path).to_str().unwrap().to_owned()
}

/// A workload is a chain's: one it lacks, or settings it does not know,
/// are located errors before any validator starts.
#[test]
fn an_unknown_workload_or_its_unknown_settings_are_located() {
    let tmp = tempfile::tempdir().unwrap();
    let unknown = scenario(
        tmp.path(),
        "kind.toml",
        "name = \"x\"\n[workload]\nkind = \"teleport\"\n[load]\nrate = 1\ncount = 1\n[evm]\n",
    );
    let path = unknown.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!(
            "{path}:3:8: workload.kind: evm offers no `teleport` workload; it offers transfer, token, call, storage, deploy, swap"
        )],
    );
    // A kind one chain of the scenario offers and the other does not.
    let lacking = scenario(
        tmp.path(),
        "lacking.toml",
        "name = \"x\"\n[workload]\nkind = \"storage\"\n[load]\nrate = 1\ncount = 1\n[evm]\n[solana]\n",
    );
    let path = lacking.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!(
            "{path}:3:8: workload.kind: solana offers no `storage` workload; it offers transfer, token"
        )],
    );
    // A mix whose shares do not sum to 1, and a mix on a chain that runs none.
    let shares = scenario(
        tmp.path(),
        "shares.toml",
        "name = \"x\"\n[[workload.mix]]\nkind = \"transfer\"\nshare = 0.6\n[[workload.mix]]\nkind = \"token\"\nshare = 0.3\n[load]\nrate = 1\ncount = 1\n[evm]\n",
    );
    let path = shares.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!(
            "{path}:2:1: workload.mix: the shares sum to 0.8999999999999999 (0.6 + 0.3); they must sum to 1"
        )],
    );
    let solana_mix = scenario(
        tmp.path(),
        "solana-mix.toml",
        "name = \"x\"\n[[workload.mix]]\nkind = \"transfer\"\nshare = 0.5\n[[workload.mix]]\nkind = \"swap\"\nshare = 0.5\n[load]\nrate = 1\ncount = 1\n[solana]\n",
    );
    let path = solana_mix.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!("{path}:6:8: "), "solana offers no `swap` workload"],
    );
    let settings = scenario(
        tmp.path(),
        "settings.toml",
        "name = \"x\"\n[workload]\nkind = \"token\"\n[workload.token]\ndecimals = 6\n[load]\nrate = 1\ncount = 1\n[solana]\n",
    );
    let path = settings.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!(
            "{path}:5:1: workload.token.decimals: unknown field `decimals`"
        )],
    );
}

/// Settings that cannot take effect are refused, never silently dropped or
/// clamped: a value on a workload that moves none, a Solana compute-unit
/// limit above the runtime's maximum.
#[test]
fn settings_that_cannot_take_effect_are_located_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let deploy = scenario(
        tmp.path(),
        "deploy.toml",
        "name = \"x\"\n[workload]\nkind = \"deploy\"\nvalue = 5\n[load]\nrate = 1\ncount = 1\n[evm]\n",
    );
    let path = deploy.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!(
            "{path}:4:9: workload.value: deploy moves no value (each transaction creates a contract and sends no wei): value = 5 would be dropped"
        )],
    );
    let limit = scenario(
        tmp.path(),
        "limit.toml",
        "name = \"x\"\n[load]\nrate = 1\ncount = 1\n[solana]\ncompute_unit_limit = 5000000\n",
    );
    let path = limit.to_str().unwrap();
    fails_with(
        &["run", path],
        2,
        &[&format!(
            "{path}:6:22: solana.compute_unit_limit: 5000000 is above the runtime's maximum of 1400000 units a transaction"
        )],
    );
}
