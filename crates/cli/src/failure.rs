//! How a command failed: the exit code it gives and the error it prints.

use chainmeter_orchestrate::exit;

/// A failed command.
#[derive(Debug)]
pub(crate) struct Failure {
    /// Its exit code ([`exit`]).
    pub(crate) code: u8,
    /// What to print.
    pub(crate) error: anyhow::Error,
}

impl Failure {
    /// A scenario, flag or file that cannot be used.
    pub(crate) fn bad_input(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: exit::BAD_INPUT,
            error: error.into(),
        }
    }

    /// A run or a gate that failed.
    pub(crate) fn run_failed(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: exit::RUN_FAILED,
            error: error.into(),
        }
    }
}
