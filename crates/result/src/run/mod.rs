//! The result file: one JSON document per run and chain.
//!
//! Units are in field names (`_us`, `_s`); fees are in the chain's smallest
//! unit, and totals, which can exceed 2^53, are decimal strings.

use crate::{outcome::OutcomeCounts, shard::Shard, unit::FeeUnit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod environment;
mod fees;
mod latency;
mod load;
mod merge;
mod migrate;
mod search;
mod status;
mod verification;

pub use environment::*;
pub use fees::*;
pub use latency::*;
pub use load::*;
pub use merge::*;
pub use migrate::ResultReadError;
pub use search::*;
pub use status::*;
pub use verification::*;

/// The version of the result format this build writes. Bumped on any change
/// that an older reader would misread.
///
/// - 1: the first format.
/// - 2: `status` may be `incomplete`; `verification`; `fees.warmup`;
///   `outcomes.unknown_by_reason`; `tracking.achieved_interval_us`;
///   `submitter` counters; `fee_buckets`. Version 1 files still read (the
///   new fields empty).
/// - 3: `chain` is any chain's name, and `fee_unit` says how its fees are
///   counted, so that readers need not know the chain. Versions 1 and 2
///   still read: they could name only `evm` and `solana`, whose units are
///   filled in.
/// - 4: `load.profile`; `steps` (each step or probe on its own) and `knee`
///   (a saturation search's answer). Older files read with no steps, and a
///   `constant` profile.
/// - 5: `throughput.landed_peak_1s` is the best rate over whole blocks
///   spanning at least a second (a number), no longer the best wall-clock
///   second's count, which doubled a chain's rate when two block arrivals
///   fell in one second; `throughput.arrivals` it is computed from;
///   `status` may be `running` (a partial result, written as the run goes);
///   `merged`; `knee.at_least` / `knee.broke_per_s`; `repeats` carry each
///   repeat's status and verification; `verification.dry_senders`. Version
///   4 files read as they are: their peak is the old count.
/// - 6: every landed rate (`throughput`, each step's, the knee's) is taken
///   over whole block intervals, and is null where the window holds too
///   few blocks for one, `throughput.no_rate` saying why; a search's
///   run-level rate counts what landed while its probes were sending.
///   Older files read as they are: their means are over whole seconds.
pub const SCHEMA_VERSION: u32 = 6;

/// The result file's JSON Schema, generated from these types (draft
/// 2020-12); `schemas/result.schema.json` is it, and a test keeps the two
/// equal. Fields added as optional do not change [`SCHEMA_VERSION`]; the
/// schema admits fields it does not know, so files from newer builds
/// still validate.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(RunResult);
    schema.insert(
        "$id".to_owned(),
        "https://github.com/chainmeter/chainmeter/schemas/result.schema.json".into(),
    );
    schema.insert(
        "description".to_owned(),
        format!(
            "A chainmeter result file, schema_version {SCHEMA_VERSION}: one run of one scenario against one chain. \
             Units are in field names (_us, _s); fees are in the chain's smallest unit, and totals are decimal strings."
        )
        .into(),
    );
    serde_json::to_value(schema).expect("a schema serializes")
}

/// One run of one scenario against one chain.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunResult {
    /// Always first: [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The chain's name (`evm`, `solana`), as its crate declares it.
    pub chain: String,
    /// The chain's coin and the units its fees are counted in.
    pub fee_unit: FeeUnit,
    /// The scenario's name.
    pub scenario_name: String,
    /// The scenario as run: defaults filled in, command-line overrides applied.
    pub scenario: serde_json::Value,
    /// Where and with what it ran.
    pub environment: Environment,
    /// Wall-clock start, RFC 3339 UTC (a label only: latencies use a monotonic clock).
    pub started_at: String,
    /// Wall-clock end, RFC 3339 UTC.
    pub ended_at: String,
    /// Whether the run completed or was aborted, and why.
    pub status: RunStatus,
    /// The load as offered.
    pub load: LoadSummary,
    /// What each transaction did. Files that lack it (before chainmeter
    /// wrote it) get it from their scenario when read.
    #[serde(default)]
    pub workload: WorkloadSummary,
    /// Per level, weakest first: latency histograms.
    pub levels: Vec<LevelLatency>,
    /// Landed throughput.
    pub throughput: Throughput,
    /// What the chain charged.
    pub fees: Fees,
    /// Where every transaction ended up.
    pub outcomes: OutcomeCounts,
    /// The chain's own view: block/slot intervals and contents.
    pub chain_view: ChainView,
    /// How level timestamps were obtained.
    pub tracking: Tracking,
    /// The generator this was, when the run was one shard of several
    /// (`--shard I/N`); merging the shards' results clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// For a merged result: the inputs it was merged from, each with what it
    /// proved against the chain, and how far their windows overlapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<Merged>,
    /// With `run --repeat K`: each repeat's headline metrics, in order (the
    /// rest of the file is the last repeat's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repeats: Vec<Repeat>,
    /// How transactions were sent (the route to the node), in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sending: String,
    /// What the harness itself spent.
    pub harness: HarnessUsage,
    /// How the senders were funded (absent in files before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding: Option<Funding>,
    /// The senders' leftover funds returned to the funder after the run
    /// (`--sweep`); its check is among the verification's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
    /// The sender accounts and their state before the first send, so that
    /// fees and landed counts can be checked against the chain afterwards.
    pub senders: Vec<SenderRecord>,
    /// The run's figures re-derived from chain state after the drain; absent
    /// when the check was skipped (`--no-verify`, an aborted run, schema 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// What the submitter counted besides outcomes, e.g. `nonce_resyncs`.
    #[serde(default)]
    pub submitter: BTreeMap<String, u64>,
    /// The fee market, when the scenario set bids: one entry per bid bucket,
    /// the measured window's transactions only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_buckets: Vec<FeeBucket>,
    /// A traffic mix's entries, each with its figures as the whole run's
    /// (`workload.kind` is then `mix`); their counts add up to the whole's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mix: Vec<MixEntryResult>,
    /// Each step or probe on its own, for `steps` and `saturate` profiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepResult>,
    /// A saturation search's knee, when a probe held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knee: Option<Knee>,
}

#[cfg(test)]
mod schema_tests {
    use super::{
        migrate::{described, typed_summaries},
        *,
    };
    use std::path::Path;

    #[test]
    fn files_without_the_typed_summaries_get_them_from_the_scenario() {
        let mut v = serde_json::json!({
            "scenario": {
                "accounts": { "count": 8 },
                "workload": { "kind": "token", "value": 5, "writes": "hot" },
                "load": { "concurrency": 16, "wait_for": "confirmed" },
            },
            "load": { "profile": "closed loop" },
        });
        typed_summaries(&mut v);
        let w: WorkloadSummary = serde_json::from_value(v["workload"].clone()).unwrap();
        assert_eq!(
            w,
            WorkloadSummary {
                kind: "token".into(),
                value: 5,
                writes: "hot".into(),
                accounts: 8,
                description: String::new(),
                tx_bytes: None,
            }
        );
        let c: ClosedLoopSummary =
            serde_json::from_value(v["load"]["closed_loop"].clone()).unwrap();
        assert_eq!(c.concurrency, 16);
        assert_eq!(
            c.wait_for.map(|l| l.to_string()).as_deref(),
            Some("confirmed")
        );
        // What the scenario left out had its defaults.
        let mut bare = serde_json::json!({ "scenario": {}, "load": { "profile": "constant" } });
        typed_summaries(&mut bare);
        assert_eq!(bare["workload"]["kind"], "transfer");
        assert_eq!(bare["workload"]["accounts"], 32);
        assert!(bare["load"].get("closed_loop").is_none());
        assert_eq!(
            described(&v),
            "token, 5 token units per transaction, each to one receiver for all (hot writes)"
        );
    }

    #[test]
    fn a_stop_has_a_kind_for_machines_and_old_files_read_as_other() {
        let old: RunStatus =
            serde_json::from_str(r#"{"state":"aborted","reason":"gone"}"#).unwrap();
        assert_eq!(
            old,
            RunStatus::Aborted {
                reason: "gone".into(),
                kind: StopKind::Other
            }
        );
        let new = RunStatus::Aborted {
            reason: "interrupted by Ctrl-C".into(),
            kind: StopKind::Interrupted,
        };
        let json = serde_json::to_string(&new).unwrap();
        assert_eq!(
            json,
            r#"{"state":"aborted","reason":"interrupted by Ctrl-C","kind":"interrupted"}"#
        );
        assert_eq!(serde_json::from_str::<RunStatus>(&json).unwrap(), new);
        assert!(StopKind::Terminated.is_signal() && !StopKind::NodeGone.is_signal());
    }

    #[test]
    fn shares_print_as_given() {
        assert_eq!(share_percent(0.07), "7");
        assert_eq!(share_percent(0.6), "60");
        assert_eq!(share_percent(0.125), "12.5");
        assert_eq!(share_percent(1.0 / 3.0), "33.333333333");
    }

    /// `schemas/result.schema.json` is what these types generate; after a
    /// change to them, regenerate it with
    /// `UPDATE_SCHEMA=1 cargo test -p chainmeter-result schema`.
    #[test]
    fn the_published_schema_is_the_generated_one() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/result.schema.json");
        let generated = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let published = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            published == generated,
            "{} is not what the result types generate: run UPDATE_SCHEMA=1 cargo test -p chainmeter-result schema",
            path.display()
        );
    }
}
