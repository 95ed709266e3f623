//! Each step's or probe's own recorder beside the run's, and a batch of
//! sends as it returns.

use crate::{
    chain::{ChainEvent, TxSeq},
    outcome::Reject,
    pacer::Pacer,
    recorder::Recorder,
    schedule::Planned,
};
use chainmeter_result::level::Level;
use std::time::Instant;

pub(super) struct BatchDone {
    pub(super) seqs: Vec<(TxSeq, Option<u32>)>,
    pub(super) at: Instant,
    pub(super) results: Vec<Result<(), Reject>>,
}

impl BatchDone {
    /// Records the batch's failed sends; the others are already counted as sent.
    pub(super) fn record(self, recorder: &mut Recorder, stages: &mut StageRecorders) {
        for ((seq, stage), result) in self.seqs.into_iter().zip(self.results) {
            if let Err(reject) = result {
                stages.rejected(recorder, seq, stage, self.at, &reject);
            }
        }
    }
}

/// Each step's or probe's own recorder, beside the run's. What a
/// transaction goes through is recorded in both by one call here, so that
/// no transaction reaches one and not the other.
pub(super) struct StageRecorders {
    pub(super) recorders: Vec<Recorder>,
    pub(super) chain_levels: &'static [Level],
    pub(super) levels: Vec<Level>,
    pub(super) buckets: Vec<(u64, u64)>,
    pub(super) start: Instant,
}

impl StageRecorders {
    /// The recorder of stage `index`, created when its first send is planned.
    pub(super) fn get(&mut self, index: u32, pacer: &Pacer) -> &mut Recorder {
        while self.recorders.len() <= index as usize {
            let stage = &pacer.stages()[self.recorders.len()];
            self.recorders.push(
                Recorder::new(self.chain_levels, &self.levels, self.start, stage.window)
                    .with_buckets(&self.buckets),
            );
        }
        &mut self.recorders[index as usize]
    }

    /// `p` is about to be signed and sent (see [`Recorder::planned`]).
    pub(super) fn planned(
        &mut self,
        run: &mut Recorder,
        p: &Planned,
        bucket: Option<usize>,
        pacer: &Pacer,
    ) {
        let sched = self.start + p.at;
        run.planned(p.seq, sched, p.warmup, bucket);
        if let Some(stage) = p.stage {
            self.get(stage, pacer)
                .planned(p.seq, sched, p.warmup, bucket);
        }
    }

    /// See [`Recorder::sent`]; `stage` is the transaction's, whose recorder exists since it was planned.
    pub(super) fn sent(&mut self, run: &mut Recorder, seq: TxSeq, stage: Option<u32>, at: Instant) {
        run.sent(seq, at);
        if let Some(r) = stage.and_then(|s| self.recorders.get_mut(s as usize)) {
            r.sent(seq, at);
        }
    }

    /// See [`Recorder::rejected`].
    pub(super) fn rejected(
        &mut self,
        run: &mut Recorder,
        seq: TxSeq,
        stage: Option<u32>,
        at: Instant,
        reject: &Reject,
    ) {
        run.rejected(seq, at, reject);
        if let Some(r) = stage.and_then(|s| self.recorders.get_mut(s as usize)) {
            r.rejected(seq, at, reject);
        }
    }

    /// Applies a tracker event to the run and to the stages it may concern:
    /// those with transactions in flight, and the latest (blocks while it sends).
    pub(super) fn apply(&mut self, run: &mut Recorder, event: &ChainEvent) {
        run.apply(event);
        let last = self.recorders.len().saturating_sub(1);
        for (i, r) in self.recorders.iter_mut().enumerate() {
            if i == last || r.in_flight() > 0 {
                r.apply(event);
            }
        }
    }
}
