//! What a run's reports say, as typed blocks: tables, and lines whose
//! emphasis is marked rather than written in one renderer's syntax. The
//! Markdown summary and the HTML page both render these; neither calls
//! the other.

use crate::{format::micros, table::Table};
use chainmeter_result::{
    headline::failed_pct,
    run::{share_percent, RunResult, StepResult},
};

/// A stretch of a line's text, emphasised or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text.
    pub text: String,
    /// Set in bold.
    pub strong: bool,
}

/// A line of prose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line(pub Vec<Span>);

impl Line {
    /// `lead` in bold, then `rest`.
    pub fn lead(lead: impl Into<String>, rest: impl Into<String>) -> Self {
        Self(vec![
            Span {
                text: lead.into(),
                strong: true,
            },
            Span {
                text: rest.into(),
                strong: false,
            },
        ])
    }

    /// In Markdown: bold as `**...**`.
    pub fn markdown(&self) -> String {
        self.0
            .iter()
            .map(|s| match s.strong {
                true => format!("**{}**", s.text),
                false => s.text.clone(),
            })
            .collect()
    }

    /// In HTML, escaped: bold as `<strong>`.
    pub fn html(&self) -> String {
        self.0
            .iter()
            .map(|s| match s.strong {
                true => format!("<strong>{}</strong>", crate::escape::escape(&s.text)),
                false => crate::escape::escape(&s.text),
            })
            .collect()
    }

    /// The words alone, without emphasis.
    pub fn text(&self) -> String {
        self.0.iter().map(|s| s.text.as_str()).collect()
    }
}

/// Latency from the intended send time, per level: the table both the
/// Markdown summary and the HTML page open with.
pub fn latency_table(r: &RunResult) -> Table {
    let header = [
        "latency from intended send",
        "n",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "max",
        "mean",
    ];
    let rows = r
        .levels
        .iter()
        .map(|l| {
            let h = &l.latency_us;
            let name = match l.at_latest {
                // Measured, but the node gives the level no distance of its own.
                true => format!("{} (= latest on this node)", l.level),
                false => l.level.to_string(),
            };
            let mut row = vec![name, h.count.to_string()];
            row.extend([h.p50, h.p90, h.p99, h.p999, h.max, h.mean as u64].map(micros));
            row
        })
        .collect();
    Table {
        header: header.map(str::to_owned).to_vec(),
        rows,
    }
}

/// Each step or probe on its own: offered and landed, latency to the
/// weakest and strongest level, and a probe's verdict.
pub fn steps_table(r: &RunResult) -> Table {
    let (first, last) = (r.levels.first(), r.levels.last());
    let mut header = vec![
        "step".to_owned(),
        "sent".to_owned(),
        "offered /s".to_owned(),
        "landed".to_owned(),
        "landed /s".to_owned(),
    ];
    let both = r.levels.len() > 1;
    if let Some(l) = first {
        header.push(format!("{} p50 / p99", l.level));
    }
    if let (true, Some(l)) = (both, last) {
        header.push(format!("{} p50 / p99", l.level));
    }
    let probes = r.steps.iter().any(|s| s.verdict.is_some());
    if probes {
        header.push("verdict".to_owned());
    }
    let rows = r
        .steps
        .iter()
        .map(|st| {
            let mut row = vec![
                st.label.clone(),
                st.sent.to_string(),
                format!("{:.1}", st.offered_per_s),
                st.landed.to_string(),
                rate(st.landed_per_s),
            ];
            let lat = |i: usize| {
                st.levels.get(i).map_or_else(
                    || "-".to_owned(),
                    |l| {
                        format!(
                            "{} / {}",
                            micros(l.latency_us.p50),
                            micros(l.latency_us.p99)
                        )
                    },
                )
            };
            row.push(lat(0));
            if both {
                row.push(lat(st.levels.len().saturating_sub(1)));
            }
            if probes {
                row.push(st.verdict.as_ref().map_or_else(
                    || "-".to_owned(),
                    |v| {
                        let word = if v.held { "held" } else { "broke" };
                        format!("{word}: {}", v.reason)
                    },
                ));
            }
            row
        })
        .collect();
    Table { header, rows }
}

/// Said at the top of a run's pages when most of what landed failed on
/// chain (reverted, or an instruction error): its latency and throughput
/// are of failures, and the harness's mistakes show up this way too.
pub fn failed_line(r: &RunResult) -> Option<Line> {
    let o = &r.outcomes;
    (o.landed_failed > o.landed_ok).then(|| {
        let example = o
            .error_examples
            .values()
            .flatten()
            .next()
            .map(|e| format!(" First: {e}."))
            .unwrap_or_default();
        Line::lead(
            "Most transactions failed on chain:",
            format!(
                " {} of the {} that landed failed ({:.1}% of sent), {} succeeded; the figures below are mostly of failures.{example}",
                o.landed_failed,
                o.landed(),
                failed_pct(r),
                o.landed_ok
            ),
        )
    })
}

/// What a closed loop was, since its rate is the chain's, not the load's.
pub fn closed_loop_line(r: &RunResult) -> Option<Line> {
    let closed = r.load.closed_loop.as_ref()?;
    let wait_for = closed.wait_for.map_or_else(
        || {
            r.levels
                .first()
                .map_or("the first level".to_owned(), |l| l.level.to_string())
        },
        |l| l.to_string(),
    );
    Some(Line::lead(
        "Closed loop:",
        format!(
            " {} transactions in flight, each followed by the next once it reached {wait_for}; the chain's pace set the rate ({:.1} tx/s sent), so it is no offered rate.",
            closed.concurrency, r.load.rate_per_s
        ),
    ))
}

/// Each repeat's headline metrics (`--repeat`), their mean and relative
/// spread (standard deviation over mean): what a noise-aware gate reads;
/// with the sentence that says the page's other figures are the last
/// repeat's.
pub fn repeats_table(r: &RunResult) -> Option<(String, Table)> {
    let first = r.repeats.first()?;
    let intro = format!(
        "Repeated {} times; the figures below are the last repeat's. Each repeat's headline metrics:",
        r.repeats.len()
    );
    let mut header = vec!["metric".to_owned()];
    header.extend((1..=r.repeats.len()).map(|k| k.to_string()));
    header.extend(["mean".to_owned(), "spread".to_owned()]);
    let rows = first
        .metrics
        .keys()
        .map(|name| {
            let each = r.repeat_values(name);
            let values: Vec<f64> = each.iter().flatten().copied().collect();
            let n = values.len() as f64;
            let mean = crate::stats::mean(&values);
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0))
                .sqrt();
            let mut row = vec![name.clone()];
            row.extend(
                each.iter()
                    .map(|v| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))),
            );
            row.push(format!("{mean:.3}"));
            row.push(if mean != 0.0 {
                format!("{:.1}%", 100.0 * sd / mean.abs())
            } else {
                "-".to_owned()
            });
            row
        })
        .collect();
    Some((intro, Table { header, rows }))
}

/// What the outcome counts do not say alone: rejections by class, unknowns
/// by reason, the submitter's counters, and example errors.
pub fn outcome_notes(r: &RunResult) -> Vec<String> {
    let o = &r.outcomes;
    let mut notes: Vec<String> = o
        .rejected_by_class
        .iter()
        .map(|(class, n)| format!("rejected ({}): {n}", class.as_str()))
        .collect();
    notes.extend(
        o.unknown_by_reason
            .iter()
            .map(|(reason, n)| format!("unknown ({reason}): {n}")),
    );
    notes.extend(
        r.submitter
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(name, n)| format!("{}: {n}", name.replace('_', " "))),
    );
    for (class, examples) in &o.error_examples {
        notes.extend(
            examples
                .iter()
                .map(|e| format!("e.g. {class}: {}", e.replace('\n', " "))),
        );
    }
    notes
}

/// The warnings a reader must see beside the figures: the harness may
/// have limited the run, senders ran out of funds.
pub fn warnings(r: &RunResult) -> Vec<String> {
    [harness_warning(r), dry_warning(r)]
        .into_iter()
        .flatten()
        .collect()
}

/// A warning when senders ran out of funds during the run.
fn dry_warning(r: &RunResult) -> Option<String> {
    let dry = r.verification.as_ref().map_or(0, |v| v.dry_senders.len());
    (dry > 0).then(|| {
        format!(
            "{dry} of the run's {} senders ran out of funds: what they sent last may have \
             failed for that, so their landed share is their funding's, not the chain's{}.",
            r.senders.len().max(dry),
            if r.fee_buckets.is_empty() {
                ""
            } else {
                " or the fee market's"
            }
        )
    })
}

/// Share of the machine's cores above which the harness may be what limits
/// a run: the validator it measures shares the machine.
pub const HARNESS_SHARE_WARNING: f64 = 0.25;

/// A warning when the harness kept more than [`HARNESS_SHARE_WARNING`] of
/// the machine busy while sending.
fn harness_warning(r: &RunResult) -> Option<String> {
    let cores = r.environment.cores.max(1) as f64;
    let used = r.harness.cores_while_sending;
    (used > HARNESS_SHARE_WARNING * cores).then(|| {
        format!(
            "the harness kept {used:.2} of this machine's {cores:.0} cores busy while sending, more than {:.0}%: \
             the harness, not the chain, may have limited this run.",
            HARNESS_SHARE_WARNING * 100.0
        )
    })
}

/// A landed rate, or `-` where its window held too few blocks for one.
pub fn rate(per_s: Option<f64>) -> String {
    per_s.map_or_else(|| "-".to_owned(), |r| format!("{r:.1}"))
}

/// What the run landed, as a rate over whole block intervals, or (where
/// its window held too few blocks for one) as a count and the window.
pub fn landed_words(r: &RunResult) -> String {
    let t = &r.throughput;
    match (t.landed_mean_per_s, t.landed_peak_1s, &t.no_rate) {
        (Some(mean), Some(peak), _) => format!(
            "landed {mean:.1} tx/s mean, {peak:.1} tx/s best (over whole block intervals; the best run of them spanning at least 1 s)"
        ),
        (_, _, why) => format!(
            "landed {} of {} sent in a {:.2} s window ({})",
            r.outcomes.landed_ok + r.outcomes.landed_failed,
            r.outcomes.sent,
            r.load.window_s,
            why.as_ref()
                .map_or_else(|| "no rate".to_owned(), ToString::to_string)
        ),
    }
}

/// The fee market, bucket by bucket: what each bid bought, from the fee
/// each transaction was charged.
pub fn fee_market_table(r: &RunResult) -> Table {
    let first = r
        .levels
        .first()
        .map_or("first level".into(), |l| l.level.to_string());
    let last = r
        .levels
        .last()
        .map_or("last level".into(), |l| l.level.to_string());
    let one_level = first == last;
    let mut header = vec![
        "bid".to_owned(),
        "sent".to_owned(),
        "landed".to_owned(),
        "fee charged, mean (min-max)".to_owned(),
        format!("{first} p50 / p99"),
    ];
    if !one_level {
        header.push(format!("{last} p50 / p99"));
    }
    let rows = r
        .fee_buckets
        .iter()
        .map(|b| {
            let bid = if b.bid[0] == b.bid[1] {
                b.bid[0].to_string()
            } else {
                format!("{}-{}", b.bid[0], b.bid[1])
            };
            let pct = if b.sent > 0 {
                100.0 * b.landed as f64 / b.sent as f64
            } else {
                0.0
            };
            let lat = |i: usize| match b.levels.get(i) {
                Some(l) if l.latency_us.count > 0 => {
                    format!(
                        "{} / {}",
                        micros(l.latency_us.p50),
                        micros(l.latency_us.p99)
                    )
                }
                _ => "none reached it".to_owned(),
            };
            let fee = if b.landed > 0 {
                format!(
                    "{:.0} ({}-{}) {}",
                    b.fee_mean, b.fee_min, b.fee_max, r.fees.unit
                )
            } else {
                "none landed".to_owned()
            };
            let dry = match b.dry_senders {
                0 => String::new(),
                n => format!(", {n} of its senders ran out of funds"),
            };
            let mut row = vec![
                bid,
                b.sent.to_string(),
                format!("{} ({pct:.1}%){dry}", b.landed),
                fee,
                lat(0),
            ];
            if !one_level {
                row.push(lat(b.levels.len().saturating_sub(1)));
            }
            row
        })
        .collect();
    Table { header, rows }
}

/// A traffic mix's entries beside one another: their share planned and
/// sent, outcomes, latency to the weakest and strongest level, fee and gas
/// (or compute units) per transaction, and what the chain proved of each.
pub fn mix_table(r: &RunResult) -> Table {
    let names: Vec<String> = r.levels.iter().map(|l| l.level.to_string()).collect();
    let shown: Vec<usize> = match names.len() {
        0 => Vec::new(),
        1 => vec![0],
        n => vec![0, n - 1],
    };
    let mut header = vec![
        "entry".to_owned(),
        "share (planned)".to_owned(),
        "sent".to_owned(),
        "landed ok".to_owned(),
        "landed failed".to_owned(),
        "rejected".to_owned(),
        "expired".to_owned(),
        "unknown".to_owned(),
    ];
    header.extend(shown.iter().map(|&i| format!("{} p50 / p99", names[i])));
    header.extend([
        "fee per transaction, mean".to_owned(),
        "gas / compute units, p50".to_owned(),
        "verified".to_owned(),
    ]);
    let sent: u64 = r.mix.iter().map(|e| e.outcomes.sent).sum();
    let rows = r
        .mix
        .iter()
        .map(|e| {
            let o = &e.outcomes;
            let pct = |n: u64, of: u64| {
                if of > 0 {
                    100.0 * n as f64 / of as f64
                } else {
                    0.0
                }
            };
            let mut row = vec![
                e.kind.clone(),
                format!("{:.1}% ({}%)", pct(o.sent, sent), share_percent(e.share)),
                o.sent.to_string(),
                format!("{} ({:.1}%)", o.landed_ok, pct(o.landed_ok, o.sent)),
                o.landed_failed.to_string(),
                o.rejected.to_string(),
                o.expired.to_string(),
                o.unknown.to_string(),
            ];
            row.extend(shown.iter().map(|&i| match e.levels.get(i) {
                Some(l) if l.latency_us.count > 0 => format!(
                    "{} / {}",
                    micros(l.latency_us.p50),
                    micros(l.latency_us.p99)
                ),
                _ => "none reached it".to_owned(),
            }));
            row.push(if e.fees.per_tx.count > 0 {
                r.fee_unit.format(e.fees.mean)
            } else {
                "none landed".to_owned()
            });
            row.push(e.fees.compute_per_tx.p50.to_string());
            row.push(entry_verified(r, &e.kind));
            row
        })
        .collect();
    Table { header, rows }
}

/// What the chain proved of mix entry `kind`: its own checks and the whole
/// run's (an entry is verified only when both hold), or why not.
fn entry_verified(r: &RunResult, kind: &str) -> String {
    let Some(v) = &r.verification else {
        return "not checked".to_owned();
    };
    if let Some(e) = &v.error {
        return format!("NO: cannot read the chain: {e}");
    }
    if !v.unverified.is_empty() {
        return format!("NO: {} unverified", v.unverified.join(", "));
    }
    let own: Vec<_> = v
        .checks
        .iter()
        .filter(|c| c.entry.as_deref() == Some(kind))
        .collect();
    if own.is_empty() {
        return "no check of its own".to_owned();
    }
    let failed: Vec<&str> = own
        .iter()
        .filter(|c| c.chain != c.recorded)
        .map(|c| c.name.as_str())
        .collect();
    let whole: Vec<String> = v
        .checks
        .iter()
        .filter(|c| c.entry.is_none() && c.chain != c.recorded)
        .map(|c| format!("the run's {}", c.name))
        .collect();
    match (failed.is_empty(), whole.is_empty()) {
        (true, true) => {
            let names: Vec<&str> = own.iter().map(|c| c.name.as_str()).collect();
            format!("yes: {} (and the whole run's)", names.join(", "))
        }
        (true, false) => format!("NO: {} differ", whole.join(", ")),
        (false, _) => format!(
            "NO: {} differ",
            failed
                .iter()
                .map(|s| s.to_string())
                .chain(whole)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What a fee-market bid is on `r`'s chain.
pub fn bid_unit(r: &RunResult) -> &str {
    &r.fee_unit.bid
}

/// What each transaction did, as its chain described it, with its size on
/// the wire when every transaction had one.
pub fn workload(r: &RunResult) -> String {
    match r.workload.tx_bytes {
        Some(n) => format!("{}; {n} bytes a transaction", r.workload.description),
        None => r.workload.description.clone(),
    }
}

/// What a partial result is: chainmeter wrote it while the run went, and
/// never finished the run.
pub fn running_line(r: &RunResult) -> Line {
    Line::lead(
        "Run not finished:",
        format!(
        " this partial result was written while the run went on (status running, last at {}); \
         chainmeter never wrote its end, so it was killed or the machine stopped. Its figures cover the run up to then; \
         what was in flight is unknown (in flight), and nothing was verified against the chain.",
        r.ended_at
    ),
    )
}

/// For a merged result: how many inputs, and how far their measured
/// windows overlapped (shards started apart do not make one rate).
pub fn merged_line(r: &RunResult) -> Option<Line> {
    let m = r.merged.as_ref()?;
    let share = if r.load.window_s > 0.0 {
        100.0 * m.overlap_s / r.load.window_s
    } else {
        0.0
    };
    Some(Line::lead(
        "Merged",
        format!(
        " from {} results: their measured windows were all open together for {:.1} s of the merged {:.1} s window ({share:.0}%); rates are over the merged window.",
        m.inputs.len(),
        m.overlap_s,
        r.load.window_s
    ),
    ))
}

/// What the chain said of itself at connect, in words.
pub fn parameters(p: &chainmeter_result::run::ChainParameters) -> String {
    use chainmeter_result::run::ChainParameters;
    use std::fmt::Write;
    match p {
        ChainParameters::Evm {
            chain_id,
            block_gas_limit,
            base_fee_wei,
            block_interval_ms,
            ..
        } => {
            let mut s = format!(
                "chain id {chain_id}, block gas limit {}, base fee {base_fee_wei} wei",
                block_gas_limit.map_or_else(|| "not given".to_owned(), |g| g.to_string())
            );
            if let Some(ms) = block_interval_ms {
                let _ = write!(s, ", a block every {ms:.0} ms by their timestamps");
            }
            for tag in ["safe", "finalized"] {
                match p.behind(tag) {
                    Some(0) => {
                        let _ = write!(s, ", {tag} = latest (not told apart)");
                    }
                    Some(n) => {
                        let _ = write!(s, ", {tag} {n} blocks behind latest");
                    }
                    None => {}
                }
            }
            s
        }
        ChainParameters::Solana {
            slot_ms,
            slots_per_epoch,
            fee_per_signature,
            block_compute_limit,
        } => format!(
            "slot time {}, {slots_per_epoch} slots an epoch, {fee_per_signature} lamports a signature{}",
            slot_ms.map_or_else(|| "not sampled yet".to_owned(), |ms| format!("{ms:.0} ms")),
            block_compute_limit
                .map(|l| format!(", {l} compute units a block"))
                .unwrap_or_default()
        ),
    }
}

/// Blocks or slots each level took, beside its milliseconds: the chain's
/// head when the level was reached minus the head at the send.
pub fn block_delta_line(r: &RunResult) -> Option<Line> {
    let word = r.blocks_word();
    let parts: Vec<String> = r
        .levels
        .iter()
        .filter_map(|l| {
            let d = l.block_delta.as_ref().filter(|d| d.count > 0)?;
            Some(format!(
                "{} p50 {}, p99 {}, max {}",
                l.level, d.p50, d.p99, d.max
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| {
        Line::lead(
            format!("In {word}:"),
            format!(
                " {} ({word} from the head at the send to the head at each level).",
                parts.join("; ")
            ),
        )
    })
}

/// How the senders were funded, when a key funded them (a cheat code or a
/// faucet is the default, and says nothing a reader must know).
pub fn funding_line(r: &RunResult) -> Option<Line> {
    let f = r.funding.as_ref().filter(|f| f.funder.is_some())?;
    Some(Line::lead(
        "Funded",
        format!(
            " by {} {}: {} in {} transactions, {:.1} s before the clock started.",
            f.method,
            f.funder.as_deref().unwrap_or_default(),
            r.fee_unit.format(f.amount.parse().unwrap_or(0.0)),
            f.transactions,
            f.seconds
        ),
    ))
}

/// What `--sweep` returned to the funder after the run, or why it failed.
pub fn sweep_line(r: &RunResult) -> Option<Line> {
    let s = r.sweep.as_ref()?;
    Some(match &s.error {
        Some(e) => Line::lead(
            "Sweep failed:",
            format!(" {e}; funds may be left with the senders."),
        ),
        None => Line::lead(
            "Swept",
            format!(
                " {} back to {} in {} transactions ({} in fees), {:.1} s after the run.",
                r.fee_unit.format(s.amount.parse().unwrap_or(0.0)),
                s.to,
                s.transactions,
                r.fee_unit.format(s.fees.parse().unwrap_or(0.0)),
                s.seconds
            ),
        ),
    })
}

/// The search's answer in one sentence, or why there is none.
pub fn knee_line(r: &RunResult) -> Option<Line> {
    if r.load.profile != "saturate" {
        return None;
    }
    let Some(k) = &r.knee else {
        return Some(Line::lead(
            "No knee:",
            format!(
                " none of the {} probes met the objective; lower load.saturate.from.",
                r.steps.len()
            ),
        ));
    };
    let levels: Vec<String> = r.steps[k.step]
        .levels
        .iter()
        .map(|l| {
            format!(
                "{} p50 {} p99 {}",
                l.level,
                micros(l.latency_us.p50),
                micros(l.latency_us.p99)
            )
        })
        .collect();
    let (head, probe) = if k.is_found() {
        ("Knee".to_owned(), String::new())
    } else {
        (
            "No knee found".to_owned(),
            " at the highest rate that held".to_owned(),
        )
    };
    Some(Line::lead(
        format!("{head}: {} offered", k.rate_words()),
        format!(
            "; landed {}{probe}, {}; objective: {}; {} probes in {:.0} s.{}",
            k.landed_per_s.map_or_else(
                || "too few blocks for a rate".to_owned(),
                |l| format!("{l:.0} tx/s")
            ),
            levels.join(", "),
            k.objective,
            k.probes,
            k.search_s,
            block_bound(r, &r.steps[k.step])
                .map(|b| format!(" {b}"))
                .unwrap_or_default()
        ),
    ))
}

/// The block limit's bound at `step` ([`RunResult::block_bound`]) in a
/// sentence, with how it is derived.
pub fn block_bound(r: &RunResult, step: &StepResult) -> Option<String> {
    let b = r.block_bound(step)?;
    Some(format!(
        "The block limit bounds it at {:.0} tx/s: {} per block / {:.0} gas or compute units per transaction (their mean at the knee) = {:.0} a block, every {}.",
        b.per_s(),
        b.limit,
        b.per_tx,
        b.per_block,
        micros(r.chain_view.block_interval_us.p50)
    ))
}
