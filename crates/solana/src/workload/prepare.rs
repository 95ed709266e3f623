//! Setting a workload's accounts up before the clock: its transactions,
//! paid by the funder, sent at once and confirmed.

use crate::error::{FundingError, SolanaError};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::{
    instruction::Instruction, pubkey::Pubkey, signature::Keypair, signature::Signature,
    signer::Signer, transaction::Transaction,
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

/// Addresses of accounts a workload creates before the clock, derived from
/// the funder with seeds of this run (`create_account_with_seed`): a second
/// run against the same cluster, or another shard with the same funder key,
/// creates accounts of its own.
#[derive(Debug, Clone)]
pub(crate) struct Derived {
    base: Pubkey,
    /// What sets this run apart: the time and the scenario's seed (shards
    /// have seeds of their own), 16 hex digits, which keeps a tag and it
    /// under an address seed's 32 bytes.
    run: String,
}

impl Derived {
    /// Accounts derived from `base` for the run of `seed`.
    pub(crate) fn new(base: Pubkey, seed: &str) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self {
            base,
            run: format!("{:016x}", chainmeter_core::workload::draw(seed, now, 0)),
        }
    }

    /// The account of `tag`, owned by `owner`: its address seed and address.
    pub(crate) fn account(
        &self,
        url: &str,
        tag: &str,
        owner: &Pubkey,
    ) -> Result<(String, Pubkey), SolanaError> {
        let seed = format!("{tag}{}", self.run);
        let key = Pubkey::create_with_seed(&self.base, &seed, owner)
            .map_err(prepare_step(url, "deriving an account"))?;
        Ok((seed, key))
    }
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
