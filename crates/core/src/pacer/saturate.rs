//! A saturation search: probes at rising rates, each judged once its
//! transactions settled, until the highest rate that holds is bracketed.

use super::{Feedback, Observed, Plans, ProfileFigures, StageKind};
use crate::{
    scenario::Saturate,
    schedule::{Segment, SegmentEnd},
    search::{KneeBound, ProbeFigures, Search},
};
use chainmeter_result::level::Level;
use std::time::Duration;

/// The search and the probe it waits on.
#[derive(Debug)]
pub(crate) struct SaturationSearch {
    search: Search,
    saturate: Saturate,
    /// The level its objective's latency is read at.
    level: Level,
}

impl SaturationSearch {
    /// A search whose first probe starts at `at`; its objective reads
    /// latency at its own level, else at `watch`.
    pub(crate) fn new(plans: &mut Plans, s: &Saturate, watch: Level, at: Duration) -> Self {
        let search = Search::new(s);
        let first = search.first();
        let this = Self {
            search,
            saturate: s.clone(),
            level: s.objective.level.unwrap_or(watch),
        };
        this.probe(plans, at, first);
        this
    }

    /// Plans a probe at `rate` from `at`: its warm-up, then its window.
    fn probe(&self, plans: &mut Plans, at: Duration, rate: f64) {
        let (warmup, length) = (self.saturate.probe_warmup, self.saturate.probe);
        let start = at + warmup;
        let stage = plans.push_stage(StageKind::Probe, rate, (start, start + length));
        if !warmup.is_zero() {
            plans.schedule.push(Segment {
                start: at,
                end: SegmentEnd::After(warmup),
                from: rate,
                to: rate,
                warmup: true,
                stage: Some(stage),
            });
        }
        plans.schedule.push(Segment {
            start,
            end: SegmentEnd::After(length),
            from: rate,
            to: rate,
            warmup: false,
            stage: Some(stage),
        });
        plans.awaiting = Some(stage);
    }
}

impl SaturationSearch {
    fn knee(&self, plans: &Plans) -> Option<(usize, KneeBound)> {
        let rate = self.search.knee()?;
        let index = plans
            .stages
            .iter()
            .position(|s| s.rate == rate && s.verdict.as_ref().is_some_and(|v| v.held))?;
        Some((index, self.search.bound()?))
    }

    /// `landed >= 99% and included p99 <= 2 s`.
    fn objective(&self) -> String {
        let o = &self.saturate.objective;
        let level = o.level.map_or_else(
            || "the weakest recorded level's".to_owned(),
            |l| l.as_str().to_owned(),
        );
        format!(
            "landed >= {}% and {level} p{} <= {} s",
            o.landed * 100.0,
            o.percentile,
            o.latency.as_secs_f64()
        )
    }
}

impl Feedback for SaturationSearch {
    /// Judges the awaited probe once it settled and, unless the search is
    /// over, plans the next probe from `now`.
    fn observe(&mut self, plans: &mut Plans, now: Duration, observed: &Observed<'_>) {
        let Observed::Settled { stage, figures } = *observed else {
            return;
        };
        if plans.awaiting != Some(stage) {
            return;
        }
        plans.awaiting = None;
        let figures = ProbeFigures {
            sent: figures.sent(),
            landed: figures.landed(),
            latency_us: figures.latency_at(self.level, self.saturate.objective.percentile / 100.0),
        };
        let verdict = self.saturate.objective.judge(&figures);
        let probe = &mut plans.stages[stage as usize];
        let next = self.search.next(probe.rate, verdict.held);
        probe.verdict = Some(verdict);
        if let Some(rate) = next {
            self.probe(plans, now, rate);
        }
    }

    fn open(&self) -> bool {
        false
    }

    /// The knee (the highest probe that held, and what the probes
    /// establish about it), the objective in words, and rates over the
    /// probes' windows alone.
    fn figures(&self, plans: &Plans) -> ProfileFigures {
        ProfileFigures {
            stages_only: true,
            objective: Some(self.objective()),
            knee: self.knee(plans),
            ..ProfileFigures::default()
        }
    }
}
