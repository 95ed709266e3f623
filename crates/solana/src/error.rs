//! Errors of the Solana side.

/// Why a Solana session could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SolanaError {
    /// A JSON-RPC call failed.
    #[error("{call} at {url}: {message}")]
    Rpc {
        /// What was being done.
        call: &'static str,
        /// The node's URL.
        url: String,
        /// The client's error.
        message: String,
    },
    /// The WebSocket subscriptions could not be opened.
    #[error("cannot subscribe to {what} at {url}: {message}")]
    Subscribe {
        /// Which subscription.
        what: &'static str,
        /// The WebSocket URL.
        url: String,
        /// The client's error.
        message: String,
    },
    /// The cluster is Solana mainnet-beta and the run was not explicitly allowed on it.
    #[error("genesis hash {genesis} is Solana mainnet-beta; chainmeter sends real transactions and refuses unless --allow-mainnet is given")]
    Mainnet {
        /// The genesis hash.
        genesis: String,
    },
    /// The node never charged a non-zero fee, so it is not ready for fee measurements.
    #[error("the node still quotes a zero fee after {seconds} s; it is not ready")]
    ZeroFee {
        /// How long it was given.
        seconds: u64,
    },
    /// The temporary file that keeps landed signatures for the verifier could not be made.
    #[error("cannot create a temporary file for landed signatures (is TMPDIR writable?): {0}")]
    Scratch(String),
    /// The TPU client could not be set up.
    #[error("TPU/QUIC sending: {0}")]
    Tpu(String),
    /// Payers could not be funded.
    #[error("cannot fund payers: {0}")]
    Funding(String),
}
