//! What the user is told while scenarios run: the one seam between the
//! orchestration and a terminal.

use chainmeter_core::{chain::FundingProgress, recorder::Progress};
use chainmeter_result::run::RunResult;

/// Where the orchestration tells what it does. A terminal prints it; a test
/// records it. Two methods are required; the rest default to saying nothing.
pub trait Console {
    /// A line of narrative: a node started, a run prepared, where a result went.
    fn note(&self, line: &str);

    /// A report to show whole (Markdown): a run's summary, a comparison.
    fn show(&self, markdown: &str);

    /// A run on `chain` begins sending, `planned` transactions if known up front.
    fn sending(&self, _chain: &str, _planned: Option<u64>) {}

    /// How the run goes, about once a second.
    fn progress(&self, _progress: &Progress) {}

    /// The run's sending and drain are over.
    fn progress_done(&self) {}

    /// A run's result is written at `path` (completed, stopped or not).
    fn result(&self, _result: &RunResult, _path: &std::path::Path) {}

    /// What funding the senders reports its progress to.
    fn funding(&self) -> FundingProgress {
        FundingProgress::default()
    }

    /// The process group of the local node while it runs, `None` once it is
    /// stopped: what a second Ctrl-C kills without waiting.
    fn node_group(&self, _pid: Option<u32>) {}
}

/// A console that tells nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Console for Silent {
    fn note(&self, _: &str) {}
    fn show(&self, _: &str) {}
}
