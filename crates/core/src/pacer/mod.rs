//! The one place that decides what the load does next.
//!
//! A [`Pacer`] turns the scenario's profile into planned sends: schedule
//! segments (each step or probe a [`Stage`] with its own measured window),
//! or sends planned one at a time. A profile that adapts to the chain is a
//! [`Feedback`]: everything the runner observes comes to the pacer through
//! one call, [`Pacer::observe`], and goes on to the profile's feedback, which
//! plans into the pacer's [`Plans`]. A saturation search (`saturate`) judges
//! each probe once it settled and plans the next; a closed loop (`closed`)
//! plans a send each time a transaction in flight is done with. The runner
//! knows neither by name.

mod closed;
mod saturate;

use crate::{
    chain::TxSeq,
    scenario::{End, Load, Profile, ShapeKind},
    schedule::{Planned, Schedule, Segment, SegmentEnd},
    search::{KneeBound, Verdict},
};
use chainmeter_result::level::Level;
pub use chainmeter_result::run::{ClosedLoopSummary, StageKind};
use std::{collections::VecDeque, fmt, time::Duration};

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

/// What the runner observed, as it learned it.
#[derive(Debug, Clone, Copy)]
pub enum Observed<'a> {
    /// Transaction `seq` reached `level`.
    Reached {
        /// The transaction.
        seq: TxSeq,
        /// The level.
        level: Level,
    },
    /// Transaction `seq` will not be waited for: refused, timed out or expired.
    Failed {
        /// The transaction.
        seq: TxSeq,
    },
    /// The stage [`Pacer::awaiting`] named has settled (its transactions
    /// are done with, or its time to settle ran out): its figures are final.
    Settled {
        /// The stage.
        stage: u32,
        /// Its figures.
        figures: &'a dyn StageFigures,
    },
    /// Time passed; nothing else happened that the pacer was told of.
    Time,
}

/// A stage's figures, as its recorder has them.
pub trait StageFigures: fmt::Debug {
    /// Sent in its measured window.
    fn sent(&self) -> u64;
    /// Of those, landed.
    fn landed(&self) -> u64;
    /// Latency at `level` at quantile `q` (0 to 1), microseconds, if any reached it.
    fn latency_at(&self, level: Level, q: f64) -> Option<u64>;
}

/// What a load profile gives the result beside what every run records:
/// the summary reads these and matches no profile by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileFigures {
    /// The offered rate the profile holds to (a constant rate); `None`: the
    /// measured window's mean.
    pub rate: Option<f64>,
    /// The run sends in its stages' windows alone (a search, with settles
    /// between its probes that send nothing): its run-level rates are over
    /// those windows.
    pub stages_only: bool,
    /// What a stage must meet, in words (a search's objective).
    pub objective: Option<String>,
    /// A closed loop: its concurrency and the level it waits for.
    pub closed_loop: Option<ClosedLoopSummary>,
    /// A search's answer: the index of the highest probe that held, and
    /// what the probes establish about the knee.
    pub knee: Option<(usize, KneeBound)>,
}

/// A profile that adapts the load to what the runner observes.
pub(crate) trait Feedback: fmt::Debug + Send {
    /// Acts on `observed`, at `now` from the run's start, planning into `plans`.
    fn observe(&mut self, plans: &mut Plans, now: Duration, observed: &Observed<'_>);

    /// More sends may still be planned, though none is now.
    fn open(&self) -> bool;

    /// What the profile gives the result (see [`ProfileFigures`]); nothing
    /// beyond what every run records by default.
    fn figures(&self, _plans: &Plans) -> ProfileFigures {
        ProfileFigures::default()
    }
}

/// What is planned: schedule segments, sends planned one at a time, and the stages.
#[derive(Debug)]
pub(crate) struct Plans {
    schedule: Schedule,
    /// Sends planned one at a time; they go before the schedule's.
    singles: VecDeque<Planned>,
    stages: Vec<Stage>,
    /// The stage whose sends are planned to the end, waiting to settle.
    awaiting: Option<u32>,
}

impl Plans {
    fn peek(&mut self) -> Option<Planned> {
        match self.singles.front() {
            Some(p) => Some(*p),
            None => self.schedule.peek().copied(),
        }
    }

    fn next_if(&mut self, due: impl FnOnce(&Planned) -> bool) -> Option<Planned> {
        if self.singles.is_empty() {
            return self.schedule.next_if(due);
        }
        self.singles.front().filter(|p| due(p))?;
        self.singles.pop_front()
    }

    /// A new stage of `kind` at `rate` measured over `window`; returns its index.
    fn push_stage(&mut self, kind: StageKind, rate: f64, window: (Duration, Duration)) -> u32 {
        self.stages.push(Stage {
            kind,
            rate,
            window,
            verdict: None,
        });
        self.stages.len() as u32 - 1
    }
}

/// Decides the sends, stage by stage.
#[derive(Debug)]
pub struct Pacer {
    plans: Plans,
    /// The profile's feedback, if it adapts.
    feedback: Option<Box<dyn Feedback>>,
    /// The measured window's start, and its end when known in advance.
    window: (Duration, Option<Duration>),
    /// A constant rate ending after a count: the window ends one interval
    /// after the last send.
    count_interval: Option<Duration>,
    /// The rate a constant profile holds to.
    constant: Option<f64>,
}

impl Pacer {
    /// A pacer for `load`; `seed` makes Poisson arrivals reproducible.
    /// An adaptive profile watches `watch` where its scenario names no level
    /// (the weakest recorded), and a closed loop gives up on transactions
    /// that do not come back after `patience` (the drain).
    pub fn new(load: &Load, seed: u64, watch: Level, patience: Duration) -> Self {
        let mut p = Self {
            plans: Plans {
                schedule: Schedule::new(load.shape, seed),
                singles: VecDeque::new(),
                stages: Vec::new(),
                awaiting: None,
            },
            feedback: None,
            window: (load.warmup, None),
            count_interval: None,
            constant: None,
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
            let closed = closed::ClosedLoop::new(
                &mut p.plans,
                closed::Slots {
                    concurrency: *concurrency,
                    watch: wait_for.unwrap_or(watch),
                    wait_for: *wait_for,
                    end: *end,
                    warmup: load.warmup,
                    patience,
                },
            );
            p.feedback = Some(Box::new(closed));
            return p;
        }
        let start_rate = load.profile.starting_rate().per_second();
        if !load.warmup.is_zero() {
            p.plans.schedule.push(Segment {
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
                p.constant = Some(r);
                match end {
                    End::After(d) => {
                        p.plans.schedule.push(plain(SegmentEnd::After(*d), r, r));
                        p.window.1 = Some(at + *d);
                    }
                    End::Count(n) => {
                        p.plans.schedule.push(plain(SegmentEnd::Count(*n), r, r));
                        p.count_interval = Some(rate.interval());
                    }
                }
            }
            Profile::Ramp { from, to, over } => {
                p.plans.schedule.push(plain(
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
                    let stage = p
                        .plans
                        .push_stage(StageKind::Step, r, (start, start + *step));
                    p.plans.schedule.push(Segment {
                        start,
                        end: SegmentEnd::After(*step),
                        from: r,
                        to: r,
                        warmup: false,
                        stage: Some(stage),
                    });
                    start += *step;
                }
                p.window.1 = Some(start);
            }
            Profile::Saturate(s) => {
                let search = saturate::SaturationSearch::new(&mut p.plans, s, watch, at);
                p.feedback = Some(Box::new(search));
            }
            Profile::Closed { .. } => unreachable!("a closed loop returned above"),
        }
        p
    }

    /// The next planned send, without taking it.
    pub fn peek(&mut self) -> Option<Planned> {
        self.plans.peek()
    }

    /// Takes the next planned send if `due` says so.
    pub fn next_if(&mut self, due: impl FnOnce(&Planned) -> bool) -> Option<Planned> {
        self.plans.next_if(due)
    }

    /// Tells the profile what the runner observed at `now` (from the run's
    /// start); a profile that does not adapt ignores it.
    pub fn observe(&mut self, now: Duration, observed: Observed<'_>) {
        if let Some(f) = &mut self.feedback {
            f.observe(&mut self.plans, now, &observed);
        }
    }

    /// The stage whose sends are all planned and which waits to settle
    /// before the load goes on ([`Observed::Settled`]), if any.
    pub fn awaiting(&mut self) -> Option<u32> {
        if self.plans.peek().is_some() {
            return None;
        }
        self.plans.awaiting
    }

    /// No sends are left and none can come.
    pub fn finished(&mut self) -> bool {
        self.plans.peek().is_none()
            && self.plans.awaiting.is_none()
            && !self.feedback.as_ref().is_some_and(|f| f.open())
    }

    /// The stages planned so far, in order.
    pub fn stages(&self) -> &[Stage] {
        &self.plans.stages
    }

    /// The stage sending at `now`, if the profile has stages.
    pub fn current(&self, now: Duration) -> Option<(usize, &Stage)> {
        self.plans
            .stages
            .iter()
            .enumerate()
            .rev()
            .find(|(_, s)| s.window.0 <= now || s.kind == StageKind::Probe)
    }

    /// The measured window, given the last send's planned time.
    pub fn window(&self, last_planned: Duration) -> (Duration, Duration) {
        let end = match (self.window.1, self.count_interval, self.plans.stages.last()) {
            (Some(end), ..) => end,
            (None, Some(interval), _) => last_planned + interval,
            (None, None, Some(last)) => last.window.1,
            (None, None, None) => last_planned,
        };
        (self.window.0, end.max(self.window.0))
    }

    /// What the profile gives the result: its feedback's figures (a
    /// search's knee and objective, a closed loop's concurrency), and a
    /// constant rate.
    pub fn figures(&self) -> ProfileFigures {
        let figures = self
            .feedback
            .as_ref()
            .map(|f| f.figures(&self.plans))
            .unwrap_or_default();
        ProfileFigures {
            rate: figures.rate.or(self.constant),
            ..figures
        }
    }
}

/// How many sends a load plans: exactly, when that is known up front, and
/// at least (for funding): for Poisson arrivals, the mean plus a margin far
/// beyond its spread (1.5x + 1,000); for a search, every probe at the
/// highest rate.
pub fn planned_sends(load: &Load) -> (Option<u64>, u64) {
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
    let sends = load
        .expected_sends()
        .expect("only a closed loop has no expectation");
    let search = matches!(load.profile, Profile::Saturate(_));
    let exact = load.shape == ShapeKind::Constant && !search;
    match (exact, &load.profile) {
        // Each segment's count rounds up on its own.
        (true, _) => {
            let mut p = Pacer::new(load, 0, Level::new("any"), Duration::ZERO);
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
    use crate::scenario::{Objective, Rate, Saturate};

    const WATCH: Level = Level::new("included");

    /// A probe's figures, given.
    #[derive(Debug)]
    struct Given {
        sent: u64,
        landed: u64,
        latency_us: u64,
    }

    impl StageFigures for Given {
        fn sent(&self) -> u64 {
            self.sent
        }
        fn landed(&self) -> u64 {
            self.landed
        }
        fn latency_at(&self, level: Level, _: f64) -> Option<u64> {
            (level == WATCH).then_some(self.latency_us)
        }
    }

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
        let mut p = Pacer::new(&l, 1, WATCH, Duration::from_secs(1));
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
        let mut p = Pacer::new(&l, 1, WATCH, Duration::from_secs(1));
        let first: Vec<_> = std::iter::from_fn(|| p.next_if(|_| true)).collect();
        assert_eq!(first.len(), 300);
        assert_eq!(first.iter().filter(|x| x.warmup).count(), 100);
        assert!(!p.finished());
        assert_eq!(p.awaiting(), Some(0));
        p.observe(
            Duration::from_secs(10),
            Observed::Settled {
                stage: 0,
                figures: &Given {
                    sent: 200,
                    landed: 200,
                    latency_us: 500_000,
                },
            },
        );
        let next = p.peek().unwrap();
        assert_eq!(next.at, Duration::from_secs(10));
        assert_eq!(next.stage, Some(1));
        assert_eq!(p.stages()[1].rate, 200.0);
        assert!(p.stages()[0].verdict.as_ref().unwrap().held);
        let second: Vec<_> = std::iter::from_fn(|| p.next_if(|_| true)).collect();
        assert_eq!(second.len(), 600);
        p.observe(
            Duration::from_secs(20),
            Observed::Settled {
                stage: 1,
                figures: &Given {
                    sent: 400,
                    landed: 300,
                    latency_us: 500_000,
                },
            },
        );
        // 100 held, 200 broke: bisect at 150.
        assert_eq!(p.stages()[2].rate, 150.0);
        assert_eq!(
            p.figures().knee,
            Some((0, KneeBound::Between { broke_per_s: 200.0 }))
        );
    }

    #[test]
    fn a_closed_loop_plans_a_send_each_time_one_is_done_with() {
        let l = load(
            Profile::Closed {
                concurrency: 2,
                wait_for: None,
                end: End::Count(3),
            },
            0,
        );
        let mut p = Pacer::new(&l, 1, WATCH, Duration::from_secs(5));
        let first: Vec<_> = std::iter::from_fn(|| p.next_if(|_| true)).collect();
        assert_eq!(first.iter().map(|x| x.seq).collect::<Vec<_>>(), [0, 1]);
        assert!(p.peek().is_none() && !p.finished());
        // Another level, or a transaction never planned, frees nothing.
        p.observe(
            ms(10),
            Observed::Reached {
                seq: 0,
                level: Level::new("safe"),
            },
        );
        p.observe(ms(10), Observed::Failed { seq: 7 });
        assert!(p.peek().is_none());
        p.observe(
            ms(20),
            Observed::Reached {
                seq: 0,
                level: WATCH,
            },
        );
        let next = p.next_if(|_| true).unwrap();
        assert_eq!((next.seq, next.at), (2, ms(20)));
        // Told twice, freed once.
        p.observe(
            ms(30),
            Observed::Reached {
                seq: 0,
                level: WATCH,
            },
        );
        assert!(p.peek().is_none());
        // The count is reached: a freed slot plans nothing, and the loop ends.
        p.observe(ms(40), Observed::Failed { seq: 1 });
        assert!(p.peek().is_none());
        assert!(p.finished());
    }

    #[test]
    fn a_closed_loop_gives_up_on_transactions_that_never_come_back() {
        let l = load(
            Profile::Closed {
                concurrency: 1,
                wait_for: None,
                end: End::After(Duration::from_secs(60)),
            },
            0,
        );
        let mut p = Pacer::new(&l, 1, WATCH, Duration::from_secs(5));
        p.next_if(|_| true).unwrap();
        p.observe(ms(4_999), Observed::Time);
        assert!(!p.finished());
        p.observe(ms(5_000), Observed::Time);
        assert!(p.finished());
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }
}
