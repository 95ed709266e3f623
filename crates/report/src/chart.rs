//! Charts as inline SVG inside a `<figure>`: linear or logarithmic value
//! axes, lines or bars, marked x positions (step boundaries, the knee, the
//! chain's bound), a legend beside the plot (HTML, so it never lies on the
//! data) and each x position's values on hover (an SVG `<title>`).

use crate::escape::escape;
use std::fmt::Write;

/// Chart width, height and margins, in SVG units (the figure scales to
/// the page's width; text scales with it).
pub(crate) const W: f64 = 720.0;
pub(crate) const H: f64 = 300.0;
/// Space below the plot, for the x axis's ticks and label.
const BOTTOM: f64 = 44.0;
/// Space left of the plot, for the y axis's ticks and label.
const LEFT: f64 = 66.0;
/// Space right of the plot, for the last tick's label.
const RIGHT: f64 = 20.0;
/// Space above the plot, for the marks' labels.
const TOP: f64 = 24.0;

/// The Okabe-Ito palette: distinct for the common colour blindnesses, and
/// in print. Yellow is left out: it does not read on white.
pub(crate) const PALETTE: &[&str] = &[
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000",
];

/// Offered load: grey, so that what landed stands out.
pub(crate) const OFFERED: &str = "#7F7F7F";
/// What landed (the first level reached): black.
pub(crate) const LANDED: &str = "#000000";

/// A confirmation level's colour, the same on every page: first inclusion
/// blue, the level between orange, finality green; levels of other names
/// by their rank among the run's levels (weakest first).
pub(crate) fn level_color(name: &str, rank: usize) -> &'static str {
    match name {
        "included" | "processed" | "latest" => PALETTE[0],
        "safe" | "confirmed" => PALETTE[1],
        "finalized" | "finalised" | "rooted" => PALETTE[2],
        _ => PALETTE[rank % 3],
    }
}

/// How values map to height.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scale {
    /// From 0 to this.
    Linear(f64),
    /// From `-max` to `max`, 0 in the middle: changes up and down.
    Signed(f64),
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
            Self::Signed(max) => (0.5 + v / (2.0 * max)).clamp(0.0, 1.0),
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
            Self::Signed(max) => (-2..=2)
                .map(|i| {
                    let v = max * f64::from(i) / 2.0;
                    (v, short(v))
                })
                .collect(),
            Self::LogMs { lo, hi } => {
                let mut v = lo;
                let mut t = Vec::new();
                while v <= hi * 1.0001 {
                    t.push((v, ms(v)));
                    v *= 10.0;
                }
                t
            }
        }
    }

    /// A value as a reader reads it: latencies in ms or s, others with `unit`.
    fn value(self, v: f64, unit: &str) -> String {
        match self {
            Self::LogMs { .. } => ms(v),
            Self::Linear(_) | Self::Signed(_) if unit.is_empty() => short(v),
            Self::Linear(_) | Self::Signed(_) => format!("{} {unit}", short(v)),
        }
    }
}

/// Milliseconds as `350 ms` or `1.25 s`.
fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{} s", short(v / 1000.0))
    } else {
        format!("{} ms", short(v))
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Line,
    Dashed,
    /// A line with a dot at every point.
    Dots,
    /// Dots alone: values that do not join up (pairs, metrics).
    Marks,
    /// A bar from 0 at every point, as wide as the space between points.
    Bars,
}

/// A named series of (x, y) points.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) points: Vec<(f64, f64)>,
    pub(crate) style: Style,
    /// `None`: the palette's next colour.
    pub(crate) color: Option<&'static str>,
    /// Per point, a low and a high drawn as a whisker (an interval); empty
    /// for none.
    pub(crate) whiskers: Vec<(f64, f64)>,
}

impl Series {
    pub(crate) fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            style: Style::Line,
            color: None,
            whiskers: Vec::new(),
        }
    }

    pub(crate) fn styled(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    pub(crate) fn colored(mut self, color: &'static str) -> Self {
        self.color = Some(color);
        self
    }
}

/// How an x position reads on hover.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum XUnit {
    /// Seconds since a start: `second 12`.
    Seconds,
    /// The HdrHistogram percentile axis, `log10(1 / (1 - q))`: `p99.9`.
    Percentile,
    /// An offered rate: `600 tx/s offered`.
    Rate,
    /// The name given for the nearest position (buckets, runs).
    Named(Vec<(f64, String)>),
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
    pub(crate) x_unit: XUnit,
    pub(crate) y: Scale,
    /// The unit of a linear y axis's values on hover (`tx/s`).
    pub(crate) y_unit: String,
    pub(crate) series: Vec<Series>,
    /// Vertical lines at x values, with labels.
    pub(crate) marks: Vec<(f64, String)>,
    /// Width and height in SVG units: text keeps its size in these, so a
    /// smaller chart shown smaller (small multiples) reads the same.
    pub(crate) size: (f64, f64),
}

impl Chart {
    /// A chart with no series, ticks or marks yet.
    pub(crate) fn new(x_label: &str, y_label: &str, x_max: f64, x_unit: XUnit, y: Scale) -> Self {
        Self {
            x_label: x_label.to_owned(),
            y_label: y_label.to_owned(),
            x_max,
            x_ticks: Vec::new(),
            x_unit,
            y,
            y_unit: String::new(),
            series: Vec::new(),
            marks: Vec::new(),
            size: (W, H),
        }
    }

    fn color(&self, i: usize) -> &'static str {
        self.series[i]
            .color
            .unwrap_or_else(|| PALETTE[i % PALETTE.len()])
    }

    /// How x reads on hover.
    fn x_words(&self, x: f64) -> String {
        match &self.x_unit {
            XUnit::Seconds => format!("second {}", short(x)),
            XUnit::Percentile => {
                let q = 100.0 * (1.0 - 10f64.powf(-x));
                let p = format!("{q:.3}");
                format!("p{}", p.trim_end_matches('0').trim_end_matches('.'))
            }
            XUnit::Rate => format!("{} tx/s offered", short(x)),
            XUnit::Named(names) => names
                .iter()
                .min_by(|a, b| (a.0 - x).abs().total_cmp(&(b.0 - x).abs()))
                .map_or_else(|| short(x), |t| t.1.clone()),
        }
    }

    /// The figure: the SVG and its legend.
    pub(crate) fn html(&self) -> String {
        let (w, h) = self.size;
        let (pw, ph) = (w - LEFT - RIGHT, h - BOTTOM - TOP);
        let bottom = h - BOTTOM;
        let x_of = |x: f64| LEFT + pw * (x / self.x_max.max(1e-9)).clamp(0.0, 1.0);
        let y_of = |y: f64| bottom - ph * self.y.fraction(y);
        let mut s = String::new();
        let _ = write!(
            s,
            "<figure class=\"chart\"><svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{} against {}\">\
             <text x=\"{cx}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\
             <text x=\"12\" y=\"{cy}\" font-size=\"12\" transform=\"rotate(-90 12 {cy})\" text-anchor=\"middle\">{}</text>",
            escape(&self.y_label),
            escape(&self.x_label),
            escape(&self.x_label),
            escape(&self.y_label),
            cx = LEFT + pw / 2.0,
            ty = h - 10.0,
            cy = TOP + ph / 2.0,
        );
        for (v, label) in self.y.ticks() {
            let y = y_of(v);
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text><line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#e4e4e4\"/>",
                LEFT - 4.0,
                y + 3.0,
                escape(&label),
                w - RIGHT
            );
        }
        let default_ticks = [(0.0, "0".to_owned()), (self.x_max, short(self.x_max))];
        let ticks = if self.x_ticks.is_empty() {
            &default_ticks[..]
        } else {
            &self.x_ticks[..]
        };
        for (x, label) in ticks {
            // The ends' labels lean inwards, so that none is cut off.
            let anchor = match x_of(*x) {
                xx if xx < LEFT + 20.0 => "start",
                xx if xx > w - RIGHT - 20.0 => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"{anchor}\">{}</text>",
                x_of(*x),
                bottom + 14.0,
                escape(label)
            );
        }
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{bottom}\" x2=\"{r}\" y2=\"{bottom}\" stroke=\"#333\"/><line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{bottom}\" stroke=\"#333\"/>",
            r = w - RIGHT,
        );
        for (i, (x, label)) in self.marks.iter().enumerate() {
            let xx = x_of(*x);
            // Labels above the plot, staggered, and turned towards the
            // plot's middle so that none runs off its edge.
            let anchor = if xx > LEFT + pw * 0.7 { "end" } else { "start" };
            let dx = if anchor == "end" { -3.0 } else { 3.0 };
            let _ = write!(
                s,
                "<line x1=\"{xx:.1}\" y1=\"{TOP}\" x2=\"{xx:.1}\" y2=\"{bottom}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"10\" fill=\"#333\" text-anchor=\"{anchor}\">{}</text>",
                xx + dx,
                TOP - 4.0 - 10.0 * (i % 2) as f64,
                escape(label)
            );
        }
        let bar_width = self.bar_width(pw);
        for (i, series) in self.series.iter().enumerate() {
            let color = self.color(i);
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .map(|&(x, y)| (x_of(x), y_of(y)))
                .collect();
            for (&(x, _), &(lo, hi)) in points.iter().zip(&series.whiskers) {
                let _ = write!(
                    s,
                    "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{color}\" stroke-width=\"1.5\"/>",
                    y_of(lo),
                    y_of(hi)
                );
            }
            match series.style {
                Style::Bars => {
                    for &(x, y) in &points {
                        let _ = write!(
                            s,
                            "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\"/>",
                            x - bar_width / 2.0,
                            (bar_width - 1.0).max(1.0),
                            (bottom - y).max(0.0)
                        );
                    }
                }
                Style::Marks => {}
                Style::Line | Style::Dashed | Style::Dots => {
                    let dash = if series.style == Style::Dashed {
                        " stroke-dasharray=\"6 4\""
                    } else {
                        ""
                    };
                    let line: Vec<String> = points
                        .iter()
                        .map(|(x, y)| format!("{x:.1},{y:.1}"))
                        .collect();
                    let _ = write!(
                        s,
                        "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
                        line.join(" ")
                    );
                }
            }
            if matches!(series.style, Style::Dots | Style::Marks) {
                for (x, y) in &points {
                    let _ = write!(
                        s,
                        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{color}\"/>"
                    );
                }
            }
        }
        s.push_str(&self.hover_columns(&x_of, pw, ph));
        s.push_str("</svg>");
        s.push_str(&self.legend());
        s.push_str("</figure>");
        s
    }

    /// Bars are as wide as the closest two x positions are apart.
    fn bar_width(&self, pw: f64) -> f64 {
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .filter(|s| s.style == Style::Bars)
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        let gap = xs
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|d| *d > 0.0)
            .fold(self.x_max, f64::min);
        (pw * gap / self.x_max.max(1e-9)).clamp(1.0, pw / 2.0)
    }

    /// One invisible column per x position that any series has a point
    /// at, whose `<title>` reads every series' value there: a reader
    /// hovering anywhere over that position sees the figures.
    fn hover_columns(&self, x_of: &dyn Fn(f64) -> f64, pw: f64, ph: f64) -> String {
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let mut s = String::from("<g class=\"hover\" fill=\"#000\" fill-opacity=\"0\">");
        for (k, &x) in xs.iter().enumerate() {
            let left = if k == 0 {
                LEFT
            } else {
                (x_of(xs[k - 1]) + x_of(x)) / 2.0
            };
            let right = xs
                .get(k + 1)
                .map_or(LEFT + pw, |&next| (x_of(x) + x_of(next)) / 2.0);
            let values: Vec<String> = self
                .series
                .iter()
                .filter_map(|series| {
                    let i = series.points.iter().position(|p| p.0 == x)?;
                    let v = self.y.value(series.points[i].1, &self.y_unit);
                    Some(match series.whiskers.get(i) {
                        Some(&(lo, hi)) => format!(
                            "{}: {v} ({} to {})",
                            series.name,
                            self.y.value(lo, &self.y_unit),
                            self.y.value(hi, &self.y_unit)
                        ),
                        None => format!("{}: {v}", series.name),
                    })
                })
                .collect();
            let _ = write!(
                s,
                "<rect x=\"{left:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{}\"><title>{}\n{}</title></rect>",
                (right - left).max(0.5),
                ph,
                escape(&self.x_words(x)),
                escape(&values.join("\n"))
            );
        }
        s.push_str("</g>");
        s
    }

    /// The legend, below the plot: a swatch in each series' colour and style.
    fn legend(&self) -> String {
        let mut s = String::from("<figcaption class=\"legend\">");
        for (i, series) in self.series.iter().enumerate() {
            let class = match series.style {
                Style::Dashed => "dashed",
                Style::Bars => "bar",
                Style::Marks => "dot",
                Style::Line | Style::Dots => "line",
            };
            let _ = write!(
                s,
                "<span><i class=\"{class}\" style=\"color:{}\"></i>{}</span>",
                self.color(i),
                escape(&series.name)
            );
        }
        s.push_str("</figcaption>");
        s
    }
}

/// A value in few characters: `120`, `12.5`, `1.25`.
pub(crate) fn short(v: f64) -> String {
    // Large figures (fees in wei, say) by their thousands: `25.5T`.
    for (scale, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")] {
        if v.abs() >= scale {
            let scale = if suffix == "k" { 1e3 } else { scale };
            return format!("{}{suffix}", short(v / scale));
        }
    }
    if v.abs() >= 100.0 || v == 0.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
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

    #[test]
    fn large_figures_go_by_their_thousands() {
        assert_eq!(short(9_999.0), "9999");
        assert_eq!(short(40_000.0), "40.0k");
        assert_eq!(short(25_549_378_768_830.0), "25.5T");
        assert_eq!(short(0.25), "0.25");
    }

    fn two_lines() -> Chart {
        let mut c = Chart::new(
            "seconds since start",
            "transactions per second",
            3.0,
            XUnit::Seconds,
            Scale::Linear(300.0),
        );
        c.y_unit = "tx/s".into();
        c.series = vec![
            Series::line("offered", vec![(0.5, 200.0), (1.5, 200.0), (2.5, 200.0)])
                .colored(OFFERED)
                .styled(Style::Dashed),
            Series::line("landed", vec![(0.5, 190.0), (1.5, 210.0)]).colored(LANDED),
        ];
        c.marks = vec![(1.0, "step 2".into())];
        c
    }

    #[test]
    fn the_legend_sits_outside_the_plot_and_every_position_reads_on_hover() {
        let html = two_lines().html();
        let (svg, legend) = html.split_once("</svg>").unwrap();
        assert!(legend.contains("<figcaption class=\"legend\">"));
        for name in ["offered", "landed"] {
            assert!(legend.contains(name), "{name} in the legend");
            assert!(
                !svg.contains(&format!(">{name}<")),
                "{name} drawn on the plot"
            );
        }
        // Three positions, each with every series that has a point there.
        assert_eq!(svg.matches("<title>").count(), 3);
        assert!(svg.contains("<title>second 1.50\noffered: 200 tx/s\nlanded: 210 tx/s</title>"));
        assert!(svg.contains("<title>second 2.50\noffered: 200 tx/s</title>"));
        assert!(svg.contains("stroke=\"#7F7F7F\" stroke-width=\"2\" stroke-dasharray"));
        // Marks are labelled above the plot, not in the legend.
        assert!(svg.contains(">step 2</text>") && !legend.contains("step 2"));
    }

    #[test]
    fn percentiles_read_as_percentiles() {
        let mut c = two_lines();
        c.x_unit = XUnit::Percentile;
        assert_eq!(c.x_words(2.0), "p99");
        assert_eq!(c.x_words(3.0), "p99.9");
        assert_eq!(c.x_words(0.0), "p0");
        assert_eq!(c.x_words((1.0f64 / 0.5).log10()), "p50");
    }

    #[test]
    fn levels_keep_their_colours_whatever_else_is_recorded() {
        assert_eq!(level_color("included", 0), level_color("processed", 0));
        assert_eq!(level_color("finalized", 1), level_color("finalized", 2));
        assert_ne!(level_color("confirmed", 1), level_color("finalized", 2));
        assert_eq!(level_color("custom", 1), PALETTE[1]);
    }
}
