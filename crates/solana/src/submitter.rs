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
use serde_json::Value;
use solana_sdk::{
    hash::Hash, message::Message, signature::Keypair, signature::Signature, signer::Signer,
    transaction::Transaction,
};
use std::{
    future::Future,
    io::Write,
    sync::{Arc, RwLock},
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

/// The latest blockhash and the last block height at which it is valid, kept
/// fresh by a background task.
pub(crate) type RecentBlockhash = Arc<RwLock<(Hash, u64)>>;

/// The Solana [`Submitter`].
#[derive(Debug)]
pub struct SolanaSubmitter {
    pub(crate) http: reqwest::Client,
    /// Parsed once: parsing it for every request was a measurable share of
    /// a low-rate run's CPU.
    pub(crate) url: reqwest::Url,
    pub(crate) payers: Vec<Keypair>,
    /// What each transaction does.
    pub(crate) workload: Workload,
    /// Compute-budget instructions put before every transaction.
    pub(crate) budget: Budget,
    pub(crate) blockhash: RecentBlockhash,
    /// Tells the tracker which transactions to look for.
    pub(crate) registrar: Registrar,
    /// `sendTransaction` options, as JSON text.
    pub(crate) send_config: String,
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

/// The JSON-RPC batch of one `sendTransaction` per transaction, ids in
/// order, written directly: base64 needs no escaping, and building a JSON
/// tree per call only to print it cost more than the rest of the request.
fn send_body(chunk: &[SignedTransfer], config: &str) -> Vec<u8> {
    let size: usize = chunk
        .iter()
        .map(|t| t.base64.len() + SEND_CALL_OVERHEAD)
        .sum();
    let mut body = Vec::with_capacity(size + 2);
    body.push(b'[');
    for (id, t) in chunk.iter().enumerate() {
        if id > 0 {
            body.push(b',');
        }
        // Writing to a Vec cannot fail.
        let _ = write!(
            body,
            r#"{{"jsonrpc":"2.0","id":{id},"method":"sendTransaction","params":["{}",{config}]}}"#,
            t.base64
        );
    }
    body.push(b']');
    body
}

async fn send_chunk(
    http: &reqwest::Client,
    url: &reqwest::Url,
    config: &str,
    chunk: &[SignedTransfer],
) -> Vec<Result<(), Reject>> {
    match rpc::post(
        http,
        url.clone(),
        send_body(chunk, config),
        chunk.len(),
        SEND_TIMEOUT,
    )
    .await
    {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_send_body_is_one_json_rpc_call_per_transaction_in_order() {
        let t = |b: &str| SignedTransfer {
            signature: Signature::default(),
            pending: PendingTx {
                seq: 0,
                last_valid_block_height: 0,
            },
            base64: b.to_owned(),
        };
        let config = json!({"encoding": "base64", "skipPreflight": true});
        let body = send_body(&[t("AAE="), t("AgM=")], &config.to_string());
        let calls: Vec<Value> = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            calls,
            vec![
                json!({"jsonrpc": "2.0", "id": 0, "method": "sendTransaction", "params": ["AAE=", config]}),
                json!({"jsonrpc": "2.0", "id": 1, "method": "sendTransaction", "params": ["AgM=", config]}),
            ]
        );
    }
}
