//! Signs EIP-1559 transfers locally and sends them raw, in JSON-RPC batches.

use crate::workload::Workload;
use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::{eip2718::Encodable2718, BlockNumberOrTag},
    network::TxSignerSync,
    primitives::{Address, Bytes, B256, U64},
    rpc::client::RpcClient,
    signers::local::PrivateKeySigner,
    transports::{RpcError, TransportError},
};
use chainmeter_core::{
    bids::Bids,
    chain::{Submitter, TxSeq},
    outcome::{Reject, RejectClass},
};
use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
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
const MAX_FEE_BASE_FEES: u128 = 20;

/// How long a send call may take before it counts as a timeout.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// A sender account with its next nonce, kept locally: the harness never asks
/// the node for a nonce while sending.
#[derive(Debug)]
pub(crate) struct Sender {
    pub(crate) signer: PrivateKeySigner,
    pub(crate) nonce: u64,
}

/// Nonces read back from the node after a failed send, one slot per sender.
///
/// The submitter consumes a nonce when it signs. A send the node refused
/// (or that timed out) leaves a gap: every later transaction of that sender
/// would wait behind it and never land. So after a failed send the sender's
/// next nonce is read from the node (`pending` count) and the next signature
/// of that sender starts from it. Reads happen off the signing path; signing
/// only takes what a read left.
#[derive(Debug)]
pub(crate) struct NonceResync {
    addresses: Vec<Address>,
    /// The node's next nonce per sender, `u64::MAX` when none is waiting.
    next: Vec<AtomicU64>,
    /// A read for this sender is under way: one at a time per sender.
    reading: Vec<AtomicBool>,
    /// Resyncs taken up by signing.
    done: AtomicU64,
}

const NO_NONCE: u64 = u64::MAX;

impl NonceResync {
    pub(crate) fn new(addresses: Vec<Address>) -> Self {
        let n = addresses.len();
        Self {
            addresses,
            next: (0..n).map(|_| AtomicU64::new(NO_NONCE)).collect(),
            reading: (0..n).map(|_| AtomicBool::new(false)).collect(),
            done: AtomicU64::new(0),
        }
    }

    /// The node's nonce for `sender`, if a read left one since the last call.
    fn take(&self, sender: usize) -> Option<u64> {
        let n = self.next[sender].swap(NO_NONCE, Ordering::AcqRel);
        (n != NO_NONCE).then(|| {
            self.done.fetch_add(1, Ordering::Relaxed);
            n
        })
    }

    /// Reads the pending nonce of each of `senders` not already being read,
    /// in one batch. A failed read leaves the sender as it was: its next
    /// failed send tries again.
    async fn read(&self, client: &RpcClient, senders: impl IntoIterator<Item = usize>) {
        let mine: Vec<usize> = senders
            .into_iter()
            .filter(|&i| !self.reading[i].swap(true, Ordering::AcqRel))
            .collect();
        if mine.is_empty() {
            return;
        }
        let mut batch = client.new_batch();
        let waiters: Vec<_> = mine
            .iter()
            .map(|&i| {
                batch
                    .add_call::<_, U64>(
                        "eth_getTransactionCount",
                        &(self.addresses[i], BlockNumberOrTag::Pending),
                    )
                    .ok()
            })
            .collect();
        let sent = tokio::time::timeout(SEND_TIMEOUT, batch.send()).await;
        for (&i, waiter) in mine.iter().zip(waiters) {
            if let (Ok(Ok(())), Some(w)) = (&sent, waiter) {
                if let Ok(Ok(n)) = tokio::time::timeout(SEND_TIMEOUT, w).await {
                    self.next[i].store(n.to::<u64>(), Ordering::Release);
                }
            }
            self.reading[i].store(false, Ordering::Release);
        }
    }
}

/// The EVM [`Submitter`].
#[derive(Debug)]
pub struct EvmSubmitter {
    pub(crate) client: RpcClient,
    pub(crate) senders: Vec<Sender>,
    pub(crate) chain_id: u64,
    /// What each transaction does.
    pub(crate) workload: Workload,
    pub(crate) priority_fee: u128,
    /// Per-transaction tips (the fee market), in place of `priority_fee`.
    pub(crate) bids: Option<Bids>,
    /// Base fee of the latest head, kept current by the tracker.
    pub(crate) base_fee: Arc<AtomicU64>,
    /// Tells the tracker which transactions to look for. The tracker reads
    /// its inbox only when a block arrives, so a registration never wakes it.
    pub(crate) registrar: Registrar,
    /// Senders' nonces read back after failed sends.
    pub(crate) resync: Arc<NonceResync>,
}

/// A signed transaction: its hash, its sender and its raw EIP-2718 encoding.
#[derive(Debug)]
pub struct SignedTx {
    seq: TxSeq,
    hash: B256,
    sender: usize,
    raw: Bytes,
}

impl Submitter for EvmSubmitter {
    type Signed = SignedTx;

    fn sign(&mut self, seq: TxSeq) -> Result<SignedTx, Reject> {
        let index = (seq % self.senders.len() as u64) as usize;
        let sender = &mut self.senders[index];
        if let Some(nonce) = self.resync.take(index) {
            sender.nonce = nonce;
        }
        let base_fee = u128::from(self.base_fee.load(Ordering::Relaxed));
        let call = self.workload.build(seq);
        let tip = self.bids.as_ref().map_or(self.priority_fee, |b| {
            u128::from(b.for_sender(index as u64).0)
        });
        let mut tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: sender.nonce,
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
            .sign_transaction_sync(&mut tx)
            .map_err(|e| Reject::new(RejectClass::Build, e.to_string()))?;
        sender.nonce += 1;
        let signed = tx.into_signed(signature);
        let hash = *signed.hash();
        Ok(SignedTx {
            seq,
            hash,
            sender: index,
            raw: TxEnvelope::from(signed).encoded_2718().into(),
        })
    }

    fn send(
        &self,
        batch: Vec<SignedTx>,
    ) -> impl Future<Output = Vec<Result<(), Reject>>> + Send + 'static {
        self.registrar
            .sending(batch.iter().map(|t| (t.hash, t.seq)).collect());
        let (client, registrar, resync) = (
            self.client.clone(),
            self.registrar.clone(),
            self.resync.clone(),
        );
        async move {
            let n = batch.len();
            let raw = batch.iter().map(|t| t.raw.clone()).collect();
            let results = match tokio::time::timeout(SEND_TIMEOUT, send_raw(&client, raw)).await {
                Ok(results) => results,
                Err(_) => vec![
                    Err(Reject::new(
                        RejectClass::Timeout,
                        format!("no answer within {SEND_TIMEOUT:?}")
                    ));
                    n
                ],
            };
            // A refused transaction will never be in a block: the tracker
            // stops looking for it.
            let mut failed = Vec::new();
            let mut refused = Vec::new();
            for (t, r) in batch.iter().zip(&results) {
                let Err(reject) = r else { continue };
                // A timed-out request may have reached the node: the
                // tracker keeps looking for it.
                if !reject.may_land() {
                    refused.push(t.hash);
                }
                if !failed.contains(&t.sender) {
                    failed.push(t.sender);
                }
            }
            registrar.refused(refused);
            // Whatever the failure (refused, "nonce too low/high", timed out),
            // the sender's nonce may now be out of step with the node's.
            if !failed.is_empty() {
                resync.read(&client, failed).await;
            }
            results
        }
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![("nonce_resyncs", self.resync.done.load(Ordering::Relaxed))]
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

/// Sorts a send error into its class by the error's type, never by its text.
pub(crate) fn classify(e: TransportError) -> Reject {
    let class = match &e {
        RpcError::Transport(_) => RejectClass::Transport,
        _ => RejectClass::Node,
    };
    Reject::new(class, e.to_string())
}
