//! Level timing by polling, for nodes without slot notifications.
//!
//! Every [`POLL_INTERVAL`] the open signatures go to `getSignatureStatuses`,
//! 256 to a call, with a `getBlockHeight`, in JSON-RPC batches sent at once
//! (each under the RPC server's body limit); a
//! level is stamped when the response that first shows it arrives, so the
//! resolution is the interval the loop achieves, which is measured and
//! reported. Each newly seen slot's block is fetched once for fees and
//! compute units, in a task of its own so that it never delays a poll.
//!
//! The open set is what the submitter registered (by message, see
//! [`chainmeter_core::open_set`]) less what the node refused, so a rejected
//! signature is never polled again, and less what the poller settled.

use crate::{
    error::TrackerError,
    landed::LandedSignatures,
    rpc::{self, BatchError},
    spec::LEVELS,
    submitter::OpenSet,
    tracker::{fetch_block, Block},
};
use chainmeter_core::chain::{ChainEvent, TxSeq};
use serde::Deserialize;
use serde_json::{json, Value};
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
/// With no transaction reaching a new level and the chain's height standing
/// still for this long while some are open, the node is taken for dead.
const STALL: Duration = Duration::from_secs(30);

/// When the node last showed it was alive: a transaction reached a new
/// level, or the chain's height moved. Level progress alone is not enough:
/// proving a dropped transaction expired takes 60 to 90 s of slots in which
/// nothing of the run moves, and a healthy run must not stop for it.
#[derive(Debug, Clone, Copy)]
struct Liveness {
    last: Instant,
    height: Option<u64>,
}

impl Liveness {
    fn new(now: Instant) -> Self {
        Self {
            last: now,
            height: None,
        }
    }

    fn progressed(&mut self, at: Instant) {
        self.last = at;
    }

    fn height(&mut self, height: Option<u64>, at: Instant) {
        if let Some(h) = height {
            if self.height.is_some_and(|before| h > before) {
                self.last = at;
            }
            self.height = Some(self.height.map_or(h, |before| before.max(h)));
        }
    }

    /// Neither for [`STALL`]: the node stopped producing slots.
    fn stalled(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last) > STALL
    }
}

/// What the poller knows of one open transaction.
#[derive(Debug, Clone, Copy)]
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

/// What one poll says of a signature.
enum Seen {
    /// The node has a status for it.
    Status(Status),
    /// The node has none: not landed (yet).
    Nothing,
    /// The call for it failed: nothing is known.
    Unknown,
}

/// One poll's answer.
struct Answer {
    statuses: Vec<Seen>,
    /// The confirmed block height, read in the same batch.
    height: Option<u64>,
}

pub(crate) struct Poller {
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
    pub(crate) events: mpsc::UnboundedSender<ChainEvent>,
    /// Sent and not yet found in a block.
    pub(crate) registered: OpenSet,
    pub(crate) landed: LandedSignatures,
}

impl Poller {
    pub(crate) async fn run(mut self) {
        let mut open: HashMap<Signature, Open> = HashMap::new();
        let mut fetched: HashSet<u64> = HashSet::new();
        // Slots whose block fetch is under way: later polls showing the
        // same slot must not ask for it again meanwhile.
        let mut fetching: HashSet<u64> = HashSet::new();
        let (blocks_tx, mut blocks_rx) =
            mpsc::unbounded_channel::<(u64, Result<Option<Block>, TrackerError>)>();
        let mut alive = Liveness::new(Instant::now());
        let mut last_answer: Option<Instant> = None;
        // The confirmed height of the previous poll: a signature with no
        // status now, whose last valid height that one passed, cannot land.
        let mut passed_height: Option<u64> = None;
        let mut ticker = tokio::time::interval(POLL_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                Some((slot, block)) = blocks_rx.recv() => {
                    fetching.remove(&slot);
                    match block {
                        Ok(Some(block)) => {
                            fetched.insert(slot);
                            self.settle(&mut open, block);
                        }
                        // Not servable yet: the next poll that sees the slot asks again.
                        Ok(None) => {}
                        Err(e) => return self.fatal(e),
                    }
                    continue;
                }
            }
            let signatures = self.adopt(&mut open);
            if signatures.is_empty() {
                alive.progressed(Instant::now());
                last_answer = None;
                continue;
            }
            let answer = match self.poll(&signatures).await {
                Ok(a) => a,
                Err(e) => return self.fatal(e),
            };
            // Stamped at the response: that is when the harness learned it.
            let at = Instant::now();
            if let Some(prev) = last_answer.replace(at) {
                let _ = self.events.send(ChainEvent::PollInterval(at - prev));
            }
            let mut new_slots = HashSet::new();
            let mut expired = Vec::new();
            for (signature, status) in signatures.iter().zip(answer.statuses) {
                let Some(tx) = open.get_mut(signature) else {
                    continue;
                };
                let status = match status {
                    Seen::Status(status) => status,
                    Seen::Nothing => {
                        if tx.reached == 0
                            && passed_height.is_some_and(|h| h > tx.last_valid_block_height)
                        {
                            expired.push(*signature);
                        }
                        continue;
                    }
                    Seen::Unknown => continue,
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
                    alive.progressed(at);
                }
                if !tx.landed && !fetched.contains(&status.slot) {
                    new_slots.insert(status.slot);
                }
            }
            alive.height(answer.height, at);
            passed_height = answer.height.or(passed_height);
            for signature in expired {
                if let Some(tx) = open.remove(&signature) {
                    let _ = self.events.send(ChainEvent::Expired { seq: tx.seq });
                    self.forget(&signature);
                }
            }
            for slot in new_slots {
                if !fetching.insert(slot) {
                    continue;
                }
                let (http, url, done) = (self.http.clone(), self.url.clone(), blocks_tx.clone());
                tokio::spawn(async move {
                    let _ = done.send((slot, fetch_block(&http, &url, slot).await));
                });
            }
            let finished: Vec<Signature> = open
                .iter()
                .filter(|(_, tx)| tx.landed && tx.reached == LEVELS.len())
                .map(|(s, _)| *s)
                .collect();
            for signature in finished {
                open.remove(&signature);
                self.forget(&signature);
            }
            if alive.stalled(Instant::now()) {
                return self.fatal(TrackerError::Stalled { stall: STALL });
            }
        }
    }

    fn fatal(&self, error: TrackerError) {
        let _ = self.events.send(ChainEvent::Fatal(error.stop()));
    }

    /// The signatures to poll: those registered. Those the node refused
    /// leave the open set here.
    fn adopt(&mut self, open: &mut HashMap<Signature, Open>) -> Vec<Signature> {
        let registered = self.registered.sync();
        open.retain(|s, _| registered.contains_key(s));
        registered
            .iter()
            .map(|(signature, p)| {
                open.entry(*signature).or_insert(Open {
                    seq: p.seq,
                    last_valid_block_height: p.last_valid_block_height,
                    reached: 0,
                    landed: false,
                });
                *signature
            })
            .collect()
    }

    fn forget(&mut self, signature: &Signature) {
        self.registered.sync().remove(signature);
    }

    /// Fees and compute units from a block.
    fn settle(&self, open: &mut HashMap<Signature, Open>, block: Block) {
        for tx in block.transactions {
            let Some(o) = open.get_mut(&tx.signature) else {
                continue;
            };
            if o.landed {
                continue;
            }
            o.landed = true;
            self.landed.extend([(tx.signature, o.seq)]);
            let _ = self.events.send(tx.landed(o.seq));
        }
    }

    /// `getSignatureStatuses` for `signatures`, in calls of 256, and the
    /// confirmed block height, all in one batch.
    async fn poll(&self, signatures: &[Signature]) -> Result<Answer, TrackerError> {
        let calls = signatures
            .chunks(PER_CALL)
            .map(|chunk| {
                let sigs: Vec<String> = chunk.iter().map(Signature::to_string).collect();
                ("getSignatureStatuses", json!([sigs]))
            })
            .chain(std::iter::once((
                "getBlockHeight",
                json!([{"commitment": "confirmed"}]),
            )));
        let mut answers = rpc::batches(&self.http, &self.url, calls, POLL_TIMEOUT)
            .await
            .map_err(|e| match e {
                BatchError::Timeout => TrackerError::Poll {
                    why: format!("no answer within {POLL_TIMEOUT:?}"),
                },
                BatchError::Transport(e) => TrackerError::Poll { why: e.to_string() },
            })?;
        let height = answers
            .pop()
            .and_then(Result::ok)
            .as_ref()
            .and_then(Value::as_u64);
        // A call that failed says nothing of its signatures: neither landed
        // nor gone.
        let statuses = signatures
            .chunks(PER_CALL)
            .zip(answers)
            .flat_map(|(chunk, answer)| {
                match answer
                    .ok()
                    .and_then(|v| serde_json::from_value::<StatusResult>(v).ok())
                    .filter(|r| r.value.len() == chunk.len())
                {
                    Some(r) => r
                        .value
                        .into_iter()
                        .map(|s| s.map_or(Seen::Nothing, Seen::Status))
                        .collect(),
                    None => chunk.iter().map(|_| Seen::Unknown).collect::<Vec<_>>(),
                }
            })
            .collect();
        Ok(Answer { statuses, height })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::submitter::PendingTx;

    #[test]
    fn a_signature_the_node_refused_is_never_polled_again() {
        let (events, _rx) = mpsc::unbounded_channel();
        let (registrar, registered) = chainmeter_core::open_set::open_set();
        let mut poller = Poller {
            http: reqwest::Client::new(),
            url: "http://127.0.0.1:1".into(),
            events,
            registered,
            landed: LandedSignatures::new().unwrap(),
        };
        let (a, b) = (Signature::from([1; 64]), Signature::from([2; 64]));
        let pending = |seq| PendingTx {
            seq,
            last_valid_block_height: 100,
        };
        registrar.sending(vec![(a, pending(0)), (b, pending(1))]);
        let mut open = HashMap::new();
        assert_eq!(poller.adopt(&mut open).len(), 2);
        registrar.refused(vec![b]);
        assert_eq!(poller.adopt(&mut open), vec![a]);
        assert!(!open.contains_key(&b), "a refused signature stays open");
    }

    #[test]
    fn a_moving_chain_is_alive_while_an_expiry_is_proved() {
        // One dropped transaction: no level progress for 90 s while it is
        // proved expired, the height rising a slot at a time all along.
        let t0 = Instant::now();
        let mut alive = Liveness::new(t0);
        alive.progressed(t0);
        for s in 0..=180u64 {
            let at = t0 + Duration::from_millis(500 * s);
            alive.height(Some(1_000 + s), at);
            assert!(!alive.stalled(at), "stalled at {} ms", 500 * s);
        }
        // The node stops: the height stands still, and 30 s later it is dead.
        let stopped = t0 + Duration::from_secs(90);
        for s in 1..=70u64 {
            alive.height(Some(1_180), stopped + Duration::from_millis(500 * s));
        }
        assert!(alive.stalled(stopped + Duration::from_secs(31)));
    }
}
