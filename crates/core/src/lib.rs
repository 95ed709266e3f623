//! The chain-agnostic core of chainmeter.
//!
//! Data flows one way: a [`scenario`] file becomes a [`schedule`] of sends;
//! the [`runner`] hands them to a chain's [`chain::Submitter`] and feeds what
//! the chain's tracker sees into the [`recorder`], whose figures [`summary`]
//! makes a `chainmeter_result::run::RunResult`. This crate knows no chain:
//! each chain's crate describes itself through [`plugin::Chain`].
//!
//! It must never import a chain crate, `chainmeter-localnet` or
//! `chainmeter-report`; the result file's types are `chainmeter-result`'s,
//! and every crate imports them from there. Inside, modules import only
//! from below them (`docs/ARCHITECTURE.md` gives the layers;
//! `tests/layers.rs` keeps them free of circles).

pub mod bids;
pub mod chain;
pub mod funder;
pub mod metrics;
pub mod open_set;
pub mod outcome;
pub mod pacer;

pub mod recorder;
pub mod runner;
pub mod scenario;
pub mod schedule;
pub mod search;
pub mod section;
pub mod shard;
pub mod spec;
pub mod summary;
pub mod usage;
pub mod workload;

#[cfg(test)]
mod testing;

pub use chain::plugin;
pub use chainmeter_result::Level;
pub use spec::{ChainSpec, FeeUnit};
