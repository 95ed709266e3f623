//! Setting a workload's accounts up before the clock: its transactions,
//! paid by the funder, sent at once and confirmed.

use crate::error::{FundingError, SolanaError};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::{
    instruction::Instruction, signature::Keypair, signature::Signature, signer::Signer,
    transaction::Transaction,
};
use std::time::{Duration, Instant};

/// How long a workload's setup transactions may take to confirm.
const PREPARE_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends one transaction per batch of instructions, paid and signed by
/// `funder`, and waits until all are confirmed without error.
pub(crate) async fn confirm_all(
    rpc: &RpcClient,
    url: &str,
    funder: &Keypair,
    batches: &[Vec<Instruction>],
) -> Result<(), SolanaError> {
    let hash = rpc
        .get_latest_blockhash()
        .await
        .map_err(prepare_step(url, "getLatestBlockhash"))?;
    let mut signatures: Vec<Signature> = Vec::with_capacity(batches.len());
    for ixs in batches {
        let tx = Transaction::new_signed_with_payer(ixs, Some(&funder.pubkey()), &[funder], hash);
        signatures.push(
            rpc.send_transaction(&tx)
                .await
                .map_err(prepare_step(url, "sending a setup transaction"))?,
        );
    }
    let deadline = Instant::now() + PREPARE_TIMEOUT;
    let mut open = signatures;
    while !open.is_empty() {
        let mut still = Vec::new();
        for chunk in open.chunks(256) {
            let statuses = rpc
                .get_signature_statuses(chunk)
                .await
                .map_err(prepare_step(url, "getSignatureStatuses"))?
                .value;
            for (sig, status) in chunk.iter().zip(statuses) {
                match status {
                    Some(s) if s.satisfies_commitment(CommitmentConfig::confirmed()) => {
                        if let Some(source) = s.err {
                            return Err(FundingError::SetupFailed {
                                signature: sig.to_string(),
                                source,
                            }
                            .into());
                        }
                    }
                    _ => still.push(*sig),
                }
            }
        }
        open = still;
        if !open.is_empty() {
            if Instant::now() > deadline {
                return Err(FundingError::SetupUnconfirmed {
                    open: open.len(),
                    patience: PREPARE_TIMEOUT,
                }
                .into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// The error of a preparation step at `url` that failed with its cause.
pub(crate) fn prepare_step<'a, E>(
    url: &'a str,
    step: &'static str,
) -> impl FnOnce(E) -> SolanaError + use<'a, E>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    move |e| {
        FundingError::Prepare {
            url: url.to_owned(),
            step,
            source: e.into(),
        }
        .into()
    }
}
