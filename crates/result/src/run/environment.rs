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
    /// What the node says it runs (`web3_clientVersion`, Solana's
    /// `getVersion`), read by name and version; absent in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Client>,
    /// What the chain said of itself when the run connected; absent in
    /// older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<ChainParameters>,
}

/// What the chain said of itself when the run connected, read from the
/// node rather than assumed from a local validator's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "chain", rename_all = "snake_case")]
pub enum ChainParameters {
    /// An EVM chain.
    Evm {
        /// `eth_chainId`.
        chain_id: u64,
        /// The latest block's gas limit, when the node gives it.
        block_gas_limit: Option<u64>,
        /// The latest block's base fee, wei per gas (0 where the chain has none).
        base_fee_wei: u64,
        /// The `latest` block when the run connected (0 in files before it).
        #[serde(default)]
        latest_block: u64,
        /// The block the `safe` tag named then; absent where the node has no such tag.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        safe_block: Option<u64>,
        /// The block the `finalized` tag named then; absent where the node has none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        finalized_block: Option<u64>,
        /// The mean interval between the last (up to) ten blocks, from their
        /// timestamps (whole seconds, so a tenth of a second at best), ms;
        /// absent on a chain of one block.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        block_interval_ms: Option<f64>,
    },
    /// A Solana cluster.
    Solana {
        /// Mean slot time over the node's recent performance samples, ms;
        /// absent while it has none (it takes one a minute).
        slot_ms: Option<f64>,
        /// Slots per epoch (`getEpochSchedule`).
        slots_per_epoch: u64,
        /// Lamports a one-signature message pays without a priority fee.
        fee_per_signature: u64,
        /// The compute units a block may hold, by the feature gates the
        /// cluster has active; absent in files before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        block_compute_limit: Option<u64>,
    },
}

impl ChainParameters {
    /// Blocks the tag `level` (`safe`, `finalized`) trailed `latest` when the
    /// run connected: `Some(0)` when the node names its latest block (it
    /// does not tell that level apart from inclusion); `None` when it has
    /// no such tag, or the tag still named genesis (the chain too young to
    /// show the distance).
    pub fn behind(&self, level: &str) -> Option<u64> {
        let Self::Evm {
            latest_block,
            safe_block,
            finalized_block,
            ..
        } = self
        else {
            return None;
        };
        let tag = match level {
            "safe" => (*safe_block)?,
            "finalized" => (*finalized_block)?,
            _ => return None,
        };
        (tag > 0).then(|| latest_block.saturating_sub(tag))
    }

    /// The time between blocks or slots the chain showed at connect.
    pub fn block_interval(&self) -> Option<std::time::Duration> {
        let ms = match self {
            Self::Evm {
                block_interval_ms, ..
            } => *block_interval_ms,
            Self::Solana { slot_ms, .. } => *slot_ms,
        }?;
        (ms > 0.0 && ms.is_finite()).then(|| std::time::Duration::from_secs_f64(ms / 1e3))
    }
}

impl NodeInfo {
    /// The node by name and version, for pages: `anvil 1.7.1`,
    /// `HardhatNetwork 2.29.1`, `solana-core 4.2.2`; files before the
    /// client was recorded give the version line they hold.
    pub fn name(&self) -> String {
        match &self.client {
            Some(c) => c.to_string(),
            None => self.version.clone(),
        }
    }

    /// The binary chainmeter started, by its file name alone: a page never
    /// shows where it was installed.
    pub fn binary_name(&self) -> Option<&str> {
        self.binary.as_deref().map(file_name)
    }
}

/// The last part of `path` (`/` or `\\` separated): how a page names a file
/// without showing where it was on the machine that ran.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A node's client and its version, as the node reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Client {
    /// The client: `anvil`, `Geth`, `reth`, `HardhatNetwork`, `solana-core`.
    pub name: String,
    /// Its version, without a leading `v`: `1.7.1`.
    pub version: String,
    /// What else the node said (`@nomicfoundation/edr/0.3.8`, a platform,
    /// Solana's feature set), when anything.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Client {
    /// Reads a client version string: `web3_clientVersion`'s
    /// `name/version/...` (`anvil/v1.7.1`, `Geth/v1.13.14-stable/linux-amd64/go1.21.6`,
    /// `HardhatNetwork/2.29.1/@nomicfoundation/edr/0.3.8`) or `name version
    /// (detail)` (`solana-core 4.2.2 (feature set 3640012085)`). `None` for
    /// what reads as neither.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (name, rest) = match s.split_once('/') {
            Some(split) => split,
            None => s.split_once(' ')?,
        };
        let (version, detail) = match rest.split_once(['/', ' ']) {
            Some((v, d)) => (v, d.trim().trim_start_matches('(').trim_end_matches(')')),
            None => (rest, ""),
        };
        let version = version.trim().trim_start_matches('v');
        (!name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit())).then(|| Self {
            name: name.to_owned(),
            version: version.to_owned(),
            detail: detail.to_owned(),
        })
    }
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_versions_read_by_name_and_version() {
        let c = |s: &str| Client::parse(s).map(|c| (c.name, c.version, c.detail));
        let own = |a: &str, b: &str, d: &str| Some((a.to_owned(), b.to_owned(), d.to_owned()));
        assert_eq!(c("anvil/v1.7.1"), own("anvil", "1.7.1", ""));
        assert_eq!(
            c("HardhatNetwork/2.29.1/@nomicfoundation/edr/0.3.8"),
            own("HardhatNetwork", "2.29.1", "@nomicfoundation/edr/0.3.8")
        );
        assert_eq!(
            c("Geth/v1.13.14-stable-2bd6bd01/linux-amd64/go1.21.6"),
            own("Geth", "1.13.14-stable-2bd6bd01", "linux-amd64/go1.21.6")
        );
        assert_eq!(
            c("solana-core 4.2.2 (feature set 3640012085)"),
            own("solana-core", "4.2.2", "feature set 3640012085")
        );
        assert_eq!(c("unknown"), None);
        assert_eq!(c("anvil Version: 1.7.1"), None);
        let node = NodeInfo {
            binary: Some("/root/.cache/chainmeter/bin/anvil".into()),
            version: "anvil Version: 1.7.1".into(),
            client: Client::parse("anvil/v1.7.1"),
            ..NodeInfo::default()
        };
        assert_eq!(
            (node.name().as_str(), node.binary_name()),
            ("anvil 1.7.1", Some("anvil"))
        );
    }
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
