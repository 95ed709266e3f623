//! `--progress json`: one JSON object a line on stderr, about once a
//! second while a run sends and drains, then a final line with the run's
//! headline figures once its result is written (also when the run was
//! interrupted, its node died or it timed out). A wrapper judges a run
//! while it runs from these; `schemas/progress.schema.json` is their
//! schema, generated from these types.

use crate::{
    headline,
    run::{RunResult, RunStatus},
    Level,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One line of `--progress json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// How the run goes: about once a second.
    Progress(Snapshot),
    /// The run's result is written: its headline, as `compare` and gates
    /// read it from the result.
    Final(Final),
}

/// How a run stands, so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Snapshot {
    /// The chain (`evm`, `solana`).
    pub chain: String,
    /// Seconds since the run's clock started.
    pub elapsed_s: f64,
    /// The step or probe being sent (`probe 3: 1125 tx/s`), if the profile has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Transactions intended in the last whole second.
    pub offered_last_s: u64,
    /// Transactions that landed in the last whole second.
    pub landed_last_s: u64,
    /// Transactions sent so far, warm-up included.
    pub sent: u64,
    /// Landed so far, failed or not.
    pub landed: u64,
    /// Landed and failed in execution so far.
    pub failed: u64,
    /// Refused by the node so far.
    pub rejected: u64,
    /// Sent and not yet at their last level, nor given up.
    pub in_flight: u64,
    /// Each recorded level's latency so far, weakest first (levels no
    /// transaction reached yet are absent).
    pub levels: Vec<LevelSoFar>,
}

/// One level's latency so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LevelSoFar {
    /// The level.
    pub level: Level,
    /// Median latency from the intended send, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
}

/// The last line: the result's headline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Final {
    /// The chain.
    pub chain: String,
    /// How the run ended, as its result says.
    pub status: RunStatus,
    /// Where the result was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// The headline figures, in their fixed order.
    pub headline: Vec<HeadlineFigure>,
}

/// One headline figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HeadlineFigure {
    /// Its name in thresholds (`confirmed.p99`).
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// The figure.
    pub value: f64,
}

impl Final {
    /// The final line of run `r`, written to `path`.
    pub fn of(r: &RunResult, path: Option<&Path>) -> Self {
        Self {
            chain: r.chain.clone(),
            status: r.status.clone(),
            result: path.map(|p| p.display().to_string()),
            headline: headline::headline(r)
                .into_iter()
                .map(|m| HeadlineFigure {
                    name: m.name,
                    unit: m.unit,
                    value: m.value,
                })
                .collect(),
        }
    }
}

/// The lines' JSON Schema (draft 2020-12); `schemas/progress.schema.json`
/// is it, and a test keeps the two equal.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(ProgressEvent);
    schema.insert(
        "$id".to_owned(),
        "https://github.com/chainmeter/chainmeter/schemas/progress.schema.json".into(),
    );
    schema.insert(
        "description".to_owned(),
        "A line of chainmeter's --progress json on stderr: a progress snapshot about once a \
         second, then a final line with the run's headline."
            .into(),
    );
    serde_json::to_value(schema).expect("a schema serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `schemas/progress.schema.json` is what these types generate; after
    /// a change, `UPDATE_SCHEMA=1 cargo test -p chainmeter-result schema`.
    #[test]
    fn the_published_progress_schema_is_the_generated_one() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/progress.schema.json");
        let generated = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let published = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            published == generated,
            "{} is not what the progress types generate: run UPDATE_SCHEMA=1 cargo test -p \
             chainmeter-result schema",
            path.display()
        );
    }

    #[test]
    fn a_line_names_its_event() {
        let line = ProgressEvent::Final(Final {
            chain: "evm".into(),
            status: RunStatus::Completed,
            result: None,
            headline: vec![HeadlineFigure {
                name: "tps".into(),
                unit: "tx/s".into(),
                value: 99.5,
            }],
        });
        let text = serde_json::to_string(&line).unwrap();
        assert!(
            text.starts_with(
                "{\"event\":\"final\",\"chain\":\"evm\",\"status\":{\"state\":\"completed\"}"
            ),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<ProgressEvent>(&text).unwrap(), line);
    }
}
