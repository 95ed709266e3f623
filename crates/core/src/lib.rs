//! The chain-agnostic core of chainmeter.
//!
//! Data flows one way: a [`scenario`] file becomes a [`schedule`] of sends;
//! the [`runner`] hands them to a chain's [`chain::Submitter`] and feeds what
//! the chain's tracker sees into the [`recorder`], which becomes a
//! [`result::RunResult`]. This crate knows no chain: each chain's crate
//! describes itself through [`plugin::Chain`].
//!
//! It must never import a chain crate, `chainmeter-localnet` or
//! `chainmeter-report`; the result file's types are `chainmeter-result`'s,
//! re-exported here under their old paths. Inside, modules import only
//! from below them (`docs/ARCHITECTURE.md` gives the layers;
//! `tests/layers.rs` keeps them free of circles).

pub mod bids;
pub mod chain;
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

// The result model is its own crate; its modules keep their paths here.
pub use chain::plugin;
pub use chainmeter_result::{histogram, level, rng, run as result};
pub use level::Level;
pub use spec::{ChainSpec, FeeUnit};
