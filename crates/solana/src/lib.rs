//! The Solana side of chainmeter: derives and funds payer keypairs, signs
//! unique SOL transfers against a background-refreshed blockhash, sends them
//! with `sendTransaction` in JSON-RPC batches, and times `processed`,
//! `confirmed` and `finalized` from slot events (`slotsUpdatesSubscribe`,
//! `rootSubscribe`), fetching each confirmed slot's block once to find the
//! run's signatures, their fees and compute units.
//!
//! It implements core's `plugin::Chain`; it must never import another chain
//! crate, `chainmeter-report` or the binary.

mod budget;
mod calls;
mod chain_target;
mod connect;
mod error;
mod keys;
mod landed;
mod poller;
mod rpc;
pub mod spec;
mod submitter;
mod sweep;
mod target;
mod tpu;
mod tracker;
mod verify;
mod workload;

pub use connect::connect;
pub use error::{
    FundingError, LandedError, SlotsClosed, SolanaError, TpuError, TrackerError, WaitError,
};
pub use submitter::{rpc_send_body, SignedTransfer, SolanaSubmitter};
pub use target::{SendPath, Solana, SolanaFile, SolanaTarget, SolanaTracking, ValidatorOptions};
