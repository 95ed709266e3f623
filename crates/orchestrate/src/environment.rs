//! What machine and build a run happened on.

use chainmeter_result::run::{Environment, NodeInfo};

/// Which chainmeter ran: the binary knows its own version and revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// The version it was built as.
    pub version: String,
    /// The git revision it was built from, if known.
    pub git_revision: Option<String>,
}

/// The environment of this process and `build`, with the run's `node`.
pub(crate) fn current(build: &Build, node: NodeInfo) -> Environment {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    Environment {
        chainmeter_version: build.version.clone(),
        git_revision: build.git_revision.clone(),
        node,
        os: format!(
            "{} {} {}",
            std::env::consts::OS,
            kernel.trim(),
            std::env::consts::ARCH
        ),
        cpu_model,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}
