//! What a chain crate supplies, so that core and the binary know no chain.
//!
//! A chain crate implements [`Chain`]: its [`ChainSpec`] (name, levels, fee
//! unit) and the check of its scenario section, which yields a
//! [`ChainTarget`]: how to start its local node, and how to connect to a
//! node and prepare a run there. The binary lists the chains once; adding a
//! chain is a crate and one line in that list.

use crate::{
    bids::Bids,
    chain::{AnySubmitter, BoxFuture, FundingProgress, Session},
    funder::{FunderKey, MalformedKey},
    section::{ScenarioError, Section},
    spec::ChainSpec,
};
use chainmeter_result::{level::Level, run::ChainParameters};
use std::{fmt, path::PathBuf, sync::Arc, time::Duration};

/// An error a chain crate reports: its own error type, boxed.
pub type ChainError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A chain chainmeter can run against.
pub trait Chain: Sync {
    /// Its name, levels and fee unit.
    fn spec(&self) -> &'static ChainSpec;

    /// Checks the chain's section of a scenario file (`[<name>]`).
    fn target(&self, section: &Section<'_>) -> Result<Arc<dyn ChainTarget>, ScenarioError>;
}

/// How long a run waits after its last send when neither the scenario nor
/// the chain says ([`ChainTarget::default_drain`]).
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(60);

/// One chain's checked scenario section: where the chain is and how to drive it.
///
/// Three methods are required (what it is, where its node is, how to
/// connect); the rest have defaults for a chain with nothing to say: every
/// level of its spec, a 60 s drain, an empty section as run, no local node.
pub trait ChainTarget: Send + Sync + fmt::Debug {
    /// The chain it targets.
    fn spec(&self) -> &'static ChainSpec;

    /// The node to attach to; `None` when chainmeter starts a local one.
    fn attach(&self) -> Option<&Attach>;

    /// Funds the senders, prepares the workload and starts tracking.
    fn connect(&self, connect: Connect) -> BoxFuture<Result<Session<AnySubmitter>, ChainError>>;

    /// Levels to record, weakest first, never empty. By default all of the
    /// chain's.
    fn levels(&self) -> &[Level] {
        self.spec().levels
    }

    /// How long to wait after the last send when the scenario does not say:
    /// long enough for a transaction sent last to reach the strongest level
    /// recorded on a loaded chain, and for what never lands to be seen not
    /// to; from what the chain said of itself at connect (`parameters`)
    /// where the section does not fix it.
    fn default_drain(&self, _parameters: Option<&ChainParameters>) -> Duration {
        DEFAULT_DRAIN
    }

    /// How long a search's probe may go without one of its transactions
    /// resolving before the chain counts as having drained its backlog:
    /// the next probe starts, and the stragglers' fates (their expiry,
    /// proved later) are booked to their own probe as they come. For a
    /// chain that drops what it cannot take and proves it only when the
    /// transaction's lifetime has passed (Solana's blockhash). By default
    /// `None`: a probe waits until every transaction of it is resolved (an
    /// EVM mempool keeps what it has not included, and a sender's later
    /// nonces wait behind it).
    fn settle_quiet(&self, _parameters: Option<&ChainParameters>) -> Option<Duration> {
        None
    }

    /// The section as run, defaults filled in, for the result's scenario.
    /// By default an empty section: a chain without settings.
    fn as_run(&self) -> serde_json::Value {
        serde_json::Value::Object(serde_json::Map::new())
    }

    /// Starts the local node, logging into `dir`; it stops when dropped.
    /// By default there is none: the chain only attaches (`--url`).
    fn start_local(&self, _dir: PathBuf) -> BoxFuture<Result<LocalNode, ChainError>> {
        let chain = self.spec().name;
        Box::pin(async move { Err(NoLocalNode { chain }.into()) })
    }

    /// Checks that `key` is a key this chain can fund from, before any
    /// node starts. By default any key is: a chain that reads none.
    fn check_funder(&self, _key: &FunderKey) -> Result<(), MalformedKey> {
        Ok(())
    }

    /// Its workload can write one hot account across shards (`--shard`):
    /// it prepares nothing, so the hot account, derived from the run's
    /// shared seed, is the same in every shard. By default not: a workload
    /// that deploys or creates its state would give each shard its own.
    fn hot_across_shards(&self) -> bool {
        false
    }
}

pub use crate::section::Attach;

/// A chain that cannot start a node of its own was asked to.
#[derive(Debug, Clone, thiserror::Error)]
#[error("chainmeter cannot start a {chain} node: give the node's URL (--url or [{chain}] url)")]
pub struct NoLocalNode {
    /// The chain.
    pub chain: &'static str,
}

/// What every chain's preparation is given besides its own section.
#[derive(Debug, Clone)]
pub struct Connect {
    /// JSON-RPC URL.
    pub rpc_url: String,
    /// WebSocket URL.
    pub ws_url: String,
    /// Seed the sender and receiver keys are derived from.
    pub seed: String,
    /// Number of senders.
    pub accounts: u32,
    /// Every transaction writes one receiver (contention's hot mode),
    /// derived from this seed: the unsharded scenario's, so that every
    /// shard of a run writes the same one.
    pub hot: Option<String>,
    /// Per-transaction priority bids (the fee market), if set.
    pub bids: Option<Bids>,
    /// Transactions the schedule will send at most (for funding).
    pub planned: u64,
    /// Allow a run against a public mainnet.
    pub allow_mainnet: bool,
    /// Told how funding goes.
    pub funding_progress: FundingProgress,
    /// The local node's data directory, when chainmeter started the node
    /// and it has one ([`LocalNode::data_dir`]).
    pub node_dir: Option<PathBuf>,
    /// chainmeter started the node: its cheat codes (anvil_setBalance, a
    /// faucet) may fund the senders when no funder key is given.
    pub started_locally: bool,
    /// The key to fund the senders from, by transfers, when given: then no
    /// cheat code is used.
    pub funder: Option<FunderKey>,
    /// Return the senders' leftover funds to the funder after the run
    /// (`--sweep`; only with a funder key).
    pub sweep: bool,
}

/// A local node chainmeter started: where it listens, what it runs, and
/// its process, which stops when this is dropped.
#[derive(Debug)]
pub struct LocalNode {
    /// JSON-RPC URL.
    pub rpc_url: String,
    /// WebSocket URL.
    pub ws_url: String,
    /// The binary it runs.
    pub binary: PathBuf,
    /// What the binary says its version is.
    pub version: String,
    /// Its log file.
    pub log: PathBuf,
    /// Its process id (also its process group's).
    pub pid: u32,
    /// Where it keeps its state (a ledger), if anywhere: its chain crate may
    /// read keys the node made there, such as the validator's identity.
    pub data_dir: Option<PathBuf>,
    /// The running process: stopped when dropped.
    pub process: Box<dyn NodeProcess>,
}

impl LocalNode {
    /// Resolves when the node exits, with how.
    pub fn exited(&self) -> BoxFuture<String> {
        self.process.exited()
    }
}

/// A local node's running process, which stops when dropped.
pub trait NodeProcess: Send + Sync + fmt::Debug {
    /// Resolves when the process exits, with how.
    fn exited(&self) -> BoxFuture<String>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainmeter_result::unit::FeeUnit;
    use std::borrow::Cow::Borrowed;

    static SPEC: ChainSpec = ChainSpec {
        name: "bare",
        levels: &[Level::new("seen"), Level::new("final")],
        fee_unit: FeeUnit {
            unit: Borrowed("units"),
            coin: Borrowed("COIN"),
            decimals: 0,
            small: Borrowed("units"),
            small_decimals: 0,
            bid: Borrowed("units"),
        },
    };

    /// A chain with nothing to say beyond what it is and where its node is.
    #[derive(Debug)]
    struct Bare;

    impl ChainTarget for Bare {
        fn spec(&self) -> &'static ChainSpec {
            &SPEC
        }
        fn attach(&self) -> Option<&Attach> {
            None
        }
        fn connect(&self, _: Connect) -> BoxFuture<Result<Session<AnySubmitter>, ChainError>> {
            unreachable!("not connected in this test")
        }
    }

    #[test]
    fn a_chain_with_nothing_to_say_gets_the_defaults() {
        let bare = Bare;
        assert_eq!(bare.levels(), SPEC.levels);
        assert_eq!(bare.default_drain(None), DEFAULT_DRAIN);
        assert_eq!(bare.as_run(), serde_json::json!({}));
        assert!(!bare.hot_across_shards());
        let started = futures::executor::block_on(bare.start_local(PathBuf::from("/tmp")));
        assert_eq!(
            started.err().map(|e| e.to_string()).as_deref(),
            Some("chainmeter cannot start a bare node: give the node's URL (--url or [bare] url)")
        );
    }
}
