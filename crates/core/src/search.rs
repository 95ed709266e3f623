//! The saturation search: which rate to probe next, from the verdicts so
//! far, and what a probe's figures say against the objective.
//!
//! The search rises from `from` by `factor` until a probe breaks (or `to`
//! holds), then bisects between the highest rate that held and the lowest
//! that broke until they are within `resolution` of each other. A first
//! probe that breaks sends the search down by the same factor.

use crate::scenario::{Objective, Saturate};
pub use chainmeter_result::run::Verdict;

/// What a probe's measured window showed, for its verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeFigures {
    /// Measured transactions planned.
    pub sent: u64,
    /// Of them, landed (successfully or not).
    pub landed: u64,
    /// The objective level's latency at the objective's percentile,
    /// microseconds; `None` when nothing reached the level.
    pub latency_us: Option<u64>,
}

impl Objective {
    /// The verdict on a probe with `figures`.
    pub fn judge(&self, figures: &ProbeFigures) -> Verdict {
        let landed_share = if figures.sent == 0 {
            0.0
        } else {
            figures.landed as f64 / figures.sent as f64
        };
        let bound = self.latency.as_micros() as u64;
        let mut failed = Vec::new();
        if figures.sent == 0 {
            failed.push("nothing was sent".to_owned());
        } else if landed_share < self.landed {
            failed.push(format!(
                "landed {:.2}% < {:.2}%",
                landed_share * 100.0,
                self.landed * 100.0
            ));
        }
        match figures.latency_us {
            None if figures.sent > 0 => failed.push("nothing reached the level".to_owned()),
            Some(us) if us > bound => failed.push(format!(
                "p{} {:.3} s > {:.3} s",
                self.percentile,
                us as f64 / 1e6,
                bound as f64 / 1e6
            )),
            _ => {}
        }
        Verdict {
            held: failed.is_empty(),
            landed_share,
            latency_us: figures.latency_us,
            reason: if failed.is_empty() {
                "met the objective".to_owned()
            } else {
                failed.join("; ")
            },
        }
    }
}

/// Where the search stands.
#[derive(Debug, Clone)]
pub struct Search {
    from: f64,
    to: f64,
    factor: f64,
    resolution: f64,
    max_probes: u32,
    probes: u32,
    held: Option<f64>,
    broke: Option<f64>,
}

impl Search {
    /// A search as `saturate` sets it.
    pub fn new(saturate: &Saturate) -> Self {
        Self {
            from: saturate.from.per_second(),
            to: saturate.to.per_second(),
            factor: saturate.factor,
            resolution: saturate.resolution,
            max_probes: saturate.max_probes,
            probes: 0,
            held: None,
            broke: None,
        }
    }

    /// The first probe's rate.
    pub fn first(&self) -> f64 {
        self.from
    }

    /// Records that the probe at `rate` held or broke, and returns the next
    /// rate to probe, or `None` when the search is over.
    pub fn next(&mut self, rate: f64, held: bool) -> Option<f64> {
        self.probes += 1;
        if held {
            self.held = Some(self.held.map_or(rate, |h| h.max(rate)));
        } else {
            self.broke = Some(self.broke.map_or(rate, |b| b.min(rate)));
        }
        if self.probes >= self.max_probes {
            return None;
        }
        match (self.held, self.broke) {
            (Some(h), None) if h >= self.to => None,
            (Some(h), None) => Some((h * self.factor).min(self.to)),
            // Nothing held yet: go down; below a transaction a second there is nothing to find.
            (None, Some(b)) => Some(b / self.factor).filter(|&r| r >= 1.0),
            (Some(h), Some(b)) if (b - h) / h <= self.resolution => None,
            (Some(h), Some(b)) => Some((h + b) / 2.0),
            (None, None) => unreachable!("the probe just recorded held or broke"),
        }
    }

    /// The highest rate that held, if any did.
    pub fn knee(&self) -> Option<f64> {
        self.held
    }

    /// What the probes so far establish about the knee: a knee within
    /// `resolution`, a lower bound (no probe broke: `to` held, or the probes
    /// ran out while rising), or a bracket wider than `resolution` (the
    /// probes ran out mid-bisection); `None` when no probe held.
    pub fn bound(&self) -> Option<KneeBound> {
        let held = self.held?;
        Some(match self.broke {
            None => KneeBound::AtLeast,
            Some(b) if (b - held) / held <= self.resolution => KneeBound::Found,
            Some(b) => KneeBound::Between { broke_per_s: b },
        })
    }
}

/// What a search's probes establish about the knee.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KneeBound {
    /// The highest rate that held and the lowest that broke are within the
    /// search's resolution: the knee.
    Found,
    /// No probe broke: the knee is at least the highest rate that held.
    AtLeast,
    /// The probes ran out before the bracket narrowed to the resolution:
    /// the knee lies between the highest rate that held and this one.
    Between {
        /// The lowest rate that broke.
        broke_per_s: f64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Rate;
    use std::time::Duration;

    fn saturate(from: f64, to: f64) -> Saturate {
        Saturate {
            from: Rate::new(from).unwrap(),
            to: Rate::new(to).unwrap(),
            factor: 1.5,
            resolution: 0.05,
            probe: Duration::from_secs(10),
            probe_warmup: Duration::from_secs(2),
            max_probes: 12,
            objective: Objective {
                landed: 0.99,
                level: None,
                percentile: 99.0,
                latency: Duration::from_secs(2),
            },
        }
    }

    /// Runs the search against a chain that holds up to `capacity`.
    fn search(s: &Saturate, capacity: f64) -> (Option<f64>, Vec<f64>) {
        let mut search = Search::new(s);
        let mut rate = Some(search.first());
        let mut probed = Vec::new();
        while let Some(r) = rate {
            probed.push(r);
            rate = search.next(r, r <= capacity);
        }
        (search.knee(), probed)
    }

    #[test]
    fn rises_then_bisects_to_within_the_resolution() {
        let (knee, probed) = search(&saturate(500.0, 10_000.0), 1_428.0);
        let knee = knee.unwrap();
        assert!(
            (1_428.0 / 1.05..=1_428.0).contains(&knee),
            "{knee} {probed:?}"
        );
        assert_eq!(&probed[..4], &[500.0, 750.0, 1125.0, 1687.5]);
        assert!(probed.len() <= 12);
    }

    #[test]
    fn a_first_probe_that_breaks_goes_down_and_a_held_cap_stops() {
        let (knee, probed) = search(&saturate(3_000.0, 10_000.0), 1_000.0);
        assert_eq!(probed[1], 2_000.0);
        assert!(knee.unwrap() >= 1_000.0 / 1.05);
        let s = saturate(500.0, 900.0);
        let mut search = Search::new(&s);
        assert_eq!(search.next(500.0, true), Some(750.0));
        assert_eq!(search.next(750.0, true), Some(900.0));
        assert_eq!(search.next(900.0, true), None);
        assert_eq!(search.bound(), Some(KneeBound::AtLeast));
    }

    #[test]
    fn probes_that_run_out_give_a_lower_bound_or_a_bracket_never_a_knee() {
        // Rising: 100, 150, ... six probes all held, far below `to`.
        let mut s = saturate(100.0, 50_000.0);
        s.max_probes = 6;
        let (knee, probed) = search(&s, 1_428.0);
        assert_eq!(probed.len(), 6);
        let mut run = Search::new(&s);
        for &r in &probed {
            run.next(r, r <= 1_428.0);
        }
        assert!(knee.unwrap() < 1_428.0);
        assert_eq!(run.bound(), Some(KneeBound::AtLeast));
        // Broke once, ran out mid-bisection: a bracket wider than 5%.
        s.max_probes = 8;
        let mut run = Search::new(&s);
        let mut rate = Some(run.first());
        while let Some(r) = rate {
            rate = run.next(r, r <= 1_428.0);
        }
        let Some(KneeBound::Between { broke_per_s }) = run.bound() else {
            panic!("{:?}", run.bound());
        };
        assert!(broke_per_s > 1_428.0 && run.knee().unwrap() <= 1_428.0);
        // Given probes enough, the bracket closes: a knee.
        s.max_probes = 20;
        let mut run = Search::new(&s);
        let mut rate = Some(run.first());
        while let Some(r) = rate {
            rate = run.next(r, r <= 1_428.0);
        }
        assert_eq!(run.bound(), Some(KneeBound::Found));
    }

    #[test]
    fn the_verdict_names_what_failed() {
        let o = saturate(1.0, 2.0).objective;
        let v = o.judge(&ProbeFigures {
            sent: 1000,
            landed: 980,
            latency_us: Some(2_500_000),
        });
        assert!(!v.held);
        assert_eq!(v.reason, "landed 98.00% < 99.00%; p99 2.500 s > 2.000 s");
        let v = o.judge(&ProbeFigures {
            sent: 1000,
            landed: 1000,
            latency_us: Some(900_000),
        });
        assert!(v.held, "{}", v.reason);
    }
}
