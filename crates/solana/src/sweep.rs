//! `--sweep`: each payer's leftover lamports back to the funder key's
//! account after the run, and the funder's balance checked to the lamport.
//!
//! A payer sends all it holds less the one signature's fee, and so ends at
//! zero (a system account may; it is then gone).

use crate::{
    calls::{balances, rpc_err, wait_until},
    error::{FundingError, SolanaError},
    keys,
};
use chainmeter_core::{
    chain::{BoxFuture, Returned, Sweeper, Swept},
    plugin::ChainError,
};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::{pubkey::Pubkey, signature::Signer, transaction::Transaction};
use std::time::{Duration, Instant};

/// How long the sweep's transfers may take to land.
const SWEEP_LANDING: Duration = Duration::from_secs(60);

/// Returns the payers' lamports to `funder`.
#[derive(Debug)]
pub(crate) struct SolanaSweeper {
    pub(crate) url: String,
    /// The payers are derived again from the seed: the submitter holds theirs.
    pub(crate) seed: String,
    pub(crate) accounts: u32,
    pub(crate) funder: Pubkey,
    /// Lamports a one-signature transfer pays.
    pub(crate) fee: u64,
}

impl Sweeper for SolanaSweeper {
    fn sweep(&self) -> BoxFuture<Result<Swept, ChainError>> {
        let rpc = RpcClient::new_with_commitment(self.url.clone(), CommitmentConfig::confirmed());
        let (url, seed, accounts, funder, fee) = (
            self.url.clone(),
            self.seed.clone(),
            self.accounts,
            self.funder,
            self.fee,
        );
        Box::pin(async move {
            sweep(&rpc, &url, &seed, accounts, funder, fee)
                .await
                .map_err(Into::into)
        })
    }
}

async fn sweep(
    rpc: &RpcClient,
    url: &str,
    seed: &str,
    accounts: u32,
    funder: Pubkey,
    fee: u64,
) -> Result<Swept, SolanaError> {
    let started = Instant::now();
    let payers: Vec<_> = (0..accounts).map(|i| keys::payer(seed, i)).collect();
    let pubkeys: Vec<Pubkey> = payers.iter().map(Signer::pubkey).collect();
    let held = balances(rpc, url, &pubkeys).await?;
    let funder_before = balances(rpc, url, &[funder]).await?[0];
    let hash = rpc
        .get_latest_blockhash()
        .await
        .map_err(rpc_err("getLatestBlockhash", url))?;
    let (mut amount, mut transactions) = (0u64, 0u64);
    for (payer, &lamports) in payers.iter().zip(&held) {
        // Less than its fee left: nothing to return.
        let Some(value) = lamports.checked_sub(fee).filter(|&v| v > 0) else {
            continue;
        };
        let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &funder, value);
        let tx = Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[payer], hash);
        rpc.send_transaction(&tx)
            .await
            .map_err(FundingError::Sweep)?;
        amount += value;
        transactions += 1;
    }
    // Every payer swept is left with nothing.
    wait_until(SWEEP_LANDING, || async {
        Ok(balances(rpc, url, &pubkeys)
            .await?
            .iter()
            .zip(&held)
            .all(|(&now, &before)| now == 0 || before <= fee))
    })
    .await
    .map_err(FundingError::NotSwept)?;
    let funder_after = balances(rpc, url, &[funder]).await?[0];
    let returned = Returned {
        to: funder.to_string(),
        amount: amount.to_string(),
        fees: (fee * transactions).to_string(),
        transactions,
        funder_rose: funder_after.saturating_sub(funder_before).to_string(),
    };
    Ok(Swept::new(
        returned,
        started.elapsed().as_secs_f64(),
        "each paid its own signature's fee",
    ))
}
