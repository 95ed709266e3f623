//! How a run ended: completed, aborted (and why), incomplete, or still running.

use crate::level::Level;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a run stopped before its end.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopKind {
    /// Ctrl-C (SIGINT).
    Interrupted,
    /// SIGTERM (what `timeout`, CI runners and Kubernetes send).
    Terminated,
    /// The node went away: its process exited, its connection closed, or it
    /// stopped producing blocks or slots.
    NodeGone,
    /// The chain's tracker failed while the node was there.
    TrackerFailed,
    /// A reason of no kind above (and every abort in older files).
    #[default]
    Other,
}

impl StopKind {
    /// True when a signal stopped the run, not the chain.
    pub fn is_signal(self) -> bool {
        matches!(self, Self::Interrupted | Self::Terminated)
    }
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunStatus {
    /// Every planned transaction was sent and the drain finished or timed out.
    Completed,
    /// The run stopped early; transactions whose fate was open are `unknown`.
    Aborted {
        /// Why, in words.
        reason: String,
        /// Why, for machines (`other` in files written before it was kept).
        #[serde(default)]
        kind: StopKind,
    },
    /// Every planned transaction was sent, but the drain ended before every
    /// landed transaction reached every recorded level.
    Incomplete {
        /// Per level: landed transactions that had not reached it.
        missing: BTreeMap<Level, u64>,
    },
    /// Written while the run went on, a partial result: read after the run,
    /// it means chainmeter never finished it (it was killed, or the machine
    /// went down). Its figures cover the run up to `ended_at`; what was in
    /// flight then is `unknown` (in flight).
    Running,
}

impl RunStatus {
    /// The run ended and its result was written at its end (completed,
    /// incomplete or aborted), not a partial result.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Running)
    }

    /// For an incomplete run, the shortfall in words, e.g.
    /// `12 short of finalized`; `None` otherwise.
    pub fn shortfall(&self) -> Option<String> {
        let Self::Incomplete { missing } = self else {
            return None;
        };
        Some(
            missing
                .iter()
                .map(|(level, n)| format!("{n} short of {level}"))
                .collect::<Vec<_>>()
                .join(", "),
        )
    }
}
