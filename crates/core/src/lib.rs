//! The chain-agnostic core of chainmeter.
//!
//! Data flows one way: a [`scenario`] file becomes a [`schedule`] of sends;
//! the [`runner`] hands them to a chain's [`chain::Submitter`] and feeds what
//! the chain's tracker sees into the [`recorder`], which becomes a
//! [`result::RunResult`]. This crate knows no chain library.

pub mod bids;
pub mod chain;
pub mod histogram;
pub mod level;
pub mod outcome;
pub mod recorder;
pub mod result;
pub mod runner;
pub mod scenario;
pub mod schedule;
pub mod usage;

pub use level::{ChainKind, Level};
