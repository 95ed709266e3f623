//! Inclusion tracking: one task, driven by `newHeads`, one receipts fetch per block.
//!
//! A separate task stamps each head the moment it arrives, so the time spent
//! fetching receipts never delays the next head's timestamp. The tracker then
//! takes `included` from the head's arrival and `safe`/`finalized` from the block
//! tags, read at every head: a block is safe (finalized) at the first head at
//! which the tag reaches it.

use crate::submitter::{classify, PendingTxs};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::U64,
    rpc::{
        client::RpcClient,
        types::{Header, TransactionReceipt},
    },
};
use chainmeter_core::{
    chain::{ChainEvent, TxSeq},
    level::Level,
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

/// With no new head for this long while transactions are pending, the node is taken for dead.
const STALL_MIN: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize)]
struct NumberOnly {
    number: U64,
}

pub(crate) struct Tracker {
    pub(crate) client: RpcClient,
    pub(crate) heads: mpsc::UnboundedReceiver<(Header, Instant)>,
    pub(crate) events: mpsc::UnboundedSender<ChainEvent>,
    pub(crate) base_fee: Arc<AtomicU64>,
    /// Signed but not yet seen in a block.
    pub(crate) pending: PendingTxs,
    /// Included transactions by block, waiting for finalized; the flag says
    /// whether they already reached safe.
    pub(crate) included: BTreeMap<u64, Vec<(TxSeq, bool)>>,
    pub(crate) last_block: Option<u64>,
}

impl Tracker {
    pub(crate) async fn run(mut self) {
        let mut last_head = Instant::now();
        let mut interval = Duration::from_secs(1);
        loop {
            let stall = STALL_MIN.max(interval * 10);
            tokio::select! {
                head = self.heads.recv() => match head {
                    Some((header, at)) => {
                        interval = at.saturating_duration_since(last_head).max(Duration::from_millis(1));
                        last_head = at;
                        if let Err(e) = self.on_head(header, at).await {
                            return self.fatal(e);
                        }
                    }
                    None => return self.fatal("the node closed the newHeads subscription".into()),
                },
                _ = tokio::time::sleep_until((last_head + stall).into()) => {
                    if !self.pending.lock().unwrap_or_else(|e| e.into_inner()).is_empty() || !self.included.is_empty() {
                        return self.fatal(format!(
                            "no new block for {:.0} s with transactions pending: the node stopped producing blocks",
                            stall.as_secs_f64()
                        ));
                    }
                    last_head = Instant::now();
                }
            }
        }
    }

    fn fatal(&self, reason: String) {
        let _ = self.events.send(ChainEvent::Fatal(reason));
    }

    async fn on_head(&mut self, header: Header, at: Instant) -> Result<(), String> {
        if let Some(base_fee) = header.base_fee_per_gas {
            self.base_fee.store(base_fee, Ordering::Relaxed);
        }
        let number = header.number;
        // Blocks whose head notification we missed are fetched too.
        let first = self
            .last_block
            .map_or(number, |last| (last + 1).min(number));
        for n in first..=number {
            self.fetch_block(n, at).await?;
        }
        self.last_block = Some(number.max(self.last_block.unwrap_or(0)));
        if !self.included.is_empty() {
            self.advance_tags(at).await?;
        }
        Ok(())
    }

    async fn fetch_block(&mut self, number: u64, at: Instant) -> Result<(), String> {
        let receipts: Option<Vec<TransactionReceipt>> = self
            .client
            .request("eth_getBlockReceipts", (BlockNumberOrTag::Number(number),))
            .await
            .map_err(|e| format!("eth_getBlockReceipts({number}): {}", classify(e).message))?;
        let receipts = receipts.unwrap_or_default();
        let _ = self.events.send(ChainEvent::Block {
            at,
            number,
            txs: Some(receipts.len() as u64),
            compute: Some(receipts.iter().map(|r| r.gas_used).sum()),
        });
        let mut ours = Vec::new();
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for r in receipts {
            let Some(seq) = pending.remove(&r.transaction_hash) else {
                continue;
            };
            let _ = self.events.send(ChainEvent::Reached {
                seq,
                level: Level::Included,
                at,
            });
            let success = r.status();
            let _ = self.events.send(ChainEvent::Landed {
                seq,
                success,
                fee: u128::from(r.gas_used) * r.effective_gas_price,
                compute: r.gas_used,
                error: (!success).then(|| "execution reverted".to_owned()),
            });
            ours.push((seq, false));
        }
        drop(pending);
        if !ours.is_empty() {
            self.included.insert(number, ours);
        }
        Ok(())
    }

    async fn advance_tags(&mut self, at: Instant) -> Result<(), String> {
        let mut batch = self.client.new_batch();
        let tag = |batch: &mut alloy::rpc::client::BatchRequest<'_>, t: BlockNumberOrTag| {
            batch.add_call::<_, Option<NumberOnly>>("eth_getBlockByNumber", &(t, false))
        };
        let err = |e| format!("block tags: {}", classify(e).message);
        let safe = tag(&mut batch, BlockNumberOrTag::Safe).map_err(err)?;
        let finalized = tag(&mut batch, BlockNumberOrTag::Finalized).map_err(err)?;
        batch.send().await.map_err(err)?;
        let safe = safe.await.map_err(err)?.map(|b| b.number.to::<u64>());
        let finalized = finalized.await.map_err(err)?.map(|b| b.number.to::<u64>());
        if let Some(safe) = safe {
            for (_, txs) in self.included.range_mut(..=safe) {
                for (seq, reached_safe) in txs.iter_mut().filter(|(_, s)| !*s) {
                    *reached_safe = true;
                    let _ = self.events.send(ChainEvent::Reached {
                        seq: *seq,
                        level: Level::Safe,
                        at,
                    });
                }
            }
        }
        if let Some(finalized) = finalized {
            let still_open = self.included.split_off(&(finalized + 1));
            for (_, txs) in std::mem::replace(&mut self.included, still_open) {
                for (seq, reached_safe) in txs {
                    // Finalized implies safe, even if the safe tag was read behind it.
                    if !reached_safe {
                        let _ = self.events.send(ChainEvent::Reached {
                            seq,
                            level: Level::Safe,
                            at,
                        });
                    }
                    let _ = self.events.send(ChainEvent::Reached {
                        seq,
                        level: Level::Finalized,
                        at,
                    });
                }
            }
        }
        Ok(())
    }
}
