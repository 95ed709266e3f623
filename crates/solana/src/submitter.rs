//! Signs unique SOL transfers and sends them with `sendTransaction`, in JSON-RPC batches.

use crate::{
    rpc::{self, BatchError, MAX_REQUEST_BYTES},
    workload::{Budget, Workload},
};
use base64::{engine::general_purpose::STANDARD, Engine};
use chainmeter_core::{
    chain::{Submitter, TxSeq},
    outcome::{Reject, RejectClass},
};
use serde_json::{json, Value};
use solana_sdk::{
    hash::Hash, message::Message, signature::Keypair, signature::Signature, signer::Signer,
    transaction::Transaction,
};
use std::{
    future::Future,
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

/// How long a send batch may take before it counts as a timeout.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// A transaction signed but not yet seen in a block: its sequence number and
/// the last block height at which its blockhash is valid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PendingTx {
    pub(crate) seq: TxSeq,
    pub(crate) last_valid_block_height: u64,
}

/// Where the submitter registers the transactions it sends, by signature.
pub(crate) type Registrar = chainmeter_core::open_set::Registrar<Signature, PendingTx>;

/// The transactions sent and not yet found in a block, by signature.
pub(crate) type OpenSet = chainmeter_core::open_set::OpenSet<Signature, PendingTx>;

/// Signatures of the run's landed transactions, kept for the verifier
/// (64 bytes a landed transaction).
pub(crate) type LandedSignatures = Arc<Mutex<Vec<Signature>>>;

/// The latest blockhash and the last block height at which it is valid, kept
/// fresh by a background task.
pub(crate) type RecentBlockhash = Arc<RwLock<(Hash, u64)>>;

/// The Solana [`Submitter`].
#[derive(Debug)]
pub struct SolanaSubmitter {
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
    pub(crate) payers: Vec<Keypair>,
    /// What each transaction does.
    pub(crate) workload: Workload,
    /// Compute-budget instructions put before every transaction.
    pub(crate) budget: Budget,
    pub(crate) blockhash: RecentBlockhash,
    /// Tells the tracker which transactions to look for.
    pub(crate) registrar: Registrar,
    /// `sendTransaction` options.
    pub(crate) send_config: Value,
}

/// A signed transaction: its signature and its wire form, base64.
#[derive(Debug)]
pub struct SignedTransfer {
    signature: Signature,
    pending: PendingTx,
    base64: String,
}

impl Submitter for SolanaSubmitter {
    type Signed = SignedTransfer;

    fn sign(&mut self, seq: TxSeq) -> Result<SignedTransfer, Reject> {
        let index = (seq % self.payers.len() as u64) as usize;
        let payer = &self.payers[index];
        let (blockhash, last_valid_block_height) =
            *self.blockhash.read().unwrap_or_else(|e| e.into_inner());
        let mut instructions = self.budget.instructions(seq, index);
        instructions.push(self.workload.instruction(seq, index, &payer.pubkey()));
        let message = Message::new_with_blockhash(&instructions, Some(&payer.pubkey()), &blockhash);
        let mut tx = Transaction::new_unsigned(message);
        tx.try_sign(&[payer], blockhash).map_err(|e| Reject {
            class: RejectClass::Build,
            message: e.to_string(),
        })?;
        let wire = bincode::serialize(&tx).map_err(|e| Reject {
            class: RejectClass::Build,
            message: e.to_string(),
        })?;
        let signature = tx.signatures[0];
        Ok(SignedTransfer {
            signature,
            pending: PendingTx {
                seq,
                last_valid_block_height,
            },
            base64: STANDARD.encode(wire),
        })
    }

    fn send(
        &self,
        batch: Vec<SignedTransfer>,
    ) -> impl Future<Output = Vec<Result<(), Reject>>> + Send + 'static {
        self.registrar
            .sending(batch.iter().map(|t| (t.signature, t.pending)).collect());
        let (http, url, config, registrar) = (
            self.http.clone(),
            self.url.clone(),
            self.send_config.clone(),
            self.registrar.clone(),
        );
        async move {
            // The RPC server refuses request bodies over 50 KiB: split the
            // batch into requests under that, sent at once.
            let mut chunks: Vec<&[SignedTransfer]> = Vec::new();
            let (mut start, mut bytes) = (0, 0);
            for (i, t) in batch.iter().enumerate() {
                let size = t.base64.len() + SEND_CALL_OVERHEAD;
                if bytes + size > MAX_REQUEST_BYTES && i > start {
                    chunks.push(&batch[start..i]);
                    (start, bytes) = (i, 0);
                }
                bytes += size;
            }
            chunks.push(&batch[start..]);
            let sends = chunks
                .iter()
                .map(|chunk| send_chunk(&http, &url, &config, chunk));
            let results: Vec<Result<(), Reject>> = futures::future::join_all(sends)
                .await
                .into_iter()
                .flatten()
                .collect();
            // A refused transaction will never be seen in a block; one that
            // timed out may have reached the node, so the tracker keeps
            // looking for it until it lands or provably expires.
            registrar.refused(
                batch
                    .iter()
                    .zip(&results)
                    .filter(|(_, r)| r.as_ref().is_err_and(|e| e.class != RejectClass::Timeout))
                    .map(|(t, _)| t.signature)
                    .collect(),
            );
            results
        }
    }
}

/// JSON around one `sendTransaction` call besides the transaction itself.
const SEND_CALL_OVERHEAD: usize = 160;

async fn send_chunk(
    http: &reqwest::Client,
    url: &str,
    config: &Value,
    chunk: &[SignedTransfer],
) -> Vec<Result<(), Reject>> {
    let calls = chunk
        .iter()
        .map(|t| ("sendTransaction", json!([t.base64, config])));
    match rpc::batch(http, url, calls, SEND_TIMEOUT).await {
        Ok(answers) => answers
            .into_iter()
            .map(|a| {
                a.map(drop).map_err(|error| Reject {
                    class: RejectClass::Node,
                    message: error
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("error")
                        .to_owned(),
                })
            })
            .collect(),
        Err(BatchError::Timeout) => vec![
            Err(Reject {
                class: RejectClass::Timeout,
                message: format!("no answer within {SEND_TIMEOUT:?}")
            });
            chunk.len()
        ],
        Err(BatchError::Transport(message)) => {
            vec![
                Err(Reject {
                    class: RejectClass::Transport,
                    message
                });
                chunk.len()
            ]
        }
    }
}
