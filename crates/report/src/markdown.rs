//! One run as Markdown: the summary printed at the end of a run and saved beside its result.

use crate::{
    format::micros,
    view::{self, fee_market_table, latency_table, steps_table},
};
use chainmeter_result::run::{RunResult, RunStatus};
use std::fmt::Write;

/// Renders `r` as Markdown.
pub fn run_summary(r: &RunResult) -> String {
    let mut s = String::new();
    let node = &r.environment.node;
    let _ = writeln!(
        s,
        "## chainmeter: `{}` on {} ({})\n",
        r.scenario_name,
        r.chain,
        node.name()
    );
    match &r.status {
        RunStatus::Completed => {}
        RunStatus::Aborted { reason, .. } => {
            let _ = writeln!(s, "**Run aborted:** {reason}\n");
        }
        RunStatus::Incomplete { .. } => {
            let levels = r.status.shortfall().unwrap_or_default();
            let _ = writeln!(
                s,
                "**Run incomplete:** the drain ended before every landed transaction reached every level ({levels}); \
                 raise load.drain_timeout.\n"
            );
        }
        RunStatus::Running => {
            let _ = writeln!(s, "{}\n", view::running_line(r).markdown());
        }
    }
    if let Some(failed) = view::failed_line(r) {
        let _ = writeln!(s, "{}\n", failed.markdown());
    }
    if let Some(v) = &r.verification {
        let _ = writeln!(s, "**{}.**\n", v.line());
    }
    if let Some(funded) = view::funding_line(r) {
        let _ = writeln!(s, "{}\n", funded.markdown());
    }
    if let Some(swept) = view::sweep_line(r) {
        let _ = writeln!(s, "{}\n", swept.markdown());
    }
    if let Some(merged) = view::merged_line(r).map(|l| l.markdown()) {
        let _ = writeln!(s, "{merged}\n");
    }
    if let Some(knee) = view::knee_line(r).map(|l| l.markdown()) {
        let _ = writeln!(s, "{knee}\n");
    }
    if let Some(closed) = view::closed_loop_line(r) {
        let _ = writeln!(s, "{}\n", closed.markdown());
    }
    if let Some((intro, table)) = view::repeats_table(r) {
        let _ = writeln!(s, "{intro}\n\n{}", table.markdown());
    }
    let _ = writeln!(
        s,
        "Offered {:.1} tx/s ({} profile, {} arrivals) for {:.1} s after {:.1} s warm-up; {} sent in the window, {} in warm-up.\n",
        r.load.rate_per_s, r.load.profile, r.load.shape, r.load.window_s, r.load.warmup_s, r.load.measured_sent, r.load.warmup_sent
    );
    if !r.steps.is_empty() {
        let _ = writeln!(
            s,
            "Each {} on its own (latency from the intended send time, its warm-up excluded):\n",
            if r.load.profile == "saturate" {
                "probe"
            } else {
                "step"
            }
        );
        s.push_str(&steps_table(r).markdown());
        s.push('\n');
        let _ = writeln!(s, "The whole run:\n");
    }

    let _ = writeln!(s, "Workload: {}.\n", view::workload(r));
    s.push_str(&latency_table(r).markdown());
    if let Some(deltas) = view::block_delta_line(r) {
        let _ = writeln!(s, "\n{}", deltas.markdown());
    }
    if !r.mix.is_empty() {
        let _ = writeln!(
            s,
            "\n**Traffic mix**, each entry on its own (its counts add up to the whole's; latency and fees of the measured window):\n\n{}",
            view::mix_table(r).markdown()
        );
    }
    let lag = &r.load.send_lag_us;
    let _ = writeln!(
        s,
        "\nSend lag behind schedule: p50 {}, p99 {}, max {}.",
        micros(lag.p50),
        micros(lag.p99),
        micros(lag.max)
    );

    let t = &r.throughput;
    let _ = writeln!(
        s,
        "\n**Throughput:** {}, offered {:.1} tx/s.",
        view::landed_words(r),
        t.offered_mean_per_s
    );

    let o = &r.outcomes;
    let _ = writeln!(
        s,
        "\n**Outcomes:** {} sent = {} landed ok + {} landed failed + {} rejected + {} expired + {} unknown.",
        o.sent, o.landed_ok, o.landed_failed, o.rejected, o.expired, o.unknown
    );
    for note in view::outcome_notes(r) {
        let _ = writeln!(s, "- {note}");
    }

    let f = &r.fees;
    let total: f64 = f.total.parse().unwrap_or(0.0);
    let usd = match (&f.price, f.mean_usd, f.total_usd) {
        (Some(p), Some(mean), Some(total)) => format!(
            " In USD: ${mean:.6} per transaction, ${total:.4} in total, at ${} per coin ({}).",
            p.usd_per_coin, p.source
        ),
        _ => String::new(),
    };
    let warmup = match &f.warmup {
        Some(w) if w.landed > 0 => format!(
            " The warm-up's {} landed transactions paid {} {} more, not counted here.",
            w.landed, w.total, f.unit
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        s,
        "\n**Fees** (read from the chain; the measured window's {} landed transactions): {} per transaction (mean; min {}, max {}), {} in total ({} {}).{usd}{warmup}",
        f.per_tx.count,
        r.fee_unit.format(f.mean),
        r.fee_unit.format(f.min.parse().unwrap_or(0.0)),
        r.fee_unit.format(f.max.parse().unwrap_or(0.0)),
        r.fee_unit.format(total),
        f.total,
        f.unit,
    );

    if !r.fee_buckets.is_empty() {
        let _ = writeln!(
            s,
            "\n**Fee market** (bid = {}; the measured window, offered {:.0} tx/s: on one local validator below its capacity a higher bid may buy nothing, and this says what was measured, not what a network would do):\n\n{}",
            view::bid_unit(r),
            r.load.rate_per_s,
            fee_market_table(r).markdown()
        );
    }

    let c = &r.chain_view;
    let _ = writeln!(
        s,
        "\n**Chain** (the measured window's blocks): {} blocks observed; interval p50 {}, p99 {}; the run's transactions per block p50 {}, max {}.",
        c.blocks,
        micros(c.block_interval_us.p50),
        micros(c.block_interval_us.p99),
        c.txs_per_block.p50,
        c.txs_per_block.max
    );
    let h = &r.harness;
    let _ = writeln!(
        s,
        "\n**Harness:** {:.1} µs CPU per transaction while sending ({:.2} cores), {:.1} µs over the whole run (drain included); peak RSS {:.1} MiB{}.{} Timing: {} (resolution {}).{}",
        h.sending_cpu_us_per_tx,
        h.cores_while_sending,
        h.cpu_us_per_tx,
        h.max_rss_bytes as f64 / 1048576.0,
        memory_growth(&h.peak_rss_by_minute).unwrap_or_default(),
        h.validator.map_or_else(String::new, |v| format!(
            " The validator: {:.1} µs CPU per transaction while sending ({:.2} cores).",
            v.cpu_us_per_tx, v.cores_while_sending
        )),
        r.tracking.method,
        micros(r.tracking.resolution_us),
        if r.sending.is_empty() {
            String::new()
        } else {
            format!(" Sending: {}.", r.sending)
        }
    );
    for warning in view::warnings(r) {
        let _ = writeln!(s, "\n**Warning:** {warning}");
    }
    s
}

/// How the peak RSS grew from the third minute to the last, for runs of
/// three minutes or more: a harness whose memory grows with the run's
/// length shows it here.
fn memory_growth(by_minute: &[u64]) -> Option<String> {
    let (&at_3, &last) = (by_minute.get(2)?, by_minute.last()?);
    let mib = |b: u64| b as f64 / 1048576.0;
    Some(format!(
        " ({:.1} MiB at 3 min, {:.1} MiB at {} min: {:.2}x)",
        mib(at_3),
        mib(last),
        by_minute.len(),
        last as f64 / at_3.max(1) as f64
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_growth_compares_the_third_minute_with_the_last() {
        assert_eq!(memory_growth(&[10 << 20, 11 << 20]), None);
        let line = memory_growth(&[10 << 20, 12 << 20, 16 << 20, 17 << 20, 20 << 20]).unwrap();
        assert_eq!(line, " (16.0 MiB at 3 min, 20.0 MiB at 5 min: 1.25x)");
    }
}
