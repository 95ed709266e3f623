//! Errors of the Solana side.

use chainmeter_core::{chain::Stop, funder::MalformedKey};
use solana_client::{client_error::ClientError, nonblocking::tpu_client::TpuSenderError};
use solana_sdk::transaction::TransactionError;
use std::{path::PathBuf, time::Duration};

/// Why a Solana session could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SolanaError {
    /// A JSON-RPC call failed.
    #[error("{call} at {url}")]
    Rpc {
        /// What was being done.
        call: &'static str,
        /// The node's URL.
        url: String,
        /// The client's error.
        #[source]
        source: ClientError,
    },
    /// The node's RPC URL is not a URL.
    #[error("invalid RPC URL {url:?}")]
    Url {
        /// The URL.
        url: String,
        /// The parser's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The connection transactions are sent on could not be opened.
    #[error("cannot open the connection to send on at {url}: {why}")]
    SendSocket {
        /// The RPC URL.
        url: String,
        /// Why.
        why: String,
    },
    /// The WebSocket subscriptions could not be opened.
    #[error("cannot subscribe to {what} at {url}")]
    Subscribe {
        /// Which subscription.
        what: &'static str,
        /// The WebSocket URL.
        url: String,
        /// The client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
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
    #[error("cannot create a temporary file for landed signatures (is TMPDIR writable?)")]
    Scratch(#[source] std::io::Error),
    /// The TPU client could not be set up.
    #[error("TPU/QUIC sending")]
    Tpu(#[from] TpuError),
    /// Payers could not be funded, or the workload's accounts not prepared.
    #[error("cannot fund payers")]
    Funding(#[from] FundingError),
}

/// Why sending to the TPU could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TpuError {
    /// The identity the connection presents could not be read.
    #[error("cannot read the TPU identity {}: {why}", path.display())]
    Identity {
        /// The keypair file.
        path: PathBuf,
        /// The reader's error, as text: its type is not `Send`.
        why: String,
    },
    /// The client made a connection cache of another protocol.
    #[error("the connection cache is not QUIC")]
    NotQuic,
    /// The client could not find or follow the leaders.
    #[error("cannot follow the leaders at {url}")]
    Leaders {
        /// The RPC URL.
        url: String,
        /// The client's error.
        #[source]
        source: TpuSenderError,
    },
}

/// Why payers (or the accounts a workload needs) could not be funded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FundingError {
    /// The funder key's file does not hold a Solana keypair.
    #[error(transparent)]
    Malformed(MalformedKey),
    /// The funder key's account holds less than the run needs.
    #[error(
        "the funder {funder} holds {held} lamports, and funding this run needs {needed} \
         (what the payers may spend, and the funding transactions' fees): fund it, \
         or run fewer transactions"
    )]
    TooPoor {
        /// The funder's public key.
        funder: String,
        /// What funding needs.
        needed: u64,
        /// What it holds.
        held: u64,
    },
    /// The node refused the airdrop.
    #[error(
        "requestAirdrop of {lamports} lamports failed: the node has no faucet; give \
         --funder-key FILE, a funded keypair, to fund the payers by transfers"
    )]
    Airdrop {
        /// How much was asked for.
        lamports: u64,
        /// The client's error.
        #[source]
        source: ClientError,
    },
    /// The airdrop to the funder did not arrive.
    #[error("the airdrop to the funder did not arrive")]
    AirdropLate(#[source] WaitError),
    /// A funding transfer was refused.
    #[error("funding transfer failed")]
    Transfer(#[source] ClientError),
    /// A sweep transfer back to the funder was refused.
    #[error("sweep transfer failed")]
    Sweep(#[source] ClientError),
    /// Sweep transfers were sent but the payers were not emptied.
    #[error("the payers' funds did not all come back")]
    NotSwept(#[source] WaitError),
    /// Funding transfers were sent but the payers' balances did not reach their targets.
    #[error("payers were not funded")]
    NotFunded(#[source] WaitError),
    /// A step of preparing a workload's accounts (the token's mint and
    /// accounts) failed.
    #[error("preparing the workload's accounts at {url}: {step}")]
    Prepare {
        /// The node's URL.
        url: String,
        /// The step that failed.
        step: &'static str,
        /// The error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A setup transaction landed and failed.
    #[error("setup transaction {signature} failed")]
    SetupFailed {
        /// Its signature.
        signature: String,
        /// The chain's error.
        #[source]
        source: TransactionError,
    },
    /// Setup transactions were not confirmed in time.
    #[error("{open} setup transactions not confirmed after {} s", patience.as_secs())]
    SetupUnconfirmed {
        /// How many were still open.
        open: usize,
        /// How long they were waited for.
        patience: Duration,
    },
}

/// Why waiting for the chain to reach a state ended without it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// It was not reached in time.
    #[error("not done after {} s", patience.as_secs())]
    Timeout {
        /// How long it was waited for.
        patience: Duration,
    },
    /// Reading the state failed.
    #[error(transparent)]
    Check(Box<SolanaError>),
}

/// The node closed the slot subscriptions.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the node closed the slot subscriptions at {url}")]
pub struct SlotsClosed {
    /// The WebSocket URL.
    pub url: String,
}

/// Why the landed-signature log could not be written or read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LandedError {
    /// Appending to the temporary file failed; every later append was dropped.
    #[error("writing landed signatures to a temporary file")]
    Write(#[source] std::sync::Arc<std::io::Error>),
    /// Flushing the buffer before reading failed.
    #[error("flushing landed signatures")]
    Flush(#[source] std::io::Error),
    /// The file could not be opened a second time for reading.
    #[error("reopening landed signatures")]
    Reopen(#[source] std::io::Error),
    /// Reading back failed.
    #[error("reading landed signatures back")]
    Read(#[source] std::io::Error),
}

/// Why a Solana tracker stopped: the run cannot be timed any further.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackerError {
    /// A block could not be fetched or parsed.
    #[error("{call}: {why}")]
    Block {
        /// The call, e.g. `getBlock(812)` or `parsing getBlock(812)`.
        call: String,
        /// The error.
        why: String,
    },
    /// The signature-status poll failed.
    #[error("getSignatureStatuses: {why}")]
    Poll {
        /// The error.
        why: String,
    },
    /// The node closed the slot subscriptions.
    #[error(transparent)]
    SubscriptionClosed(SlotsClosed),
    /// The slot subscription's stream ended.
    #[error("the slot subscription ended")]
    SubscriptionEnded,
    /// No slot event came for `stall` while transactions were open.
    #[error(
        "no slot event for {} s with transactions open: the node stopped producing slots",
        stall.as_secs()
    )]
    NoSlots {
        /// How long none came.
        stall: Duration,
    },
    /// Polling saw no transaction progress and no new block height for `stall`.
    #[error(
        "no transaction made progress and the block height stood still for {} s: the node stopped producing slots",
        stall.as_secs()
    )]
    Stalled {
        /// How long nothing moved.
        stall: Duration,
    },
}

impl TrackerError {
    /// The node went away (its subscription closed, or it stopped making
    /// slots), rather than one read failing while it was there.
    pub fn is_node_gone(&self) -> bool {
        matches!(
            self,
            Self::SubscriptionClosed(_)
                | Self::SubscriptionEnded
                | Self::NoSlots { .. }
                | Self::Stalled { .. }
        )
    }

    /// What it stops the run as.
    pub fn stop(&self) -> Stop {
        Stop::tracker(self, self.is_node_gone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainmeter_result::run::StopKind;

    #[test]
    fn a_funding_error_keeps_its_causes() {
        let e = SolanaError::from(FundingError::NotFunded(WaitError::Timeout {
            patience: Duration::from_secs(60),
        }));
        assert_eq!(
            chainmeter_core::chain::chained(&e),
            "cannot fund payers: payers were not funded: not done after 60 s"
        );
        let closed = TrackerError::SubscriptionClosed(SlotsClosed {
            url: "ws://127.0.0.1:8900".into(),
        });
        assert!(closed.is_node_gone());
        assert_eq!(
            closed.to_string(),
            "the node closed the slot subscriptions at ws://127.0.0.1:8900"
        );
    }

    #[test]
    fn a_tracker_stop_is_node_gone_only_when_the_node_went_away() {
        let stalled = TrackerError::NoSlots {
            stall: Duration::from_secs(20),
        };
        assert_eq!(stalled.stop().kind, StopKind::NodeGone);
        assert_eq!(
            stalled.to_string(),
            "no slot event for 20 s with transactions open: the node stopped producing slots"
        );
        let read = TrackerError::Block {
            call: "getBlock(812)".into(),
            why: "connection reset".into(),
        };
        assert!(!read.is_node_gone());
        assert_eq!(
            read.stop(),
            Stop::tracker_failed("getBlock(812): connection reset")
        );
    }
}
