//! Open-loop load schedules: when each transaction is meant to be sent.
//!
//! A schedule is an iterator of [`Planned`] sends, each with its intended time
//! as an offset from the start of the run. It knows nothing of the clock: the
//! runner compares those offsets with the time now and, when it is late, sends
//! at once and lets the lateness show in the latency (no coordinated omission).

use crate::scenario::{End, Load, ShapeKind};
use std::time::Duration;

/// One planned send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    /// Sequence number, from 0, unique within the run.
    pub seq: u64,
    /// Intended send time, as an offset from the start of the run.
    pub at: Duration,
    /// True for sends of the warm-up, which are excluded from the measurements.
    pub warmup: bool,
}

/// The sequence of planned sends of a [`Load`].
#[derive(Debug, Clone)]
pub struct Schedule {
    load: Load,
    rng: SplitMix64,
    seq: u64,
    next_at: Duration,
    measured: u64,
}

impl Schedule {
    /// A schedule for `load`; `seed` makes Poisson gaps reproducible.
    pub fn new(load: Load, seed: u64) -> Self {
        Self {
            load,
            rng: SplitMix64(seed),
            seq: 0,
            next_at: Duration::ZERO,
            measured: 0,
        }
    }

    /// The number of sends the schedule will plan, when it is known up front.
    pub fn len_hint(&self) -> Option<u64> {
        let warmup = (self.load.warmup.as_secs_f64() * self.load.rate.per_second()).ceil() as u64;
        match (self.load.shape, self.load.end) {
            (ShapeKind::Constant, End::After(d)) => {
                Some(warmup + (d.as_secs_f64() * self.load.rate.per_second()).ceil() as u64)
            }
            (ShapeKind::Constant, End::Count(n)) => Some(warmup + n),
            // The warm-up's Poisson arrivals are random in number.
            (ShapeKind::Poisson, End::Count(n)) if self.load.warmup.is_zero() => Some(n),
            (ShapeKind::Poisson, _) => None,
        }
    }

    /// At least as many sends as the schedule will plan, for funding: exact
    /// where [`len_hint`](Self::len_hint) is, else the mean of the random
    /// part plus a margin far beyond its spread (Poisson: 1.5x + 1,000).
    pub fn upper_bound(&self) -> u64 {
        if let Some(n) = self.len_hint() {
            return n;
        }
        let rate = self.load.rate.per_second();
        let margin = |seconds: f64| (seconds * rate * 1.5).ceil() as u64 + 1_000;
        let warmup_s = self.load.warmup.as_secs_f64();
        match self.load.end {
            End::After(d) => margin(warmup_s + d.as_secs_f64()),
            End::Count(n) => n + margin(warmup_s),
        }
    }

    fn gap(&mut self) -> Duration {
        let mean = 1.0 / self.load.rate.per_second();
        match self.load.shape {
            ShapeKind::Constant => Duration::ZERO, // computed from seq instead, so no drift
            ShapeKind::Poisson => {
                // Inverse transform of a uniform in (0, 1]: never ln(0).
                let u = 1.0 - self.rng.next_f64();
                Duration::from_secs_f64(-u.ln() * mean)
            }
        }
    }
}

impl Iterator for Schedule {
    type Item = Planned;

    fn next(&mut self) -> Option<Planned> {
        let at = match self.load.shape {
            // Multiplying instead of adding keeps a long constant schedule exact.
            ShapeKind::Constant => {
                Duration::from_secs_f64(self.seq as f64 / self.load.rate.per_second())
            }
            ShapeKind::Poisson => self.next_at,
        };
        let warmup = at < self.load.warmup;
        let done = match self.load.end {
            End::After(d) => at >= self.load.warmup + d,
            End::Count(n) => !warmup && self.measured >= n,
        };
        if done {
            return None;
        }
        if !warmup {
            self.measured += 1;
        }
        let planned = Planned {
            seq: self.seq,
            at,
            warmup,
        };
        self.seq += 1;
        self.next_at = at + self.gap();
        Some(planned)
    }
}

/// A small, fast, seedable generator (SplitMix64); statistical quality is ample
/// for inter-arrival gaps and it keeps schedules reproducible across platforms.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Rate;

    fn load(shape: ShapeKind, rate: f64, end: End, warmup: u64) -> Load {
        Load {
            shape,
            rate: Rate::new(rate).unwrap(),
            end,
            warmup: Duration::from_secs(warmup),
            drain_timeout: None,
        }
    }

    #[test]
    fn poisson_funding_bound_counts_the_warmup() {
        // 10 s of warm-up at 100 tx/s before 50 measured sends: ~1,050 sends.
        let s = Schedule::new(load(ShapeKind::Poisson, 100.0, End::Count(50), 10), 7);
        assert_eq!(s.len_hint(), None, "the warm-up's count is random");
        let planned = s.clone().count() as u64;
        assert!(
            s.upper_bound() >= planned && planned > 50,
            "{} < {planned}",
            s.upper_bound()
        );
    }

    #[test]
    fn constant_rate_spaces_sends_evenly_for_the_duration() {
        let plan: Vec<_> = Schedule::new(
            load(
                ShapeKind::Constant,
                4.0,
                End::After(Duration::from_secs(2)),
                0,
            ),
            1,
        )
        .collect();
        assert_eq!(plan.len(), 8);
        assert_eq!(plan[1].at, Duration::from_millis(250));
        assert_eq!(plan[7].at, Duration::from_millis(1750));
        assert!(plan.iter().all(|p| !p.warmup));
        assert_eq!(
            Schedule::new(
                load(
                    ShapeKind::Constant,
                    4.0,
                    End::After(Duration::from_secs(2)),
                    0
                ),
                1
            )
            .len_hint(),
            Some(8)
        );
    }

    #[test]
    fn count_excludes_warmup_sends() {
        let plan: Vec<_> =
            Schedule::new(load(ShapeKind::Constant, 10.0, End::Count(5), 1), 1).collect();
        assert_eq!(plan.iter().filter(|p| p.warmup).count(), 10);
        assert_eq!(plan.iter().filter(|p| !p.warmup).count(), 5);
        assert_eq!(plan.last().unwrap().seq, 14);
    }

    #[test]
    fn poisson_has_the_mean_rate_and_is_reproducible() {
        let l = load(ShapeKind::Poisson, 1000.0, End::Count(20_000), 0);
        let a: Vec<_> = Schedule::new(l, 7).collect();
        let b: Vec<_> = Schedule::new(l, 7).collect();
        assert_eq!(a, b);
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
        assert_ne!(a, Schedule::new(l, 8).collect::<Vec<_>>());
    }
}
