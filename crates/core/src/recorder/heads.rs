//! The chain's head over time: which block or slot was newest at any
//! instant of the run, so a transaction's block delta can be read from the
//! instants it was sent and reached each level.

use std::{
    collections::VecDeque,
    time::{Duration, Instant},
};

/// How far back the head is remembered: longer than any transaction stays
/// in flight before its last level in a run that ends (a drain's default is
/// 60 s, a Solana root about 13 s behind its slot). A transaction sent
/// before the oldest head kept has no delta rather than a wrong one.
const KEPT: Duration = Duration::from_secs(600);

/// Each new head and when it arrived, oldest first; numbers and instants
/// both increase.
#[derive(Debug, Clone, Default)]
pub(super) struct Heads {
    seen: VecDeque<(Instant, u64)>,
}

impl Heads {
    /// Head `number` arrived at `at`. A head no newer than the last one (a
    /// reorg's, or a late notification) changes nothing: the head at an
    /// instant is the newest seen by then.
    pub(super) fn arrived(&mut self, number: u64, at: Instant) {
        if let Some(&(last_at, last)) = self.seen.back() {
            if number <= last || at < last_at {
                return;
            }
        }
        self.seen.push_back((at, number));
        // The head at any instant still asked about must stay answerable:
        // the entry in force at `at - KEPT` is kept with those after it.
        let horizon = at.checked_sub(KEPT).unwrap_or(at);
        while self.seen.len() > 2 && self.seen[1].0 <= horizon {
            self.seen.pop_front();
        }
    }

    /// The newest head seen by `at`; `None` before the first one kept.
    pub(super) fn at(&self, at: Instant) -> Option<u64> {
        let after = self.seen.partition_point(|&(t, _)| t <= at);
        after.checked_sub(1).map(|i| self.seen[i].1)
    }

    /// Blocks from the head at `from` to the head at `to`, when both are known.
    pub(super) fn delta(&self, from: Instant, to: Instant) -> Option<u64> {
        Some(self.at(to)?.saturating_sub(self.at(from)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_at_an_instant_is_the_newest_arrived_by_then() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut heads = Heads::default();
        heads.arrived(10, ms(100));
        heads.arrived(11, ms(1100));
        heads.arrived(11, ms(1200)); // a repeat changes nothing
        heads.arrived(9, ms(1300)); // nor an older block
        heads.arrived(13, ms(2100));
        assert_eq!(heads.at(ms(50)), None);
        assert_eq!(heads.at(ms(100)), Some(10));
        assert_eq!(heads.at(ms(1099)), Some(10));
        assert_eq!(heads.at(ms(1100)), Some(11));
        assert_eq!(heads.at(ms(1500)), Some(11));
        assert_eq!(heads.at(ms(9000)), Some(13));
        // Sent at 500 ms (head 10), included in the block whose head arrived at 2100.
        assert_eq!(heads.delta(ms(500), ms(2100)), Some(3));
        assert_eq!(heads.delta(ms(50), ms(2100)), None);
    }

    #[test]
    fn old_heads_are_forgotten_but_the_one_in_force_is_kept() {
        let t0 = Instant::now();
        let s = |n| t0 + Duration::from_secs(n);
        let mut heads = Heads::default();
        for n in 0..=1000 {
            heads.arrived(n, s(n));
        }
        assert!(heads.seen.len() <= KEPT.as_secs() as usize + 2);
        let horizon = s(1000) - KEPT;
        assert_eq!(heads.at(horizon), Some(400));
        assert_eq!(heads.at(s(10)), None);
    }
}
