//! Errors of the EVM side.

use alloy::primitives::B256;
use alloy::transports::{RpcError, TransportError};
use chainmeter_core::outcome::{Reject, RejectClass};
use chainmeter_core::{chain::Stop, funder::MalformedKey};
use std::time::Duration;

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
    /// The WebSocket transactions are sent on could not be opened.
    #[error("cannot open the WebSocket to send on at {url}: {why}")]
    SendSocket {
        /// The WebSocket URL.
        url: String,
        /// Why.
        why: String,
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
    #[error("cannot fund senders")]
    Funding(#[from] FundingError),
    /// A key derived from the seed is not a valid secp256k1 key (astronomically unlikely).
    #[error("sender key {index} derived from the seed is invalid; choose another seed")]
    Key {
        /// The sender's index.
        index: u32,
    },
    /// The workload could not be prepared (deploying, minting, measuring gas).
    #[error("cannot prepare the workload")]
    Workload(#[from] PrepareError),
    /// A URL could not be parsed.
    #[error("invalid URL {url:?}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// Why senders could not be funded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FundingError {
    /// The funder key's file does not hold an EVM key.
    #[error(transparent)]
    Malformed(MalformedKey),
    /// An attached node refused `anvil_setBalance` and no funder key was given.
    #[error(
        "the node at {url} does not fund accounts by cheat code (anvil_setBalance); \
         give --funder-key FILE, the key of a funded account, to fund the senders by transfers"
    )]
    NoCheatCode {
        /// The node's URL.
        url: String,
        /// The node's answer.
        #[source]
        source: TransportError,
    },
    /// The funder holds less than the run needs.
    #[error(
        "the funder {funder} holds {held} wei, and funding this run needs {needed} wei \
         (what the senders may spend at the current base fee, and the transfers' fees): \
         fund it, or run fewer or cheaper transactions"
    )]
    TooPoor {
        /// The funder's address.
        funder: String,
        /// What funding needs, wei.
        needed: String,
        /// What it holds, wei.
        held: String,
    },
    /// The node refused `anvil_setBalance`.
    #[error(
        "anvil_setBalance failed; chainmeter funds senders with anvil's cheat code, \
         so attach only to anvil (or a node that has anvil_setBalance)"
    )]
    SetBalance {
        /// The node's answer.
        #[source]
        source: TransportError,
    },
}

/// Why a workload could not be prepared before the clock starts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// A contract's bytecode compiled into chainmeter is not hex.
    #[error("{contract}'s bytecode is not hex")]
    Bytecode {
        /// The contract.
        contract: &'static str,
        /// The decoder's error.
        #[source]
        source: alloy::primitives::hex::FromHexError,
    },
    /// A deployment's receipt names no contract address.
    #[error("the deployment of {contract} names no contract address")]
    NoAddress {
        /// The contract.
        contract: String,
    },
    /// A setup transaction could not be signed.
    #[error("cannot sign a setup transaction")]
    Sign {
        /// The signer's error.
        #[source]
        source: alloy::signers::Error,
    },
    /// A setup transaction was included and reverted.
    #[error("setup transaction {hash} reverted")]
    Reverted {
        /// Its hash.
        hash: B256,
    },
    /// A setup transaction was not included in time.
    #[error("setup transaction {hash} was not included within {} s", patience.as_secs())]
    NotIncluded {
        /// Its hash.
        hash: B256,
        /// How long it was waited for.
        patience: Duration,
    },
    /// Every sampled call of a `call` workload failed its gas estimate.
    #[error("no sampled call of {function} can be estimated (give gas_limit to send them anyway); call {seq}")]
    NoEstimate {
        /// The function's signature.
        function: String,
        /// The first sampled call refused.
        seq: u64,
        /// Why it was refused.
        #[source]
        source: Box<EvmError>,
    },
}

/// Why the EVM tracker stopped: the run cannot be timed any further.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackerError {
    /// A block's receipts could not be read, however often they were asked for.
    #[error("eth_getBlockReceipts({number}): {why}, still after {} s", patience.as_secs())]
    Receipts {
        /// The block.
        number: u64,
        /// The last answer or error.
        why: String,
        /// How long it was asked for.
        patience: Duration,
    },
    /// The latest, safe and finalized block tags could not be read.
    #[error("block tags: {why}")]
    Tags {
        /// The error.
        why: String,
    },
    /// The node closed the newHeads subscription.
    #[error("the node closed the newHeads subscription")]
    SubscriptionClosed,
    /// No new block came for `stall` while transactions were pending.
    #[error(
        "no new block for {:.0} s with transactions pending: the node stopped producing blocks",
        stall.as_secs_f64()
    )]
    Stalled {
        /// How long no block came.
        stall: Duration,
    },
}

impl TrackerError {
    /// The node went away (it closed the subscription, or stopped making
    /// blocks), rather than one read failing while it was there.
    pub fn is_node_gone(&self) -> bool {
        matches!(self, Self::SubscriptionClosed | Self::Stalled { .. })
    }

    /// What it stops the run as.
    pub fn stop(&self) -> Stop {
        Stop::tracker(self, self.is_node_gone())
    }
}

/// Sorts a send error into its class by the error's type, never by its text.
pub(crate) fn classify(e: TransportError) -> Reject {
    let class = match &e {
        RpcError::Transport(_) => RejectClass::Transport,
        _ => RejectClass::Node,
    };
    Reject::new(class, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainmeter_result::run::StopKind;

    #[test]
    fn a_prepare_error_reads_as_one_line_with_its_cause() {
        let e = EvmError::from(PrepareError::NoEstimate {
            function: "bump(uint256)".into(),
            seq: 3,
            source: Box::new(EvmError::from(PrepareError::Reverted { hash: B256::ZERO })),
        });
        assert_eq!(
            chainmeter_core::chain::chained(&e),
            format!(
                "cannot prepare the workload: no sampled call of bump(uint256) can be estimated \
                 (give gas_limit to send them anyway); call 3: cannot prepare the workload: \
                 setup transaction {} reverted",
                B256::ZERO
            )
        );
    }

    #[test]
    fn a_tracker_stop_is_node_gone_only_when_the_node_went_away() {
        assert_eq!(
            TrackerError::SubscriptionClosed.stop(),
            Stop::node_gone("the node closed the newHeads subscription")
        );
        let receipts = TrackerError::Receipts {
            number: 7,
            why: "the node answered null".into(),
            patience: Duration::from_secs(10),
        };
        assert_eq!(receipts.stop().kind, StopKind::TrackerFailed);
        assert_eq!(
            receipts.to_string(),
            "eth_getBlockReceipts(7): the node answered null, still after 10 s"
        );
    }
}
