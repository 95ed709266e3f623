//! Open-loop arrivals: when each transaction is meant to be sent.
//!
//! A schedule is a queue of [`Segment`]s, stretches of time over which the
//! offered rate goes linearly from one value to another (a constant rate is
//! a segment whose two rates are equal). Within a segment, arrivals are
//! spaced evenly or as a Poisson process in "count space" (the expected
//! number of sends since the segment began), then mapped to time through
//! the segment's rate, so a ramp's arrivals follow its rate exactly.
//!
//! A schedule knows nothing of the clock: the runner compares the planned
//! offsets with the time now and, when it is late, sends at once and lets
//! the lateness show in the latency (no coordinated omission).

use crate::scenario::ShapeKind;
use chainmeter_result::rng::SplitMix64;
use std::{collections::VecDeque, time::Duration};

/// One planned send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    /// Sequence number, from 0, unique within the run.
    pub seq: u64,
    /// Intended send time, as an offset from the start of the run.
    pub at: Duration,
    /// True for sends of a warm-up, which are excluded from the measurements.
    pub warmup: bool,
    /// The step or probe it belongs to, if the profile has them.
    pub stage: Option<u32>,
}

/// Where a segment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentEnd {
    /// After this long.
    After(Duration),
    /// After this many sends (only for a constant rate).
    Count(u64),
}

/// A stretch of the schedule over which the rate goes linearly from `from`
/// to `to` (transactions per second, both greater than 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Its start, as an offset from the start of the run.
    pub start: Duration,
    /// Its end.
    pub end: SegmentEnd,
    /// The rate at its start.
    pub from: f64,
    /// The rate at its end.
    pub to: f64,
    /// Its sends are a warm-up.
    pub warmup: bool,
    /// The step or probe it belongs to.
    pub stage: Option<u32>,
}

impl Segment {
    /// The offset into the segment of count-space position `u`, or `None`
    /// past its end: the time `t` at which `from t + (to - from) t^2 / 2T = u`.
    fn time_of(&self, u: f64, index: u64) -> Option<Duration> {
        let t = match self.end {
            SegmentEnd::Count(n) => (index < n).then(|| u / self.from)?,
            SegmentEnd::After(length) => {
                let len = length.as_secs_f64();
                let slope = (self.to - self.from) / len;
                let t = if slope.abs() < 1e-12 {
                    u / self.from
                } else {
                    // The root of slope/2 t^2 + from t - u = 0 that grows with u.
                    let disc = self.from * self.from + 2.0 * slope * u;
                    if disc < 0.0 {
                        return None;
                    }
                    (disc.sqrt() - self.from) / slope
                };
                (t < len).then_some(t)?
            }
        };
        Some(Duration::from_secs_f64(t))
    }

    /// Sends the segment plans: exact for a constant rate or a count, the
    /// mean for Poisson arrivals over a duration.
    pub fn expected_sends(&self) -> f64 {
        match self.end {
            SegmentEnd::Count(n) => n as f64,
            SegmentEnd::After(d) => (self.from + self.to) / 2.0 * d.as_secs_f64(),
        }
    }

    /// Its length, when it ends after a duration.
    pub fn length(&self) -> Option<Duration> {
        match self.end {
            SegmentEnd::After(d) => Some(d),
            SegmentEnd::Count(_) => None,
        }
    }
}

/// Planned sends over a queue of segments.
#[derive(Debug, Clone)]
pub struct Schedule {
    shape: ShapeKind,
    rng: SplitMix64,
    seq: u64,
    segments: VecDeque<Segment>,
    /// The segment being walked, with the count-space position and index of its next send.
    current: Option<(Segment, f64, u64)>,
    peeked: Option<Planned>,
}

impl Schedule {
    /// An empty schedule with `shape` arrivals; `seed` makes Poisson gaps reproducible.
    pub fn new(shape: ShapeKind, seed: u64) -> Self {
        Self {
            shape,
            rng: SplitMix64::new(seed),
            seq: 0,
            segments: VecDeque::new(),
            current: None,
            peeked: None,
        }
    }

    /// Adds a segment after those queued.
    pub fn push(&mut self, segment: Segment) {
        self.segments.push_back(segment);
    }

    /// The next planned send, without taking it.
    pub fn peek(&mut self) -> Option<&Planned> {
        if self.peeked.is_none() {
            self.peeked = self.advance();
        }
        self.peeked.as_ref()
    }

    /// Takes the next planned send if `due` says so.
    pub fn next_if(&mut self, due: impl FnOnce(&Planned) -> bool) -> Option<Planned> {
        match self.peek() {
            Some(p) if due(p) => self.peeked.take(),
            _ => None,
        }
    }

    fn gap(&mut self) -> f64 {
        match self.shape {
            ShapeKind::Constant => 1.0,
            // Inverse transform of a uniform in (0, 1]: never ln(0).
            ShapeKind::Poisson => -(1.0 - self.rng.next_f64()).ln(),
        }
    }

    fn advance(&mut self) -> Option<Planned> {
        loop {
            if self.current.is_none() {
                self.current = Some((self.segments.pop_front()?, 0.0, 0));
            }
            let (segment, u, index) = self.current.expect("a segment is being walked");
            let Some(offset) = segment.time_of(u, index) else {
                self.current = None;
                continue;
            };
            let gap = self.gap();
            self.current = Some((segment, u + gap, index + 1));
            let planned = Planned {
                seq: self.seq,
                at: segment.start + offset,
                warmup: segment.warmup,
                stage: segment.stage,
            };
            self.seq += 1;
            return Some(planned);
        }
    }
}

impl Iterator for Schedule {
    type Item = Planned;

    fn next(&mut self) -> Option<Planned> {
        self.peek();
        self.peeked.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start: u64, end: SegmentEnd, from: f64, to: f64) -> Segment {
        Segment {
            start: Duration::from_secs(start),
            end,
            from,
            to,
            warmup: false,
            stage: None,
        }
    }

    fn after(s: u64) -> SegmentEnd {
        SegmentEnd::After(Duration::from_secs(s))
    }

    fn schedule(shape: ShapeKind, seed: u64, segments: &[Segment]) -> Vec<Planned> {
        let mut s = Schedule::new(shape, seed);
        for &seg in segments {
            s.push(seg);
        }
        s.collect()
    }

    #[test]
    fn constant_rate_spaces_sends_evenly_for_the_duration() {
        let plan = schedule(ShapeKind::Constant, 1, &[segment(0, after(2), 4.0, 4.0)]);
        assert_eq!(plan.len(), 8);
        assert_eq!(plan[1].at, Duration::from_millis(250));
        assert_eq!(plan[7].at, Duration::from_millis(1750));
    }

    #[test]
    fn a_count_segment_plans_exactly_its_count_after_the_one_before() {
        let mut warm = segment(0, after(1), 10.0, 10.0);
        warm.warmup = true;
        let plan = schedule(
            ShapeKind::Constant,
            1,
            &[warm, segment(1, SegmentEnd::Count(5), 10.0, 10.0)],
        );
        assert_eq!(plan.iter().filter(|p| p.warmup).count(), 10);
        assert_eq!(plan.iter().filter(|p| !p.warmup).count(), 5);
        assert_eq!(plan.last().unwrap().seq, 14);
        assert_eq!(plan[10].at, Duration::from_secs(1));
    }

    #[test]
    fn a_ramp_offers_its_rate_in_every_second() {
        // 100 to 1,100 tx/s over 10 s: second k offers 150 + 100 k.
        for shape in [ShapeKind::Constant, ShapeKind::Poisson] {
            let plan = schedule(shape, 3, &[segment(0, after(10), 100.0, 1100.0)]);
            let mut per_s = [0u32; 10];
            for p in &plan {
                per_s[p.at.as_secs() as usize] += 1;
            }
            for (k, &n) in per_s.iter().enumerate() {
                let want = 150.0 + 100.0 * k as f64;
                // Poisson's spread: a few standard deviations (sqrt(n)).
                let slack = if shape == ShapeKind::Constant {
                    1.0
                } else {
                    4.0 * want.sqrt()
                };
                assert!(
                    (f64::from(n) - want).abs() <= slack,
                    "{shape:?} second {k}: {n} vs {want}"
                );
            }
            if shape == ShapeKind::Constant {
                assert_eq!(plan.len(), 6_000);
            }
        }
    }

    #[test]
    fn a_ramp_down_mirrors_a_ramp_up() {
        let plan = schedule(
            ShapeKind::Constant,
            1,
            &[segment(0, after(10), 1100.0, 100.0)],
        );
        assert_eq!(plan.len(), 6_000);
        let first_s = plan.iter().filter(|p| p.at.as_secs() == 0).count();
        assert_eq!(first_s, 1_050);
    }

    #[test]
    fn poisson_has_the_mean_rate_and_is_reproducible() {
        let seg = [segment(0, SegmentEnd::Count(20_000), 1000.0, 1000.0)];
        let a = schedule(ShapeKind::Poisson, 7, &seg);
        assert_eq!(a, schedule(ShapeKind::Poisson, 7, &seg));
        let span = a.last().unwrap().at.as_secs_f64();
        let rate = a.len() as f64 / span;
        assert!((rate - 1000.0).abs() < 30.0, "rate {rate}");
        // Exponential gaps: the coefficient of variation is about 1.
        let gaps: Vec<f64> = a
            .windows(2)
            .map(|w| (w[1].at - w[0].at).as_secs_f64())
            .collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64).sqrt();
        assert!((sd / mean - 1.0).abs() < 0.05, "cv {}", sd / mean);
        assert_ne!(a, schedule(ShapeKind::Poisson, 8, &seg));
    }

    #[test]
    fn segments_pushed_later_continue_the_sequence() {
        let mut s = Schedule::new(ShapeKind::Constant, 1);
        s.push(segment(0, after(1), 2.0, 2.0));
        assert_eq!(s.by_ref().count(), 2);
        assert!(s.peek().is_none());
        let mut probe = segment(5, after(1), 3.0, 3.0);
        probe.stage = Some(1);
        s.push(probe);
        let rest: Vec<_> = s.collect();
        assert_eq!(rest.len(), 3);
        assert_eq!(rest[0].seq, 2);
        assert_eq!(rest[0].at, Duration::from_secs(5));
        assert_eq!(rest[0].stage, Some(1));
    }
}
