//! What a chain's tracker tells the runner, and what stops a run.

use super::TxSeq;
use chainmeter_result::level::Level;
use chainmeter_result::run::StopKind;
use std::time::Instant;

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
    /// The chain's head moved to block or slot `number`, learned at `at`:
    /// the newest block (EVM) or frozen slot (Solana). A transaction's block
    /// delta counts these from its send to each level; a tracker sends it
    /// before the events it stamps with the same `at`.
    Head {
        /// Block number or slot.
        number: u64,
        /// When the harness learned of it.
        at: Instant,
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

    /// A tracker's failure, `error` in words: the node gone when
    /// `node_gone`, else the tracker failed while the node was there.
    pub fn tracker(error: &dyn std::fmt::Display, node_gone: bool) -> Self {
        match node_gone {
            true => Self::node_gone(error.to_string()),
            false => Self::tracker_failed(error.to_string()),
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
