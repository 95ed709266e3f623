//! Level timing by polling, for nodes without slot notifications.
//!
//! Every [`POLL_INTERVAL`] the open signatures go to `getSignatureStatuses`,
//! 256 to a call, all calls in one JSON-RPC batch; a level is stamped when a
//! poll first shows it, so its resolution is the interval. Each newly seen
//! slot's block is fetched once for fees and compute units, as with events.

use crate::{
    rpc::{self, BatchError},
    submitter::PendingTxs,
    tracker::{fetch_block, Block},
};
use chainmeter_core::{
    chain::{ChainEvent, TxSeq},
    level::Level,
};
use serde::Deserialize;
use serde_json::json;
use solana_sdk::signature::Signature;
use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};
use tokio::sync::mpsc;

/// Time between polls: a tenth of the fastest level (processed, ~300 ms here).
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(30);
/// Signatures `getSignatureStatuses` takes in one call.
const PER_CALL: usize = 256;
const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// With no transaction reaching a new level for this long while some are
/// open, the node is taken for dead; finality alone takes about 13 s here.
const STALL: Duration = Duration::from_secs(30);
const LEVELS: [Level; 3] = [Level::Processed, Level::Confirmed, Level::Finalized];

struct Open {
    seq: TxSeq,
    last_valid_block_height: u64,
    /// Levels reached so far, 0 to 3.
    reached: usize,
    landed: bool,
}

#[derive(Deserialize)]
struct StatusResult {
    value: Vec<Option<Status>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    slot: u64,
    confirmation_status: Option<String>,
}

pub(crate) struct Poller {
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
    pub(crate) events: mpsc::UnboundedSender<ChainEvent>,
    pub(crate) pending: PendingTxs,
}

impl Poller {
    pub(crate) async fn run(self) {
        let mut open: HashMap<Signature, Open> = HashMap::new();
        let mut fetched: HashSet<u64> = HashSet::new();
        let mut last_progress = Instant::now();
        let mut ticker = tokio::time::interval(POLL_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            // Adopt what was signed since the last poll.
            for (signature, p) in self
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drain()
            {
                open.insert(
                    signature,
                    Open {
                        seq: p.seq,
                        last_valid_block_height: p.last_valid_block_height,
                        reached: 0,
                        landed: false,
                    },
                );
            }
            if open.is_empty() {
                last_progress = Instant::now();
                continue;
            }
            let signatures: Vec<Signature> = open.keys().copied().collect();
            let statuses = match self.poll(&signatures).await {
                Ok(s) => s,
                Err(reason) => return self.fatal(reason),
            };
            let at = Instant::now();
            let mut new_slots = HashSet::new();
            for (signature, status) in signatures.iter().zip(statuses) {
                let Some(status) = status else { continue };
                let Some(tx) = open.get_mut(signature) else {
                    continue;
                };
                let level = match status.confirmation_status.as_deref() {
                    Some("finalized") => 3,
                    Some("confirmed") => 2,
                    _ => 1,
                };
                while tx.reached < level {
                    let _ = self.events.send(ChainEvent::Reached {
                        seq: tx.seq,
                        level: LEVELS[tx.reached],
                        at,
                    });
                    tx.reached += 1;
                    last_progress = at;
                }
                if !tx.landed && !fetched.contains(&status.slot) {
                    new_slots.insert(status.slot);
                }
            }
            for slot in new_slots {
                match fetch_block(&self.http, &self.url, slot).await {
                    Ok(Some(block)) => {
                        fetched.insert(slot);
                        self.settle(&mut open, block);
                    }
                    // Not servable yet: the next poll that sees the slot tries again.
                    Ok(None) => {}
                    Err(reason) => return self.fatal(reason),
                }
            }
            open.retain(|_, tx| !(tx.landed && tx.reached == LEVELS.len()));
            if last_progress.elapsed() > STALL {
                return self.fatal(format!(
                    "no transaction made progress for {} s: the node stopped producing slots",
                    STALL.as_secs()
                ));
            }
        }
    }

    fn fatal(&self, reason: String) {
        let _ = self.events.send(ChainEvent::Fatal(reason));
    }

    /// Fees and compute units from a block; transactions past their blockhash expire.
    fn settle(&self, open: &mut HashMap<Signature, Open>, block: Block) {
        for tx in block.transactions {
            let Some(o) = open.get_mut(&tx.signature) else {
                continue;
            };
            if o.landed {
                continue;
            }
            o.landed = true;
            let _ = self.events.send(tx.landed(o.seq));
        }
        if let Some(height) = block.height {
            open.retain(|_, o| {
                let alive = o.reached > 0 || o.last_valid_block_height >= height;
                if !alive {
                    let _ = self.events.send(ChainEvent::Expired { seq: o.seq });
                }
                alive
            });
        }
    }

    /// `getSignatureStatuses` for `signatures`, in one batch of calls of 256.
    async fn poll(&self, signatures: &[Signature]) -> Result<Vec<Option<Status>>, String> {
        let calls = signatures.chunks(PER_CALL).map(|chunk| {
            let sigs: Vec<String> = chunk.iter().map(Signature::to_string).collect();
            ("getSignatureStatuses", json!([sigs]))
        });
        let answers = rpc::batch(&self.http, &self.url, calls, POLL_TIMEOUT)
            .await
            .map_err(|e| match e {
                BatchError::Timeout => {
                    format!("getSignatureStatuses: no answer within {POLL_TIMEOUT:?}")
                }
                BatchError::Transport(e) => format!("getSignatureStatuses: {e}"),
            })?;
        // A call that failed counts as "not seen yet" for its signatures.
        Ok(signatures
            .chunks(PER_CALL)
            .zip(answers)
            .flat_map(|(chunk, answer)| {
                let mut statuses = answer
                    .ok()
                    .and_then(|v| serde_json::from_value::<StatusResult>(v).ok())
                    .map_or_else(Vec::new, |r| r.value);
                statuses.resize_with(chunk.len(), || None);
                statuses
            })
            .collect())
    }
}
