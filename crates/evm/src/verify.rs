//! The run's figures read back from the chain: nonces and balances.

use crate::{
    submitter::classify,
    workload::{Effects, Workload},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, Bytes, U256, U64},
    rpc::client::RpcClient,
};
use chainmeter_core::{
    chain::{BoxFuture, Claimed, Verifier, VerifyError},
    result::{Check, Verification},
};
use serde_json::json;
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
    /// The workload, whose own effects (token balances, pool reserves) are
    /// checked beside the nonces and fees.
    pub(crate) workload: Arc<dyn Workload>,
}

impl Verifier for EvmVerifier {
    fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, VerifyError>> {
        let client = self.client.clone();
        let senders = self.senders.clone();
        let block = self.scanned.load(Ordering::Acquire);
        let workload = self.workload.clone();
        Box::pin(async move {
            // No block read yet (a run over before its first head): block 0
            // predates the funding, so the latest state stands in.
            let at = if block == 0 {
                BlockNumberOrTag::Latest
            } else {
                BlockNumberOrTag::Number(block)
            };
            let (mut nonces, mut spent) = (0u64, U256::ZERO);
            for chunk in senders.chunks(PER_BATCH) {
                let err = |e| {
                    VerifyError::call(
                        format!("reading senders at block {block}"),
                        classify(e).message,
                    )
                };
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
            let mut checks = vec![
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
                    how: "senders' balance decrease minus the value of the successful transfers"
                        .into(),
                },
            ];
            let addresses: Vec<Address> = senders.iter().map(|s| s.0).collect();
            checks.extend(
                workload
                    .effects(Effects {
                        client: &client,
                        at,
                        senders: &addresses,
                        claimed: &claimed,
                    })
                    .await?,
            );
            Ok(Verification {
                method: if block == 0 {
                    "senders' nonces and balances at the latest block (the tracker had read none)"
                        .to_owned()
                } else {
                    format!(
                        "senders' nonces and balances at block {block}, the last block the tracker read"
                    )
                },
                checks,
                error: None,
                dry_senders: Vec::new(),
            })
        })
    }
}

/// The `eth_call`s `calls` (contract, input) at block `at`, each answering
/// one word, in batches.
pub(crate) async fn call_words(
    client: &RpcClient,
    at: BlockNumberOrTag,
    calls: &[(Address, Bytes)],
) -> Result<Vec<U256>, VerifyError> {
    let mut words = Vec::with_capacity(calls.len());
    for chunk in calls.chunks(PER_BATCH) {
        let err = |e| VerifyError::call(format!("eth_call at {at}"), classify(e).message);
        let mut batch = client.new_batch();
        let mut waiters = Vec::with_capacity(chunk.len());
        for (to, input) in chunk {
            let call = json!({"to": to, "data": input});
            waiters.push(
                batch
                    .add_call::<_, U256>("eth_call", &(call, at))
                    .map_err(err)?,
            );
        }
        batch.send().await.map_err(err)?;
        for w in waiters {
            words.push(w.await.map_err(err)?);
        }
    }
    Ok(words)
}
