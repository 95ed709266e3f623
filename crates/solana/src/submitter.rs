//! Signs the workload's transactions and sends them: `sendTransaction` in
//! JSON-RPC batches, or over QUIC to the leader's TPU.

use crate::{
    budget::Budget,
    rpc::{self, BatchError, MAX_REQUEST_BYTES},
    tpu::TpuSender,
    workload::Workload,
};
use base64::{display::Base64Display, engine::general_purpose::STANDARD, Engine};
use chainmeter_core::{
    chain::{Submitter, TxSeq},
    outcome::{Reject, RejectClass},
};
use chainmeter_send_socket::{Failure, SendSocket};
use serde_json::Value;
use solana_sdk::{
    hash::Hash, message::Message, signature::Keypair, signature::Signature, signer::Signer,
    transaction::Transaction,
};
use std::{
    fmt::{self, Write},
    future::Future,
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

/// How signed transactions reach the validator.
#[derive(Debug)]
pub(crate) enum Route {
    /// `sendTransaction` JSON-RPC batches pipelined on one keep-alive
    /// HTTP connection, read lazily (an `http://` node).
    Socket {
        socket: SendSocket,
        /// `sendTransaction` options, as JSON text.
        config: String,
    },
    /// `sendTransaction` JSON-RPC batches over HTTP, with a full client
    /// (an `https://` node, or one asking for a password).
    Rpc {
        http: reqwest::Client,
        /// Parsed once: parsing it for every request was a measurable share
        /// of a low-rate run's CPU.
        url: reqwest::Url,
        /// `sendTransaction` options, as JSON text.
        config: String,
    },
    /// QUIC to the leaders' TPUs.
    Tpu(Arc<TpuSender>),
}

/// The Solana [`Submitter`].
#[derive(Debug)]
pub struct SolanaSubmitter {
    pub(crate) route: Route,
    pub(crate) payers: Vec<Keypair>,
    /// What each transaction does.
    pub(crate) workload: std::sync::Arc<dyn Workload>,
    /// Compute-budget instructions put before every transaction.
    pub(crate) budget: Budget,
    pub(crate) blockhash: RecentBlockhash,
    /// Tells the tracker which transactions to look for.
    pub(crate) registrar: Registrar,
}

/// A signed transaction: its signature and its wire form.
#[derive(Debug)]
pub struct SignedTransfer {
    signature: Signature,
    pending: PendingTx,
    wire: Vec<u8>,
}

impl Submitter for SolanaSubmitter {
    type Signed = SignedTransfer;

    fn sign(&mut self, seq: TxSeq) -> Result<SignedTransfer, Reject> {
        let index = (seq % self.payers.len() as u64) as usize;
        let payer = &self.payers[index];
        let (blockhash, last_valid_block_height) =
            *self.blockhash.read().unwrap_or_else(|e| e.into_inner());
        let instructions =
            self.budget
                .transaction(self.workload.as_ref(), seq, index, &payer.pubkey());
        let message = Message::new_with_blockhash(&instructions, Some(&payer.pubkey()), &blockhash);
        let mut tx = Transaction::new_unsigned(message);
        tx.try_sign(&[payer], blockhash)
            .map_err(|e| Reject::new(RejectClass::Build, e.to_string()))?;
        let wire =
            bincode::serialize(&tx).map_err(|e| Reject::new(RejectClass::Build, e.to_string()))?;
        let signature = tx.signatures[0];
        Ok(SignedTransfer {
            signature,
            pending: PendingTx {
                seq,
                last_valid_block_height,
            },
            wire,
        })
    }

    fn send(
        &self,
        batch: Vec<SignedTransfer>,
    ) -> impl Future<Output = Vec<Result<(), Reject>>> + Send + 'static {
        self.registrar
            .sending(batch.iter().map(|t| (t.signature, t.pending)).collect());
        let registrar = self.registrar.clone();
        let route = match &self.route {
            // Written now, in this call: the runner stamps the batch as sent.
            Route::Socket { socket, config } => {
                let answers: Vec<_> = chunks(&batch)
                    .into_iter()
                    .map(|chunk| {
                        let params: Vec<_> = chunk
                            .iter()
                            .map(|t| SendParams {
                                wire: &t.wire,
                                config,
                            })
                            .collect();
                        let params: Vec<&dyn fmt::Display> =
                            params.iter().map(|p| p as _).collect();
                        socket.send("sendTransaction", &params, SEND_TIMEOUT)
                    })
                    .collect();
                Sending::Socket(answers)
            }
            Route::Rpc { http, url, config } => {
                Sending::Rpc(http.clone(), url.clone(), config.clone())
            }
            Route::Tpu(tpu) => Sending::Tpu(tpu.clone()),
        };
        async move {
            let (signatures, results): (Vec<Signature>, _) = match route {
                Sending::Socket(answers) => (
                    batch.iter().map(|t| t.signature).collect(),
                    futures::future::join_all(answers)
                        .await
                        .into_iter()
                        .flatten()
                        .map(|a| a.map_err(reject))
                        .collect(),
                ),
                Sending::Rpc(http, url, config) => (
                    batch.iter().map(|t| t.signature).collect(),
                    send_rpc(&http, &url, &config, &batch).await,
                ),
                Sending::Tpu(tpu) => {
                    // The wire forms move to the client; only the signatures
                    // stay, for the refusal below.
                    let (signatures, wires): (Vec<_>, Vec<_>) =
                        batch.into_iter().map(|t| (t.signature, t.wire)).unzip();
                    let n = signatures.len();
                    let results = match tpu.send(wires).await {
                        Ok(()) => vec![Ok(()); n],
                        // The client writes a batch's streams one by one and
                        // stops at the first that fails: those before it
                        // reached the TPU, and which they were it cannot say.
                        Err(e) => {
                            vec![Err(Reject::unsure(RejectClass::Transport, e.to_string())); n]
                        }
                    };
                    (signatures, results)
                }
            };
            // A refused transaction will never be seen in a block; one that
            // may have reached the node (timed out, or in a batch that broke
            // off) is looked for until it lands or provably expires.
            registrar.refused(
                signatures
                    .into_iter()
                    .zip(&results)
                    .filter(|(_, r)| r.as_ref().is_err_and(|e| !e.may_land()))
                    .map(|(signature, _)| signature)
                    .collect(),
            );
            results
        }
    }
}

/// JSON around one `sendTransaction` call besides the transaction itself.
const SEND_CALL_OVERHEAD: usize = 160;

/// What a batch's send future holds of its route.
enum Sending<A> {
    /// The requests' answers, to come.
    Socket(Vec<A>),
    Rpc(reqwest::Client, reqwest::Url, String),
    Tpu(Arc<TpuSender>),
}

/// One `sendTransaction` call's params: the wire transaction in base64,
/// then the options.
struct SendParams<'a> {
    wire: &'a [u8],
    config: &'a str,
}

impl fmt::Display for SendParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            r#""{}",{}"#,
            Base64Display::new(self.wire, &STANDARD),
            self.config
        )
    }
}

/// A failed send on the socket as the outcome records it.
fn reject(failure: Failure) -> Reject {
    match failure {
        Failure::Node(e) => Reject::new(RejectClass::Node, e.message),
        Failure::Transport(why) => Reject::new(RejectClass::Transport, why),
        // Looked for until it lands or provably expires.
        Failure::Cut(why) => Reject::unsure(RejectClass::Transport, why),
        Failure::Timeout(after) => {
            Reject::new(RejectClass::Timeout, format!("no answer within {after:?}"))
        }
    }
}

/// `batch` in order, in requests under the RPC server's body limit (it
/// refuses bodies over 50 KiB).
fn chunks(batch: &[SignedTransfer]) -> Vec<&[SignedTransfer]> {
    let mut chunks: Vec<&[SignedTransfer]> = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, t) in batch.iter().enumerate() {
        let size = base64_len(t.wire.len()) + SEND_CALL_OVERHEAD;
        if bytes + size > MAX_REQUEST_BYTES && i > start {
            chunks.push(&batch[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    chunks.push(&batch[start..]);
    chunks
}

/// Sends `batch` with `sendTransaction`, in requests under the RPC
/// server's body limit, sent at once.
async fn send_rpc(
    http: &reqwest::Client,
    url: &reqwest::Url,
    config: &str,
    batch: &[SignedTransfer],
) -> Vec<Result<(), Reject>> {
    let sends = chunks(batch)
        .into_iter()
        .map(|chunk| send_chunk(http, url, config, chunk));
    futures::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Length of `n` bytes in padded base64.
fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// The JSON-RPC batch the RPC route posts for `wires` (signed wire
/// transactions): one `sendTransaction` per transaction, ids in order, with
/// `config` (JSON text) as its options. Written directly: base64 needs no
/// escaping, and building a JSON tree per call only to print it cost more
/// than the rest of the request. Public for the benchmarks.
pub fn rpc_send_body<'a>(wires: impl Iterator<Item = &'a [u8]> + Clone, config: &str) -> Vec<u8> {
    let size: usize = wires
        .clone()
        .map(|w| base64_len(w.len()) + SEND_CALL_OVERHEAD)
        .sum();
    let mut body = String::with_capacity(size + 2);
    body.push('[');
    for (id, wire) in wires.enumerate() {
        if id > 0 {
            body.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(
            body,
            r#"{{"jsonrpc":"2.0","id":{id},"method":"sendTransaction","params":[""#
        );
        STANDARD.encode_string(wire, &mut body);
        let _ = write!(body, r#"",{config}]}}"#);
    }
    body.push(']');
    body.into_bytes()
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
        rpc_send_body(chunk.iter().map(|t| t.wire.as_slice()), config),
        chunk.len(),
        SEND_TIMEOUT,
    )
    .await
    {
        Ok(answers) => answers
            .into_iter()
            .map(|a| {
                a.map(drop).map_err(|error| {
                    Reject::new(
                        RejectClass::Node,
                        error
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("error")
                            .to_owned(),
                    )
                })
            })
            .collect(),
        Err(BatchError::Timeout) => vec![
            Err(Reject::new(
                RejectClass::Timeout,
                format!("no answer within {SEND_TIMEOUT:?}")
            ));
            chunk.len()
        ],
        Err(BatchError::Transport(message)) => {
            vec![Err(Reject::new(RejectClass::Transport, message)); chunk.len()]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_socket_call_has_the_wire_in_base64_then_the_options() {
        let config = json!({"encoding": "base64"}).to_string();
        let params = SendParams {
            wire: &[0, 1],
            config: &config,
        };
        let call: Value = serde_json::from_str(&format!("[{params}]")).unwrap();
        assert_eq!(call, json!(["AAE=", {"encoding": "base64"}]));
    }

    #[test]
    fn the_send_body_is_one_json_rpc_call_per_transaction_in_order() {
        let config = json!({"encoding": "base64", "skipPreflight": true});
        let wires: [&[u8]; 2] = [&[0, 1], &[2, 3]];
        let body = rpc_send_body(wires.into_iter(), &config.to_string());
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
