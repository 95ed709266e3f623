//! The interface between the chain-agnostic runner and a chain's submitter.
//!
//! A chain crate turns a scenario's target into a [`Session`]: a
//! [`Submitter`] that signs and sends, and a stream of [`ChainEvent`]s from its
//! tracker task, which watches the chain and says when each transaction reached
//! each level. The runner drives both and never waits on a confirmation to send.

use crate::{
    level::Level,
    outcome::Reject,
    result::{SenderRecord, StopKind, Tracking, Verification},
};
use std::{any::Any, future::Future, pin::Pin, time::Instant};
use tokio::{sync::mpsc, task::JoinHandle};

/// A transaction's sequence number in its run, from the schedule.
pub type TxSeq = u64;

/// What a chain's tracker observed.
#[derive(Debug, Clone)]
pub enum ChainEvent {
    /// Transaction `seq` reached `level` at `at`.
    ///
    /// Trackers emit every level of their chain, in order, whatever the
    /// scenario asks to record.
    Reached {
        /// The transaction.
        seq: TxSeq,
        /// The level.
        level: Level,
        /// When the harness learned of it (from an event, or a poll).
        at: Instant,
    },
    /// Transaction `seq` landed; what it cost, read from the chain.
    Landed {
        /// The transaction.
        seq: TxSeq,
        /// Executed successfully.
        success: bool,
        /// Fee charged, smallest unit.
        fee: u128,
        /// Gas used / compute units consumed.
        compute: u64,
        /// The on-chain error, if it failed.
        error: Option<String>,
    },
    /// Transaction `seq` can no longer land (Solana: its blockhash expired).
    Expired {
        /// The transaction.
        seq: TxSeq,
    },
    /// A new block or slot was observed.
    Block {
        /// When its own notification arrived; `None` for a block fetched to
        /// fill a gap, whose arrival was not seen (it gives no interval).
        at: Option<Instant>,
        /// Block number or slot.
        number: u64,
        /// Transactions it holds, if known.
        txs: Option<u64>,
        /// Gas / compute units it used, if known.
        compute: Option<u64>,
    },
    /// A polling tracker completed a poll this long after the previous one:
    /// the resolution its timestamps actually had.
    PollInterval(std::time::Duration),
    /// The tracker lost the node, or failed, and cannot go on.
    Fatal(Stop),
}

/// What ends a run before its end: its kind and what happened, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// What kind of stop.
    pub kind: StopKind,
    /// What happened.
    pub reason: String,
}

impl Stop {
    /// The node went away: its connection closed, it stopped producing
    /// blocks or slots, or its process exited.
    pub fn node_gone(reason: impl Into<String>) -> Self {
        Self {
            kind: StopKind::NodeGone,
            reason: reason.into(),
        }
    }

    /// The tracker failed while the node was there.
    pub fn tracker_failed(reason: impl Into<String>) -> Self {
        Self {
            kind: StopKind::TrackerFailed,
            reason: reason.into(),
        }
    }

    /// Stopped by a signal of `kind` (interrupted or terminated).
    pub fn signal(kind: StopKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }
}

/// Signs and sends a chain's transactions.
pub trait Submitter: Send + 'static {
    /// A signed transaction, ready to send.
    type Signed: Send + 'static;

    /// Builds and signs transaction `seq`. Called once per transaction, in
    /// schedule order.
    fn sign(&mut self, seq: TxSeq) -> Result<Self::Signed, Reject>;

    /// Sends a batch without waiting for confirmation; one result per
    /// transaction, in the batch's order. The batch is registered with the
    /// tracker before the request goes out, and what the node refused is
    /// withdrawn ([`open_set`](crate::open_set)).
    fn send(
        &self,
        batch: Vec<Self::Signed>,
    ) -> impl Future<Output = Vec<Result<(), Reject>>> + Send + 'static;

    /// What the submitter counted besides outcomes (e.g. nonce resyncs), by name.
    fn counters(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }
}

/// What a run recorded, for a [`Verifier`] to check against the chain. Every
/// landed transaction counts, warm-up included: the chain does not know
/// which were measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    /// Landed and executed successfully.
    pub landed_ok: u64,
    /// Landed, failed in execution (fee paid, value not moved).
    pub landed_failed: u64,
    /// Sum of the landed transactions' fees, smallest unit.
    pub fee_total: u128,
    /// Value each successful transaction moved from its sender, smallest unit.
    pub value_per_tx: u128,
}

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

/// A boxed future, as object-safe traits return them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Re-derives a run's figures from chain state after the drain.
pub trait Verifier: Send + Sync + std::fmt::Debug {
    /// Reads the chain and puts its figures beside `claimed`; an error when
    /// the chain could not be read.
    fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, String>>;
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
    /// Chain id (EVM) or genesis hash (Solana).
    pub chain_id: String,
    /// What the node says it is (`web3_clientVersion`, `getVersion`).
    pub node_version: String,
    /// Value each transfer carries, smallest unit (the chain may need more
    /// than the scenario asks: a new Solana account must be rent-exempt).
    pub value_per_tx: u128,
    /// Checks the run's figures against the chain after the drain.
    pub verifier: Option<Box<dyn Verifier>>,
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
            submitter: AnySubmitter(Box::new(self.submitter)),
            events: self.events,
            tracking: self.tracking,
            sending: self.sending,
            senders: self.senders,
            chain_id: self.chain_id,
            node_version: self.node_version,
            value_per_tx: self.value_per_tx,
            verifier: self.verifier,
            tasks: self.tasks,
        }
    }
}

/// A transaction signed by an [`AnySubmitter`].
pub struct AnySigned(Box<dyn Any + Send>);

impl std::fmt::Debug for AnySigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnySigned")
    }
}

/// The object-safe face of a [`Submitter`].
trait ErasedSubmitter: Send {
    fn sign(&mut self, seq: TxSeq) -> Result<AnySigned, Reject>;
    fn send(&self, batch: Vec<AnySigned>) -> BoxFuture<Vec<Result<(), Reject>>>;
    fn counters(&self) -> Vec<(&'static str, u64)>;
}

impl<S: Submitter> ErasedSubmitter for S {
    fn sign(&mut self, seq: TxSeq) -> Result<AnySigned, Reject> {
        Submitter::sign(self, seq).map(|s| AnySigned(Box::new(s)))
    }

    fn send(&self, batch: Vec<AnySigned>) -> BoxFuture<Vec<Result<(), Reject>>> {
        let batch = batch
            .into_iter()
            .map(|s| match s.0.downcast::<S::Signed>() {
                Ok(signed) => *signed,
                // AnySubmitter's fields are private: its batches hold only what its sign() made.
                Err(_) => unreachable!("a batch holds only this submitter's transactions"),
            })
            .collect();
        Box::pin(Submitter::send(self, batch))
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        Submitter::counters(self)
    }
}

/// A submitter of any chain. A signed transaction costs one allocation
/// more than through the chain's own type: tens of nanoseconds beside a
/// signature's tens of microseconds.
pub struct AnySubmitter(Box<dyn ErasedSubmitter>);

impl std::fmt::Debug for AnySubmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnySubmitter")
    }
}

impl Submitter for AnySubmitter {
    type Signed = AnySigned;

    fn sign(&mut self, seq: TxSeq) -> Result<AnySigned, Reject> {
        self.0.sign(seq)
    }

    fn send(
        &self,
        batch: Vec<AnySigned>,
    ) -> impl Future<Output = Vec<Result<(), Reject>>> + Send + 'static {
        self.0.send(batch)
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        self.0.counters()
    }
}
