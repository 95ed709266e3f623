//! `--sweep`: each sender's leftover ether back to the funder key's
//! account after the run, and the funder's balance checked to the wei.
//!
//! A sweep transfer bids exactly one price, as its fee cap and its tip, so
//! it costs 21,000 x that price whatever the base fee beneath it: the
//! sender sends all it holds less that, and ends at zero.

use crate::{
    error::EvmError,
    funding::balance,
    setup::{account_state, latest_head, send_all, timed, Deployer, TRANSFER_GAS},
};
use alloy::{
    primitives::{Address, U256},
    rpc::client::RpcClient,
    signers::local::PrivateKeySigner,
};
use chainmeter_core::chain::{BoxFuture, Returned, Sweeper, Swept};
use std::time::Instant;

/// The least a sweep bids a gas: a node's minimum price for a transaction
/// it admits is a gwei or below.
const MIN_PRICE: u128 = 1_000_000_000;
/// Sweep transfers sent in one JSON-RPC batch.
const PER_BATCH: usize = 500;

/// Returns the senders' funds to `funder`.
#[derive(Debug)]
pub(crate) struct EvmSweeper {
    pub(crate) client: RpcClient,
    pub(crate) url: String,
    pub(crate) chain_id: u64,
    pub(crate) senders: Vec<PrivateKeySigner>,
    pub(crate) funder: Address,
}

impl Sweeper for EvmSweeper {
    fn sweep(&self) -> BoxFuture<Result<Swept, chainmeter_core::plugin::ChainError>> {
        let (client, url, chain_id, senders, funder) = (
            self.client.clone(),
            self.url.clone(),
            self.chain_id,
            self.senders.clone(),
            self.funder,
        );
        Box::pin(async move {
            sweep(&client, &url, chain_id, senders, funder)
                .await
                .map_err(Into::into)
        })
    }
}

async fn sweep(
    client: &RpcClient,
    url: &str,
    chain_id: u64,
    senders: Vec<PrivateKeySigner>,
    funder: Address,
) -> Result<Swept, EvmError> {
    let started = Instant::now();
    let (base_fee, _) = timed("eth_getBlockByNumber", url, latest_head(client)).await?;
    let price = (u128::from(base_fee) * 2).max(MIN_PRICE);
    let fee = U256::from(TRANSFER_GAS) * U256::from(price);
    let funder_before = balance(client, url, funder).await?;
    let (mut amount, mut fees, mut transactions) = (U256::ZERO, U256::ZERO, 0u64);
    for chunk in senders.chunks(PER_BATCH) {
        let addresses: Vec<Address> = chunk.iter().map(PrivateKeySigner::address).collect();
        let (held, nonces) = account_state(client, url, &addresses).await?;
        let mut raws = Vec::new();
        for (signer, (held, nonce)) in chunk.iter().zip(held.into_iter().zip(nonces)) {
            // Less than its fee left: nothing to return.
            let Some(value) = held.checked_sub(fee).filter(|v| !v.is_zero()) else {
                continue;
            };
            raws.push(
                Deployer::at_nonce(signer.clone(), chain_id, nonce)
                    .transfer_at(funder, value, price)?,
            );
            amount += value;
            fees += fee;
            transactions += 1;
        }
        if !raws.is_empty() {
            send_all(client, url, raws).await?;
        }
    }
    let funder_after = balance(client, url, funder).await?;
    let returned = Returned {
        to: funder.to_string(),
        amount: amount.to_string(),
        fees: fees.to_string(),
        transactions,
        funder_rose: funder_after.saturating_sub(funder_before).to_string(),
    };
    Ok(Swept::new(
        returned,
        started.elapsed().as_secs_f64(),
        "each paid its own fee, 21,000 gas at the one price it bid",
    ))
}
