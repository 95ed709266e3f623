//! The run's figures read back from the chain: nonces and balances.

use crate::{
    submitter::classify,
    workload::{balance_of_call, TokenCheck},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, U256, U64},
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
    /// For the token workload: the senders' token balances are checked too.
    pub(crate) token: Option<TokenCheck>,
}

impl Verifier for EvmVerifier {
    fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, VerifyError>> {
        let client = self.client.clone();
        let senders = self.senders.clone();
        let block = self.scanned.load(Ordering::Acquire);
        let token = self.token;
        Box::pin(async move {
            // No block read yet (a run over before its first head): block 0
            // predates the funding, so the latest state stands in.
            let at = if block == 0 {
                BlockNumberOrTag::Latest
            } else {
                BlockNumberOrTag::Number(block)
            };
            let (mut nonces, mut spent, mut moved) = (0u64, U256::ZERO, U256::ZERO);
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
                    let tokens = token
                        .map(|t| {
                            let call = json!({"to": t.token, "data": balance_of_call(*address)});
                            batch.add_call::<_, U256>("eth_call", &(call, at))
                        })
                        .transpose()
                        .map_err(err)?;
                    waiters.push((nonce, balance, tokens));
                }
                batch.send().await.map_err(err)?;
                for ((_, before, nonce_before), (nonce, balance, tokens)) in
                    chunk.iter().zip(waiters)
                {
                    let nonce = nonce.await.map_err(err)?.to::<u64>();
                    let balance = balance.await.map_err(err)?;
                    nonces += nonce.saturating_sub(*nonce_before);
                    spent += before.saturating_sub(balance);
                    if let (Some(tokens), Some(t)) = (tokens, token) {
                        moved += t.minted.saturating_sub(tokens.await.map_err(err)?);
                    }
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
            if let Some(t) = token {
                checks.push(Check {
                    name: "tokens".into(),
                    recorded: (t.amount * U256::from(claimed.landed_ok)).to_string(),
                    chain: moved.to_string(),
                    how: format!("senders' balanceOf decrease at token {}", t.token),
                });
            }
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
