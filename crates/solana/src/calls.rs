//! The calls setting up and sweeping a run make of the cluster: payers'
//! balances in batches, waiting for a condition, and their errors.

use crate::error::{FundingError, SolanaError, WaitError};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};
use std::time::{Duration, Instant};

/// How long an airdrop or a funding round may take to land.
pub(crate) const FUNDING_TIMEOUT: Duration = Duration::from_secs(60);

/// The error of `call` to the node at `url`.
pub(crate) fn rpc_err<'a>(
    call: &'static str,
    url: &'a str,
) -> impl Fn(solana_client::client_error::ClientError) -> SolanaError + 'a {
    move |source| SolanaError::Rpc {
        call,
        url: url.to_owned(),
        source,
    }
}

/// The lamports each of `keys` holds (0 for an account that does not
/// exist), confirmed, a hundred to a call.
pub(crate) async fn balances(
    rpc: &RpcClient,
    url: &str,
    keys: &[Pubkey],
) -> Result<Vec<u64>, SolanaError> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(100) {
        let accounts = rpc
            .get_multiple_accounts_with_commitment(chunk, CommitmentConfig::confirmed())
            .await
            .map_err(rpc_err("getMultipleAccounts", url))?
            .value;
        out.extend(accounts.into_iter().map(|a| a.map_or(0, |a| a.lamports)));
    }
    Ok(out)
}

/// Asks `check` every 200 ms until it says yes, for at most `timeout`.
pub(crate) async fn wait_until<F, Fut>(timeout: Duration, mut check: F) -> Result<(), WaitError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, SolanaError>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match check().await {
            Ok(true) => return Ok(()),
            Ok(false) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Ok(false) => return Err(WaitError::Timeout { patience: timeout }),
            Err(e) => return Err(WaitError::Check(Box::new(e))),
        }
    }
}

/// Airdrops to the funder until it holds at least `needed` lamports; a
/// funder key (`by_key`) must hold them already.
pub(crate) async fn top_up(
    rpc: &RpcClient,
    url: &str,
    funder: &Keypair,
    by_key: bool,
    needed: u64,
) -> Result<(), SolanaError> {
    let funder_balance = balances(rpc, url, &[funder.pubkey()]).await?[0];
    if by_key && funder_balance < needed {
        return Err(FundingError::TooPoor {
            funder: funder.pubkey().to_string(),
            needed,
            held: funder_balance,
        }
        .into());
    }
    if funder_balance < needed {
        let lamports = needed - funder_balance;
        rpc.request_airdrop(&funder.pubkey(), lamports)
            .await
            .map_err(|source| FundingError::Airdrop { lamports, source })?;
        wait_until(FUNDING_TIMEOUT, || async {
            Ok(balances(rpc, url, &[funder.pubkey()]).await?[0] >= needed)
        })
        .await
        .map_err(FundingError::AirdropLate)?;
    }
    Ok(())
}
