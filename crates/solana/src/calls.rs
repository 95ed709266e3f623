//! The calls setting up and sweeping a run make of the cluster: payers'
//! balances in batches, waiting for a condition, and their errors.

use crate::error::{SolanaError, WaitError};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use std::time::{Duration, Instant};

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
