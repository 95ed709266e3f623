//! A prepared chain: what a chain crate hands the runner.

use super::{verifier::Verifier, AnySubmitter, ChainEvent, Submitter, Sweeper};
use chainmeter_result::run::{ChainParameters, Funding, SenderRecord, Tracking};
use tokio::{sync::mpsc, task::JoinHandle};

/// Told how far funding the senders has come: (funded, of how many). Long
/// only for thousands of senders, where a silent minute looks like a hang.
#[derive(Clone, Default)]
pub struct FundingProgress(Option<std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>>);

impl FundingProgress {
    /// Calls `f` as funding goes.
    pub fn new(f: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        Self(Some(std::sync::Arc::new(f)))
    }

    /// `done` of `total` senders are funded.
    pub fn report(&self, done: u64, total: u64) {
        if let Some(f) = &self.0 {
            f(done, total);
        }
    }
}

impl std::fmt::Debug for FundingProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FundingProgress")
    }
}

/// A chain ready to be driven: prepared accounts, a submitter, a running tracker.
#[derive(Debug)]
pub struct Session<S> {
    /// Signs and sends.
    pub submitter: S,
    /// The tracker's observations.
    pub events: mpsc::UnboundedReceiver<ChainEvent>,
    /// How the tracker times levels.
    pub tracking: Tracking,
    /// How the submitter sends, in words, for the result (`sending`).
    pub sending: String,
    /// The funded senders, before the first send.
    pub senders: Vec<SenderRecord>,
    /// How they were funded.
    pub funding: Option<Funding>,
    /// What the chain said of itself at connect.
    pub parameters: Option<ChainParameters>,
    /// Chain id (EVM) or genesis hash (Solana).
    pub chain_id: String,
    /// What the node says it is (`web3_clientVersion`, `getVersion`).
    pub node_version: String,
    /// Value each transfer carries, smallest unit (the chain may need more
    /// than the scenario asks: a new Solana account must be rent-exempt).
    pub value_per_tx: u128,
    /// What each transaction does, in words, for the result
    /// (`token, 5 token units per transaction, each to …`).
    pub workload: String,
    /// The most gas (EVM) or compute units (Solana) one block may hold,
    /// as the node said when the session began: what bounds the knee.
    pub block_limit: Option<u64>,
    /// The size of one transaction on the wire, bytes, when every
    /// transaction of the workload has one size (Solana's do).
    pub tx_bytes: Option<u64>,
    /// What the user should know before the clock starts (a call that
    /// changes no state), each shown as a warning.
    pub warnings: Vec<String>,
    /// Checks the run's figures against the chain after the drain.
    pub verifier: Option<Box<dyn Verifier>>,
    /// Returns the senders' leftover funds to the funder after the run,
    /// when `--sweep` asked and a key funded it.
    pub sweeper: Option<Box<dyn Sweeper>>,
    /// Background tasks (tracker, refreshers); aborted when the session drops.
    pub tasks: TaskSet,
}

/// Background tasks that end with their owner.
#[derive(Debug, Default)]
pub struct TaskSet(Vec<JoinHandle<()>>);

impl TaskSet {
    /// Adds a task.
    pub fn push(&mut self, handle: JoinHandle<()>) {
        self.0.push(handle);
    }
}

impl Drop for TaskSet {
    fn drop(&mut self) {
        for h in &self.0 {
            h.abort();
        }
    }
}

impl<S: Submitter> Session<S> {
    /// The same session with its submitter's type erased, as a chain crate
    /// hands it to the binary, which drives every chain alike.
    pub fn erase(self) -> Session<AnySubmitter> {
        Session {
            submitter: AnySubmitter::of(self.submitter),
            events: self.events,
            tracking: self.tracking,
            sending: self.sending,
            senders: self.senders,
            funding: self.funding,
            parameters: self.parameters,
            chain_id: self.chain_id,
            node_version: self.node_version,
            value_per_tx: self.value_per_tx,
            workload: self.workload,
            block_limit: self.block_limit,
            tx_bytes: self.tx_bytes,
            warnings: self.warnings,
            verifier: self.verifier,
            sweeper: self.sweeper,
            tasks: self.tasks,
        }
    }
}
