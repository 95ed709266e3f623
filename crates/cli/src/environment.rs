//! What machine and build a run happened on.

use chainmeter_core::result::{Environment, NodeInfo};

/// The environment of this process, with `node` filled in by the caller.
pub(crate) fn current(node: NodeInfo) -> Environment {
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
        chainmeter_version: env!("CARGO_PKG_VERSION").to_owned(),
        git_revision: option_env!("CHAINMETER_GIT_REVISION").map(str::to_owned),
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
