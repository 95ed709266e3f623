//! Local validators for chainmeter: find the binary, start it on free loopback
//! ports with its own ledger and log, wait until it is really ready, and stop
//! its whole process group when the [`Node`] guard drops — on success, on
//! error and on Ctrl-C alike.
//!
//! One file per node binary (`anvil`, `solana_test_validator`), each with
//! its [`Binary`], options and start function. It must never import core's
//! engine or a chain crate: the chain crates call it.

mod anvil;
mod binary;
mod node;
mod rpc;
mod solana_test_validator;

// One file per node binary: a new node is one more file and its line here.
pub use anvil::{start_anvil, AnvilOptions, ANVIL};
pub use binary::{locate, Binary};
pub use node::Node;
pub use rpc::{rpc_call, RpcCallError};
pub use solana_test_validator::{
    start_solana_test_validator, SolanaOptions, SOLANA_TEST_VALIDATOR,
};

use std::{path::PathBuf, time::Duration};

/// Why a local validator could not be found, started or made ready.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalnetError {
    /// The binary is neither named by its environment variable, on PATH, nor installed by the project's script.
    #[error("{binary} not found (looked at ${env_var}, PATH and {searched}); install it with `{install}` or set {env_var}")]
    NotFound {
        /// The binary's name.
        binary: &'static str,
        /// The environment variable that can name it.
        env_var: &'static str,
        /// Where the project's install script puts it.
        searched: String,
        /// The command that installs it.
        install: &'static str,
    },
    /// The binary could not be run.
    #[error("cannot run {binary}")]
    Spawn {
        /// The binary.
        binary: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// It exited before it was ready.
    #[error("{binary} exited during start-up ({status}); last lines of {log}:\n{tail}")]
    ExitedEarly {
        /// The binary.
        binary: String,
        /// Its exit status.
        status: String,
        /// Its log file.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// It did not become ready in time.
    #[error("{binary} was not ready after {waited:?}: {what}; see its log {log}")]
    NotReady {
        /// The binary.
        binary: String,
        /// How long it was given.
        waited: Duration,
        /// What it was still waiting for.
        what: String,
        /// Its log file.
        log: PathBuf,
    },
    /// Local file or process I/O.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}
