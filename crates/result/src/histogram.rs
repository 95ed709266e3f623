//! HDR histograms: how values are recorded, summarised and stored.
//!
//! Results store whole histograms (HdrHistogram V2, deflate-compressed, base64)
//! rather than percentiles alone, so that runs can be merged and any percentile
//! recomputed later with any HdrHistogram tool.

use base64::{engine::general_purpose::STANDARD, Engine};
use hdrhistogram::{
    serialization::{Deserializer, Serializer, V2DeflateSerializer},
    Histogram,
};
use serde::{Deserialize, Serialize};

/// Significant decimal digits kept by every histogram.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A new auto-resizing histogram with [`SIGNIFICANT_DIGITS`].
pub fn new_histogram() -> Histogram<u64> {
    let mut h = Histogram::new(SIGNIFICANT_DIGITS).expect("3 significant digits is valid");
    h.auto(true);
    h
}

/// Records `value` into an auto-resizing histogram.
///
/// `saturating_record` would clamp to the histogram's current range instead
/// of growing it, so it is never used on its own.
pub fn record(h: &mut Histogram<u64>, value: u64) {
    if h.record(value).is_err() {
        h.saturating_record(value);
    }
}

/// A histogram as stored in a result file: its summary and the whole histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StoredHistogram {
    /// Number of recorded values.
    pub count: u64,
    /// Smallest value.
    pub min: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest value.
    pub max: u64,
    /// The histogram: HdrHistogram V2 deflate encoding, base64.
    pub hdr: String,
}

/// A stored histogram that could not be read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistogramDecodeError {
    /// Not base64.
    #[error("histogram is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// Not an HdrHistogram V2 (deflate) encoding.
    #[error("histogram is not a valid HdrHistogram V2 encoding: {0:?}")]
    Hdr(hdrhistogram::serialization::DeserializeError),
}

impl StoredHistogram {
    /// Summarises and encodes `h`.
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(h, &mut bytes)
            .expect("serializing a histogram into memory cannot fail");
        let empty = h.is_empty();
        let q = |p: f64| if empty { 0 } else { h.value_at_quantile(p) };
        Self {
            count: h.len(),
            min: if empty { 0 } else { h.min() },
            mean: if empty { 0.0 } else { h.mean() },
            p50: q(0.50),
            p90: q(0.90),
            p99: q(0.99),
            p999: q(0.999),
            max: if empty { 0 } else { h.max() },
            hdr: STANDARD.encode(bytes),
        }
    }

    /// Decodes the stored histogram.
    pub fn decode(&self) -> Result<Histogram<u64>, HistogramDecodeError> {
        let bytes = STANDARD.decode(&self.hdr)?;
        let mut h: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(HistogramDecodeError::Hdr)?;
        h.auto(true);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_histogram_round_trips_and_summarises() {
        let mut h = new_histogram();
        for v in 1..=1000u64 {
            h.record(v * 1000).unwrap();
        }
        let s = StoredHistogram::from_histogram(&h);
        assert_eq!(s.count, 1000);
        assert!((s.p50 as f64 - 500_000.0).abs() / 500_000.0 < 0.001);
        assert!((s.p99 as f64 - 990_000.0).abs() / 990_000.0 < 0.001);
        let back = s.decode().unwrap();
        assert_eq!(back, h);
        assert_eq!(StoredHistogram::from_histogram(&back), s);
    }

    #[test]
    fn empty_histogram_has_zero_summary() {
        let s = StoredHistogram::from_histogram(&new_histogram());
        assert_eq!((s.count, s.p50, s.max), (0, 0, 0));
        assert_eq!(s.decode().unwrap().len(), 0);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut s = StoredHistogram::from_histogram(&new_histogram());
        s.hdr = "not base64!".into();
        assert!(s.decode().is_err());
        s.hdr = STANDARD.encode(b"0123456789");
        assert!(s.decode().is_err());
    }
}
