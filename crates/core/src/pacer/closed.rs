//! A closed loop: a fixed number of transactions in flight, each followed by
//! the next once it is done with.

use super::{ClosedLoopSummary, Feedback, Observed, Plans, ProfileFigures};
use crate::{chain::TxSeq, scenario::End, schedule::Planned};
use chainmeter_result::level::Level;
use std::{collections::HashSet, time::Duration};

/// What a closed loop is asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slots {
    /// Transactions in flight at once.
    pub(crate) concurrency: u32,
    /// The level at which a transaction is done with.
    pub(crate) watch: Level,
    /// The level the scenario named (`None`: the weakest recorded, `watch`).
    pub(crate) wait_for: Option<Level>,
    /// When it ends.
    pub(crate) end: End,
    /// The warm-up before the measured window.
    pub(crate) warmup: Duration,
    /// How long it waits for a transaction to come back before it gives up.
    pub(crate) patience: Duration,
}

/// A closed loop's transactions in flight. Each frees its slot when the
/// runner learns it reached the level, or was refused, timed out or
/// expired, and the slot's next send is planned at that moment: its intended
/// time. A slot frees when the runner learns of it, not at the level's own
/// time: a tracker that learns late (Solana's processed comes with the
/// confirmed block) would otherwise book the wait as the next one's latency.
#[derive(Debug)]
pub(crate) struct ClosedLoop {
    slots: Slots,
    open: HashSet<TxSeq>,
    seq: u64,
    measured: u64,
    last_release: Duration,
    /// No more sends: the end was reached, or the loop gave up.
    done: bool,
}

impl ClosedLoop {
    /// A loop with every slot's first send planned at once.
    pub(crate) fn new(plans: &mut Plans, slots: Slots) -> Self {
        let mut c = Self {
            slots,
            open: HashSet::new(),
            seq: 0,
            measured: 0,
            last_release: Duration::ZERO,
            done: false,
        };
        for _ in 0..slots.concurrency {
            c.plan(plans, Duration::ZERO);
        }
        c
    }

    /// Plans a send at `at` for a free slot, unless the loop is over.
    fn plan(&mut self, plans: &mut Plans, at: Duration) {
        if self.done {
            return;
        }
        let warmup = at < self.slots.warmup;
        let over = match self.slots.end {
            End::After(d) => at >= self.slots.warmup + d,
            End::Count(n) => !warmup && self.measured >= n,
        };
        if over {
            self.done = true;
            return;
        }
        plans.singles.push_back(Planned {
            seq: self.seq,
            at,
            warmup,
            stage: None,
        });
        self.open.insert(self.seq);
        self.seq += 1;
        if !warmup {
            self.measured += 1;
        }
    }

    fn release(&mut self, plans: &mut Plans, seq: TxSeq, now: Duration) {
        if self.open.remove(&seq) {
            self.last_release = now;
            self.plan(plans, now);
        }
    }
}

impl Feedback for ClosedLoop {
    fn observe(&mut self, plans: &mut Plans, now: Duration, observed: &Observed<'_>) {
        match *observed {
            Observed::Reached { seq, level } if level == self.slots.watch => {
                self.release(plans, seq, now)
            }
            // A send that timed out may still land and is tracked as ever,
            // but holding its slot until it provably expired (a minute on
            // Solana) would run the loop below its concurrency.
            Observed::Failed { seq } => self.release(plans, seq, now),
            // Transactions that never come back would hold their slots forever.
            Observed::Time
                if !self.done
                    && plans.singles.is_empty()
                    && now >= self.last_release + self.slots.patience =>
            {
                self.done = true;
            }
            _ => {}
        }
    }

    fn open(&self) -> bool {
        !self.done
    }

    fn figures(&self, _plans: &Plans) -> ProfileFigures {
        ProfileFigures {
            closed_loop: Some(ClosedLoopSummary {
                concurrency: self.slots.concurrency,
                wait_for: self.slots.wait_for,
            }),
            ..ProfileFigures::default()
        }
    }
}
