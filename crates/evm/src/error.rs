//! Errors of the EVM side.

use alloy::transports::TransportError;

/// Why an EVM session could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvmError {
    /// A JSON-RPC call failed.
    #[error("{call} at {url}")]
    Rpc {
        /// What was being done.
        call: &'static str,
        /// The node's URL.
        url: String,
        /// The transport or node error.
        #[source]
        source: TransportError,
    },
    /// The WebSocket for block notifications and sending could not be opened,
    /// or the newHeads subscription was refused.
    #[error("cannot open the WebSocket at {url} (newHeads and sending)")]
    Subscribe {
        /// The WebSocket URL.
        url: String,
        /// The error.
        #[source]
        source: TransportError,
    },
    /// The node did not answer in time.
    #[error("{call} at {url}: no answer within {seconds} s")]
    Timeout {
        /// What was being done.
        call: &'static str,
        /// The node's URL.
        url: String,
        /// The time limit.
        seconds: u64,
    },
    /// The chain is a public mainnet and the run was not explicitly allowed on it.
    #[error("chain id {chain_id} is a public mainnet; chainmeter sends real transactions and refuses unless --allow-mainnet is given")]
    Mainnet {
        /// The chain id.
        chain_id: u64,
    },
    /// Senders could not be funded.
    #[error("cannot fund senders: {0}")]
    Funding(String),
    /// A key derived from the seed is not a valid secp256k1 key (astronomically unlikely).
    #[error("sender key {index} derived from the seed is invalid; choose another seed")]
    Key {
        /// The sender's index.
        index: u32,
    },
    /// The workload could not be prepared (deploying, minting, measuring gas).
    #[error("cannot prepare the workload: {0}")]
    Workload(String),
    /// A URL could not be parsed.
    #[error("invalid URL {url:?}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}
