//! A merged result's inputs, and a repeated run's repeats.

use super::{RunResult, RunStatus, Verification};
use crate::{level::Level, shard::Shard};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a merged result was merged from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Merged {
    /// Each input, in the order given.
    pub inputs: Vec<MergedInput>,
    /// Seconds during which every input's measured window was open (0 when
    /// they never all overlapped).
    pub overlap_s: f64,
}

/// One input of a merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MergedInput {
    /// The file it was read from.
    pub path: String,
    /// Its shard, when it was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Its measured window, seconds from the merged result's start.
    pub window_s: [f64; 2],
    /// How it ended.
    pub status: RunStatus,
    /// What it proved against the chain; absent when it was not verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

/// One repeat of a repeated run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Repeat {
    /// When it started (RFC 3339).
    pub started_at: String,
    /// Its headline metrics by name (`tps`, `included.p50`, ...), as
    /// `compare` names them.
    pub metrics: BTreeMap<String, f64>,
    /// How it ended, so that a gate can check every repeat, not only the
    /// last; absent in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Its verification against the chain, when it was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Latency samples per recorded level.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub samples: BTreeMap<Level, u64>,
}

impl Repeat {
    /// The repeat of `r`: its headline `metrics`, status, verification and
    /// samples per level.
    pub fn of(r: &RunResult, metrics: BTreeMap<String, f64>) -> Self {
        Self {
            started_at: r.started_at.clone(),
            metrics,
            status: Some(r.status.clone()),
            verification: r.verification.clone(),
            samples: r
                .levels
                .iter()
                .map(|l| (l.level, l.latency_us.count))
                .collect(),
        }
    }
}
