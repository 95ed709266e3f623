//! Workloads a chain offers by name, with the user's own contract: real
//! anvil, a contract compiled here that chainmeter's code has never seen.

use crate::support::{self, chainmeter, pids_named, quantity, rpc, scenario, solc, stderr};
use serde_json::json;

/// Not one of chainmeter's contracts, nor the shipped example's: a ledger
/// that refuses every entry whose number ends in 7 (with a reason string)
/// or is 13 (with a custom error) and any past its cap, keeping a count
/// per account; `fill(n)` writes n slots, so its gas grows with n; `tag`
/// takes a uint8, `total` is a view.
const LEDGER: &str = r#"
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Ledger {
    uint256 public entries;
    uint256 public cap;
    mapping(address => uint256) public perAccount;
    error Unlucky(uint256 n, address account);
    constructor(uint256 c) { cap = c; }
    function raiseCap(uint256 c) external { cap = c; }
    function record(uint256 n, address account) external {
        if (n % 10 == 7) revert("sevens are refused");
        if (n == 13) revert Unlucky(n, account);
        require(entries < cap, "over the cap");
        entries += 1;
        perAccount[account] += 1;
    }
    mapping(uint256 => uint256) public filled;
    function fill(uint256 n) external {
        for (uint256 i = 0; i < n; i++) { filled[i] += 1; }
    }
    function tag(uint8 t) external { entries += t; }
    function total() external view returns (uint256) { return entries; }
}
"#;

fn call(url: &str, to: &str, data: String) -> u128 {
    quantity(&rpc(
        url,
        "eth_call",
        json!([{"to": to, "data": data}, "latest"]),
    ))
}

/// `call`: deploy (constructor cap 5), a setup call that raises the cap to
/// 1,000 (without it 5 entries would count), 100 calls with the sequence
/// number and the sender as arguments. The contract's own count equals the
/// landed calls, each sender's count its own, and the eleven that revert
/// are `landed_failed` with the contract's reason: its string, or its
/// custom error decoded by the ABI.
#[test]
fn a_users_own_contract_is_deployed_set_up_and_called() {
    let f = support::Fixture::anvil();
    let artifact = solc(f.path(), "Ledger", LEDGER);
    let url = f.url();
    let r = f.run(&format!(
        r#"
name = "e2e-call"
[accounts]
count = 4
seed = "e2e-call"
[workload]
kind = "call"
[workload.call]
artifact = "{}"
constructor = [5]
function = "record(uint256,address)"
args = [{{ seq = true }}, {{ sender = true }}]
[[workload.call.setup]]
function = "raiseCap(uint256)"
args = [1000]
[load]
rate = 50
count = 100
warmup = "0s"
[evm]
levels = ["included"]
"#,
        artifact.file_name().unwrap().to_str().unwrap()
    ));
    let o = &r.outcomes;
    assert_eq!((o.landed_ok, o.landed_failed), (89, 11), "{o:?}");
    let reasons = o
        .error_examples
        .values()
        .flatten()
        .cloned()
        .collect::<Vec<_>>();
    assert!(
        reasons.iter().any(|e| e.contains("sevens are refused")),
        "{reasons:?}"
    );
    let unlucky = format!("execution reverted: Unlucky(13, {})", r.senders[1].address);
    assert!(
        reasons.iter().any(|e| e == &unlucky),
        "{unlucky} in {reasons:?}"
    );
    assert!(
        r.workload
            .description
            .starts_with("call, Ledger.record(uint256,address) on one contract"),
        "{}",
        r.workload.description
    );

    // The chain's own count, read here: the contract is the one a setup
    // call raised the cap of, and it counted every landed call.
    let contract = contract_address(url);
    let count = call(url, &contract, format!("0x{}", selector("entries()")));
    assert_eq!(count, u128::from(o.landed_ok), "entries() = landed");
    // Sender 0 sent seqs 0, 4, 8, …, 96; those ending in 7 reverted.
    let s0 = r.senders[0].address.trim_start_matches("0x").to_lowercase();
    let mine = call(
        url,
        &contract,
        format!("0x{}{:0>64}", selector("perAccount(address)"), s0),
    );
    let expected = (0..100u64)
        .step_by(4)
        .filter(|s| s % 10 != 7 && *s != 13)
        .count() as u128;
    assert_eq!(mine, expected, "sender 0's own tally");
}

/// The contract the run's deployer created first: chainmeter's deployer
/// key is derived from the seed, and its first transaction is the
/// deployment, so the address is the one at nonce 0 of the deployer, found
/// here from the chain by scanning the first blocks' receipts.
fn contract_address(url: &str) -> String {
    for n in 0..20u64 {
        let block = rpc(url, "eth_getBlockReceipts", json!([format!("0x{n:x}")]));
        for r in block.as_array().into_iter().flatten() {
            if let Some(a) = r["contractAddress"].as_str() {
                return a.to_owned();
            }
        }
    }
    panic!("no contract was deployed in the first 20 blocks");
}

/// A function's selector, hex.
fn selector(signature: &str) -> String {
    alloy::primitives::hex::encode(&alloy::primitives::keccak256(signature)[..4])
}

/// What a call workload gets wrong about its contract is a located error,
/// exit 2, before any validator starts.
#[test]
fn a_call_that_does_not_fit_the_abi_is_a_located_error() {
    let f = support::Fixture::bare();
    let artifact = solc(f.path(), "Ledger", LEDGER);
    let name = artifact.file_name().unwrap().to_str().unwrap().to_owned();
    let anvils = pids_named("anvil").len();
    let cases = [
        (
            "function = \"sub(uint256)\"\nargs = [1]",
            "workload.call.function: the ABI of Ledger has no function sub(uint256); it has ",
        ),
        (
            "function = \"record(uint256,address)\"\nargs = [\"many\", { sender = true }]",
            "workload.call.args: argument 1 of record(uint256,address): \"many\" is not a uint256",
        ),
        (
            "function = \"record(uint256,address)\"\nargs = [{ seq = true }, { seq = true }]",
            "argument 2 of record(uint256,address): seq gives an integer, but the parameter is address",
        ),
        // What can only revert is refused too: value to a function that
        // is not payable, a generator past its type's width.
        (
            "function = \"tag(uint8)\"\nargs = [1]\nvalue = 1000",
            "workload.call.value: tag(uint8) is not payable: every call sending 1000 wei would revert",
        ),
        (
            "function = \"tag(uint8)\"\nargs = [{ seq = true }]\n[load]\nrate = 100\ncount = 300\nwarmup = \"0s\"",
            "workload.call.args: argument 1 of tag(uint8): seq reaches 299 over the run's 300 planned transactions (warm-up included), past uint8's maximum 255",
        ),
        (
            "function = \"tag(uint8)\"\nargs = [{ range = [0, 300] }]",
            "workload.call.args: argument 1 of tag(uint8): 300 is not a uint8",
        ),
    ];
    for (settings, wanted) in cases {
        let load = if settings.contains("[load]") {
            ""
        } else {
            "[load]\nrate = 1\ncount = 1\n"
        };
        let file = scenario(
            f.path(),
            "bad.toml",
            &format!(
                "name = \"x\"\n[workload]\nkind = \"call\"\n[workload.call]\nartifact = \"{name}\"\nconstructor = [5]\n{settings}\n{load}[evm]\n"
            ),
        );
        let out = chainmeter(&["run", file.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(wanted), "{settings}: {err}");
        assert!(err.contains("bad.toml:"), "located: {err}");
    }
    assert_eq!(
        pids_named("anvil").len(),
        anvils,
        "no validator was started"
    );
}

/// A call whose cost grows with its generated argument (`fill(n)` writes
/// n slots, n drawn from 1 to 40) lands whole: the default gas limit is the
/// largest estimate over calls spread across the run, not the first
/// call's. A view function runs, with a warning that it changes no state.
#[test]
fn a_call_whose_cost_grows_with_its_argument_runs_out_of_no_gas() {
    let f = support::Fixture::anvil();
    let artifact = solc(f.path(), "Ledger", LEDGER);
    let name = artifact.file_name().unwrap().to_str().unwrap().to_owned();
    let url = f.url();
    let text = |function: &str, args: &str, count: u32| {
        format!(
            "name = \"e2e-fill\"\n[accounts]\ncount = 4\nseed = \"e2e-fill\"\n[workload]\nkind = \"call\"\n[workload.call]\nartifact = \"{name}\"\nconstructor = [5]\nfunction = \"{function}\"\nargs = [{args}]\n[load]\nrate = 20\ncount = {count}\nwarmup = \"0s\"\n[evm]\nlevels = [\"included\"]\n"
        )
    };
    let file = scenario(
        f.path(),
        "fill.toml",
        &text("fill(uint256)", "{ range = [1, 40] }", 60),
    );
    let r = support::run_ok(&file, Some(url), &f.path().join("fill"));
    let o = &r.outcomes;
    assert_eq!((o.landed_ok, o.landed_failed), (60, 0), "{o:?}");
    // The run reached both ends of its range: its gas spread is real.
    let gas = &r.fees.compute_per_tx;
    assert!(gas.max > 3 * gas.min, "gas from {} to {}", gas.min, gas.max);

    let file = scenario(f.path(), "view.toml", &text("total()", "", 5));
    let out = support::run_attached(&file, url, &f.path().join("view"));
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: Ledger.total() is view: it changes no state"),
        "{err}"
    );
}

/// `storage` at two settings: the gas each transaction used, from the
/// receipts, grows with the slots it writes and the loops it runs.
#[test]
fn storage_gas_grows_with_its_setting() {
    let gas = |slots: u32, loops: u32| {
        let r = support::run_text(&format!(
            r#"
name = "e2e-storage-{slots}"
[accounts]
count = 4
[workload]
kind = "storage"
[workload.storage]
slots = {slots}
loops = {loops}
[load]
rate = 40
count = 80
warmup = "0s"
[evm]
levels = ["included"]
"#
        ));
        assert_eq!(r.outcomes.landed_ok, 80, "{:?}", r.outcomes);
        assert!(r
            .workload
            .description
            .starts_with(&format!("storage, {slots} new storage slots")));
        r.fees.compute_per_tx.p50
    };
    let (light, heavy) = (gas(1, 0), gas(8, 200));
    println!("storage gas per transaction: 1 slot {light}, 8 slots and 200 loops {heavy}");
    // Each fresh slot costs 22,100 gas: seven more are at least 150,000 more.
    assert!(heavy >= light + 150_000, "{light} -> {heavy}");
}

/// `deploy`: every landed transaction created a contract, as the chain's
/// receipts say.
#[test]
fn every_deploy_transaction_creates_a_contract() {
    let f = support::Fixture::anvil();
    let url = f.url();
    let r = f.run(
        r#"
name = "e2e-deploy"
[accounts]
count = 4
[workload]
kind = "deploy"
[load]
rate = 25
count = 50
warmup = "0s"
[evm]
levels = ["included"]
"#,
    );
    assert_eq!(r.outcomes.landed_ok, 50, "{:?}", r.outcomes);
    let head = quantity(&rpc(url, "eth_blockNumber", json!([]))) as u64;
    let created: usize = (0..=head)
        .map(|n| {
            let receipts = rpc(url, "eth_getBlockReceipts", json!([format!("0x{n:x}")]));
            receipts
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["contractAddress"].is_string())
                .count()
        })
        .sum();
    assert_eq!(created, 50, "contracts the chain created");
    println!(
        "gas per deployment: p50 {}; {}",
        r.fees.compute_per_tx.p50, r.workload.description
    );
}

/// `swap` against one pool for all (hot) and a pool per sender (disjoint):
/// the run's verification replays the constant-product arithmetic over the
/// pools' Swap events and finds the reserves and the senders' balances on
/// chain equal to it, to the unit; and no token was made or lost: what the
/// pools and senders hold on chain adds up to what was minted to them.
#[test]
fn swaps_move_reserves_and_balances_by_the_constant_product() {
    let f = support::Fixture::anvil();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-swap"
[accounts]
count = 8
[workload]
kind = "swap"
writes = "both"
[workload.swap]
amount = 1000000000000000
liquidity = 1000
[load]
rate = 40
count = 120
warmup = "0s"
[evm]
levels = ["included"]
"#,
    );
    let (hot, disjoint) = support::run_both_modes(&file, Some(f.url()), &f.out(), 120);
    let (amount, liquidity, held) = (10u128.pow(15), 1000u128, 10u128.pow(24));
    for (r, pools) in [(&hot, 1u128), (&disjoint, 8)] {
        let checks = &r.verification.as_ref().unwrap().checks;
        let check = |name: &str| {
            let c = checks.iter().find(|c| c.name == name);
            c.unwrap_or_else(|| panic!("no {name} check in {checks:?}"))
        };
        assert_eq!(check("swaps").chain, "120");
        let pair = |s: &str| -> [u128; 2] {
            let (a, b) = s.split_once(", b ").unwrap();
            [
                a.trim_start_matches("a ").parse().unwrap(),
                b.parse().unwrap(),
            ]
        };
        let reserves = pair(&check("pool reserves").chain);
        let senders = pair(&check("sender tokens").chain);
        for t in 0..2 {
            assert_eq!(
                reserves[t] + senders[t],
                pools * amount * liquidity + 8 * held,
                "token {t} conserved"
            );
        }
        assert_ne!(reserves, [pools * amount * liquidity; 2], "the pools moved");
        println!(
            "{}: reserves {reserves:?}, {}",
            r.scenario["workload"]["writes"], r.workload.description
        );
    }
    let (h, d) = (
        hot.levels[0].latency_us.p50,
        disjoint.levels[0].latency_us.p50,
    );
    println!(
        "swap gas p50: hot {}, disjoint {}; included p50 hot {h} µs, disjoint {d} µs (ratio {:.2})",
        hot.fees.compute_per_tx.p50,
        disjoint.fees.compute_per_tx.p50,
        h as f64 / d as f64
    );
}

/// A traffic mix of transfer 60%, token 30% and swap 10%: every entry's
/// counts add up to the whole's, each entry's share of the sends lies
/// within sampling error of its share, every entry is verified against the
/// chain (its landed count by where its transactions went, and its own
/// effects), and the test counts the entries' transactions on chain itself,
/// by their input, and finds the entries' landed counts.
#[test]
fn a_mix_reports_and_verifies_every_entry() {
    let f = support::Fixture::anvil();
    let url = f.url();
    let file = scenario(
        f.path(),
        "s.toml",
        r#"
name = "e2e-mix"
[accounts]
count = 8
[[workload.mix]]
kind = "transfer"
share = 0.6
[[workload.mix]]
kind = "token"
share = 0.3
[[workload.mix]]
kind = "swap"
share = 0.1
[workload.swap]
liquidity = 1000
[load]
rate = 60
count = 400
warmup = "0s"
[evm]
levels = ["included"]
"#,
    );
    let out = f.out();
    let start = quantity(&rpc(url, "eth_blockNumber", json!([]))) as u64;
    let r = support::run_ok(&file, Some(url), &out);
    assert_eq!(r.workload.kind, "mix");
    let kinds: Vec<&str> = r.mix.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["transfer", "token", "swap"]);
    support::assert_mix_adds_up_and_verifies(&r);
    let n = r.outcomes.sent as f64;
    for e in &r.mix {
        let got = e.outcomes.sent as f64 / n;
        let sd = (e.share * (1.0 - e.share) / n).sqrt();
        assert!(
            (got - e.share).abs() < 4.0 * sd,
            "{}: {got} of {}",
            e.kind,
            e.share
        );
    }
    // The chain's own count, by input: a transfer carries none, a token
    // transfer calls transfer(address,uint256) (0xa9059cbb), a swap the rest
    // but approve(address,uint256) (0x095ea7b3), made before the clock.
    let senders: Vec<String> = r.senders.iter().map(|s| s.address.to_lowercase()).collect();
    let head = quantity(&rpc(url, "eth_blockNumber", json!([]))) as u64;
    let mut counted = [0u64; 3];
    for b in start + 1..=head {
        let block = rpc(
            url,
            "eth_getBlockByNumber",
            json!([format!("0x{b:x}"), true]),
        );
        for tx in block["transactions"].as_array().into_iter().flatten() {
            let from = tx["from"].as_str().unwrap().to_lowercase();
            if !senders.contains(&from) {
                continue;
            }
            let input = tx["input"].as_str().unwrap();
            // The senders' approvals of their pool are the swap's setup.
            if input.starts_with("0x095ea7b3") {
                continue;
            }
            counted[match input {
                "0x" => 0,
                i if i.starts_with("0xa9059cbb") => 1,
                _ => 2,
            }] += 1;
        }
    }
    let landed: Vec<u64> = r
        .mix
        .iter()
        .map(|e| e.outcomes.landed_ok + e.outcomes.landed_failed)
        .collect();
    assert_eq!(
        counted.to_vec(),
        landed,
        "each entry's transactions on chain"
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("**Traffic mix**"), "{summary}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("swap included"),
        "the HTML draws each entry's curve"
    );
    for e in &r.mix {
        println!(
            "{}: {} sent, {} landed, included p50 {} µs p99 {} µs, gas p50 {}, fee mean {:.0} wei",
            e.kind,
            e.outcomes.sent,
            e.outcomes.landed_ok,
            e.levels[0].latency_us.p50,
            e.levels[0].latency_us.p99,
            e.fees.compute_per_tx.p50,
            e.fees.mean
        );
    }
}
