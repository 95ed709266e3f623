//! Where and with what a run ran, and what the harness itself spent.

use serde::{Deserialize, Serialize};

/// Versions and machine.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Environment {
    /// chainmeter's version.
    pub chainmeter_version: String,
    /// git revision chainmeter was built from, if known.
    pub git_revision: Option<String>,
    /// The node: validator binary and version when started locally, else what the node reports.
    pub node: NodeInfo,
    /// Operating system and architecture.
    pub os: String,
    /// CPU model name.
    pub cpu_model: String,
    /// Logical cores.
    pub cores: usize,
}

/// The node a run talked to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NodeInfo {
    /// True when chainmeter started it; false when attached.
    pub started_locally: bool,
    /// Validator binary path, when started locally.
    pub binary: Option<String>,
    /// Its `--version` output (first line), or the node's client version.
    pub version: String,
    /// RPC URL.
    pub rpc_url: String,
    /// Chain id (EVM) or genesis hash (Solana).
    pub chain_id: String,
}

/// What the harness spent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HarnessUsage {
    /// User + system CPU of the harness process during sending and draining, microseconds.
    pub cpu_us: u64,
    /// That CPU time per sent transaction, microseconds.
    pub cpu_us_per_tx: f64,
    /// CPU per sent transaction while sending only (to the last send), microseconds:
    /// the drain's waiting for the last levels, which costs CPU but sends
    /// nothing, left out.
    pub sending_cpu_us_per_tx: f64,
    /// Peak resident memory of the process, bytes.
    pub max_rss_bytes: u64,
    /// The peak resident memory as it stood at the end of each whole minute
    /// of the run, bytes: flat when the harness's memory does not grow with
    /// the run's length.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peak_rss_by_minute: Vec<u64>,
    /// Cores the harness kept busy while sending (CPU time over wall time).
    #[serde(default)]
    pub cores_while_sending: f64,
    /// The local validator's own CPU over the same stretch, when chainmeter
    /// started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<ValidatorUsage>,
}

/// What the validator chainmeter started spent, from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValidatorUsage {
    /// CPU while sending, per sent transaction, microseconds.
    pub cpu_us_per_tx: f64,
    /// Cores it kept busy while sending.
    pub cores_while_sending: f64,
}
