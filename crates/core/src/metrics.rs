//! Live metrics of a run, for Prometheus to scrape while it goes
//! (`chainmeter run --metrics ADDR`).
//!
//! The run's recorder counts every fact into them as it records it, so the
//! live counters and the result file come from one place and agree:
//! offered, sent, rejected (by class), landed (ok or failed) and expired
//! transactions; those in flight; latency from the intended send time per
//! level (the measured window's, as in the result); and the step or probe
//! being sent. Every series carries the chain and scenario as labels.

use crate::{outcome::RejectClass, Level};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};
use std::{
    borrow::Cow,
    sync::{atomic::AtomicU64, Arc, RwLock},
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClassLabels {
    class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LevelLabels {
    level: &'static str,
}

fn latency_histogram() -> Histogram {
    // 10 ms to 82 s, doubling: a 0.3 s EVM block and a 13 s Solana root
    // each fall a few buckets from the ends.
    Histogram::new(exponential_buckets(0.01, 2.0, 14))
}

/// One run's live metrics.
#[derive(Debug)]
pub struct LiveMetrics {
    registry: Registry,
    offered: Counter,
    sent: Counter,
    rejected: Family<ClassLabels, Counter>,
    landed: Family<ResultLabels, Counter>,
    expired: Counter,
    in_flight: Gauge,
    latency: Family<LevelLabels, Histogram, fn() -> Histogram>,
    stage: Gauge,
    stage_rate: Gauge<f64, AtomicU64>,
}

impl LiveMetrics {
    /// Metrics of a run of `scenario` against `chain`.
    pub fn new(chain: &str, scenario: &str) -> Self {
        let mut registry = Registry::with_prefix_and_labels(
            "chainmeter",
            [
                (Cow::Borrowed("chain"), Cow::Owned(chain.to_owned())),
                (Cow::Borrowed("scenario"), Cow::Owned(scenario.to_owned())),
            ]
            .into_iter(),
        );
        let m = Self {
            registry: Registry::default(),
            offered: Counter::default(),
            sent: Counter::default(),
            rejected: Family::default(),
            landed: Family::default(),
            expired: Counter::default(),
            in_flight: Gauge::default(),
            latency: Family::new_with_constructor(latency_histogram),
            stage: Gauge::default(),
            stage_rate: Gauge::default(),
        };
        registry.register(
            "offered",
            "Transactions the schedule planned (warm-up included)",
            m.offered.clone(),
        );
        registry.register("sent", "Transactions handed to the node", m.sent.clone());
        registry.register(
            "rejected",
            "Transactions the node refused or never answered for, by class",
            m.rejected.clone(),
        );
        registry.register(
            "landed",
            "Transactions seen in a block, by whether they executed successfully",
            m.landed.clone(),
        );
        registry.register(
            "expired",
            "Transactions proved never to land",
            m.expired.clone(),
        );
        registry.register(
            "in_flight",
            "Transactions sent and not yet complete",
            m.in_flight.clone(),
        );
        registry.register(
            "latency_seconds",
            "Latency from the intended send time to each level, measured window",
            m.latency.clone(),
        );
        registry.register(
            "stage",
            "The step or probe being sent, from 1 (0: the profile has none)",
            m.stage.clone(),
        );
        registry.register(
            "stage_offered_rate",
            "The offered rate of the step or probe being sent, transactions per second",
            m.stage_rate.clone(),
        );
        Self { registry, ..m }
    }

    /// The metrics in the text exposition format (OpenMetrics, which
    /// Prometheus scrapes).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    pub(crate) fn offered(&self) {
        self.offered.inc();
    }

    pub(crate) fn sent(&self) {
        self.sent.inc();
    }

    pub(crate) fn rejected(&self, class: RejectClass) {
        self.rejected
            .get_or_create(&ClassLabels {
                class: class.as_str(),
            })
            .inc();
    }

    pub(crate) fn landed(&self, success: bool) {
        let result = if success { "ok" } else { "failed" };
        self.landed.get_or_create(&ResultLabels { result }).inc();
    }

    pub(crate) fn expired(&self) {
        self.expired.inc();
    }

    pub(crate) fn reached(&self, level: Level, latency: Duration) {
        self.latency
            .get_or_create(&LevelLabels {
                level: level.as_str(),
            })
            .observe(latency.as_secs_f64());
    }

    pub(crate) fn set_in_flight(&self, n: usize) {
        self.in_flight.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub(crate) fn set_stage(&self, stage: Option<(u32, f64)>) {
        let (index, rate) = stage.map_or((0, 0.0), |(i, r)| (i64::from(i) + 1, r));
        self.stage.set(index);
        self.stage_rate.set(rate);
    }
}

/// The metrics being served: each run (each target of a scenario) puts its
/// own in place when it starts.
pub type Served = Arc<RwLock<Option<Arc<LiveMetrics>>>>;

/// Serves `GET /metrics` (any path, in fact) on `listener` until dropped:
/// the current run's metrics, or an empty body between runs.
pub async fn serve(listener: TcpListener, served: Served) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let served = served.clone();
        tokio::spawn(async move {
            // The request itself does not matter: read its head and answer.
            let mut head = [0u8; 4096];
            let mut read = 0;
            while read < head.len() {
                match stream.read(&mut head[read..]).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => read += n,
                }
                if head[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let body = served
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .map(|m| m.encode())
                .unwrap_or_else(|| "# EOF\n".to_owned());
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::INCLUDED;

    #[test]
    fn counters_histograms_and_labels_are_exposed() {
        let m = LiveMetrics::new("evm", "s");
        m.offered();
        m.offered();
        m.sent();
        m.rejected(RejectClass::Node);
        m.landed(true);
        m.reached(INCLUDED, Duration::from_millis(300));
        m.set_in_flight(7);
        m.set_stage(Some((2, 1125.0)));
        let text = m.encode();
        for line in [
            r#"chainmeter_offered_total{chain="evm",scenario="s"} 2"#,
            r#"chainmeter_sent_total{chain="evm",scenario="s"} 1"#,
            r#"chainmeter_rejected_total{chain="evm",scenario="s",class="node"} 1"#,
            r#"chainmeter_landed_total{chain="evm",scenario="s",result="ok"} 1"#,
            r#"chainmeter_in_flight{chain="evm",scenario="s"} 7"#,
            r#"chainmeter_stage{chain="evm",scenario="s"} 3"#,
            r#"chainmeter_latency_seconds_count{chain="evm",scenario="s",level="included"} 1"#,
            r#"chainmeter_latency_seconds_bucket{chain="evm",scenario="s",le="0.32",level="included"} 1"#,
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
    }
}
