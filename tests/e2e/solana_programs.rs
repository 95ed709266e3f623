//! The user's own Solana programs through the generic `program` workload,
//! against a real solana-test-validator: chainmeter's counter in sBPF
//! assembly (crates/solana/programs/counter.s), which the Solana crate has
//! no code for, and the SPL Memo program the validator holds at genesis.

use crate::support::{self, chainmeter, pids_named, rpc, scenario, stderr};
use base64::{engine::general_purpose::STANDARD, Engine};
use chainmeter_localnet::SolanaOptions;
use serde_json::json;
use solana_sdk::{pubkey::Pubkey, transaction::VersionedTransaction};
use std::{path::PathBuf, str::FromStr};

/// Where the tests' validator loads the counter: an id the Solana crate
/// knows nothing of.
const COUNTER_ID: &str = "34Gcfy6VAQBLVmNJtvzEiEqMt5bbL4wQc1Fr4sJn9P2K";
const MEMO_ID: &str = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr";

fn counter_so() -> PathBuf {
    support::repo_root().join("crates/solana/programs/counter.so")
}

/// The accounts `program` owns, each as (address, data).
fn owned_by(url: &str, program: &str) -> Vec<(String, Vec<u8>)> {
    let answer = rpc(
        url,
        "getProgramAccounts",
        json!([program, {"commitment": "confirmed", "encoding": "base64"}]),
    );
    answer
        .as_array()
        .expect("getProgramAccounts answers a list")
        .iter()
        .map(|a| {
            let data = a["account"]["data"][0].as_str().unwrap();
            (
                a["pubkey"].as_str().unwrap().to_owned(),
                STANDARD.decode(data).unwrap(),
            )
        })
        .collect()
}

fn word(d: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(d[8 * i..8 * i + 8].try_into().unwrap())
}

/// A landed transaction as the chain holds it: its wire bytes and whether it failed.
pub(crate) struct OnChain {
    pub(crate) wire: Vec<u8>,
    pub(crate) failed: bool,
}

impl OnChain {
    fn decoded(&self) -> VersionedTransaction {
        bincode::deserialize(&self.wire).expect("a wire transaction")
    }

    /// The data of its instructions to `program`.
    fn data_for(&self, program: &Pubkey) -> Vec<Vec<u8>> {
        let tx = self.decoded();
        let keys = tx.message.static_account_keys();
        tx.message
            .instructions()
            .iter()
            .filter(|ix| keys[usize::from(ix.program_id_index)] == *program)
            .map(|ix| ix.data.clone())
            .collect()
    }
}

/// Every confirmed transaction naming `address`, read back from the chain.
pub(crate) fn transactions_naming(url: &str, address: &str) -> Vec<OnChain> {
    let sigs = rpc(
        url,
        "getSignaturesForAddress",
        json!([address, {"commitment": "confirmed", "limit": 1000}]),
    );
    sigs.as_array()
        .expect("a list of signatures")
        .iter()
        .map(|s| {
            let sig = s["signature"].as_str().unwrap();
            let tx = rpc(
                url,
                "getTransaction",
                json!([sig, {"commitment": "confirmed", "encoding": "base64",
                             "maxSupportedTransactionVersion": 0}]),
            );
            OnChain {
                wire: STANDARD
                    .decode(tx["transaction"][0].as_str().expect("base64 transaction"))
                    .unwrap(),
                failed: !tx["meta"]["err"].is_null(),
            }
        })
        .collect()
}

/// 150 calls of the counter, described in the scenario alone: one shared
/// account chainmeter creates, and data of an amount drawn from 0..=4 then
/// the call's sequence number. The program refuses amount 0: those calls
/// are `landed_failed` with its error code and its own log line. Read back
/// from the chain, the counter's total is the sum of the amounts of the
/// calls that succeeded and its call count theirs, both what the run
/// recorded; the result's transaction size is the landed transactions'.
///
/// Then SPL Memo through the same generic path, on the same validator: a
/// 5-byte prefix and four ASCII digits drawn per transaction (valid UTF-8,
/// as the program demands); all land and verify.
#[test]
fn the_users_own_programs_run_through_the_generic_path_and_their_state_counts_what_landed() {
    let f = support::Fixture::validator_with(&SolanaOptions {
        programs: vec![(COUNTER_ID.into(), counter_so())],
        ..SolanaOptions::default()
    });
    let url = f.url().to_owned();
    let r = f.run(&format!(
        r#"
name = "e2e-solana-counter"
[accounts]
count = 8
seed = "e2e-counter"
[workload]
kind = "program"
[workload.program]
id = "{COUNTER_ID}"
accounts = [{{ create = "shared", size = 16, writable = true }}]
data = [{{ range = [0, 4] }}, {{ seq = "u64" }}]
[load]
rate = 50
count = 150
drain_timeout = "60s"
[solana]
levels = ["processed", "confirmed"]
"#
    ));
    let o = &r.outcomes;
    assert_eq!(o.landed_ok + o.landed_failed, 150, "{o:?}");
    assert!(o.landed_failed > 5, "amount 0 drawn: {o:?}");
    let reasons: Vec<_> = o.error_examples.values().flatten().collect();
    assert!(
        reasons
            .iter()
            .any(|e| e.contains("\"Custom\":3")
                && e.ends_with("Program log: counter: amount is zero")),
        "{reasons:?}"
    );
    assert!(
        r.workload.description.starts_with(&format!(
            "program {COUNTER_ID}, 1 account and 16 bytes of data per transaction; shared account "
        )),
        "{}",
        r.workload.description
    );

    let accounts = owned_by(&url, COUNTER_ID);
    assert_eq!(accounts.len(), 1, "one shared account created");
    let (address, state) = &accounts[0];
    assert_eq!(state.len(), 16);
    let program = Pubkey::from_str(COUNTER_ID).unwrap();
    let calls: Vec<(u64, bool)> = transactions_naming(&url, address)
        .iter()
        .flat_map(|tx| {
            tx.data_for(&program)
                .into_iter()
                .map(|d| (word(&d, 0), tx.failed))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(calls.len(), 150, "every call landed on the chain");
    let ok: Vec<u64> = calls.iter().filter(|c| !c.1).map(|c| c.0).collect();
    assert!(calls.iter().filter(|c| c.1).all(|c| c.0 == 0));
    assert_eq!(ok.len() as u64, o.landed_ok, "succeeded on the chain");
    assert_eq!(
        word(state, 0),
        ok.iter().sum::<u64>(),
        "the counter's total"
    );
    assert_eq!(word(state, 1), o.landed_ok, "the counter's calls");
    let landed = transactions_naming(&url, address);
    assert_eq!(
        r.workload.tx_bytes,
        Some(landed[0].wire.len() as u64),
        "the result's size is the landed transaction's"
    );

    let r = f.run(&format!(
        r#"
name = "e2e-solana-generic-memo"
[accounts]
count = 4
[workload]
kind = "program"
[workload.program]
id = "{MEMO_ID}"
data = [{{ hex = "6d656d6f20" }}, {{ range = [48, 57], type = "u8" }},
        {{ range = [48, 57], type = "u8" }}, {{ range = [48, 57], type = "u8" }},
        {{ range = [48, 57], type = "u8" }}]
[load]
rate = 50
count = 100
drain_timeout = "60s"
[solana]
levels = ["processed", "confirmed"]
"#
    ));
    assert_eq!(r.outcomes.landed_ok, 100, "{:?}", r.outcomes);
    assert_eq!(r.fees.total, "500000", "100 memos at 5,000 lamports");
    assert!(
        r.workload
            .description
            .starts_with(&format!("program {MEMO_ID}, 0 accounts and 9 bytes")),
        "{}",
        r.workload.description
    );
}

/// A validator chainmeter starts loads the scenario's program file itself
/// (`--bpf-program`, at an id taken from the file's bytes): 100 calls to a
/// counter of each payer's own, all landed and verified.
#[test]
fn a_program_file_is_loaded_into_the_validator_chainmeter_starts() {
    let so = counter_so();
    let r = support::run_text(&format!(
        r#"
name = "e2e-solana-program-file"
[accounts]
count = 4
[workload]
kind = "program"
[workload.program]
file = "{}"
accounts = [{{ create = "per_payer", size = 16, writable = true }}]
data = [{{ range = [1, 9] }}, {{ payer = "u64" }}, {{ seq = "u32" }}]
[load]
rate = 50
count = 100
[solana]
levels = ["processed", "confirmed"]
"#,
        so.display()
    ));
    assert_eq!(r.outcomes.landed_ok, 100, "{:?}", r.outcomes);
    assert!(
        r.workload
            .description
            .contains("1 account and 20 bytes of data per transaction; 4 accounts, one a payer"),
        "{}",
        r.workload.description
    );
}

/// A program scenario that cannot run is a located error before any
/// validator starts: a missing file, an unknown placeholder, a value wider
/// than its field, an instruction that does not fit a transaction.
#[test]
fn bad_program_settings_are_located_before_any_validator_starts() {
    let _one_validator = support::serial();
    let dir = tempfile::tempdir().unwrap();
    let before = pids_named("solana-test-validator").len();
    let head = "name = \"p\"\n[load]\nrate = 1\ncount = 1\n[solana]\n[workload]\nkind = \"program\"\n[workload.program]\n";
    for (settings, says) in [
        (
            "file = \"gone.so\"\n",
            "p.toml:9:8: workload.program.file: cannot read",
        ),
        (
            &format!("id = \"{COUNTER_ID}\"\ndata = [{{ f32 = 1 }}]\n") as &str,
            "p.toml:10:9: workload.program.data[0]: unknown field `f32`",
        ),
        (
            &format!("id = \"{COUNTER_ID}\"\ndata = [{{ u16 = 70000 }}]\n"),
            "workload.program.data[0]: 70000 does not fit in a u16",
        ),
        (
            &format!(
                "id = \"{COUNTER_ID}\"\naccounts = [{}]\n",
                vec!["{ create = \"per_payer\", size = 8 }"; 36].join(", ")
            ),
            "workload.program.accounts: a transaction of 36 accounts",
        ),
    ] {
        let file = scenario(dir.path(), "p.toml", &format!("{head}{settings}"));
        let out = chainmeter(&["run", file.to_str().unwrap(), "-q"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{settings}: {err}");
        assert!(err.contains(says), "{settings}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(
        pids_named("solana-test-validator").len(),
        before,
        "a validator was left running"
    );
}

/// A Solana traffic mix of transfer 50%, token 30% and 128-byte memos 20%:
/// every entry's counts add up to the whole's, every entry is verified
/// against the chain (its landed count from the node's statuses of its own
/// signatures, the token's balances against its own claim), and the test
/// counts the memo and token transfers on chain itself, by program and
/// instruction, and finds the entries' landed counts.
#[test]
fn a_solana_mix_reports_and_verifies_every_entry() {
    let f = support::Fixture::validator();
    let url = f.url().to_owned();
    let r = f.run(
        r#"
name = "e2e-solana-mix"
[accounts]
count = 8
[[workload.mix]]
kind = "transfer"
share = 0.5
[[workload.mix]]
kind = "token"
share = 0.3
[[workload.mix]]
kind = "memo"
share = 0.2
[workload.memo]
bytes = 128
[load]
rate = 60
count = 300
warmup = "0s"
drain_timeout = "60s"
[solana]
levels = ["processed", "confirmed"]
"#,
    );
    assert_eq!(r.workload.kind, "mix");
    let kinds: Vec<&str> = r.mix.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["transfer", "token", "memo"]);
    support::assert_mix_adds_up_and_verifies(&r);
    assert_eq!(r.outcomes.sent, 300);
    assert_eq!(r.outcomes.landed_ok, 300, "{:?}", r.outcomes);
    let checks = &r.verification.as_ref().unwrap().checks;
    assert!(
        checks
            .iter()
            .any(|c| c.name == "tokens" && c.entry.as_deref() == Some("token")),
        "{checks:?}"
    );
    assert_eq!(
        r.workload.tx_bytes, None,
        "a mix's transactions differ in size"
    );

    // The chain's own count: memos by their program; token transfers by
    // SPL Token's Transfer instruction (3), not the setup's.
    let landed = |kind: &str| {
        r.mix
            .iter()
            .find(|e| e.kind == kind)
            .unwrap()
            .outcomes
            .landed_ok
    };
    let memo = Pubkey::from_str(MEMO_ID).unwrap();
    let memos = transactions_naming(&url, MEMO_ID)
        .iter()
        .filter(|tx| !tx.data_for(&memo).is_empty())
        .count() as u64;
    assert_eq!(memos, landed("memo"));
    let token_program = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
    let token = Pubkey::from_str(token_program).unwrap();
    let transfers = transactions_naming(&url, token_program)
        .iter()
        .filter(|tx| tx.data_for(&token).iter().any(|d| d.first() == Some(&3)))
        .count() as u64;
    assert_eq!(transfers, landed("token"));
}
