//! The EVM side of chainmeter: derives and funds sender accounts, signs
//! EIP-1559 transfers locally, sends them raw in JSON-RPC batches, and tracks
//! inclusion from `newHeads` with one `eth_getBlockReceipts` per block and
//! `safe`/`finalized` from the block tags.
//!
//! It implements core's `plugin::Chain`; it must never import another chain
//! crate, `chainmeter-report` or the binary.

mod chain_target;
mod connect;
mod error;
mod funding;
mod keys;
mod nonces;
mod reads;
mod setup;
pub mod signing;
pub mod spec;
mod submitter;
mod sweep;
mod target;
mod tracker;
mod verify;
mod workload;

pub use connect::connect;
pub use error::{EvmError, FundingError, PrepareError, TrackerError};
pub use submitter::{EvmSubmitter, SignedTx};
pub use target::{AnvilOptions, Evm, EvmFile, EvmTarget};
