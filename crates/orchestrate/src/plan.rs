//! The runs a scenario expands to, each with its directory.

use chainmeter_core::scenario::{Scenario, Writes};
use std::{
    num::NonZeroU32,
    path::{Path, PathBuf},
};

/// A scenario's runs: one per chain and write mode, or one run repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The runs, in order: each chain's modes, chains in the scenario's order.
    pub runs: Vec<PlannedRun>,
    /// How many times the one run goes (1: once, into its own directory).
    pub repeat: NonZeroU32,
    /// The chains are put side by side in `<out>/comparison.md` afterwards.
    pub compares_chains: bool,
}

/// One run of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRun {
    /// Which of the scenario's targets it drives.
    pub target: usize,
    /// The chain's name.
    pub chain: &'static str,
    /// Its write mode, when `writes = "both"` makes one run of each.
    pub writes: Option<Writes>,
    /// Where it writes: `<out>[/<chain>][/<mode>]`, or with a repeat
    /// `<out>/repeat-<k>` for the k-th.
    pub dir: PathBuf,
}

/// Why a scenario and its options make no plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A repeat was asked of a scenario that makes several runs.
    #[error(
        "--repeat repeats one run: this scenario makes {runs} (chains x writes modes); \
         give it one chain and one writes mode"
    )]
    RepeatOfSeveral {
        /// Runs the scenario makes.
        runs: usize,
    },
}

impl Plan {
    /// The runs of `scenario` into `out`, the one run `repeat` times.
    pub fn new(scenario: &Scenario, out: &Path, repeat: NonZeroU32) -> Result<Self, PlanError> {
        let several = scenario.targets.len() > 1;
        let modes = scenario.writes.modes();
        let mut runs = Vec::new();
        for (target, t) in scenario.targets.iter().enumerate() {
            let chain = t.spec().name;
            let chain_dir = match several {
                true => out.join(chain),
                false => out.to_owned(),
            };
            for &mode in modes {
                let (writes, dir) = match modes.len() > 1 {
                    true => (Some(mode), chain_dir.join(mode.as_str())),
                    false => (None, chain_dir.clone()),
                };
                runs.push(PlannedRun {
                    target,
                    chain,
                    writes,
                    dir,
                });
            }
        }
        if repeat.get() > 1 && runs.len() > 1 {
            return Err(PlanError::RepeatOfSeveral { runs: runs.len() });
        }
        Ok(Self {
            runs,
            repeat,
            compares_chains: several,
        })
    }

    /// The directory of the `k`-th repeat (from 1).
    pub fn repeat_dir(&self, k: u32) -> PathBuf {
        self.runs[0].dir.join(format!("repeat-{k}"))
    }

    /// The runs of target `target`.
    pub fn of_target(&self, target: usize) -> impl Iterator<Item = &PlannedRun> {
        self.runs.iter().filter(move |r| r.target == target)
    }
}
