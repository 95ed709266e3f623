//! How a scenario's runs can fail, with predicates for what a caller decides.

use crate::{exit, plan::PlanError};
use chainmeter_core::{funder::MalformedKey, plugin::ChainError};
use chainmeter_result::run::StopKind;
use std::path::PathBuf;

/// Why running a scenario did not succeed. Where a run got far enough to
/// measure, `result` names the file that holds what it measured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The scenario and options make no plan.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The funder key's file holds no key the scenario's chain can read.
    #[error(transparent)]
    FunderKey(#[from] MalformedKey),
    /// The output directory cannot be made.
    #[error("cannot create the output directory {}", path.display())]
    OutputDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A run's own directory or output cannot be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The local node did not start.
    #[error("cannot start the local {chain} node")]
    NodeStart {
        /// The chain.
        chain: &'static str,
        /// What its crate reported.
        #[source]
        source: ChainError,
    },
    /// The senders could not be funded or the workload prepared.
    #[error("cannot prepare the {chain} run at {url}")]
    Prepare {
        /// The chain.
        chain: &'static str,
        /// The node's JSON-RPC URL.
        url: String,
        /// What its crate reported.
        #[source]
        source: ChainError,
    },
    /// The run stopped before its end: a signal, the node gone, the tracker failed.
    #[error("{}", stopped(reason, result.as_ref()))]
    Stopped {
        /// What kind of stop.
        kind: StopKind,
        /// What happened.
        reason: String,
        /// What it measured up to then, if it had begun.
        result: Option<PathBuf>,
    },
    /// The drain ended before every landed transaction reached every level.
    #[error(
        "run incomplete: the drain ended before every landed transaction reached every level ({shortfall}); \
         give a longer load.drain_timeout; what it measured is in {}",
        result.display()
    )]
    Incomplete {
        /// What was missing, in words.
        shortfall: String,
        /// The result.
        result: PathBuf,
    },
    /// The run's figures disagree with the chain's.
    #[error("{verdict}; the result is in {}", result.display())]
    Verification {
        /// The checks that failed, in words.
        verdict: String,
        /// The result.
        result: PathBuf,
    },
    /// Some of a scenario's several runs failed (each was told as it failed).
    #[error("{} of {runs} runs failed: {}", failed.len(), failed.join(", "))]
    Several {
        /// The chains whose runs failed, one entry per failed run.
        failed: Vec<&'static str>,
        /// Runs the scenario made.
        runs: usize,
    },
}

fn stopped(reason: &str, result: Option<&PathBuf>) -> String {
    match result {
        Some(path) => format!(
            "run aborted: {reason}; what it measured is in {}",
            path.display()
        ),
        None => reason.to_owned(),
    }
}

impl Error {
    /// The scenario, its options or the output place cannot be used: nothing ran.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::Plan(_) | Self::OutputDir { .. } | Self::FunderKey(_)
        )
    }

    /// The signal that stopped the run (interrupted or terminated), if one did.
    pub fn signal(&self) -> Option<StopKind> {
        match self {
            Self::Stopped { kind, .. } if kind.is_signal() => Some(*kind),
            _ => None,
        }
    }

    /// The exit code `chainmeter run` gives for it ([`exit`](crate::exit)).
    pub fn exit_code(&self) -> u8 {
        match self.signal() {
            _ if self.is_bad_input() => exit::BAD_INPUT,
            Some(StopKind::Terminated) => exit::TERMINATED,
            Some(_) => exit::INTERRUPTED,
            None => exit::RUN_FAILED,
        }
    }

    /// The result file holding what was measured, when a run got that far.
    pub fn result(&self) -> Option<&PathBuf> {
        match self {
            Self::Stopped { result, .. } => result.as_ref(),
            Self::Incomplete { result, .. } | Self::Verification { result, .. } => Some(result),
            _ => None,
        }
    }
}
