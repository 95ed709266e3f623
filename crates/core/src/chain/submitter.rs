//! Signing and sending, and the type-erased submitter every chain is driven through.

use super::{BoxFuture, TxSeq};
use crate::outcome::Reject;
use std::{any::Any, future::Future};

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

impl AnySubmitter {
    /// `submitter`, its type erased.
    pub(super) fn of<S: Submitter>(submitter: S) -> Self {
        Self(Box::new(submitter))
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
