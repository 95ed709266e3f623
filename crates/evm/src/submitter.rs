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

/// A sender account. Its nonces are kept locally ([`NonceBook`]): the
/// harness never asks the node for a nonce while sending.
#[derive(Debug)]
pub(crate) struct Sender {
    pub(crate) signer: PrivateKeySigner,
}

/// One sender's nonces: the next one, and the holes that refused sends left.
///
/// A nonce is consumed when it is signed. A send the node refused leaves a
/// hole: the sender's later transactions, sent before the refusal was known,
/// queue behind it and never execute. The hole is filled by the sender's
/// next signature; the nonces after it are already taken by the queued
/// transactions, so signing goes on from where it was, never from the
/// node's `pending` count, which leaves queued transactions out (rewinding
/// to it reused a queued nonce: a self-made "replacement underpriced", or a
/// replacement that left the queued transaction `unknown`). The node's
/// count only moves the next nonce forward, and drops holes below it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct NonceBook {
    next: u64,
    holes: std::collections::BTreeSet<u64>,
}

/// What happened to a nonce book, for the result's submitter counters.
#[derive(Debug, Default)]
pub(crate) struct NonceCounts {
    /// Holes filled by a later signature.
    pub(crate) holes_filled: AtomicU64,
    /// Node counts ahead of the local next nonce (the node knew a later
    /// nonce than this sender had signed: something else sent from it).
    pub(crate) advanced: AtomicU64,
}

impl NonceBook {
    pub(crate) fn new(next: u64) -> Self {
        Self {
            next,
            holes: Default::default(),
        }
    }

    /// The nonce for the sender's next transaction: its lowest hole, else
    /// the next nonce.
    pub(crate) fn take(&mut self, counts: &NonceCounts) -> u64 {
        if let Some(h) = self.holes.pop_first() {
            counts.holes_filled.fetch_add(1, Ordering::Relaxed);
            return h;
        }
        self.next += 1;
        self.next - 1
    }

    /// The node refused the transaction signed with `nonce`.
    pub(crate) fn refused(&mut self, nonce: u64) {
        if nonce < self.next {
            self.holes.insert(nonce);
        }
    }

    /// The node counts `pending` transactions of this sender: nonces below
    /// are used, whatever this book thought.
    pub(crate) fn node_count(&mut self, pending: u64, counts: &NonceCounts) {
        self.holes = self.holes.split_off(&pending);
        if pending > self.next {
            counts.advanced.fetch_add(1, Ordering::Relaxed);
            self.next = pending;
        }
    }
}

/// The nonce books of every sender, shared by signing and by the send
/// futures that learn of refusals; after a refusal the sender's count is
/// read from the node, off the signing path.
#[derive(Debug)]
pub(crate) struct NonceResync {
    addresses: Vec<Address>,
    books: Vec<std::sync::Mutex<NonceBook>>,
    /// A read for this sender is under way: one at a time per sender.
    reading: Vec<AtomicBool>,
    /// Reads of the node's count that answered.
    done: AtomicU64,
    counts: NonceCounts,
}

impl NonceResync {
    pub(crate) fn new(addresses: Vec<Address>, nonces: &[u64]) -> Self {
        let n = addresses.len();
        Self {
            addresses,
            books: nonces
                .iter()
                .map(|&next| std::sync::Mutex::new(NonceBook::new(next)))
                .collect(),
            reading: (0..n).map(|_| AtomicBool::new(false)).collect(),
            done: AtomicU64::new(0),
            counts: NonceCounts::default(),
        }
    }

    fn book(&self, sender: usize) -> std::sync::MutexGuard<'_, NonceBook> {
        self.books[sender].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The nonce for `sender`'s next transaction.
    fn take(&self, sender: usize) -> u64 {
        self.book(sender).take(&self.counts)
    }

    /// The node refused `sender`'s transaction signed with `nonce`.
    fn refused(&self, sender: usize, nonce: u64) {
        self.book(sender).refused(nonce);
    }

    /// Reads the pending count of each of `senders` not already being read,
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
                    self.book(i).node_count(n.to::<u64>(), &self.counts);
                    self.done.fetch_add(1, Ordering::Relaxed);
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
    nonce: u64,
    raw: Bytes,
}

impl Submitter for EvmSubmitter {
    type Signed = SignedTx;

    fn sign(&mut self, seq: TxSeq) -> Result<SignedTx, Reject> {
        let index = (seq % self.senders.len() as u64) as usize;
        let sender = &self.senders[index];
        let nonce = self.resync.take(index);
        let base_fee = u128::from(self.base_fee.load(Ordering::Relaxed));
        let call = self.workload.build(seq);
        let tip = self.bids.as_ref().map_or(self.priority_fee, |b| {
            u128::from(b.for_sender(index as u64).0)
        });
        let mut tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce,
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
            .map_err(|e| Reject {
                class: RejectClass::Build,
                message: e.to_string(),
            })?;
        let signed = tx.into_signed(signature);
        let hash = *signed.hash();
        Ok(SignedTx {
            seq,
            hash,
            sender: index,
            nonce,
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
                    Err(Reject {
                        class: RejectClass::Timeout,
                        message: format!("no answer within {SEND_TIMEOUT:?}")
                    });
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
                if reject.class != RejectClass::Timeout {
                    refused.push(t.hash);
                    resync.refused(t.sender, t.nonce);
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
        let c = &self.resync.counts;
        vec![
            ("nonce_resyncs", self.resync.done.load(Ordering::Relaxed)),
            (
                "nonce_holes_refilled",
                c.holes_filled.load(Ordering::Relaxed),
            ),
            ("nonce_advanced_by_node", c.advanced.load(Ordering::Relaxed)),
        ]
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
    Reject {
        class,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nonces 5, 6, 7 signed; 5 refused while 6 and 7 wait queued behind it;
    /// the node's pending count then reads 5. The next signatures fill the
    /// hole at 5 and go on at 8: never 6 or 7 again.
    #[test]
    fn a_refusal_is_filled_and_the_queued_nonces_are_never_reused() {
        let counts = NonceCounts::default();
        let mut book = NonceBook::new(5);
        assert_eq!(
            [book.take(&counts), book.take(&counts), book.take(&counts)],
            [5, 6, 7]
        );
        book.refused(5);
        book.node_count(5, &counts);
        assert_eq!([book.take(&counts), book.take(&counts)], [5, 8]);
        assert_eq!(counts.holes_filled.load(Ordering::Relaxed), 1);
        assert_eq!(counts.advanced.load(Ordering::Relaxed), 0);
        // A count ahead of the book (another party sent from the key):
        // forward, and the holes below it are gone.
        book.refused(8);
        book.node_count(12, &counts);
        assert_eq!(book.take(&counts), 12);
        assert_eq!(counts.advanced.load(Ordering::Relaxed), 1);
        // A refused run: every nonce of it is filled, lowest first.
        let mut book = NonceBook::new(0);
        for _ in 0..4 {
            book.take(&counts);
        }
        for n in [1, 2, 3] {
            book.refused(n);
        }
        book.node_count(1, &counts);
        assert_eq!(
            (0..4).map(|_| book.take(&counts)).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }
}
