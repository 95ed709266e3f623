//! The seam between the chain-agnostic engine and a chain's crate.
//!
//! A chain crate describes itself and checks its scenario section through
//! [`plugin`]; it turns a checked target into a [`Session`]: a
//! [`Submitter`] that signs and sends, a stream of [`ChainEvent`]s from its
//! tracker task, which watches the chain and says when each transaction
//! reached each level, and a [`Verifier`] that re-reads the chain after the
//! drain. The runner drives them and never waits on a confirmation to send.

mod event;
pub mod plugin;
mod session;
mod submitter;
mod sweeper;
mod verifier;

pub use event::{ChainEvent, Stop};
pub use session::{FundingProgress, Session, TaskSet};
pub use submitter::{AnySigned, AnySubmitter, Submitter};
pub use sweeper::{Returned, Sweeper, Swept};
pub use verifier::{Claimed, EntryClaim, Verifier, VerifyError};

use std::{future::Future, pin::Pin};

/// A transaction's sequence number in its run, from the schedule.
pub type TxSeq = u64;

/// A boxed future, as object-safe traits return them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// An error with its causes, `: `-separated: how a chain's typed errors,
/// each naming only its own step, read as one line in a message or a result.
pub fn chained(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
