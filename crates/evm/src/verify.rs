//! The run's figures read back from the chain: nonces and balances.

use crate::submitter::classify;
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, U256, U64},
    rpc::client::RpcClient,
};
use chainmeter_core::{
    chain::{BoxFuture, Claimed, Verifier},
    result::{Check, Verification},
};
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

/// Calls per JSON-RPC batch: a few hundred keeps each request small.
const PER_BATCH: usize = 500;

/// Checks landed count and fees against the senders' nonces and balances,
/// read as of the last block the tracker scanned: transactions that land
/// after the drain cannot blur the comparison.
#[derive(Debug)]
pub(crate) struct EvmVerifier {
    pub(crate) client: RpcClient,
    /// Address, balance and nonce before the run.
    pub(crate) senders: Vec<(Address, U256, u64)>,
    pub(crate) scanned: Arc<AtomicU64>,
}

impl Verifier for EvmVerifier {
    fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, String>> {
        let client = self.client.clone();
        let senders = self.senders.clone();
        let block = self.scanned.load(Ordering::Acquire);
        Box::pin(async move {
            let at = BlockNumberOrTag::Number(block);
            let (mut nonces, mut spent) = (0u64, U256::ZERO);
            for chunk in senders.chunks(PER_BATCH) {
                let err = |e| format!("reading senders at block {block}: {}", classify(e).message);
                let mut batch = client.new_batch();
                let mut waiters = Vec::with_capacity(chunk.len());
                for (address, _, _) in chunk {
                    let nonce = batch
                        .add_call::<_, U64>("eth_getTransactionCount", &(address, at))
                        .map_err(err)?;
                    let balance = batch
                        .add_call::<_, U256>("eth_getBalance", &(address, at))
                        .map_err(err)?;
                    waiters.push((nonce, balance));
                }
                batch.send().await.map_err(err)?;
                for ((_, before, nonce_before), (nonce, balance)) in chunk.iter().zip(waiters) {
                    let nonce = nonce.await.map_err(err)?.to::<u64>();
                    let balance = balance.await.map_err(err)?;
                    nonces += nonce.saturating_sub(*nonce_before);
                    spent += before.saturating_sub(balance);
                }
            }
            let value = U256::from(claimed.value_per_tx) * U256::from(claimed.landed_ok);
            let fees = if spent >= value {
                (spent - value).to_string()
            } else {
                format!("-{}", value - spent)
            };
            Ok(Verification {
                method: format!(
                    "senders' nonces and balances at block {block}, the last block the tracker read"
                ),
                checks: vec![
                    Check {
                        name: "landed".into(),
                        recorded: (claimed.landed_ok + claimed.landed_failed).to_string(),
                        chain: nonces.to_string(),
                        how: "sum of the senders' nonce increases".into(),
                    },
                    Check {
                        name: "fees".into(),
                        recorded: claimed.fee_total.to_string(),
                        chain: fees,
                        how:
                            "senders' balance decrease minus the value of the successful transfers"
                                .into(),
                    },
                ],
                error: None,
            })
        })
    }
}
