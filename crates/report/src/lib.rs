//! Reports from chainmeter result files. This crate reads only result files
//! (`chainmeter_result::run::RunResult`): it never talks to a chain.
//!
//! - [`markdown::run_summary`]: one run as Markdown; [`html::run_page`]: as a
//!   self-contained HTML page with SVG charts;
//! - [`comparison::Comparison`]: a comparison built once, its Markdown and
//!   HTML pages and its gate's verdict, from [`compare`]'s chain vs chain
//!   tables, baseline vs candidate deltas, regression thresholds and
//!   github-action-benchmark JSON, and [`gate`]'s intervals;
//! - [`merge`]: results of several generator processes as one.
//!
//! It must never import `chainmeter-core`, a chain crate or an async
//! runtime: `cargo tree -p chainmeter-report -e normal` shows none.
//!
//! ```no_run
//! use chainmeter_result::run::RunResult;
//!
//! let r = RunResult::read(std::path::Path::new("results/run/evm/result.json"))?;
//! print!("{}", chainmeter_report::markdown::run_summary(&r));
//! # Ok::<(), chainmeter_result::run::ResultReadError>(())
//! ```

pub mod ab;
mod chart;
pub mod compare;
pub mod comparison;
mod escape;
pub mod format;
pub mod gate;
pub mod history;
pub mod html;
pub mod interval;
pub mod markdown;
pub mod merge;
pub mod method;
mod stats;
pub mod table;
pub mod view;
