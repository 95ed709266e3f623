//! Reading result files, those of older schema versions included.

use super::{LevelLatency, RunResult, SCHEMA_VERSION};
use crate::{level::Level, unit::FeeUnit};
use serde::Deserialize;
use std::path::Path;

/// A result file that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultReadError {
    /// I/O.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Not JSON of the expected shape.
    #[error("{path}: not a chainmeter result")]
    Json {
        /// The file.
        path: String,
        /// The error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// Written by a newer chainmeter.
    #[error(
        "{path}: schema_version {found} is newer than this chainmeter reads ({SCHEMA_VERSION})"
    )]
    Version {
        /// The file.
        path: String,
        /// What it says.
        found: u32,
    },
}

/// The fee unit of a chain a schema 1 or 2 file names: those carried none,
/// and could name only these two.
fn schema_2_fee_unit(chain: &str) -> Option<FeeUnit> {
    use std::borrow::Cow::Borrowed;
    match chain {
        "evm" => Some(FeeUnit {
            unit: Borrowed("wei"),
            coin: Borrowed("ETH"),
            decimals: 18,
            small: Borrowed("gwei"),
            small_decimals: 9,
            bid: Borrowed("tip in wei per gas"),
        }),
        "solana" => Some(FeeUnit {
            unit: Borrowed("lamports"),
            coin: Borrowed("SOL"),
            decimals: 9,
            small: Borrowed("lamports"),
            small_decimals: 0,
            bid: Borrowed("compute-unit price in micro-lamports"),
        }),
        _ => None,
    }
}

/// Files written before the typed summaries have the workload and a closed
/// loop's shape only in the scenario as run: read them from there, with the
/// defaults it had then.
pub(super) fn typed_summaries(value: &mut serde_json::Value) {
    let at = |v: &serde_json::Value, p: &str| v.pointer(p).cloned();
    let scenario = value["scenario"].clone();
    let workload = serde_json::json!({
        "kind": at(&scenario, "/workload/kind").unwrap_or_else(|| "transfer".into()),
        "value": at(&scenario, "/workload/value").unwrap_or_else(|| 1.into()),
        "writes": at(&scenario, "/workload/writes").unwrap_or_else(|| "disjoint".into()),
        "accounts": at(&scenario, "/accounts/count").unwrap_or_else(|| 32.into()),
    });
    if let Some(obj) = value.as_object_mut() {
        obj.insert("workload".into(), workload);
    }
    if value.pointer("/load/profile").and_then(|p| p.as_str()) == Some("closed loop") {
        let mut closed = serde_json::json!({
            "concurrency": at(&scenario, "/load/concurrency").unwrap_or_else(|| 0.into()),
        });
        if let Some(level) = at(&scenario, "/load/wait_for") {
            closed["wait_for"] = level;
        }
        value["load"]["closed_loop"] = closed;
    }
}

/// What a file written before chains described their workloads says of
/// it: its two workloads in the words chainmeter used then.
pub(super) fn described(value: &serde_json::Value) -> String {
    let w = &value["workload"];
    let kind = w["kind"].as_str().unwrap_or("transfer");
    let what = match kind {
        "token" => format!("{} token units", w["value"].as_u64().unwrap_or(1)),
        _ => format!(
            "{} {}",
            value["load"]["value_per_tx"].as_str().unwrap_or("1"),
            value["fees"]["unit"].as_str().unwrap_or("")
        ),
    };
    let writes = match w["writes"].as_str() {
        Some("hot") => "one receiver for all (hot writes)",
        _ => "a receiver of its own (disjoint writes)",
    };
    format!("{kind}, {what} per transaction, each to {writes}")
}

impl RunResult {
    /// Reads a result file, checking its schema version first.
    pub fn read(path: &Path) -> Result<Self, ResultReadError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ResultReadError::Io {
            path: p.clone(),
            source,
        })?;
        #[derive(Deserialize)]
        struct Version {
            schema_version: u32,
        }
        let v: Version = serde_json::from_str(&text).map_err(|source| ResultReadError::Json {
            path: p.clone(),
            source,
        })?;
        if v.schema_version > SCHEMA_VERSION {
            return Err(ResultReadError::Version {
                path: p,
                found: v.schema_version,
            });
        }
        let mut value: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| ResultReadError::Json {
                path: p.clone(),
                source,
            })?;
        if v.schema_version < 3 {
            let unit = value["chain"].as_str().and_then(schema_2_fee_unit);
            if let (Some(unit), Some(obj)) = (unit, value.as_object_mut()) {
                obj.insert(
                    "fee_unit".into(),
                    serde_json::to_value(unit).expect("a fee unit serializes"),
                );
            }
        }
        if value.get("workload").is_none() {
            typed_summaries(&mut value);
        }
        if value.pointer("/workload/description").is_none() {
            value["workload"]["description"] = described(&value).into();
        }
        serde_json::from_value(value).map_err(|source| ResultReadError::Json { path: p, source })
    }

    /// Each repeat's value of the headline metric `name`, in order, `None`
    /// for a repeat without it: a gate must not judge a rule on the repeats
    /// that happen to have the metric.
    pub fn repeat_values(&self, name: &str) -> Vec<Option<f64>> {
        self.repeats
            .iter()
            .map(|rep| rep.metrics.get(name).copied())
            .collect()
    }

    /// The latency of `level`, if it was tracked.
    pub fn level(&self, level: Level) -> Option<&LevelLatency> {
        self.levels.iter().find(|l| l.level == level)
    }

    /// What this chain's blocks are called, plural: `slots` on Solana,
    /// `blocks` elsewhere; the unit of a block delta.
    pub fn blocks_word(&self) -> &'static str {
        match self.chain.as_str() {
            "solana" => "slots",
            _ => "blocks",
        }
    }
}
