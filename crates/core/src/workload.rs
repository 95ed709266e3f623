//! A workload's name as a scenario gives it. Each chain crate offers its
//! own workloads and checks their settings (`[workload.<kind>]`); core only
//! carries the name: a leaf the scenario and the chain seam both name.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The name of what each transaction does: `transfer`, `token`, `call`, …
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(transparent)]
pub struct WorkloadName(String);

impl WorkloadName {
    /// The workload of a scenario that names none: a native-coin transfer.
    pub fn transfer() -> Self {
        Self("transfer".to_owned())
    }

    /// A workload named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as in scenario and result files.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkloadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
