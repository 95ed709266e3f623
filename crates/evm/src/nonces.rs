//! Each sender's nonces, kept locally: the harness never asks the node for
//! a nonce while sending, and after a failed send it never rewinds.
//!
//! A nonce is consumed when it is signed. A send the node refused leaves a
//! hole: the sender's later transactions, sent before the refusal was
//! known, queue behind it and cannot execute. The hole is filled by the
//! sender's next signature, and signing goes on from where it was: the
//! node's `pending` count leaves queued transactions out, and rewinding to
//! it reused a queued nonce (a self-made "replacement underpriced", or a
//! replacement that left the queued transaction `unknown`).
//!
//! A node may also drop transactions it had accepted (anvil drops a
//! sender's pooled transactions when its balance can no longer pay them).
//! Those leave holes no refusal tells of. So after a failed send the
//! sender's nonces between the node's pending count and the book's next
//! one are looked up by hash; one the node no longer holds is a hole too.

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256, U64},
    rpc::{
        client::RpcClient,
        json_rpc::{RpcRecv, RpcSend},
    },
};
use serde_json::Value;
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Mutex, MutexGuard,
    },
    time::Duration,
};

/// Signed nonces a book remembers the hash of, per sender: the queue behind
/// a hole is seconds of that sender's sends, far fewer than this.
const REMEMBERED: usize = 2048;
/// How often every sender's pending count is read, to find a sender
/// stuck behind a dropped transaction: one batch of a call per sender;
/// a stuck sender is found within two of these, inside a search probe's
/// warm-up.
const WATCH_EVERY: Duration = Duration::from_secs(2);
/// Hashes looked up in one read, per sender.
const LOOKUPS: usize = 512;
/// How long a read may take.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A read that found nonces outstanding looks again after this long, for
/// transactions the node drops after the refusals that told of trouble.
const LOOK_AGAIN: Duration = Duration::from_secs(2);

/// One sender's nonces.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct NonceBook {
    /// The next new nonce.
    next: u64,
    /// Nonces to sign again, lowest first: refused, or gone from the node.
    holes: BTreeSet<u64>,
    /// The hash last signed with each recent nonce.
    signed: BTreeMap<u64, B256>,
    /// Nonces whose send has not answered yet.
    in_flight: BTreeSet<u64>,
}

/// A nonce to sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Taken {
    pub(crate) nonce: u64,
    /// It fills a hole.
    pub(crate) refill: bool,
}

impl NonceBook {
    pub(crate) fn new(next: u64) -> Self {
        Self {
            next,
            ..Self::default()
        }
    }

    /// The nonce for the sender's next transaction: its lowest hole, else
    /// the next one.
    pub(crate) fn take(&mut self) -> Taken {
        if let Some(nonce) = self.holes.pop_first() {
            return Taken {
                nonce,
                refill: true,
            };
        }
        self.next += 1;
        Taken {
            nonce: self.next - 1,
            refill: false,
        }
    }

    /// `nonce` was signed as `hash` and is being sent.
    pub(crate) fn signed(&mut self, nonce: u64, hash: B256) {
        self.signed.insert(nonce, hash);
        self.in_flight.insert(nonce);
        while self.signed.len() > REMEMBERED {
            self.signed.pop_first();
        }
    }

    /// The send of `nonce` answered; `refused` when it can never land.
    pub(crate) fn answered(&mut self, nonce: u64, refused: bool) {
        self.in_flight.remove(&nonce);
        if refused && nonce < self.next {
            self.holes.insert(nonce);
        }
    }

    /// The node counts `pending` transactions of this sender: the nonces
    /// below are used, whatever the book thought. Returns the nonces from
    /// there up that the node should hold (sent, answered, no hole), with
    /// their hashes, to be looked up.
    pub(crate) fn node_count(&mut self, pending: u64) -> Vec<(u64, B256)> {
        self.holes = self.holes.split_off(&pending);
        self.next = self.next.max(pending);
        self.signed
            .range(pending..self.next)
            .filter(|(n, _)| !self.holes.contains(n) && !self.in_flight.contains(n))
            .take(LOOKUPS)
            .map(|(&n, &h)| (n, h))
            .collect()
    }

    /// The node holds no transaction `hash` of `nonce`: unless signed anew
    /// since, or used meanwhile, it is a hole.
    pub(crate) fn gone(&mut self, nonce: u64, hash: B256) -> bool {
        let still = self.signed.get(&nonce) == Some(&hash) && !self.in_flight.contains(&nonce);
        still && self.holes.insert(nonce)
    }
}

/// What happened to the books, for the result's submitter counters.
#[derive(Debug, Default)]
pub(crate) struct NonceCounts {
    /// Reads of the node's count that answered.
    pub(crate) resyncs: AtomicU64,
    /// Holes filled by a later signature.
    pub(crate) refilled: AtomicU64,
    /// Nonces whose transaction the node had accepted and then dropped.
    pub(crate) dropped: AtomicU64,
    /// Node counts ahead of the book (something else sent from the key).
    pub(crate) advanced: AtomicU64,
    /// Senders found stuck: their node count still between two watches.
    pub(crate) stalls: AtomicU64,
}

/// Every sender's book, shared by signing and by the send futures that
/// learn of failures; the node is read off the signing path.
#[derive(Debug)]
pub(crate) struct NonceBooks {
    addresses: Vec<Address>,
    books: Vec<Mutex<NonceBook>>,
    /// A read for this sender is under way: one at a time per sender.
    reading: Vec<AtomicBool>,
    pub(crate) counts: NonceCounts,
}

impl NonceBooks {
    pub(crate) fn new(addresses: Vec<Address>, nonces: &[u64]) -> Self {
        Self {
            reading: addresses.iter().map(|_| AtomicBool::new(false)).collect(),
            books: nonces
                .iter()
                .map(|&n| Mutex::new(NonceBook::new(n)))
                .collect(),
            addresses,
            counts: NonceCounts::default(),
        }
    }

    pub(crate) fn book(&self, sender: usize) -> MutexGuard<'_, NonceBook> {
        self.books[sender].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a refill taken by signing.
    pub(crate) fn took(&self, taken: Taken) {
        if taken.refill {
            self.counts.refilled.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// After failed sends of `senders`: reads each one's pending count,
    /// then looks up the nonces the node should hold above it; a read that
    /// found any looks once more a little later. A sender already being
    /// read is left to that read; a failed read leaves the book as it was.
    pub(crate) async fn resync(&self, client: &RpcClient, senders: Vec<usize>) {
        let mine: Vec<usize> = senders
            .into_iter()
            .filter(|&i| !self.reading[i].swap(true, Ordering::AcqRel))
            .collect();
        if mine.is_empty() {
            return;
        }
        if self.read(client, &mine).await {
            tokio::time::sleep(LOOK_AGAIN).await;
            self.read(client, &mine).await;
        }
        for &i in &mine {
            self.reading[i].store(false, Ordering::Release);
        }
    }

    /// Watches for holes no failed send tells of: every [`WATCH_EVERY`],
    /// reads every sender's pending count; a sender whose count has not
    /// moved since the last read while it signed beyond it is stuck behind
    /// a transaction the node dropped after accepting it (anvil does, far
    /// above its gas bound, with no error), and is resynced: the nonce the
    /// node no longer holds becomes a hole its next signature fills.
    pub(crate) async fn watch(self: std::sync::Arc<Self>, client: RpcClient) {
        let all: Vec<usize> = (0..self.addresses.len()).collect();
        let mut last: Vec<Option<u64>> = vec![None; all.len()];
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let Some(counts) = self.pending_counts(&client, &all).await else {
                continue;
            };
            let next: Vec<u64> = all.iter().map(|&i| self.book(i).next).collect();
            let stuck = stuck(&last, &counts, &next);
            last = counts;
            if !stuck.is_empty() {
                self.counts
                    .stalls
                    .fetch_add(stuck.len() as u64, Ordering::Relaxed);
                self.resync(&client, stuck).await;
            }
        }
    }

    /// One read of `senders`: true when some held nonces above their
    /// pending count (queued, or gone).
    async fn read(&self, client: &RpcClient, senders: &[usize]) -> bool {
        let Some(counts) = self.pending_counts(client, senders).await else {
            return false;
        };
        let mut lookups = Vec::new();
        for (&i, pending) in senders.iter().zip(counts) {
            let Some(pending) = pending else { continue };
            self.counts.resyncs.fetch_add(1, Ordering::Relaxed);
            let mut book = self.book(i);
            if pending > book.next {
                self.counts.advanced.fetch_add(1, Ordering::Relaxed);
            }
            lookups.extend(book.node_count(pending).into_iter().map(|(n, h)| (i, n, h)));
        }
        if lookups.is_empty() {
            return false;
        }
        let hashes: Vec<(B256,)> = lookups.iter().map(|&(_, _, h)| (h,)).collect();
        let Some(found) = batch_call::<_, Value>(client, "eth_getTransactionByHash", &hashes).await
        else {
            return true;
        };
        for ((i, nonce, hash), tx) in lookups.into_iter().zip(found) {
            if tx == Some(Value::Null) && self.book(i).gone(nonce, hash) {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        true
    }

    /// Each of `senders`' pending count, `None` for one that did not answer;
    /// `None` when the batch could not be sent.
    async fn pending_counts(
        &self,
        client: &RpcClient,
        senders: &[usize],
    ) -> Option<Vec<Option<u64>>> {
        let params: Vec<_> = senders
            .iter()
            .map(|&i| (self.addresses[i], BlockNumberOrTag::Pending))
            .collect();
        let counts = batch_call::<_, U64>(client, "eth_getTransactionCount", &params).await?;
        Some(
            counts
                .into_iter()
                .map(|n| n.map(|n| n.to::<u64>()))
                .collect(),
        )
    }
}

/// The senders whose node count is the same in two reads (`last`, then
/// `now`; `None` where a read had no answer) and below the next nonce
/// their book would sign (`next`): signed beyond, and nothing moved.
fn stuck(last: &[Option<u64>], now: &[Option<u64>], next: &[u64]) -> Vec<usize> {
    (0..now.len())
        .filter(|&i| now[i].is_some_and(|c| last[i] == Some(c) && next[i] > c))
        .collect()
}

/// `method` with each of `params`, in one batch: each answer, `None` where
/// one failed or did not come in time; `None` when the batch could not be
/// sent.
async fn batch_call<P: RpcSend, R: RpcRecv>(
    client: &RpcClient,
    method: &'static str,
    params: &[P],
) -> Option<Vec<Option<R>>> {
    let mut batch = client.new_batch();
    let waiters: Vec<_> = params
        .iter()
        .map(|p| batch.add_call::<P, R>(method, p).ok())
        .collect();
    if !matches!(
        tokio::time::timeout(READ_TIMEOUT, batch.send()).await,
        Ok(Ok(()))
    ) {
        return None;
    }
    let mut answers = Vec::with_capacity(waiters.len());
    for w in waiters {
        answers.push(match w {
            Some(w) => tokio::time::timeout(READ_TIMEOUT, w)
                .await
                .ok()
                .and_then(Result::ok),
            None => None,
        });
    }
    Some(answers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u8) -> B256 {
        B256::repeat_byte(n)
    }

    fn sign(book: &mut NonceBook, n: u8) -> u64 {
        let t = book.take();
        book.signed(t.nonce, hash(n));
        t.nonce
    }

    /// Nonces 5, 6, 7 signed; 5 refused while 6 and 7 wait queued behind it;
    /// the node's pending count then reads 5. The next signatures fill the
    /// hole at 5 and go on at 8: never 6 or 7 again.
    #[test]
    fn a_refusal_is_filled_and_the_queued_nonces_are_never_reused() {
        let mut book = NonceBook::new(5);
        assert_eq!(
            [sign(&mut book, 5), sign(&mut book, 6), sign(&mut book, 7)],
            [5, 6, 7]
        );
        book.answered(5, true);
        book.answered(6, false);
        book.answered(7, false);
        let lookups = book.node_count(5);
        assert_eq!(lookups, vec![(6, hash(6)), (7, hash(7))], "the queued ones");
        let t = book.take();
        assert_eq!(
            t,
            Taken {
                nonce: 5,
                refill: true
            }
        );
        book.signed(5, hash(55));
        assert_eq!(sign(&mut book, 8), 8);
    }

    /// The node dropped 6 (accepted before): it is signed again; 7, still
    /// held, is not. A lookup that comes back after 6 was signed anew (or
    /// while it is in flight) changes nothing.
    #[test]
    fn a_nonce_the_node_dropped_is_signed_again() {
        let mut book = NonceBook::new(5);
        for n in 5..8 {
            sign(&mut book, n);
        }
        for n in 5..8 {
            book.answered(n, n == 5);
        }
        let lookups = book.node_count(5);
        assert!(book.gone(6, hash(6)));
        assert!(!book.gone(6, hash(6)), "once");
        assert_eq!(book.take().nonce, 5);
        assert_eq!(book.take().nonce, 6);
        book.signed(6, hash(66));
        assert!(!book.gone(6, hash(6)), "signed anew since");
        assert_eq!(lookups.len(), 2);
        assert_eq!(book.take().nonce, 8);
    }

    /// A count ahead of the book (another party sent from the key): forward,
    /// and the holes below it are gone; in-flight nonces are never looked up.
    #[test]
    fn the_node_count_only_moves_the_book_forward() {
        let mut book = NonceBook::new(0);
        for n in 0..4 {
            sign(&mut book, n);
        }
        book.answered(1, true);
        book.answered(0, false);
        assert_eq!(book.node_count(0), vec![(0, hash(0))], "2 and 3 in flight");
        assert_eq!(book.node_count(12), vec![]);
        assert_eq!(book.take().nonce, 12);
    }

    #[test]
    fn a_sender_is_stuck_when_its_count_holds_below_what_it_signed() {
        let last = [Some(24), Some(10), None, Some(7), Some(5)];
        let now = [Some(24), Some(11), Some(3), Some(7), None];
        let next = [300, 40, 9, 7, 9];
        // 0: held at 24 below 300. 1: moved. 2: no count before. 3: held,
        // but signed nothing beyond. 4: no answer now.
        assert_eq!(stuck(&last, &now, &next), [0]);
    }

    #[test]
    fn a_book_remembers_a_bounded_number_of_hashes() {
        let mut book = NonceBook::new(0);
        for _ in 0..REMEMBERED + 10 {
            let t = book.take();
            book.signed(t.nonce, hash(1));
            book.answered(t.nonce, false);
        }
        assert_eq!(book.signed.len(), REMEMBERED);
        assert_eq!(book.node_count(0).len(), LOOKUPS);
    }
}
