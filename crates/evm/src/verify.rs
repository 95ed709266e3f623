//! The run's figures read back from the chain: nonces and balances.

use crate::{
    error::classify,
    reads::PER_BATCH,
    workload::{Effects, Workload},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, U256, U64},
    rpc::client::RpcClient,
};
use chainmeter_core::chain::{BoxFuture, Claimed, Verifier, VerifyError};
use chainmeter_result::run::{Check, Verification};
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

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
    /// The funder's balance against its transfers, when a key funded the
    /// run (checked when funding ended, reported with the run's checks).
    pub(crate) funder: Option<Check>,
}

impl Verifier for EvmVerifier {
    fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, VerifyError>> {
        let client = self.client.clone();
        let senders = self.senders.clone();
        let block = self.scanned.load(Ordering::Acquire);
        let workload = self.workload.clone();
        let funder = self.funder.clone();
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
            let value = workload.moved(&claimed);
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
                    entry: None,
                },
                Check {
                    name: "fees".into(),
                    recorded: claimed.fee_total.to_string(),
                    chain: fees,
                    how: "senders' balance decrease minus the value of the successful transfers"
                        .into(),
                    entry: None,
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
            checks.extend(funder);
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
                unverified: Vec::new(),
            })
        })
    }
}
