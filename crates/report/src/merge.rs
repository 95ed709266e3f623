//! Merging the results of several generator processes that drove the same
//! chain with the same scenario at the same time.
//!
//! Histograms add, counts add, per-second timelines align on wall-clock start
//! times. The chain's own view (block intervals) is the same chain seen by
//! every generator, so it is taken from the first result, not added.

use chainmeter_result::{
    histogram::{HistogramDecodeError, StoredHistogram},
    rate::landed_rate,
    run::{
        Check, FeeBucket, Fees, LevelLatency, Merged, MergedInput, MixEntryResult, Repeat,
        RunResult, RunStatus, SecondCounts, StepResult, Verification, WarmupFees,
    },
    FeeUnit,
};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// Why results cannot be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// Nothing to merge.
    #[error("merge needs at least two results")]
    TooFew,
    /// The inputs are not runs of one scenario against one chain.
    #[error("{path_a} and {path_b} cannot be merged: {reason}")]
    Mismatch {
        /// First input.
        path_a: String,
        /// The input that differs.
        path_b: String,
        /// How it differs.
        reason: String,
    },
    /// A stored histogram could not be decoded.
    #[error("{path}")]
    Histogram {
        /// The input.
        path: String,
        /// The error.
        #[source]
        source: HistogramDecodeError,
    },
    /// An input holds repeats, whose figures merge only from each repeat's
    /// own result (`merge_repeated`).
    #[error("{path} holds {count} repeats: they merge only repeat by repeat, from each repeat's own result ({hint})")]
    Repeats {
        /// The input.
        path: String,
        /// Its repeats.
        count: usize,
        /// What was missing or differed.
        hint: String,
    },
    /// A start time is not RFC 3339.
    #[error("{path}: started_at {value:?} is not an RFC 3339 time")]
    Time {
        /// The input.
        path: String,
        /// The value.
        value: String,
    },
}

/// The scenario without where it ran: generators may attach to one node by
/// different URLs. Every section loses its `url` and `ws_url`, whichever
/// chain it names: only chain sections have them.
fn scenario_key(r: &RunResult) -> serde_json::Value {
    let mut s = r.scenario.clone();
    if let Some(sections) = s.as_object_mut() {
        for section in sections.values_mut().filter_map(|v| v.as_object_mut()) {
            section.remove("url");
            section.remove("ws_url");
        }
    }
    s
}

fn add(
    path: &str,
    a: &StoredHistogram,
    b: &StoredHistogram,
) -> Result<StoredHistogram, MergeError> {
    let hist = |h: &StoredHistogram| {
        h.decode().map_err(|source| MergeError::Histogram {
            path: path.to_owned(),
            source,
        })
    };
    let mut sum = hist(a)?;
    sum.add(hist(b)?)
        .expect("auto-resizing histograms of one precision add");
    Ok(StoredHistogram::from_histogram(&sum))
}

fn start(path: &str, r: &RunResult) -> Result<OffsetDateTime, MergeError> {
    OffsetDateTime::parse(&r.started_at, &Rfc3339).map_err(|_| MergeError::Time {
        path: path.to_owned(),
        value: r.started_at.clone(),
    })
}

/// Shards (`--shard I/N`) merge only as a whole set: every one of the N,
/// each once. Results of runs that were not shards merge as they are.
fn check_shards(inputs: &[(String, RunResult)]) -> Result<(), MergeError> {
    let first_path = &inputs[0].0;
    let Some(count) = inputs.iter().find_map(|(_, r)| r.shard.map(|s| s.count())) else {
        return Ok(());
    };
    let mut seen = vec![None::<&str>; count as usize];
    for (path, r) in inputs {
        let mismatch = |reason: String| MergeError::Mismatch {
            path_a: first_path.clone(),
            path_b: path.clone(),
            reason,
        };
        let shard = r.shard.ok_or_else(|| {
            mismatch(format!(
                "{path} is not a shard, the others are shards of {count}"
            ))
        })?;
        if shard.count() != count {
            return Err(mismatch(format!(
                "shards of {count} and of {} do not make one run",
                shard.count()
            )));
        }
        if let Some(other) = seen[shard.index() as usize].replace(path) {
            return Err(mismatch(format!(
                "{other} and {path} are both shard {shard}"
            )));
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|&i| seen[i as usize].is_none())
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Mismatch {
            path_a: first_path.clone(),
            path_b: inputs.last().map(|(p, _)| p.clone()).unwrap_or_default(),
            reason: format!("shard {} of these {count} is missing", missing.join(", ")),
        });
    }
    Ok(())
}

/// Merges `inputs` (path, result) into one result. Inputs that hold
/// repeats are refused: their figures merge repeat by repeat
/// ([`merge_repeated`]), and keeping one input's would pass its figures off
/// as the whole's.
pub fn merge(inputs: &[(String, RunResult)]) -> Result<RunResult, MergeError> {
    if let Some((path, r)) = inputs.iter().find(|(_, r)| !r.repeats.is_empty()) {
        return Err(MergeError::Repeats {
            path: path.clone(),
            count: r.repeats.len(),
            hint: "give each repeat's results".into(),
        });
    }
    merge_runs(inputs)
}

/// Merges `inputs` that hold repeats: `repeats[k]` are the results of repeat
/// k+1 of every input, in the inputs' order. Each repeat index is merged
/// across the inputs, and the merged result carries the merged repeats'
/// headlines, statuses and verifications.
pub fn merge_repeated(
    inputs: &[(String, RunResult)],
    repeats: &[Vec<(String, RunResult)>],
) -> Result<RunResult, MergeError> {
    for (i, (path, r)) in inputs.iter().enumerate() {
        let refuse = |hint: String| MergeError::Repeats {
            path: path.clone(),
            count: r.repeats.len(),
            hint,
        };
        if r.repeats.len() != repeats.len() {
            return Err(refuse(format!(
                "the inputs hold {} repeats each, not {}",
                repeats.len(),
                r.repeats.len()
            )));
        }
        for (k, (rep, of_k)) in r.repeats.iter().zip(repeats).enumerate() {
            let Some((rpath, run)) = of_k.get(i) else {
                return Err(refuse(format!("repeat {} has no result of it", k + 1)));
            };
            if run.started_at != rep.started_at {
                return Err(refuse(format!(
                    "{rpath} started at {}, its repeat {} at {}: not that repeat's result",
                    run.started_at,
                    k + 1,
                    rep.started_at
                )));
            }
        }
    }
    let bare: Vec<(String, RunResult)> = inputs
        .iter()
        .map(|(p, r)| {
            let mut r = r.clone();
            r.repeats.clear();
            (p.clone(), r)
        })
        .collect();
    let mut out = merge_runs(&bare)?;
    out.repeats = repeats
        .iter()
        .map(|of_k| merge_runs(of_k).map(|m| Repeat::headline(&m)))
        .collect::<Result<_, _>>()?;
    Ok(out)
}

fn merge_runs(inputs: &[(String, RunResult)]) -> Result<RunResult, MergeError> {
    let [(first_path, first), rest @ ..] = inputs else {
        return Err(MergeError::TooFew);
    };
    if rest.is_empty() {
        return Err(MergeError::TooFew);
    }
    check_shards(inputs)?;
    let t0 = inputs
        .iter()
        .map(|(p, r)| start(p, r))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .min()
        .expect("inputs");
    let mut out = first.clone();
    let offset = |p: &str, r: &RunResult| -> Result<u64, MergeError> {
        Ok((start(p, r)? - t0).whole_milliseconds().max(0) as u64)
    };
    // The merged measured window, in ms from t0: from the earliest input's
    // window start to the latest input's window end.
    let mut window = (u64::MAX, 0u64);
    let mut widen = |offset_ms: u64, r: &RunResult| {
        let from = offset_ms + (r.load.warmup_s * 1e3) as u64;
        window.0 = window.0.min(from);
        window.1 = window.1.max(from + (r.load.window_s * 1e3) as u64);
    };
    let first_offset = offset(first_path, first)?;
    widen(first_offset, first);
    // Each step's merged window, ms from t0: the earliest start to the
    // latest end of that step in any input.
    let mut step_windows: Vec<(u64, u64)> = first
        .steps
        .iter()
        .map(|st| step_window(st, first_offset))
        .collect();
    out.throughput.timeline = shifted(&first.throughput.timeline, first_offset);
    out.throughput.arrivals = shifted_arrivals(&first.throughput.arrivals, first_offset);
    // Times compare as times: offsets and fractions make strings misorder.
    out.started_at = first_time(inputs, |r| &r.started_at, std::cmp::Ordering::Less)?;
    out.ended_at = first_time(inputs, |r| &r.ended_at, std::cmp::Ordering::Greater)?;
    check_distinct(inputs)?;
    let mut merged_inputs = vec![merged_input(first_path, first, first_offset)];
    // Senders who ran dry, renumbered as the merged result lists senders.
    let mut dry = dry_senders(first, 0);
    let mut cpu_us = first.harness.cpu_us;
    let sending_cpu = |r: &RunResult| r.harness.sending_cpu_us_per_tx * r.outcomes.sent as f64;
    let mut sending_cpu_us = sending_cpu(first);

    for (path, r) in rest {
        let mismatch = |reason: String| MergeError::Mismatch {
            path_a: first_path.clone(),
            path_b: path.clone(),
            reason,
        };
        if r.load.profile == "saturate" || first.load.profile == "saturate" {
            return Err(mismatch(
                "a saturation search cannot be merged: each generator searched on its own; run one search with more senders instead".into(),
            ));
        }
        if r.chain != first.chain {
            return Err(mismatch(format!(
                "chains differ ({} vs {})",
                first.chain, r.chain
            )));
        }
        if r.environment.node.chain_id != first.environment.node.chain_id {
            return Err(mismatch(
                "they ran against different chains (chain id / genesis hash)".into(),
            ));
        }
        if scenario_key(r) != scenario_key(first) || r.scenario_name != first.scenario_name {
            return Err(mismatch("they ran different scenarios".into()));
        }
        if r.levels
            .iter()
            .map(|l| l.level)
            .ne(first.levels.iter().map(|l| l.level))
        {
            return Err(mismatch("they recorded different levels".into()));
        }
        for (mine, theirs) in out.levels.iter_mut().zip(&r.levels) {
            *mine = LevelLatency {
                level: mine.level,
                at_latest: mine.at_latest || theirs.at_latest,
                latency_us: add(path, &mine.latency_us, &theirs.latency_us)?,
                service_latency_us: add(
                    path,
                    &mine.service_latency_us,
                    &theirs.service_latency_us,
                )?,
                // A delta of part of the runs would stand for all of them.
                block_delta: match (&mine.block_delta, &theirs.block_delta) {
                    (Some(m), Some(t)) => Some(add(path, m, t)?),
                    _ => None,
                },
            };
        }
        out.load.rate_per_s += r.load.rate_per_s;
        out.load.window_s = out.load.window_s.max(r.load.window_s);
        out.load.warmup_sent += r.load.warmup_sent;
        out.load.measured_sent += r.load.measured_sent;
        out.load.send_lag_us = add(path, &out.load.send_lag_us, &r.load.send_lag_us)?;

        let their_offset = offset(path, r)?;
        widen(their_offset, r);
        let theirs = shifted(&r.throughput.timeline, their_offset);
        let len = out.throughput.timeline.len().max(theirs.len());
        out.throughput.timeline.resize_with(len, Default::default);
        for (t, (mine, other)) in out
            .throughput
            .timeline
            .iter_mut()
            .zip(
                theirs
                    .iter()
                    .chain(std::iter::repeat(&SecondCounts::default())),
            )
            .enumerate()
        {
            mine.t_s = t as u64;
            mine.offered += other.offered;
            mine.landed += other.landed;
            mine.rejected += other.rejected;
        }
        out.throughput
            .arrivals
            .extend(shifted_arrivals(&r.throughput.arrivals, their_offset));
        merged_inputs.push(merged_input(path, r, their_offset));

        merge_fees(path, &mut out.fees, &r.fees, &out.fee_unit)?;
        if out.steps.len() != r.steps.len()
            || out
                .steps
                .iter()
                .zip(&r.steps)
                .any(|(a, b)| a.label != b.label)
        {
            return Err(mismatch("their steps differ".into()));
        }
        for ((mine, theirs), w) in out.steps.iter_mut().zip(&r.steps).zip(&mut step_windows) {
            merge_step(path, mine, theirs, &out.fee_unit)?;
            let (from, to) = step_window(theirs, their_offset);
            *w = (w.0.min(from), w.1.max(to));
        }
        if out.fee_buckets.len() != r.fee_buckets.len()
            || out
                .fee_buckets
                .iter()
                .zip(&r.fee_buckets)
                .any(|(a, b)| a.bid != b.bid)
        {
            return Err(mismatch("they bid differently (fee buckets differ)".into()));
        }
        for (mine, theirs) in out.fee_buckets.iter_mut().zip(&r.fee_buckets) {
            merge_bucket(path, mine, theirs)?;
        }

        if out.mix.len() != r.mix.len()
            || out
                .mix
                .iter()
                .zip(&r.mix)
                .any(|(a, b)| a.kind != b.kind || a.share != b.share)
        {
            return Err(mismatch("they mix workloads differently".into()));
        }
        for (mine, theirs) in out.mix.iter_mut().zip(&r.mix) {
            merge_entry(path, mine, theirs, &out.fee_unit)?;
        }

        out.outcomes.merge(&r.outcomes);
        for (name, n) in &r.submitter {
            *out.submitter.entry(name.clone()).or_default() += n;
        }
        cpu_us += r.harness.cpu_us;
        sending_cpu_us += sending_cpu(r);
        out.harness.max_rss_bytes = out.harness.max_rss_bytes.max(r.harness.max_rss_bytes);
        dry.extend(dry_senders(r, out.senders.len()));
        out.senders.extend(r.senders.iter().cloned());
        out.status = merged_status(&out.status, path, &r.status);
    }
    // Each input verified its own senders: the merge keeps what each proved,
    // and a failure of any is the merged result's.
    out.verification = Some(Verification {
        dry_senders: dry,
        ..merged_verification(&merged_inputs)
    });
    out.shard = None;
    out.load.warmup_s = window.0 as f64 / 1e3;
    out.load.window_s = window.1.saturating_sub(window.0) as f64 / 1e3;
    out.throughput.offered_mean_per_s = out.load.measured_sent as f64 / out.load.window_s.max(1e-9);
    out.load.rate_per_s = out.throughput.offered_mean_per_s;
    out.throughput.arrivals.sort_unstable();
    // Rates over the merged window's whole block intervals, by the rule of
    // a single run's, from the merged arrivals: shards that ran at
    // different times do not add up to one rate.
    let with_arrivals = inputs.iter().all(|(_, r)| {
        !r.throughput.arrivals.is_empty() || r.throughput.timeline.iter().all(|s| s.landed == 0)
    });
    let us = |(from, to): (u64, u64)| (from * 1000, to * 1000);
    if with_arrivals {
        let arrivals = &out.throughput.arrivals;
        let rate = landed_rate(arrivals, &[us(window)]);
        for (st, &w) in out.steps.iter_mut().zip(&step_windows) {
            st.landed_per_s = landed_rate(arrivals, &[us(w)]).ok().map(|r| r.mean_per_s);
        }
        out.throughput.set_landed(rate);
    } else {
        // Inputs from before schema 5 hold no arrivals: the merged
        // timeline's whole seconds, as those files counted.
        let inside = |s: &&SecondCounts| s.t_s * 1000 >= window.0 && (s.t_s + 1) * 1000 <= window.1;
        let seconds: Vec<u64> = out
            .throughput
            .timeline
            .iter()
            .filter(inside)
            .map(|s| s.landed)
            .collect();
        out.throughput.landed_mean_per_s = (!seconds.is_empty())
            .then(|| seconds.iter().sum::<u64>() as f64 / seconds.len() as f64);
        out.throughput.landed_peak_1s = seconds.iter().max().map(|&m| m as f64);
        for st in &mut out.steps {
            st.landed_per_s = None;
        }
    }
    for (st, &(from, to)) in out.steps.iter_mut().zip(&step_windows) {
        st.window_s = [from as f64 / 1e3, to as f64 / 1e3];
        st.offered_per_s = st.sent as f64 / (to.saturating_sub(from) as f64 / 1e3).max(1e-9);
    }
    let overlap = merged_inputs
        .iter()
        .map(|i| i.window_s[1])
        .fold(f64::INFINITY, f64::min)
        - merged_inputs
            .iter()
            .map(|i| i.window_s[0])
            .fold(f64::NEG_INFINITY, f64::max);
    out.merged = Some(Merged {
        inputs: merged_inputs,
        overlap_s: overlap.max(0.0),
    });
    out.harness.cpu_us = cpu_us;
    let per_tx = |total: f64| {
        if out.outcomes.sent > 0 {
            total / out.outcomes.sent as f64
        } else {
            0.0
        }
    };
    out.harness.cpu_us_per_tx = per_tx(cpu_us as f64);
    out.harness.sending_cpu_us_per_tx = per_tx(sending_cpu_us);
    Ok(out)
}

/// The earliest (`Less`) or latest (`Greater`) of the inputs' times, as
/// the input wrote it.
fn first_time(
    inputs: &[(String, RunResult)],
    field: fn(&RunResult) -> &String,
    pick: std::cmp::Ordering,
) -> Result<String, MergeError> {
    let mut best: Option<(OffsetDateTime, &String)> = None;
    for (path, r) in inputs {
        let value = field(r);
        let t = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| MergeError::Time {
            path: path.clone(),
            value: value.clone(),
        })?;
        if best.is_none_or(|(b, _)| t.cmp(&b) == pick) {
            best = Some((t, value));
        }
    }
    Ok(best.map(|(_, v)| v.clone()).unwrap_or_default())
}

/// Two inputs that started at the same moment from the same senders are
/// one run given twice (under two names, or twice under one): their counts
/// would add to double the run's.
fn check_distinct(inputs: &[(String, RunResult)]) -> Result<(), MergeError> {
    for (i, (path_a, a)) in inputs.iter().enumerate() {
        for (path_b, b) in &inputs[i + 1..] {
            if a.started_at == b.started_at && a.senders == b.senders {
                return Err(MergeError::Mismatch {
                    path_a: path_a.clone(),
                    path_b: path_b.clone(),
                    reason: format!(
                        "they are the same run (started {} from the same senders): merging it with itself would double every count",
                        a.started_at
                    ),
                });
            }
        }
    }
    Ok(())
}

fn merged_input(path: &str, r: &RunResult, offset_ms: u64) -> MergedInput {
    let from = offset_ms as f64 / 1e3 + r.load.warmup_s;
    MergedInput {
        path: path.to_owned(),
        shard: r.shard,
        window_s: [from, from + r.load.window_s],
        status: r.status.clone(),
        verification: r.verification.clone(),
    }
}

/// `r`'s senders that ran out of funds, numbered from `offset`.
fn dry_senders(r: &RunResult, offset: usize) -> Vec<u32> {
    r.verification.as_ref().map_or_else(Vec::new, |v| {
        v.dry_senders.iter().map(|&i| i + offset as u32).collect()
    })
}

/// The inputs' verifications as one: every input's checks, each named for
/// its input; an input that could not read the chain is the merged
/// result's error, and one that holds no verification makes the merged
/// result unverified (never absent: a gate would read absent as fit).
fn merged_verification(inputs: &[MergedInput]) -> Verification {
    let mut checks = Vec::new();
    let mut errors = Vec::new();
    let mut unverified = Vec::new();
    for i in inputs {
        let who = i
            .shard
            .map_or_else(|| i.path.clone(), |s| format!("shard {s}"));
        let Some(v) = i.verification.as_ref() else {
            unverified.push(who);
            continue;
        };
        checks.extend(v.checks.iter().map(|c| Check {
            name: format!("{} ({who})", c.name),
            ..c.clone()
        }));
        if let Some(e) = &v.error {
            errors.push(format!("{who}: {e}"));
        }
        unverified.extend(v.unverified.iter().map(|u| format!("{u} ({who})")));
    }
    Verification {
        method: format!(
            "each of the {} merged inputs verified against the chain",
            inputs.len()
        ),
        checks,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        dry_senders: Vec::new(),
        unverified,
    }
}

/// `step`'s window moved `by_ms` later, ms.
fn step_window(step: &StepResult, by_ms: u64) -> (u64, u64) {
    let ms = |s: f64| by_ms + (s * 1e3).max(0.0) as u64;
    (ms(step.window_s[0]), ms(step.window_s[1]))
}

/// `arrivals` moved `by_ms` later.
fn shifted_arrivals(arrivals: &[[u64; 2]], by_ms: u64) -> Vec<[u64; 2]> {
    arrivals
        .iter()
        .map(|&[t, n]| [t + by_ms * 1000, n])
        .collect()
}

/// Adds `theirs` to `mine`: histograms add, totals and exact extremes
/// combine, the mean is recomputed from them.
fn merge_fees(
    path: &str,
    mine: &mut Fees,
    theirs: &Fees,
    unit: &FeeUnit,
) -> Result<(), MergeError> {
    // The exact extremes of a side where nothing landed say nothing (0).
    let (a_any, b_any) = (mine.per_tx.count > 0, theirs.per_tx.count > 0);
    mine.per_tx = add(path, &mine.per_tx, &theirs.per_tx)?;
    mine.compute_per_tx = add(path, &mine.compute_per_tx, &theirs.compute_per_tx)?;
    let total = mine.total.parse::<u128>().unwrap_or(0) + theirs.total.parse::<u128>().unwrap_or(0);
    mine.total = total.to_string();
    let exact = |a: &str, b: &str, pick: fn(u128, u128) -> u128| {
        let (a, b) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
        match (a_any, b_any) {
            (true, true) => pick(a, b),
            (true, false) => a,
            (false, true) => b,
            (false, false) => 0,
        }
        .to_string()
    };
    mine.min = exact(&mine.min, &theirs.min, u128::min);
    mine.max = exact(&mine.max, &theirs.max, u128::max);
    mine.mean = if mine.per_tx.count > 0 {
        total as f64 / mine.per_tx.count as f64
    } else {
        0.0
    };
    mine.total_usd = mine.total_usd.zip(theirs.total_usd).map(|(a, b)| a + b);
    mine.mean_usd = mine
        .price
        .as_ref()
        .map(|p| mine.mean * p.usd_per_coin / unit.units_per_coin());
    mine.warmup = match (mine.warmup.take(), &theirs.warmup) {
        (Some(a), Some(b)) => Some(WarmupFees {
            landed: a.landed + b.landed,
            total: (a.total.parse::<u128>().unwrap_or(0) + b.total.parse::<u128>().unwrap_or(0))
                .to_string(),
        }),
        // A schema 1 input has none: the sum is not known.
        _ => None,
    };
    Ok(())
}

/// Adds `theirs` to `mine`, the same step of two generators: counts and
/// target rates add, histograms add (its offered and landed rates are
/// taken over the merged window afterwards).
fn merge_step(
    path: &str,
    mine: &mut StepResult,
    theirs: &StepResult,
    unit: &FeeUnit,
) -> Result<(), MergeError> {
    mine.rate_per_s += theirs.rate_per_s;
    mine.sent += theirs.sent;
    mine.landed += theirs.landed;
    for (m, t) in mine.levels.iter_mut().zip(&theirs.levels) {
        m.latency_us = add(path, &m.latency_us, &t.latency_us)?;
        m.service_latency_us = add(path, &m.service_latency_us, &t.service_latency_us)?;
    }
    mine.outcomes.merge(&theirs.outcomes);
    merge_fees(path, &mut mine.fees, &theirs.fees, unit)
}

/// Adds `theirs` to `mine`, one fee-market bucket of the same bid. The
/// exact fees of a bucket where nothing landed say nothing.
/// Adds mix entry `theirs` to `mine`: outcomes, latency and fees.
fn merge_entry(
    path: &str,
    mine: &mut MixEntryResult,
    theirs: &MixEntryResult,
    unit: &FeeUnit,
) -> Result<(), MergeError> {
    mine.outcomes.merge(&theirs.outcomes);
    for (m, t) in mine.levels.iter_mut().zip(&theirs.levels) {
        m.latency_us = add(path, &m.latency_us, &t.latency_us)?;
    }
    merge_fees(path, &mut mine.fees, &theirs.fees, unit)
}

fn merge_bucket(path: &str, mine: &mut FeeBucket, theirs: &FeeBucket) -> Result<(), MergeError> {
    let fee = |b: &FeeBucket, s: &str| (b.landed > 0).then(|| s.parse::<u128>().unwrap_or(0));
    let pick = |a: Option<u128>, b: Option<u128>, f: fn(u128, u128) -> u128| match (a, b) {
        (Some(a), Some(b)) => f(a, b),
        (a, b) => a.or(b).unwrap_or(0),
    };
    let min = pick(
        fee(mine, &mine.fee_min),
        fee(theirs, &theirs.fee_min),
        u128::min,
    );
    let max = pick(
        fee(mine, &mine.fee_max),
        fee(theirs, &theirs.fee_max),
        u128::max,
    );
    mine.dry_senders += theirs.dry_senders;
    let landed = mine.landed + theirs.landed;
    let total = mine.fee_mean * mine.landed as f64 + theirs.fee_mean * theirs.landed as f64;
    mine.fee_min = min.to_string();
    mine.fee_max = max.to_string();
    mine.fee_mean = if landed > 0 {
        total / landed as f64
    } else {
        0.0
    };
    mine.sent += theirs.sent;
    mine.landed = landed;
    for (a, b) in mine.levels.iter_mut().zip(&theirs.levels) {
        a.latency_us = add(path, &a.latency_us, &b.latency_us)?;
    }
    Ok(())
}

/// The status of a merge: running (a partial result) if any input was,
/// else aborted if any input was, else incomplete (with the shortfalls
/// added) if any input was, else completed.
fn merged_status(mine: &RunStatus, path: &str, theirs: &RunStatus) -> RunStatus {
    match (mine, theirs) {
        // A partial input makes a partial merge: it is said so, not hidden.
        (RunStatus::Running, _) | (_, RunStatus::Running) => RunStatus::Running,
        // Two kinds of stop: the first input's stands (its reason comes first).
        (RunStatus::Aborted { reason: a, kind }, RunStatus::Aborted { reason: b, .. }) => {
            RunStatus::Aborted {
                reason: format!("{a}; {path}: {b}"),
                kind: *kind,
            }
        }
        (_, RunStatus::Aborted { reason, kind }) => RunStatus::Aborted {
            reason: format!("{path}: {reason}"),
            kind: *kind,
        },
        (RunStatus::Aborted { .. }, _) => mine.clone(),
        (RunStatus::Incomplete { missing: a }, RunStatus::Incomplete { missing: b }) => {
            let mut missing = a.clone();
            for (level, n) in b {
                *missing.entry(*level).or_default() += n;
            }
            RunStatus::Incomplete { missing }
        }
        (RunStatus::Completed, RunStatus::Incomplete { .. }) => theirs.clone(),
        _ => mine.clone(),
    }
}

/// `timeline` moved `by_ms` later on a grid of whole seconds. An input second
/// that straddles two merged seconds gives each the share of its counts
/// that its overlap is (counts are taken as spread evenly over the second;
/// totals stay exact), so inputs started a fraction of a second apart line
/// up to the millisecond rather than to the whole second.
fn shifted(timeline: &[SecondCounts], by_ms: u64) -> Vec<SecondCounts> {
    let (whole, frac) = (by_ms / 1000, by_ms % 1000);
    let len = whole as usize + timeline.len() + usize::from(frac > 0);
    let mut v: Vec<SecondCounts> = (0..len as u64)
        .map(|t| SecondCounts {
            t_s: t,
            ..Default::default()
        })
        .collect();
    let later = |n: u64| (n * frac + 500) / 1000;
    for s in timeline {
        let at = (whole + s.t_s) as usize;
        let (o, l, r) = (later(s.offered), later(s.landed), later(s.rejected));
        v[at].offered += s.offered - o;
        v[at].landed += s.landed - l;
        v[at].rejected += s.rejected - r;
        if frac > 0 {
            v[at + 1].offered += o;
            v[at + 1].landed += l;
            v[at + 1].rejected += r;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shift_of_a_fraction_of_a_second_splits_counts_by_overlap() {
        let t = [SecondCounts {
            t_s: 0,
            offered: 100,
            landed: 10,
            rejected: 0,
        }];
        let v = shifted(&t, 1_250);
        assert_eq!(v.len(), 3);
        assert_eq!((v[1].offered, v[2].offered), (75, 25));
        assert_eq!(v[1].landed + v[2].landed, 10);
        let whole = shifted(&t, 2_000);
        assert_eq!((whole.len(), whole[2].offered), (3, 100));
    }
}
