//! Inclusion tracking: one task, driven by `newHeads`, one receipts fetch per block.
//!
//! A separate task stamps each head the moment it arrives, so the time spent
//! fetching receipts never delays the next head's timestamp. The tracker then
//! takes `included` from the head's arrival and `safe`/`finalized` from the
//! block tags, read with `latest` in one batch at every head (see
//! [`Finality`] for how they are stamped).

use crate::{
    error::{classify, TrackerError},
    spec::{FINALIZED, INCLUDED, SAFE},
    workload::Workload,
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{B256, U64},
    rpc::{
        client::RpcClient,
        types::{Header, TransactionReceipt},
    },
};
use chainmeter_core::{
    chain::{ChainEvent, TxSeq},
    open_set::OpenSet,
};
use serde::Deserialize;
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use tokio::sync::mpsc;

/// A block's receipts the node cannot serve yet (`null`, or an error) are
/// asked for again this often, for this long, before the run gives up: a
/// block is never taken for one without our transactions.
const RECEIPTS_RETRY: Duration = Duration::from_millis(50);
const RECEIPTS_PATIENCE: Duration = Duration::from_secs(10);
/// Reverted transactions whose reason is read back by replaying them
/// (`eth_call` at their block): a few are examples enough, and each costs
/// two calls on the tracker's path.
pub(crate) const REASONS_READ: u32 = 3;
/// Head arrivals kept for stamping tag reads that trail the heads.
const HEADS_KEPT: usize = 1024;
/// How the tracker times levels, for the result's `tracking`.
pub(crate) const METHOD: &str = "newHeads over WebSocket, stamped on arrival; \
    eth_getBlockReceipts per block (a null answer is retried, never taken for an empty block); \
    safe/finalized from the block tags, read with `latest` in one batch after each head and \
    stamped at the arrival of the newest head that read reflects: never earlier than the \
    first head at which the tag could have been seen, later by at most the heads the tracker \
    was behind";

#[derive(Debug, Deserialize)]
struct NumberOnly {
    number: U64,
}

/// One read of the block tags: the chain's state as of head `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TagRead {
    pub(crate) latest: u64,
    pub(crate) safe: Option<u64>,
    pub(crate) finalized: Option<u64>,
}

/// Safe and finalized, as a state machine fed head arrivals, included
/// blocks and tag reads.
///
/// A tag read reflects the chain as of its `latest` block, which may be
/// newer than the head being processed (under load the tracker can trail the
/// heads). Stamping it with the processed head's arrival would time the
/// level one block early, so a read is stamped with the arrival of the
/// first head at or above its `latest`, and waits for that head if it has
/// not arrived yet.
#[derive(Debug, Default)]
pub(crate) struct Finality {
    /// Included transactions by block, waiting for finalized; the flag says
    /// whether they already reached safe.
    included: BTreeMap<u64, Vec<(TxSeq, bool)>>,
    /// Arrival of recent heads by number.
    heads: BTreeMap<u64, Instant>,
    /// Reads waiting for the head they reflect.
    deferred: Vec<TagRead>,
}

impl Finality {
    /// Head `number` arrived at `at`; applies reads that waited for it.
    pub(crate) fn head(&mut self, number: u64, at: Instant, out: &mut Vec<ChainEvent>) {
        self.heads.entry(number).or_insert(at);
        while self.heads.len() > HEADS_KEPT {
            self.heads.pop_first();
        }
        let deferred = std::mem::take(&mut self.deferred);
        for read in deferred {
            self.tags(read, out);
        }
    }

    /// Transactions `seqs` are in block `number`.
    pub(crate) fn include(&mut self, number: u64, seqs: impl IntoIterator<Item = TxSeq>) {
        let entry = self.included.entry(number).or_default();
        entry.extend(seqs.into_iter().map(|s| (s, false)));
        if entry.is_empty() {
            self.included.remove(&number);
        }
    }

    /// Blocks still waiting for finalized.
    pub(crate) fn is_waiting(&self) -> bool {
        !self.included.is_empty()
    }

    /// Applies a tag read, or keeps it until the head it reflects arrives.
    pub(crate) fn tags(&mut self, read: TagRead, out: &mut Vec<ChainEvent>) {
        let Some((_, &at)) = self.heads.range(read.latest..).next() else {
            self.deferred.push(read);
            return;
        };
        if let Some(safe) = read.safe {
            for (_, txs) in self.included.range_mut(..=safe) {
                for (seq, reached_safe) in txs.iter_mut().filter(|(_, s)| !*s) {
                    *reached_safe = true;
                    out.push(ChainEvent::Reached {
                        seq: *seq,
                        level: SAFE,
                        at,
                    });
                }
            }
        }
        if let Some(finalized) = read.finalized {
            let still_open = self.included.split_off(&(finalized + 1));
            for (_, txs) in std::mem::replace(&mut self.included, still_open) {
                for (seq, reached_safe) in txs {
                    // Finalized implies safe, even if the safe tag was read behind it.
                    if !reached_safe {
                        out.push(ChainEvent::Reached {
                            seq,
                            level: SAFE,
                            at,
                        });
                    }
                    out.push(ChainEvent::Reached {
                        seq,
                        level: FINALIZED,
                        at,
                    });
                }
            }
        }
    }
}

pub(crate) struct Tracker {
    pub(crate) client: RpcClient,
    pub(crate) heads: mpsc::UnboundedReceiver<(Header, Instant)>,
    pub(crate) events: mpsc::UnboundedSender<ChainEvent>,
    pub(crate) base_fee: Arc<AtomicU64>,
    /// Sent and not yet seen in a block.
    pub(crate) open: OpenSet<B256, TxSeq>,
    pub(crate) finality: Finality,
    pub(crate) last_block: Option<u64>,
    /// Every block up to this one has been read: the verifier reads chain
    /// state as of it.
    pub(crate) scanned: Arc<AtomicU64>,
    /// Reverts whose reason is still to be read back ([`REASONS_READ`] at first).
    pub(crate) reasons_left: u32,
    /// No new block for this long (or ten block intervals, if longer) with
    /// transactions pending: the node stopped producing blocks.
    pub(crate) no_block_timeout: Duration,
    /// The workload, which may know what a revert's data means.
    pub(crate) workload: Arc<dyn Workload>,
    /// How a block's receipts are read.
    pub(crate) receipts_by: ReceiptsBy,
}

/// How the tracker reads a block's receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReceiptsBy {
    /// `eth_getBlockReceipts`: one call a block (geth, reth, anvil).
    Block,
    /// The block's transaction hashes, then `eth_getTransactionReceipt` for
    /// each in one batch: for nodes without `eth_getBlockReceipts`
    /// (Hardhat's).
    Transaction,
}

impl ReceiptsBy {
    /// Asks the node whether it answers `eth_getBlockReceipts`: only a
    /// method it says it does not have makes the tracker read receipts one
    /// by one.
    pub(crate) async fn probe(client: &RpcClient) -> Self {
        let answer: Result<Option<serde_json::Value>, _> = client
            .request("eth_getBlockReceipts", (BlockNumberOrTag::Latest,))
            .await;
        match answer {
            Err(alloy::transports::RpcError::ErrorResp(e))
                if e.code == -32601
                    || e.message.contains("not supported")
                    || e.message.contains("does not exist") =>
            {
                Self::Transaction
            }
            _ => Self::Block,
        }
    }

    /// How it reads them, in words, for the result's tracking method.
    pub(crate) fn method(self) -> &'static str {
        match self {
            Self::Block => METHOD,
            Self::Transaction => METHOD_BY_TRANSACTION,
        }
    }
}

/// [`METHOD`] for a node without `eth_getBlockReceipts`.
pub(crate) const METHOD_BY_TRANSACTION: &str = "newHeads over WebSocket, stamped on arrival; \
    each block's transaction hashes (eth_getBlockByNumber), then eth_getTransactionReceipt for each \
    in one batch (the node has no eth_getBlockReceipts; a missing answer is retried, never taken for \
    an empty block); safe/finalized from the block tags, read with `latest` in one batch after each \
    head and stamped at the arrival of the newest head that read reflects";

#[derive(Debug, Deserialize)]
struct BlockHashes {
    transactions: Vec<B256>,
}

impl Tracker {
    pub(crate) async fn run(mut self) {
        let mut last_head = Instant::now();
        let mut interval = Duration::from_secs(1);
        loop {
            let stall = self.no_block_timeout.max(interval * 10);
            tokio::select! {
                head = self.heads.recv() => match head {
                    Some((header, at)) => {
                        interval = at.saturating_duration_since(last_head).max(Duration::from_millis(1));
                        last_head = at;
                        if let Err(e) = self.on_head(header, at).await {
                            return self.fatal(e);
                        }
                    }
                    None => return self.fatal(TrackerError::SubscriptionClosed),
                },
                _ = tokio::time::sleep_until((last_head + stall).into()) => {
                    if !self.open.sync().is_empty() || self.finality.is_waiting() {
                        return self.fatal(TrackerError::Stalled { stall });
                    }
                    last_head = Instant::now();
                }
            }
        }
    }

    fn fatal(&self, error: TrackerError) {
        let _ = self.events.send(ChainEvent::Fatal(error.stop()));
    }

    fn emit(&self, events: Vec<ChainEvent>) {
        for e in events {
            let _ = self.events.send(e);
        }
    }

    async fn on_head(&mut self, header: Header, at: Instant) -> Result<(), TrackerError> {
        if let Some(base_fee) = header.base_fee_per_gas {
            self.base_fee.store(base_fee, Ordering::Relaxed);
        }
        let number = header.number;
        // Before the inclusions it stamps with the same `at`: they are in
        // this head, or in a block before it whose notification we missed.
        let mut out = vec![ChainEvent::Head { number, at }];
        self.finality.head(number, at, &mut out);
        self.emit(out);
        // Blocks whose head notification we missed are fetched too; their
        // transactions are stamped with this head's arrival (late, never early).
        let first = self
            .last_block
            .map_or(number, |last| (last + 1).min(number));
        for n in first..=number {
            self.fetch_block(n, at, n == number).await?;
            // Before the next await: once block n's events are out, the run
            // may end and verify, and it must read state as of n at least.
            self.scanned.fetch_max(n, Ordering::AcqRel);
        }
        self.last_block = Some(number.max(self.last_block.unwrap_or(0)));
        if self.finality.is_waiting() {
            let read = self.read_tags().await?;
            let mut out = Vec::new();
            self.finality.tags(read, &mut out);
            self.emit(out);
        }
        Ok(())
    }

    /// The block's receipts; `null` and errors are asked again until
    /// [`RECEIPTS_PATIENCE`] runs out.
    async fn receipts(&self, number: u64) -> Result<Vec<TransactionReceipt>, TrackerError> {
        let give_up = Instant::now() + RECEIPTS_PATIENCE;
        loop {
            let answer = match self.receipts_by {
                ReceiptsBy::Block => {
                    self.client
                        .request("eth_getBlockReceipts", (BlockNumberOrTag::Number(number),))
                        .await
                }
                ReceiptsBy::Transaction => self.receipts_one_by_one(number).await,
            };
            let why = match answer {
                Ok(Some(receipts)) => return Ok(receipts),
                Ok(None) => "the node answered null".to_owned(),
                Err(e) => classify(e).message,
            };
            if Instant::now() >= give_up {
                return Err(TrackerError::Receipts {
                    number,
                    why,
                    patience: RECEIPTS_PATIENCE,
                });
            }
            tokio::time::sleep(RECEIPTS_RETRY).await;
        }
    }

    /// Block `number`'s receipts read one by one, in one batch; `None`
    /// while the node does not have the block or one of its receipts yet.
    async fn receipts_one_by_one(
        &self,
        number: u64,
    ) -> Result<Option<Vec<TransactionReceipt>>, alloy::transports::TransportError> {
        let block: Option<BlockHashes> = self
            .client
            .request(
                "eth_getBlockByNumber",
                (BlockNumberOrTag::Number(number), false),
            )
            .await?;
        let Some(block) = block else {
            return Ok(None);
        };
        if block.transactions.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let mut batch = self.client.new_batch();
        let waiters = block
            .transactions
            .iter()
            .map(|hash| {
                batch.add_call::<_, Option<TransactionReceipt>>(
                    "eth_getTransactionReceipt",
                    &(hash,),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        batch.send().await?;
        let mut receipts = Vec::with_capacity(waiters.len());
        for w in waiters {
            match w.await? {
                Some(r) => receipts.push(r),
                None => return Ok(None),
            }
        }
        Ok(Some(receipts))
    }

    async fn fetch_block(
        &mut self,
        number: u64,
        at: Instant,
        own_head: bool,
    ) -> Result<(), TrackerError> {
        let receipts = self.receipts(number).await?;
        let mut out = vec![ChainEvent::Block {
            at: own_head.then_some(at),
            number,
            txs: Some(receipts.len() as u64),
            compute: Some(receipts.iter().map(|r| r.gas_used).sum()),
        }];
        let mut ours = Vec::new();
        let mut reverted = Vec::new();
        {
            let open = self.open.sync();
            for r in receipts {
                let Some(seq) = open.remove(&r.transaction_hash) else {
                    continue;
                };
                out.push(ChainEvent::Reached {
                    seq,
                    level: INCLUDED,
                    at,
                });
                let success = r.status();
                if !success {
                    reverted.push((out.len(), r.transaction_hash));
                }
                out.push(ChainEvent::Landed {
                    seq,
                    success,
                    fee: u128::from(r.gas_used) * r.effective_gas_price,
                    compute: r.gas_used,
                    error: (!success).then(|| "execution reverted".to_owned()),
                });
                ours.push(seq);
            }
        }
        for (i, hash) in reverted {
            if self.reasons_left == 0 {
                break;
            }
            self.reasons_left -= 1;
            if let (Some(reason), ChainEvent::Landed { error, .. }) =
                (self.revert_reason(hash, number).await, &mut out[i])
            {
                *error = Some(reason);
            }
        }
        self.emit(out);
        self.finality.include(number, ours);
        Ok(())
    }

    /// Why the transaction `hash` of block `number` reverted, as the node
    /// words it when the call is replayed on the block's state (`execution
    /// reverted: <reason>`); `None` when the replay does not revert or a
    /// read fails.
    async fn revert_reason(&self, hash: B256, number: u64) -> Option<String> {
        let tx: serde_json::Value = self
            .client
            .request("eth_getTransactionByHash", (hash,))
            .await
            .ok()?;
        let call = serde_json::json!({
            "from": tx["from"], "to": tx["to"], "data": tx["input"],
            "value": tx["value"], "gas": tx["gas"],
        });
        let replay: Result<serde_json::Value, _> = self
            .client
            .request("eth_call", (call, BlockNumberOrTag::Number(number)))
            .await;
        let e = replay.err()?;
        let payload = e.as_error_resp();
        let decoded = payload
            .and_then(|p| p.as_revert_data())
            .and_then(|data| self.workload.revert_reason(&data));
        Some(match (decoded, payload) {
            (Some(reason), _) => format!("execution reverted: {reason}"),
            (None, Some(p)) => p.message.to_string(),
            (None, None) => e.to_string(),
        })
    }

    async fn read_tags(&self) -> Result<TagRead, TrackerError> {
        let mut batch = self.client.new_batch();
        let tag = |batch: &mut alloy::rpc::client::BatchRequest<'_>, t: BlockNumberOrTag| {
            batch.add_call::<_, Option<NumberOnly>>("eth_getBlockByNumber", &(t, false))
        };
        let err = |e| TrackerError::Tags {
            why: classify(e).message,
        };
        let latest = tag(&mut batch, BlockNumberOrTag::Latest).map_err(err)?;
        let safe = tag(&mut batch, BlockNumberOrTag::Safe).map_err(err)?;
        let finalized = tag(&mut batch, BlockNumberOrTag::Finalized).map_err(err)?;
        batch.send().await.map_err(err)?;
        let number = |b: Option<NumberOnly>| b.map(|b| b.number.to::<u64>());
        Ok(TagRead {
            latest: number(latest.await.map_err(err)?).unwrap_or(0),
            safe: number(safe.await.map_err(err)?),
            finalized: number(finalized.await.map_err(err)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainmeter_core::Level;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn stamps(out: &[ChainEvent], level: Level) -> Vec<(TxSeq, Instant)> {
        out.iter()
            .filter_map(|e| match *e {
                ChainEvent::Reached { seq, level: l, at } if l == level => Some((seq, at)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_tag_read_ahead_of_the_processed_head_is_stamped_with_the_head_it_reflects() {
        let t0 = Instant::now();
        let mut f = Finality::default();
        let mut out = Vec::new();
        f.include(10, [1]);
        f.head(11, t0, &mut out);
        f.head(12, t0 + ms(1000), &mut out);
        // Read while processing head 11, but the node was already at 12.
        f.tags(
            TagRead {
                latest: 12,
                safe: Some(10),
                finalized: None,
            },
            &mut out,
        );
        assert_eq!(stamps(&out, SAFE), vec![(1, t0 + ms(1000))]);
    }

    #[test]
    fn a_read_reflecting_a_head_not_yet_arrived_waits_for_it() {
        let t0 = Instant::now();
        let mut f = Finality::default();
        let mut out = Vec::new();
        f.include(5, [7, 8]);
        f.head(6, t0, &mut out);
        f.tags(
            TagRead {
                latest: 7,
                safe: Some(5),
                finalized: Some(5),
            },
            &mut out,
        );
        assert!(out.is_empty(), "stamped before head 7 arrived: {out:?}");
        f.head(7, t0 + ms(400), &mut out);
        assert_eq!(
            stamps(&out, FINALIZED),
            vec![(7, t0 + ms(400)), (8, t0 + ms(400))]
        );
        assert_eq!(stamps(&out, SAFE).len(), 2, "finalized implies safe");
        assert!(!f.is_waiting());
    }

    #[test]
    fn missed_heads_stamp_with_the_next_arrival_and_roots_may_jump() {
        let t0 = Instant::now();
        let mut f = Finality::default();
        let mut out = Vec::new();
        f.include(3, [1]);
        f.include(4, [2]);
        f.include(9, [3]);
        f.head(20, t0 + ms(50), &mut out);
        // Head 19 never arrived: the read as of 19 is stamped at 20's arrival.
        f.tags(
            TagRead {
                latest: 19,
                safe: Some(9),
                finalized: Some(4),
            },
            &mut out,
        );
        assert_eq!(
            stamps(&out, FINALIZED),
            vec![(1, t0 + ms(50)), (2, t0 + ms(50))]
        );
        assert_eq!(stamps(&out, SAFE).len(), 3);
        assert!(f.is_waiting(), "block 9 waits for finalized");
    }
}
