//! Signs EIP-1559 transfers locally and sends them raw, in JSON-RPC batches.

use crate::{error::classify, nonces::NonceBooks, signing::HashSigner, workload::Workload};
use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    primitives::{hex, Bytes, B256},
    rpc::client::RpcClient,
    rpc::json_rpc::ErrorPayload,
    transports::RpcError,
};
use chainmeter_core::{
    bids::Bids,
    chain::{Submitter, TxSeq},
    outcome::{Reject, RejectClass},
};
use chainmeter_send_socket::{Failure, SendSocket};
use std::{
    future::Future,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

/// Where the submitter registers the transactions it sends, by hash.
pub(crate) type Registrar = chainmeter_core::open_set::Registrar<B256, TxSeq>;

/// The fee cap, in base fees at signing (plus the tip). A cap, not a price:
/// the chain charges the base fee at inclusion plus the tip. Wallets use 2,
/// room for six full blocks of base-fee growth (12.5% a block); above a
/// chain's capacity blocks stay full for longer, a transaction still waiting
/// then becomes unmineable, and every later nonce of its sender with it, so
/// one overloaded probe would spoil every probe after it. 20 is room for 25
/// full blocks.
pub(crate) const MAX_FEE_BASE_FEES: u128 = 20;

/// How long a send call may take before it counts as a timeout.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// A sender account. Its nonces are kept in its [`NonceBook`](crate::nonces::NonceBook).
#[derive(Debug)]
pub(crate) struct Sender {
    /// libsecp256k1 on the send path (see [`crate::signing`]).
    pub(crate) signer: Box<dyn HashSigner>,
}

/// Where transactions go out.
#[derive(Debug)]
pub(crate) enum Outlet {
    /// A WebSocket of the submitter's own, its answers read when the
    /// harness is awake anyway (`ws://` nodes).
    Socket(SendSocket),
    /// alloy's client (`wss://` nodes: the socket speaks no TLS).
    Client(RpcClient),
}

/// The EVM [`Submitter`].
#[derive(Debug)]
pub struct EvmSubmitter {
    /// Reads (a sender's nonces after a failed send), over HTTP.
    pub(crate) client: RpcClient,
    pub(crate) outlet: Outlet,
    pub(crate) senders: Vec<Sender>,
    pub(crate) chain_id: u64,
    /// What each transaction does.
    pub(crate) workload: Arc<dyn Workload>,
    pub(crate) priority_fee: u128,
    /// Per-transaction tips (the fee market), in place of `priority_fee`.
    pub(crate) bids: Option<Bids>,
    /// Base fee of the latest head, kept current by the tracker.
    pub(crate) base_fee: Arc<AtomicU64>,
    /// Tells the tracker which transactions to look for. The tracker reads
    /// its inbox only when a block arrives, so a registration never wakes it.
    pub(crate) registrar: Registrar,
    /// Every sender's nonces.
    pub(crate) nonces: Arc<NonceBooks>,
}

/// A signed transaction: its hash, its sender and its raw EIP-2718 encoding.
#[derive(Debug)]
pub struct SignedTx {
    seq: TxSeq,
    hash: B256,
    sender: usize,
    nonce: u64,
    raw: Bytes,
}

impl Submitter for EvmSubmitter {
    type Signed = SignedTx;

    fn sign(&mut self, seq: TxSeq) -> Result<SignedTx, Reject> {
        let index = (seq % self.senders.len() as u64) as usize;
        let sender = &self.senders[index];
        let mut book = self.nonces.book(index);
        let taken = book.take();
        let base_fee = u128::from(self.base_fee.load(Ordering::Relaxed));
        let call = self.workload.build(seq);
        let tip = self.bids.as_ref().map_or(self.priority_fee, |b| {
            u128::from(b.for_sender(index as u64).0)
        });
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: taken.nonce,
            gas_limit: call.gas_limit,
            max_fee_per_gas: base_fee * MAX_FEE_BASE_FEES + tip,
            max_priority_fee_per_gas: tip,
            to: call.to,
            value: call.value,
            access_list: Default::default(),
            input: call.input,
        };
        let signature = sender
            .signer
            .sign_hash(&tx.signature_hash())
            .map_err(|e| Reject::new(RejectClass::Build, e.to_string()));
        let signature = match signature {
            Ok(s) => s,
            Err(reject) => {
                // Unsigned, the nonce is still free: a hole for the next one.
                book.answered(taken.nonce, true);
                return Err(reject);
            }
        };
        let signed = tx.into_signed(signature);
        let hash = *signed.hash();
        book.signed(taken.nonce, hash);
        drop(book);
        self.nonces.took(taken);
        Ok(SignedTx {
            seq,
            hash,
            sender: index,
            nonce: taken.nonce,
            raw: TxEnvelope::from(signed).encoded_2718().into(),
        })
    }

    fn send(
        &self,
        batch: Vec<SignedTx>,
    ) -> impl Future<Output = Vec<Result<(), Reject>>> + Send + 'static {
        self.registrar
            .sending(batch.iter().map(|t| (t.hash, t.seq)).collect());
        let (client, registrar, nonces) = (
            self.client.clone(),
            self.registrar.clone(),
            self.nonces.clone(),
        );
        // Written now, in this call: the runner stamps the batch as sent.
        let answers = match &self.outlet {
            Outlet::Socket(socket) => {
                let params: Vec<String> = batch
                    .iter()
                    .map(|t| format!("\"0x{}\"", hex::encode(&t.raw)))
                    .collect();
                let params: Vec<&dyn std::fmt::Display> = params.iter().map(|p| p as _).collect();
                let answers = socket.send("eth_sendRawTransaction", &params, SEND_TIMEOUT);
                futures::future::Either::Left(async move {
                    answers
                        .await
                        .into_iter()
                        .map(|a| a.map_err(reject))
                        .collect()
                })
            }
            Outlet::Client(client) => {
                let (client, raw) = (
                    client.clone(),
                    batch.iter().map(|t| t.raw.clone()).collect(),
                );
                let n = batch.len();
                futures::future::Either::Right(async move {
                    match tokio::time::timeout(SEND_TIMEOUT, send_raw(&client, raw)).await {
                        Ok(results) => results,
                        Err(_) => vec![Err(reject(Failure::Timeout(SEND_TIMEOUT))); n],
                    }
                })
            }
        };
        async move {
            let results: Vec<Result<(), Reject>> = answers.await;
            // A refused transaction will never be in a block: the tracker
            // stops looking for it, and its nonce is a hole to fill.
            let mut failed = Vec::new();
            let mut refused = Vec::new();
            for (t, r) in batch.iter().zip(&results) {
                let refusal = r.as_ref().err().filter(|reject| !reject.may_land());
                nonces.book(t.sender).answered(t.nonce, refusal.is_some());
                if refusal.is_some() {
                    refused.push(t.hash);
                }
                if r.is_err() && !failed.contains(&t.sender) {
                    failed.push(t.sender);
                }
            }
            registrar.refused(refused);
            // Whatever the failure (refused, "nonce too low/high", timed
            // out), the sender's nonces may now be out of step with the
            // node's: read them back, off the signing path.
            if !failed.is_empty() {
                nonces.resync(&client, failed).await;
            }
            results
        }
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        let c = &self.nonces.counts;
        vec![
            ("nonce_resyncs", c.resyncs.load(Ordering::Relaxed)),
            ("nonce_holes_refilled", c.refilled.load(Ordering::Relaxed)),
            ("nonce_dropped_by_node", c.dropped.load(Ordering::Relaxed)),
            ("nonce_advanced_by_node", c.advanced.load(Ordering::Relaxed)),
            ("nonce_stalls_found", c.stalls.load(Ordering::Relaxed)),
        ]
    }
}

/// A failed send as the outcome records it.
fn reject(failure: Failure) -> Reject {
    match failure {
        Failure::Node(e) => classify(RpcError::ErrorResp(ErrorPayload {
            code: e.code,
            message: e.message.into(),
            data: e.data,
        })),
        Failure::Transport(why) => Reject::new(RejectClass::Transport, why),
        // The sender's nonces are read back after it, as after any failure.
        Failure::Cut(why) => Reject::unsure(RejectClass::Transport, why),
        Failure::Timeout(after) => {
            Reject::new(RejectClass::Timeout, format!("no answer within {after:?}"))
        }
    }
}

async fn send_raw(client: &RpcClient, batch: Vec<Bytes>) -> Vec<Result<(), Reject>> {
    if batch.len() == 1 {
        let tx = batch.into_iter().next().expect("one transaction");
        let r: Result<B256, _> = client.request("eth_sendRawTransaction", (tx,)).await;
        return vec![r.map(drop).map_err(classify)];
    }
    let mut request = client.new_batch();
    let mut waiters = Vec::with_capacity(batch.len());
    for tx in batch {
        waiters.push(
            request
                .add_call::<_, B256>("eth_sendRawTransaction", &(tx,))
                .map_err(classify),
        );
    }
    if let Err(e) = request.send().await {
        let reject = classify(e);
        return waiters.into_iter().map(|_| Err(reject.clone())).collect();
    }
    let mut results = Vec::with_capacity(waiters.len());
    for w in waiters {
        results.push(match w {
            Ok(w) => w.await.map(drop).map_err(classify),
            Err(e) => Err(e),
        });
    }
    results
}
