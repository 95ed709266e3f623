//! The result file of a chainmeter run: what a run measured, as it is
//! written, read back, merged, compared and reported.
//!
//! This crate owns the versioned result types ([`run::RunResult`] and all
//! it holds), their JSON Schema ([`run::json_schema`]), reading files of
//! older versions ([`run::RunResult::read`]) and the encoding of latency
//! histograms ([`histogram::StoredHistogram`]), and the headline figures
//! runs are judged by ([`headline::headline`]). It must never import the
//! engine (`chainmeter-core`) or an async runtime: a reader of result files
//! needs neither, and a change to the engine must not change the schema.
//!
//! ```no_run
//! use chainmeter_result::run::RunResult;
//!
//! let r = RunResult::read(std::path::Path::new("results/run/evm/result.json"))?;
//! println!("{}: {} landed of {} sent", r.chain, r.outcomes.landed_ok, r.outcomes.sent);
//! # Ok::<(), chainmeter_result::run::ResultReadError>(())
//! ```

pub mod headline;
pub mod histogram;
pub mod level;
pub mod outcome;
pub mod progress;
pub mod rate;
pub mod rng;
pub mod run;
pub mod shard;
pub mod unit;

pub use level::Level;
pub use unit::FeeUnit;
