//! The harness's and the validator's CPU while the run sends.

use crate::usage::ProcessUsage;
use chainmeter_result::run::{HarnessUsage, ValidatorUsage};
use std::time::{Duration, Instant};

/// The harness's and the validator's CPU, and the wall time, over the
/// stretches in which the run sent: marked every second and at the last
/// send of each probe and of the run, a stretch counts if a send was made
/// in it. A search's settles between probes send nothing and stay out, so
/// its cores and CPU per transaction are the probes' own.
#[derive(Debug, Clone, Copy)]
pub(super) struct SendingMeter {
    last: (Duration, Option<Duration>, Instant),
    pub(super) sent_since: bool,
    cpu: Duration,
    node_cpu: Option<Duration>,
    wall: Duration,
}

impl SendingMeter {
    pub(super) fn new(cpu: Duration, node_cpu: Option<Duration>, start: Instant) -> Self {
        Self {
            last: (cpu, node_cpu, start),
            sent_since: false,
            cpu: Duration::ZERO,
            node_cpu: node_cpu.map(|_| Duration::ZERO),
            wall: Duration::ZERO,
        }
    }

    pub(super) fn sent(&mut self) {
        self.sent_since = true;
    }

    /// Ends the stretch since the last mark at `now`.
    pub(super) fn mark(&mut self, cpu: Duration, node_cpu: Option<Duration>, now: Instant) {
        let (last_cpu, last_node, last_at) =
            std::mem::replace(&mut self.last, (cpu, node_cpu, now));
        if !std::mem::take(&mut self.sent_since) {
            return;
        }
        self.cpu += cpu.saturating_sub(last_cpu);
        self.wall += now.saturating_duration_since(last_at);
        self.node_cpu = match (self.node_cpu, node_cpu, last_node) {
            (Some(total), Some(now), Some(then)) => Some(total + now.saturating_sub(then)),
            _ => None,
        };
    }

    /// The harness's figures for `sent` transactions, `after` the usage now.
    pub(super) fn figures(
        &self,
        sent: u64,
        before: &ProcessUsage,
        after: ProcessUsage,
        peak_rss_by_minute: Vec<u64>,
    ) -> HarnessUsage {
        let cpu_us = (after.cpu.saturating_sub(before.cpu)).as_micros() as u64;
        let per_tx = |cpu: Duration| {
            if sent > 0 {
                cpu.as_micros() as f64 / sent as f64
            } else {
                0.0
            }
        };
        let wall = self.wall.as_secs_f64().max(1e-3);
        HarnessUsage {
            cpu_us,
            cpu_us_per_tx: per_tx(Duration::from_micros(cpu_us)),
            sending_cpu_us_per_tx: per_tx(self.cpu),
            max_rss_bytes: after.max_rss_bytes,
            peak_rss_by_minute,
            cores_while_sending: self.cpu.as_secs_f64() / wall,
            validator: self.node_cpu.map(|cpu| ValidatorUsage {
                cpu_us_per_tx: per_tx(cpu),
                cores_while_sending: cpu.as_secs_f64() / wall,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sending_meter_counts_only_stretches_with_sends() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut m = SendingMeter::new(s(10), Some(s(100)), t0);
        // 1 s sending: 0.5 s of harness CPU, 1 s of the validator's.
        m.sent();
        m.mark(Duration::from_millis(10_500), Some(s(101)), t0 + s(1));
        // 3 s of settling: CPU, but no sends.
        m.mark(s(12), Some(s(104)), t0 + s(4));
        // 1 s sending again.
        m.sent();
        m.mark(Duration::from_millis(12_500), Some(s(105)), t0 + s(5));
        let before = ProcessUsage {
            cpu: s(10),
            max_rss_bytes: 0,
        };
        let after = ProcessUsage {
            cpu: s(13),
            max_rss_bytes: 0,
        };
        let u = m.figures(1_000, &before, after, Vec::new());
        assert!((u.cores_while_sending - 0.5).abs() < 1e-9, "{u:?}");
        assert!((u.sending_cpu_us_per_tx - 1_000.0).abs() < 1e-6, "{u:?}");
        assert!((u.cpu_us_per_tx - 3_000.0).abs() < 1e-6, "{u:?}");
        let v = u.validator.unwrap();
        assert!((v.cores_while_sending - 1.0).abs() < 1e-9, "{v:?}");
    }
}
