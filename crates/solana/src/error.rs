//! Errors of the Solana side.

use chainmeter_core::chain::Stop;
use std::time::Duration;

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
    #[error("{reason}")]
    SubscriptionClosed {
        /// What was seen.
        reason: String,
    },
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
            Self::SubscriptionClosed { .. }
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
