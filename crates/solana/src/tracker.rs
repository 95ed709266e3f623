//! Level timing from slot events, one block fetch per confirmed slot.
//!
//! A WebSocket task stamps every slot event the moment it arrives: `frozen`
//! (the node finished executing the slot: *processed*), `optimisticConfirmation`
//! (*confirmed*) and each new root (*finalized* for every slot at or below it).
//! The tracker fetches each confirmed slot's block once, finds the run's
//! signatures in it with their fee and compute units, and gives each
//! transaction its slot's event times. Transactions never wait on a poll, so
//! the timestamps are as exact as the events; `blockTime` is never used.

use crate::error::SlotsClosed;
use crate::{
    error::TrackerError,
    landed::LandedSignatures,
    spec::{CONFIRMED, FINALIZED, PROCESSED},
    submitter::OpenSet,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use chainmeter_core::chain::{ChainEvent, TxSeq};
use serde::{de::IgnoredAny, Deserialize};
use serde_json::{json, value::RawValue, Value};
use solana_sdk::signature::Signature;
use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    time::{Duration, Instant},
};
use tokio::sync::mpsc;

/// With no slot event for this long while transactions are open, the node is taken for dead.
const STALL: Duration = Duration::from_secs(15);
/// Retries of a confirmed block the node cannot serve yet, and the pause
/// between them: 10 s in all. A block given up on is never taken for one
/// without our transactions: it stops expiry past its height (see [`Heights`]).
const FETCH_ATTEMPTS: u32 = 100;
/// Tries at a rooted slot none of whose events came: it is final, so the
/// node either has its block or skipped the slot, which retries won't change.
const BACKFILL_ATTEMPTS: u32 = 3;
const FETCH_RETRY: Duration = Duration::from_millis(100);
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Slots kept behind the root for late events.
const KEEP_BEHIND_ROOT: u64 = 512;

/// A slot event, as the WebSocket task passes it on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SlotEvent {
    /// The node froze the slot's bank.
    Frozen(u64),
    /// The cluster optimistically confirmed the slot.
    Confirmed(u64),
    /// A new root.
    Root(u64),
}

#[derive(Debug, Default)]
struct SlotTimes {
    frozen: Option<Instant>,
    confirmed: Option<Instant>,
    fetched: bool,
}

struct Fetch {
    slot: u64,
    not_before: Instant,
    attempts: u32,
}

/// Which block heights have been scanned for the run's signatures.
///
/// A transaction has expired only when the chain's block height passed its
/// last valid height *and* every block up to that height was scanned and did
/// not hold it. Blocks are fetched as their slots confirm, and a fetch that
/// is retried lands out of order; so the tracker keeps the highest height
/// below which every block was scanned, and judges expiry by that alone.
#[derive(Debug)]
pub(crate) struct Heights {
    /// Every block at or below this height was scanned (or predates the run).
    through: u64,
    /// Scanned heights above `through`, waiting for the gap below them.
    ahead: BTreeSet<u64>,
}

impl Heights {
    /// Nothing at or below `base` (the confirmed height before the first
    /// send) can hold the run's transactions.
    pub(crate) fn new(base: u64) -> Self {
        Self {
            through: base,
            ahead: BTreeSet::new(),
        }
    }

    /// The block at `height` was scanned.
    pub(crate) fn scanned(&mut self, height: u64) {
        if height <= self.through {
            return;
        }
        self.ahead.insert(height);
        while self.ahead.remove(&(self.through + 1)) {
            self.through += 1;
        }
    }

    /// True when a transaction valid through `last_valid_block_height` can
    /// no longer land: every block up to the one after it was scanned.
    pub(crate) fn expired(&self, last_valid_block_height: u64) -> bool {
        self.through > last_valid_block_height
    }
}

pub(crate) struct Tracker {
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
    pub(crate) updates: mpsc::UnboundedReceiver<Result<(SlotEvent, Instant), SlotsClosed>>,
    pub(crate) events: mpsc::UnboundedSender<ChainEvent>,
    /// Sent and not yet found in a block.
    open: OpenSet,
    /// Landed signatures, for the verifier.
    landed: LandedSignatures,
    heights: Heights,
    slots: BTreeMap<u64, SlotTimes>,
    /// Roots seen, oldest first, with when they were seen.
    roots: VecDeque<(u64, Instant)>,
    /// Landed transactions by slot, waiting for a root at or above it.
    awaiting_root: BTreeMap<u64, Vec<TxSeq>>,
    fetches: VecDeque<Fetch>,
    last_event: Instant,
    /// The first slot any event named: slots before it predate the run.
    first_slot: Option<u64>,
}

impl Tracker {
    pub(crate) fn new(
        http: reqwest::Client,
        url: String,
        updates: mpsc::UnboundedReceiver<Result<(SlotEvent, Instant), SlotsClosed>>,
        events: mpsc::UnboundedSender<ChainEvent>,
        open: OpenSet,
        landed: LandedSignatures,
        base_height: u64,
    ) -> Self {
        Self {
            http,
            url,
            updates,
            events,
            open,
            landed,
            heights: Heights::new(base_height),
            slots: BTreeMap::new(),
            roots: VecDeque::new(),
            awaiting_root: BTreeMap::new(),
            fetches: VecDeque::new(),
            last_event: Instant::now(),
            first_slot: None,
        }
    }

    fn fatal(&self, error: TrackerError) {
        let _ = self.events.send(ChainEvent::Fatal(error.stop()));
    }

    fn has_open_work(&mut self) -> bool {
        !self.awaiting_root.is_empty() || !self.open.sync().is_empty()
    }

    pub(crate) async fn run(mut self) {
        loop {
            // Events first: they are cheap and their stamps are already taken.
            match self.updates.try_recv() {
                Ok(Ok((event, at))) => {
                    self.on_event(event, at);
                    continue;
                }
                Ok(Err(closed)) => return self.fatal(TrackerError::SubscriptionClosed(closed)),
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    return self.fatal(TrackerError::SubscriptionEnded);
                }
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            let now = Instant::now();
            if self.fetches.front().is_some_and(|f| f.not_before <= now) {
                let fetch = self.fetches.pop_front().expect("front exists");
                if let Err(e) = self.fetch(fetch).await {
                    return self.fatal(e);
                }
                continue;
            }
            let wake = self
                .fetches
                .front()
                .map_or(self.last_event + STALL, |f| f.not_before);
            tokio::select! {
                update = self.updates.recv() => match update {
                    Some(Ok((event, at))) => self.on_event(event, at),
                    Some(Err(closed)) => return self.fatal(TrackerError::SubscriptionClosed(closed)),
                    None => return self.fatal(TrackerError::SubscriptionEnded),
                },
                _ = tokio::time::sleep_until(wake.into()) => {
                    if self.last_event.elapsed() >= STALL {
                        if self.has_open_work() {
                            return self.fatal(TrackerError::NoSlots { stall: STALL });
                        }
                        self.last_event = Instant::now();
                    }
                }
            }
        }
    }

    fn on_event(&mut self, event: SlotEvent, at: Instant) {
        self.last_event = at;
        if let SlotEvent::Frozen(slot) | SlotEvent::Confirmed(slot) = event {
            self.first_slot = Some(self.first_slot.map_or(slot, |f| f.min(slot)));
        }
        match event {
            SlotEvent::Frozen(slot) => {
                let frozen = *self.slots.entry(slot).or_default().frozen.get_or_insert(at);
                // The newest frozen slot is the head a payer's transaction
                // was sent at, and the slot it landed in when it did.
                let _ = self.events.send(ChainEvent::Head {
                    number: slot,
                    at: frozen,
                });
            }
            SlotEvent::Confirmed(slot) => {
                let times = self.slots.entry(slot).or_default();
                if times.confirmed.is_none() {
                    times.confirmed = Some(at);
                    if !times.fetched {
                        self.fetches.push_back(Fetch {
                            slot,
                            not_before: at,
                            attempts: 0,
                        });
                    }
                }
            }
            SlotEvent::Root(root) => self.on_root(root, at),
        }
    }

    fn on_root(&mut self, root: u64, at: Instant) {
        if self.roots.back().is_some_and(|&(r, _)| r >= root) {
            return;
        }
        self.roots.push_back((root, at));
        let still_open = self.awaiting_root.split_off(&(root + 1));
        for seq in std::mem::replace(&mut self.awaiting_root, still_open)
            .into_values()
            .flatten()
        {
            let _ = self.events.send(ChainEvent::Reached {
                seq,
                level: FINALIZED,
                at,
            });
        }
        // Slots rooted without a confirmation event we saw are fetched too,
        // and so are rooted slots none of whose events came at all (their
        // transactions would never be found, and no expiry past their
        // height could be proved).
        let previous = self.roots.iter().rev().nth(1).map(|&(r, _)| r);
        let queued: Vec<u64> = self.fetches.iter().map(|f| f.slot).collect();
        let mut fetch = Vec::new();
        for (&slot, times) in self.slots.range(..=root) {
            if !times.fetched && times.frozen.is_some() && !queued.contains(&slot) {
                fetch.push((slot, 0));
            }
        }
        if let (Some(previous), Some(first)) = (previous, self.first_slot) {
            for slot in (previous + 1).max(first)..=root {
                if !self.slots.contains_key(&slot) && !queued.contains(&slot) {
                    fetch.push((slot, FETCH_ATTEMPTS - BACKFILL_ATTEMPTS));
                }
            }
        }
        self.fetches
            .extend(fetch.into_iter().map(|(slot, attempts)| Fetch {
                slot,
                not_before: at,
                attempts,
            }));
        let keep = self.slots.split_off(&root.saturating_sub(KEEP_BEHIND_ROOT));
        self.slots = keep;
        while self.roots.len() > KEEP_BEHIND_ROOT as usize {
            self.roots.pop_front();
        }
    }

    /// When the first root at or above `slot` was seen, if one was.
    fn rooted_at(&self, slot: u64) -> Option<Instant> {
        self.roots
            .iter()
            .find(|&&(r, _)| r >= slot)
            .map(|&(_, at)| at)
    }

    async fn fetch(&mut self, mut fetch: Fetch) -> Result<(), TrackerError> {
        let slot = fetch.slot;
        let block = match fetch_block(&self.http, &self.url, slot).await? {
            Some(block) => block,
            None if fetch.attempts + 1 < FETCH_ATTEMPTS => {
                // Not available yet, or skipped: try again shortly, then give up on it.
                fetch.attempts += 1;
                fetch.not_before = Instant::now() + FETCH_RETRY;
                self.fetches.push_back(fetch);
                return Ok(());
            }
            None => return Ok(()),
        };
        let times = self.slots.entry(slot).or_default();
        times.fetched = true;
        let (frozen, confirmed) = (times.frozen, times.confirmed);
        // Without a confirmation event (rooted directly), the root's time stands in.
        let confirmed = confirmed
            .or_else(|| self.rooted_at(slot))
            .unwrap_or_else(Instant::now);
        let processed = frozen.unwrap_or(confirmed).min(confirmed);
        let rooted = self.rooted_at(slot);

        let mut ours = Vec::new();
        {
            let open = self.open.sync();
            for tx in block.transactions {
                if let Some(p) = open.remove(&tx.signature) {
                    ours.push((p.seq, tx));
                }
            }
        }
        // The run's transactions, not the slot's: its votes would be counted too.
        let _ = self.events.send(ChainEvent::Block {
            at: frozen,
            number: slot,
            txs: Some(ours.len() as u64),
            compute: Some(block.compute),
        });
        if !ours.is_empty() {
            self.landed
                .extend(ours.iter().map(|(seq, tx)| (tx.signature, *seq)));
        }
        for (seq, tx) in ours {
            let _ = self.events.send(ChainEvent::Reached {
                seq,
                level: PROCESSED,
                at: processed,
            });
            let _ = self.events.send(ChainEvent::Reached {
                seq,
                level: CONFIRMED,
                at: confirmed,
            });
            let _ = self.events.send(tx.landed(seq));
            match rooted {
                Some(at) => {
                    let _ = self.events.send(ChainEvent::Reached {
                        seq,
                        level: FINALIZED,
                        at,
                    });
                }
                None => self.awaiting_root.entry(slot).or_default().push(seq),
            }
        }
        if let Some(height) = block.height {
            let before = self.heights.through;
            self.heights.scanned(height);
            if self.heights.through > before {
                let heights = &self.heights;
                self.open.sync().retain(|_, p| {
                    let expired = heights.expired(p.last_valid_block_height);
                    if expired {
                        let _ = self.events.send(ChainEvent::Expired { seq: p.seq });
                    }
                    !expired
                });
            }
        }
        Ok(())
    }
}

/// What the tracker needs of a block.
pub(crate) struct Block {
    pub(crate) height: Option<u64>,
    /// Compute units the block's transactions consumed.
    pub(crate) compute: u64,
    pub(crate) transactions: Vec<LandedTx>,
}

pub(crate) struct LandedTx {
    pub(crate) signature: Signature,
    pub(crate) fee: u64,
    pub(crate) compute: u64,
    pub(crate) error: Option<String>,
}

impl LandedTx {
    /// The event saying that transaction `seq` landed as this one did.
    pub(crate) fn landed(self, seq: TxSeq) -> ChainEvent {
        ChainEvent::Landed {
            seq,
            success: self.error.is_none(),
            fee: self.fee.into(),
            compute: self.compute,
            error: self.error,
        }
    }
}

/// `getBlock` as far as the tracker reads it; serde skips everything else
/// without building it, which matters for blocks of thousands of transactions.
#[derive(Deserialize)]
struct BlockAnswer<'a> {
    #[serde(borrow)]
    result: Option<BlockBody<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockBody<'a> {
    block_height: Option<u64>,
    #[serde(default, borrow)]
    transactions: Vec<BlockTx<'a>>,
}

#[derive(Deserialize)]
struct BlockTx<'a> {
    /// `[base64 wire transaction, "base64"]`: base64 has nothing to
    /// unescape, so it is borrowed from the answer.
    #[serde(borrow)]
    transaction: (&'a str, IgnoredAny),
    #[serde(borrow)]
    meta: Option<TxMeta<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TxMeta<'a> {
    fee: u64,
    compute_units_consumed: Option<u64>,
    err: Option<Value>,
    /// Left unparsed unless the transaction failed: its program's last
    /// words then say why.
    #[serde(default, borrow)]
    log_messages: Option<&'a RawValue>,
}

/// A failed transaction's error with its program's last log line: the last
/// `Program log:` line when it wrote one (the program's own words), else
/// the runtime's last.
fn failure(err: &Value, logs: Option<&RawValue>) -> String {
    let lines: Vec<String> = logs
        .and_then(|l| serde_json::from_str(l.get()).ok())
        .unwrap_or_default();
    let last = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("Program log: "))
        .or(lines.last());
    match last {
        Some(line) => format!("{err}: {line}"),
        None => err.to_string(),
    }
}

/// Fetches and parses the confirmed block of `slot`; `None` when the node
/// has none (not yet available, or skipped). Parsing a block of thousands of
/// transactions takes milliseconds, so it runs off the async thread, where
/// it would delay sends and event stamps.
pub(crate) async fn fetch_block(
    http: &reqwest::Client,
    url: &str,
    slot: u64,
) -> Result<Option<Block>, TrackerError> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "getBlock", "params": [slot, {
        "encoding": "base64",
        "transactionDetails": "full",
        "rewards": false,
        "commitment": "confirmed",
        "maxSupportedTransactionVersion": 0,
    }]});
    let bytes = match async {
        http.post(url)
            .json(&body)
            .timeout(FETCH_TIMEOUT)
            .send()
            .await?
            .bytes()
            .await
    }
    .await
    {
        Ok(bytes) => bytes,
        Err(e) if e.is_timeout() => return Ok(None),
        Err(e) => {
            return Err(TrackerError::Block {
                call: format!("getBlock({slot})"),
                why: e.to_string(),
            })
        }
    };
    tokio::task::spawn_blocking(move || {
        let answer: BlockAnswer = serde_json::from_slice(&bytes).ok()?;
        let body = answer.result?;
        let mut block = Block {
            height: body.block_height,
            compute: 0,
            transactions: Vec::with_capacity(body.transactions.len()),
        };
        for tx in body.transactions {
            let meta = tx.meta;
            let compute = meta
                .as_ref()
                .and_then(|m| m.compute_units_consumed)
                .unwrap_or(0);
            block.compute += compute;
            let Some(signature) = first_signature(tx.transaction.0) else {
                continue;
            };
            block.transactions.push(LandedTx {
                signature,
                fee: meta.as_ref().map_or(0, |m| m.fee),
                compute,
                error: meta.and_then(|m| {
                    m.err
                        .filter(|e| !e.is_null())
                        .map(|e| failure(&e, m.log_messages))
                }),
            });
        }
        Some(block)
    })
    .await
    .map_err(|e| TrackerError::Block {
        call: format!("parsing getBlock({slot})"),
        why: e.to_string(),
    })
}

/// The first signature of a base64-encoded wire transaction.
fn first_signature(b64: &str) -> Option<Signature> {
    // A compact-u16 signature count (one byte below 128), then 64-byte
    // signatures: the first 88 base64 characters hold the first 66 bytes.
    let bytes = STANDARD.decode(b64.get(..88)?).ok()?;
    let count = *bytes.first()?;
    if count == 0 || count >= 0x80 {
        return None;
    }
    Signature::try_from(bytes.get(1..65)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> (Tracker, mpsc::UnboundedReceiver<ChainEvent>) {
        let (_updates_tx, updates) = mpsc::unbounded_channel();
        let (events, rx) = mpsc::unbounded_channel();
        let t = Tracker::new(
            reqwest::Client::new(),
            "http://127.0.0.1:1".into(),
            updates,
            events,
            chainmeter_core::open_set::open_set().1,
            LandedSignatures::new().unwrap(),
            0,
        );
        (t, rx)
    }

    fn finalized(rx: &mut mpsc::UnboundedReceiver<ChainEvent>) -> Vec<(TxSeq, Instant)> {
        let mut v = Vec::new();
        while let Ok(e) = rx.try_recv() {
            if let ChainEvent::Reached {
                seq,
                level: FINALIZED,
                at,
            } = e
            {
                v.push((seq, at));
            }
        }
        v
    }

    #[test]
    fn a_root_that_jumps_finalizes_every_slot_at_or_below_it_at_its_arrival() {
        let (mut t, mut rx) = tracker();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        t.awaiting_root.insert(5, vec![1]);
        t.awaiting_root.insert(7, vec![2, 3]);
        t.awaiting_root.insert(9, vec![4]);
        t.on_event(SlotEvent::Root(3), t0);
        assert!(finalized(&mut rx).is_empty());
        // Roots 4..=7 never announced: the jump to 8 finalizes 5 and 7.
        t.on_event(SlotEvent::Root(8), t0 + ms(400));
        assert_eq!(
            finalized(&mut rx),
            vec![(1, t0 + ms(400)), (2, t0 + ms(400)), (3, t0 + ms(400))]
        );
        // An older root arriving late changes nothing.
        t.on_event(SlotEvent::Root(6), t0 + ms(500));
        assert!(finalized(&mut rx).is_empty());
        assert_eq!(t.rooted_at(7), Some(t0 + ms(400)));
        assert_eq!(t.rooted_at(9), None);
        t.on_event(SlotEvent::Root(9), t0 + ms(900));
        assert_eq!(finalized(&mut rx), vec![(4, t0 + ms(900))]);
    }

    #[test]
    fn confirmed_slots_are_fetched_once_and_rooted_unconfirmed_ones_too() {
        let (mut t, _rx) = tracker();
        let t0 = Instant::now();
        t.on_event(SlotEvent::Frozen(10), t0);
        t.on_event(SlotEvent::Confirmed(10), t0);
        t.on_event(SlotEvent::Confirmed(10), t0);
        // Slot 11 froze, but its confirmation event was missed.
        t.on_event(SlotEvent::Frozen(11), t0);
        t.on_event(SlotEvent::Frozen(12), t0);
        assert_eq!(
            t.fetches.iter().map(|f| f.slot).collect::<Vec<_>>(),
            vec![10]
        );
        t.on_event(SlotEvent::Root(11), t0);
        assert_eq!(
            t.fetches.iter().map(|f| f.slot).collect::<Vec<_>>(),
            vec![10, 11],
            "a rooted slot is fetched even without its confirmation event"
        );
    }

    #[test]
    fn a_rooted_slot_none_of_whose_events_came_is_fetched_from_the_root() {
        let (mut t, _rx) = tracker();
        let t0 = Instant::now();
        let queued = |t: &Tracker| t.fetches.iter().map(|f| f.slot).collect::<Vec<_>>();
        // Slots before the first event predate the run: not fetched.
        t.on_event(SlotEvent::Frozen(20), t0);
        t.on_event(SlotEvent::Root(15), t0);
        assert_eq!(queued(&t), Vec::<u64>::new());
        t.on_event(SlotEvent::Confirmed(20), t0);
        // Slot 21: neither frozen nor confirmed came; 22 came whole.
        t.on_event(SlotEvent::Frozen(22), t0);
        t.on_event(SlotEvent::Confirmed(22), t0);
        t.on_event(SlotEvent::Root(19), t0);
        assert_eq!(queued(&t), vec![20, 22]);
        t.on_event(SlotEvent::Root(22), t0);
        assert_eq!(
            queued(&t),
            vec![20, 22, 21],
            "the missed slot from its root"
        );
        let backfill = t.fetches.iter().find(|f| f.slot == 21).unwrap();
        assert_eq!(backfill.attempts, FETCH_ATTEMPTS - BACKFILL_ATTEMPTS);
        // A later root does not queue it twice.
        t.on_event(SlotEvent::Root(23), t0);
        assert_eq!(queued(&t), vec![20, 22, 21, 23]);
    }

    #[test]
    fn expiry_waits_for_every_block_up_to_the_last_valid_height() {
        let mut h = Heights::new(100);
        // Block 103 fetched first (block 102's fetch is being retried): a
        // transaction valid through 101 might still be in 102.
        h.scanned(103);
        assert!(!h.expired(101), "judged from an out-of-order block");
        h.scanned(101);
        assert!(h.expired(100));
        assert!(!h.expired(101));
        h.scanned(102);
        assert!(h.expired(102), "101..=103 scanned in order");
        assert!(!h.expired(103));
        h.scanned(50);
        assert!(h.expired(102), "old heights change nothing");
    }

    #[test]
    fn first_signature_reads_the_wire_format() {
        let mut wire = vec![1u8];
        wire.extend([7u8; 64]);
        wire.extend([0u8; 10]);
        let sig = first_signature(&STANDARD.encode(&wire)).unwrap();
        assert_eq!(sig, Signature::from([7u8; 64]));
        assert!(first_signature("AA==").is_none());
        let mut no_sigs = vec![0u8];
        no_sigs.extend([7u8; 80]);
        assert!(first_signature(&STANDARD.encode(&no_sigs)).is_none());
    }
}
