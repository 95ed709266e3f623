//! The interval log (`latency.hlog`) read back: each second's latency
//! percentiles per level, for the latency-over-time chart.

use base64::Engine;
use hdrhistogram::serialization::{
    interval_log::{IntervalLogIterator, LogEntry},
    Deserializer,
};
use std::path::Path;

/// One interval of one level.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalPoint {
    /// The interval's end, seconds since the run started.
    pub t_s: f64,
    /// The level (the interval's tag).
    pub level: String,
    /// Latencies recorded in it.
    pub count: u64,
    /// Its p50, microseconds.
    pub p50_us: u64,
    /// Its p99, microseconds.
    pub p99_us: u64,
}

/// Reads the interval log at `path`; intervals that do not decode are
/// skipped (a log cut short by a crash still draws what it holds).
pub fn read(path: &Path) -> std::io::Result<Vec<IntervalPoint>> {
    let bytes = std::fs::read(path)?;
    let mut points = Vec::new();
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(&bytes) {
        let Ok(LogEntry::Interval(h)) = entry else {
            continue;
        };
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(h.encoded_histogram())
        else {
            continue;
        };
        let Ok(hist): Result<hdrhistogram::Histogram<u64>, _> =
            deserializer.deserialize(&mut raw.as_slice())
        else {
            continue;
        };
        if hist.is_empty() {
            continue;
        }
        points.push(IntervalPoint {
            t_s: (h.start_timestamp() + h.duration()).as_secs_f64(),
            level: h.tag().map_or_else(String::new, |t| t.as_str().to_owned()),
            count: hist.len(),
            p50_us: hist.value_at_quantile(0.5),
            p99_us: hist.value_at_quantile(0.99),
        });
    }
    Ok(points)
}
