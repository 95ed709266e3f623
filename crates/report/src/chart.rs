//! Line charts as inline SVG: linear or logarithmic value axes, several
//! series, and marked x positions (step boundaries, the knee).

use crate::escape::escape;
use std::fmt::Write;

/// Chart width, height and margin, in SVG units.
pub(crate) const W: f64 = 720.0;
pub(crate) const H: f64 = 300.0;
pub(crate) const PAD: f64 = 50.0;
/// Series colours, in order.
pub(crate) const COLORS: &[&str] = &["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];

/// How values map to height.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scale {
    /// From 0 to this.
    Linear(f64),
    /// Latencies in milliseconds, decades from `lo` to `hi` (powers of ten):
    /// a 0.3 s level and a 65 s level both read.
    LogMs { lo: f64, hi: f64 },
}

impl Scale {
    /// Decades around latencies from `min` to `max` milliseconds.
    pub(crate) fn log_ms(min: f64, max: f64) -> Self {
        let lo = 10f64.powf(min.max(0.01).log10().floor());
        let hi = 10f64.powf(max.max(lo * 10.0).log10().ceil());
        Self::LogMs { lo, hi }
    }

    /// 0 at the bottom, 1 at the top.
    fn fraction(self, v: f64) -> f64 {
        match self {
            Self::Linear(max) => (v / max).clamp(0.0, 1.0),
            Self::LogMs { lo, hi } => {
                ((v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10())).clamp(0.0, 1.0)
            }
        }
    }

    fn ticks(self) -> Vec<(f64, String)> {
        match self {
            Self::Linear(max) => (0..=4)
                .map(|i| {
                    let v = max * f64::from(i) / 4.0;
                    (v, short(v))
                })
                .collect(),
            Self::LogMs { lo, hi } => {
                let mut v = lo;
                let mut t = Vec::new();
                while v <= hi * 1.0001 {
                    let label = if v >= 1000.0 {
                        format!("{} s", short(v / 1000.0))
                    } else {
                        format!("{} ms", short(v))
                    };
                    t.push((v, label));
                    v *= 10.0;
                }
                t
            }
        }
    }
}

/// A named series of (x, y) points, drawn as a line, with dots if asked.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) points: Vec<(f64, f64)>,
    pub(crate) dots: bool,
    pub(crate) dashed: bool,
}

impl Series {
    pub(crate) fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            dots: false,
            dashed: false,
        }
    }
}

/// A chart: axes, series and marks.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    /// The x axis spans 0 to this.
    pub(crate) x_max: f64,
    /// Labels along the x axis, at x values; default: 0 and `x_max`.
    pub(crate) x_ticks: Vec<(f64, String)>,
    pub(crate) y: Scale,
    pub(crate) series: Vec<Series>,
    /// Vertical lines at x values, with labels.
    pub(crate) marks: Vec<(f64, String)>,
}

impl Chart {
    pub(crate) fn svg(&self) -> String {
        let (pw, ph) = (W - PAD - 10.0, H - 2.0 * PAD);
        let x_of = |x: f64| PAD + pw * (x / self.x_max.max(1e-9)).clamp(0.0, 1.0);
        let y_of = |y: f64| (H - PAD) - ph * self.y.fraction(y);
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" class=\"chart\">\
             <line x1=\"{PAD}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#333\"/><line x1=\"{PAD}\" y1=\"{PAD}\" x2=\"{PAD}\" y2=\"{b}\" stroke=\"#333\"/>\
             <text x=\"{cx}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\
             <text x=\"12\" y=\"{cy}\" font-size=\"12\" transform=\"rotate(-90 12 {cy})\" text-anchor=\"middle\">{}</text>",
            escape(&self.x_label),
            escape(&self.y_label),
            b = H - PAD,
            r = W - 10.0,
            cx = W / 2.0,
            ty = H - 12.0,
            cy = H / 2.0,
        );
        for (v, label) in self.y.ticks() {
            let y = y_of(v);
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{label}</text><line x1=\"{PAD}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#eee\"/>",
                PAD - 4.0,
                y + 3.0,
                W - 10.0
            );
        }
        let default_ticks = [(0.0, "0".to_owned()), (self.x_max, short(self.x_max))];
        let ticks = if self.x_ticks.is_empty() {
            &default_ticks[..]
        } else {
            &self.x_ticks[..]
        };
        for (x, label) in ticks {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                x_of(*x),
                H - PAD + 14.0,
                escape(label)
            );
        }
        for (i, (x, label)) in self.marks.iter().enumerate() {
            let xx = x_of(*x);
            let _ = write!(
                s,
                "<line x1=\"{xx:.1}\" y1=\"{PAD}\" x2=\"{xx:.1}\" y2=\"{}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"10\" fill=\"#555\">{}</text>",
                H - PAD,
                xx + 3.0,
                PAD + 10.0 + 11.0 * (i % 3) as f64,
                escape(label)
            );
        }
        for (i, series) in self.series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let points: Vec<String> = series
                .points
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", x_of(x), y_of(y)))
                .collect();
            let dash = if series.dashed {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            };
            let _ = write!(
                s,
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
                points.join(" ")
            );
            if series.dots {
                for &(x, y) in &series.points {
                    let _ = write!(
                        s,
                        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{color}\"/>",
                        x_of(x),
                        y_of(y)
                    );
                }
            }
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{color}\">{}</text>",
                W - 150.0,
                PAD + 14.0 * (i as f64 + 1.0),
                escape(&series.name)
            );
        }
        s.push_str("</svg>");
        s
    }
}

/// A value in few characters: `120`, `12.5`, `1.25`.
pub(crate) fn short(v: f64) -> String {
    if v >= 100.0 || v == 0.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The next 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten at or above `v`.
pub(crate) fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&m| m >= v)
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_axis_spans_whole_decades_and_reads_both_ends() {
        let Scale::LogMs { lo, hi } = Scale::log_ms(300.0, 65_000.0) else {
            unreachable!()
        };
        assert_eq!((lo, hi), (100.0, 100_000.0));
        let s = Scale::log_ms(300.0, 65_000.0);
        // 0.3 s sits a sixth of the way up, not flat at the bottom.
        assert!(
            (s.fraction(300.0) - 0.159).abs() < 0.01,
            "{}",
            s.fraction(300.0)
        );
        let labels: Vec<_> = s.ticks().into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["100 ms", "1.00 s", "10.0 s", "100 s"]);
    }

    #[test]
    fn nice_maxima_round_up() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.2), 4.0);
        assert_eq!(nice_max(120.0), 150.0);
        assert_eq!(nice_max(2025.0), 2500.0);
        assert_eq!(nice_max(1000.0), 1000.0);
    }
}
