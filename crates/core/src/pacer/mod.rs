//! The one place that decides what the load does next.
//!
//! A [`Pacer`] turns the scenario's profile into schedule segments, each
//! step or probe a [`Stage`] with its own measured window. For a saturation
//! search it is also where the run's figures come back: when a probe's
//! sends are done and its transactions have settled, the runner hands it
//! the probe's figures ([`Pacer::judge`]), and it picks the next rate or
//! ends the search.

use crate::{
    level::Level,
    scenario::{End, Load, Profile, Saturate, ShapeKind},
    schedule::{Planned, Schedule, Segment, SegmentEnd},
    search::{KneeBound, ProbeFigures, Search, Verdict},
};
pub use chainmeter_result::run::StageKind;
use std::{collections::VecDeque, time::Duration};

/// A step or a probe: a stretch of the run reported on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// What it is.
    pub kind: StageKind,
    /// Its offered rate, transactions per second.
    pub rate: f64,
    /// Its measured window, as offsets from the start of the run (a
    /// probe's warm-up comes before).
    pub window: (Duration, Duration),
    /// A probe's verdict, once judged.
    pub verdict: Option<Verdict>,
}

impl Stage {
    /// `step 2: 1000 tx/s`, `probe 3: 1125 tx/s`.
    pub fn label(&self, index: usize) -> String {
        let kind = match self.kind {
            StageKind::Step => "step",
            StageKind::Probe => "probe",
        };
        format!("{kind} {}: {:.0} tx/s", index + 1, self.rate)
    }
}

/// Decides the sends, stage by stage.
#[derive(Debug)]
pub struct Pacer {
    schedule: Schedule,
    stages: Vec<Stage>,
    search: Option<(Search, Saturate)>,
    /// The probe whose sends are planned to the end, waiting for its verdict.
    awaiting: Option<u32>,
    /// The measured window's start, and its end when known in advance.
    window: (Duration, Option<Duration>),
    /// A constant rate ending after a count: the window ends one interval
    /// after the last send.
    count_interval: Option<Duration>,
    /// A closed loop, in place of the schedule.
    closed: Option<Closed>,
}

/// A closed loop's state: when each free slot was freed.
#[derive(Debug)]
struct Closed {
    wait_for: Option<Level>,
    end: End,
    warmup: Duration,
    /// Slots free to send, each with when it was freed: its send's intended time.
    free: VecDeque<Duration>,
    seq: u64,
    measured: u64,
    /// No more sends: the end was reached, or the loop was stopped.
    done: bool,
}

impl Closed {
    fn peek(&mut self) -> Option<Planned> {
        if self.done {
            return None;
        }
        let at = *self.free.front()?;
        let warmup = at < self.warmup;
        let over = match self.end {
            End::After(d) => at >= self.warmup + d,
            End::Count(n) => !warmup && self.measured >= n,
        };
        if over {
            self.done = true;
            return None;
        }
        Some(Planned {
            seq: self.seq,
            at,
            warmup,
            stage: None,
        })
    }
}

impl Pacer {
    /// A pacer for `load`; `seed` makes Poisson arrivals reproducible.
    pub fn new(load: &Load, seed: u64) -> Self {
        let mut p = Self {
            schedule: Schedule::new(load.shape, seed),
            stages: Vec::new(),
            search: None,
            awaiting: None,
            window: (load.warmup, None),
            count_interval: None,
            closed: None,
        };
        if let Profile::Closed {
            concurrency,
            wait_for,
            end,
        } = &load.profile
        {
            if let End::After(d) = end {
                p.window.1 = Some(load.warmup + *d);
            }
            p.closed = Some(Closed {
                wait_for: *wait_for,
                end: *end,
                warmup: load.warmup,
                free: std::iter::repeat_n(Duration::ZERO, *concurrency as usize).collect(),
                seq: 0,
                measured: 0,
                done: false,
            });
            return p;
        }
        let start_rate = load.profile.starting_rate().per_second();
        if !load.warmup.is_zero() {
            p.schedule.push(Segment {
                start: Duration::ZERO,
                end: SegmentEnd::After(load.warmup),
                from: start_rate,
                to: start_rate,
                warmup: true,
                stage: None,
            });
        }
        let at = load.warmup;
        let plain = |end, from: f64, to: f64| Segment {
            start: at,
            end,
            from,
            to,
            warmup: false,
            stage: None,
        };
        match &load.profile {
            Profile::Constant { rate, end } => {
                let r = rate.per_second();
                match end {
                    End::After(d) => {
                        p.schedule.push(plain(SegmentEnd::After(*d), r, r));
                        p.window.1 = Some(at + *d);
                    }
                    End::Count(n) => {
                        p.schedule.push(plain(SegmentEnd::Count(*n), r, r));
                        p.count_interval = Some(rate.interval());
                    }
                }
            }
            Profile::Ramp { from, to, over } => {
                p.schedule.push(plain(
                    SegmentEnd::After(*over),
                    from.per_second(),
                    to.per_second(),
                ));
                p.window.1 = Some(at + *over);
            }
            Profile::Steps { rates, step } => {
                let mut start = at;
                for rate in rates {
                    let r = rate.per_second();
                    let stage = p.stages.len() as u32;
                    p.schedule.push(Segment {
                        start,
                        end: SegmentEnd::After(*step),
                        from: r,
                        to: r,
                        warmup: false,
                        stage: Some(stage),
                    });
                    p.stages.push(Stage {
                        kind: StageKind::Step,
                        rate: r,
                        window: (start, start + *step),
                        verdict: None,
                    });
                    start += *step;
                }
                p.window.1 = Some(start);
            }
            Profile::Saturate(s) => {
                let search = Search::new(s);
                let first = search.first();
                p.search = Some((search, s.clone()));
                p.probe(at, first);
            }
            Profile::Closed { .. } => unreachable!("a closed loop returned above"),
        }
        p
    }

    /// Plans a probe at `rate` from `at`: its warm-up, then its window.
    fn probe(&mut self, at: Duration, rate: f64) {
        let Some((_, s)) = &self.search else { return };
        let (warmup, length) = (s.probe_warmup, s.probe);
        let stage = self.stages.len() as u32;
        if !warmup.is_zero() {
            self.schedule.push(Segment {
                start: at,
                end: SegmentEnd::After(warmup),
                from: rate,
                to: rate,
                warmup: true,
                stage: Some(stage),
            });
        }
        let start = at + warmup;
        self.schedule.push(Segment {
            start,
            end: SegmentEnd::After(length),
            from: rate,
            to: rate,
            warmup: false,
            stage: Some(stage),
        });
        self.stages.push(Stage {
            kind: StageKind::Probe,
            rate,
            window: (start, start + length),
            verdict: None,
        });
        self.awaiting = Some(stage);
    }

    /// The next planned send, without taking it.
    pub fn peek(&mut self) -> Option<Planned> {
        match &mut self.closed {
            Some(c) => c.peek(),
            None => self.schedule.peek().copied(),
        }
    }

    /// Takes the next planned send if `due` says so.
    pub fn next_if(&mut self, due: impl FnOnce(&Planned) -> bool) -> Option<Planned> {
        let Some(c) = &mut self.closed else {
            return self.schedule.next_if(due);
        };
        let p = c.peek().filter(|p| due(p))?;
        c.free.pop_front();
        c.seq += 1;
        if !p.warmup {
            c.measured += 1;
        }
        Some(p)
    }

    /// A closed loop's level to wait for (`Some(None)`: the weakest
    /// recorded); `None` when the load is open loop.
    pub fn closed_loop(&self) -> Option<Option<Level>> {
        self.closed.as_ref().map(|c| c.wait_for)
    }

    /// A closed loop's transaction is done with, at `at`: its slot is free.
    pub fn release(&mut self, at: Duration) {
        if let Some(c) = &mut self.closed {
            c.free.push_back(at);
        }
    }

    /// Plans no more sends (a closed loop whose transactions stopped coming back).
    pub fn stop(&mut self) {
        if let Some(c) = &mut self.closed {
            c.done = true;
        }
    }

    /// A closed loop is waiting for a slot to free: nothing to send now, but not finished.
    pub fn waiting(&mut self) -> bool {
        self.closed
            .as_mut()
            .is_some_and(|c| !c.done && c.free.is_empty())
    }

    /// The probe whose sends are all planned and which waits for its
    /// verdict, if any.
    pub fn awaiting(&mut self) -> Option<u32> {
        if self.schedule.peek().is_some() {
            return None;
        }
        self.awaiting
    }

    /// Judges the awaited probe on `figures` and, unless the search is
    /// over, plans the next probe from `now`.
    pub fn judge(&mut self, now: Duration, figures: &ProbeFigures) {
        let Some(stage) = self.awaiting.take() else {
            return;
        };
        let Some((search, s)) = &mut self.search else {
            return;
        };
        let verdict = s.objective.judge(figures);
        let probe = &mut self.stages[stage as usize];
        let next = search.next(probe.rate, verdict.held);
        probe.verdict = Some(verdict);
        if let Some(rate) = next {
            self.probe(now, rate);
        }
    }

    /// No sends are left and no verdict is due.
    pub fn finished(&mut self) -> bool {
        if self.closed.is_some() {
            return self.peek().is_none() && !self.waiting();
        }
        self.schedule.peek().is_none() && self.awaiting.is_none()
    }

    /// The stages planned so far, in order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The stage sending at `now`, if the profile has stages.
    pub fn current(&self, now: Duration) -> Option<(usize, &Stage)> {
        self.stages
            .iter()
            .enumerate()
            .rev()
            .find(|(_, s)| s.window.0 <= now || s.kind == StageKind::Probe)
    }

    /// The measured window, given the last send's planned time.
    pub fn window(&self, last_planned: Duration) -> (Duration, Duration) {
        let end = match (self.window.1, self.count_interval, self.stages.last()) {
            (Some(end), ..) => end,
            (None, Some(interval), _) => last_planned + interval,
            (None, None, Some(last)) => last.window.1,
            (None, None, None) => last_planned,
        };
        (self.window.0, end.max(self.window.0))
    }

    /// The saturation search's answer: the index of the highest probe that
    /// held, and what the probes establish about the knee; `None` for other
    /// profiles or when no probe held.
    pub fn knee(&self) -> Option<(usize, KneeBound)> {
        let (search, _) = self.search.as_ref()?;
        let rate = search.knee()?;
        let index = self
            .stages
            .iter()
            .position(|s| s.rate == rate && s.verdict.as_ref().is_some_and(|v| v.held))?;
        Some((index, search.bound()?))
    }
}

/// How many sends a load plans: exactly, when that is known up front, and
/// at least (for funding): for Poisson arrivals, the mean plus a margin far
/// beyond its spread (1.5x + 1,000); for a search, every probe at the
/// highest rate.
pub fn planned_sends(load: &Load) -> (Option<u64>, u64) {
    let start = load.profile.starting_rate().per_second();
    let mut sends = start * load.warmup.as_secs_f64();
    let mut exact = load.shape == ShapeKind::Constant;
    if let Profile::Closed {
        end, concurrency, ..
    } = &load.profile
    {
        // The chain sets the pace. For funding, assume no round trip is
        // quicker than 50 ms: 20 a second per slot.
        let per_s = 20.0 * f64::from(*concurrency);
        let warmup = per_s * load.warmup.as_secs_f64();
        let bound = match end {
            End::Count(n) => *n as f64 + warmup,
            End::After(d) => per_s * d.as_secs_f64() + warmup,
        };
        return (None, bound.ceil() as u64 + 1_000);
    }
    match &load.profile {
        Profile::Constant { rate, end } => match end {
            End::After(d) => sends += rate.per_second() * d.as_secs_f64(),
            End::Count(n) => sends += *n as f64,
        },
        Profile::Ramp { from, to, over } => {
            sends += (from.per_second() + to.per_second()) / 2.0 * over.as_secs_f64();
        }
        Profile::Steps { rates, step } => {
            sends += rates.iter().map(|r| r.per_second()).sum::<f64>() * step.as_secs_f64();
        }
        Profile::Saturate(s) => {
            exact = false;
            sends += f64::from(s.max_probes)
                * s.to.per_second()
                * (s.probe + s.probe_warmup).as_secs_f64();
        }
        Profile::Closed { .. } => unreachable!("a closed loop returned above"),
    }
    match (exact, &load.profile) {
        // Each segment's count rounds up on its own.
        (true, _) => {
            let mut p = Pacer::new(load, 0);
            let n = std::iter::from_fn(|| p.next_if(|_| true)).count() as u64;
            (Some(n), n)
        }
        (false, Profile::Saturate(_)) => (None, sends.ceil() as u64),
        (false, _) => (None, (sends * 1.5).ceil() as u64 + 1_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Objective, Rate};

    fn load(profile: Profile, warmup: u64) -> Load {
        Load {
            shape: ShapeKind::Constant,
            profile,
            warmup: Duration::from_secs(warmup),
            coalesce: Duration::ZERO,
            drain_timeout: None,
        }
    }

    fn rate(r: f64) -> Rate {
        Rate::new(r).unwrap()
    }

    #[test]
    fn steps_are_stages_whose_sends_add_up() {
        let l = load(
            Profile::Steps {
                rates: vec![rate(10.0), rate(20.0), rate(5.0)],
                step: Duration::from_secs(2),
            },
            1,
        );
        let mut p = Pacer::new(&l, 1);
        let plan: Vec<_> = std::iter::from_fn(|| p.next_if(|_| true)).collect();
        let per_stage = |s: u32| plan.iter().filter(|x| x.stage == Some(s)).count();
        assert_eq!(plan.iter().filter(|x| x.warmup).count(), 10);
        assert_eq!((per_stage(0), per_stage(1), per_stage(2)), (20, 40, 10));
        assert_eq!(
            p.stages()[1].window,
            (Duration::from_secs(3), Duration::from_secs(5))
        );
        assert_eq!(
            p.window(Duration::ZERO),
            (Duration::from_secs(1), Duration::from_secs(7))
        );
        assert!(p.finished());
        assert_eq!(planned_sends(&l), (Some(80), 80));
    }

    #[test]
    fn a_search_plans_each_probe_after_the_verdict_on_the_last() {
        let l = load(
            Profile::Saturate(Saturate {
                from: rate(100.0),
                to: rate(1000.0),
                factor: 2.0,
                resolution: 0.1,
                probe: Duration::from_secs(2),
                probe_warmup: Duration::from_secs(1),
                max_probes: 5,
                objective: Objective {
                    landed: 0.99,
                    level: None,
                    percentile: 99.0,
                    latency: Duration::from_secs(2),
                },
            }),
            0,
        );
        let mut p = Pacer::new(&l, 1);
        let first: Vec<_> = std::iter::from_fn(|| p.next_if(|_| true)).collect();
        assert_eq!(first.len(), 300);
        assert_eq!(first.iter().filter(|x| x.warmup).count(), 100);
        assert!(!p.finished());
        assert_eq!(p.awaiting(), Some(0));
        p.judge(
            Duration::from_secs(10),
            &ProbeFigures {
                sent: 200,
                landed: 200,
                latency_us: Some(500_000),
            },
        );
        let next = p.peek().unwrap();
        assert_eq!(next.at, Duration::from_secs(10));
        assert_eq!(next.stage, Some(1));
        assert_eq!(p.stages()[1].rate, 200.0);
        assert!(p.stages()[0].verdict.as_ref().unwrap().held);
        let second: Vec<_> = std::iter::from_fn(|| p.next_if(|_| true)).collect();
        assert_eq!(second.len(), 600);
        p.judge(
            Duration::from_secs(20),
            &ProbeFigures {
                sent: 400,
                landed: 300,
                latency_us: Some(500_000),
            },
        );
        // 100 held, 200 broke: bisect at 150.
        assert_eq!(p.stages()[2].rate, 150.0);
        assert_eq!(
            p.knee(),
            Some((0, KneeBound::Between { broke_per_s: 200.0 }))
        );
    }
}
