//! Landed throughput over whole block intervals.
//!
//! A chain lands transactions in blocks (slots), so a count of landings in
//! wall-clock seconds moves by a whole block when a block arrives near a
//! second's edge: about ±1/W for a W-second window. Counting whole block
//! intervals instead (a block's landings belong to the interval that ends
//! at its arrival, and the rate is those landings over the time the
//! intervals span) gives a periodic chain's exact rate whatever the phase
//! of its blocks. The mean, the best second, each step or probe and a
//! merged run all use this one rule.

use serde::{Deserialize, Serialize};

/// Landing instants closer than this are one block's: the generators of a
/// merged run stamp one block a few milliseconds apart, and blocks and slots
/// come hundreds of milliseconds apart or more.
pub const SAME_BLOCK_US: u64 = 50_000;

/// A window's landed rates over its whole block intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockRate {
    /// Landings in the window's whole block intervals over the time they
    /// span, transactions per second.
    pub mean_per_s: f64,
    /// The best run of whole block intervals spanning at least a second
    /// (the whole window's intervals being one such run), transactions per
    /// second; the mean when the intervals span less than a second.
    pub peak_per_s: f64,
}

/// Why a window has no landed rate: it holds fewer than two block arrivals,
/// so no whole block interval. A figure of 0.0 would read as a chain that
/// landed nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NoRate {
    /// Block (slot) arrivals with landings inside the window.
    pub blocks: u64,
    /// Transactions that landed in them.
    pub landed: u64,
    /// The window's length, seconds.
    pub window_s: f64,
}

impl std::fmt::Display for NoRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no rate: the {:.2} s window holds {} block arrival{} with landings ({} landed), and a rate needs two",
            self.window_s,
            self.blocks,
            if self.blocks == 1 { "" } else { "s" },
            self.landed
        )
    }
}

/// The landed rates of `arrivals` (`[t_us, landed]`, any order) over the
/// windows `windows_us` (`[from, to]`, microseconds, each taken alone: a
/// search's probes with their settles between them left out). The mean is
/// the landings of every window's whole block intervals over the time they
/// span together; the peak, the best window's.
pub fn landed_rate(arrivals: &[[u64; 2]], windows_us: &[(u64, u64)]) -> Result<BlockRate, NoRate> {
    // A run's arrivals come in time order; a merge's are sorted once. Sort
    // only what is not, rather than copy every stage's every call.
    let sorted: std::borrow::Cow<'_, [[u64; 2]]> = if arrivals.is_sorted() {
        arrivals.into()
    } else {
        let mut own = arrivals.to_vec();
        own.sort_unstable();
        own.into()
    };
    let (mut landed, mut span_us, mut peak) = (0u64, 0u64, None::<f64>);
    let (mut blocks_seen, mut landed_seen, mut window_us) = (0u64, 0u64, 0u64);
    for &(from, to) in windows_us {
        window_us += to.saturating_sub(from);
        let blocks = blocks_in(&sorted, (from, to));
        blocks_seen += blocks.len() as u64;
        landed_seen += blocks.iter().map(|b| b.1).sum::<u64>();
        let Some(w) = Window::of(&blocks) else {
            continue;
        };
        landed += w.landed;
        span_us += w.span_us;
        peak = Some(peak.map_or(w.peak_per_s, |p: f64| p.max(w.peak_per_s)));
    }
    match peak {
        Some(peak_per_s) if span_us > 0 => Ok(BlockRate {
            mean_per_s: landed as f64 / (span_us as f64 / 1e6),
            peak_per_s,
        }),
        _ => Err(NoRate {
            blocks: blocks_seen,
            landed: landed_seen,
            window_s: window_us as f64 / 1e6,
        }),
    }
}

/// The arrivals inside `window` grouped into blocks: `(first instant,
/// landings)`, in time order. `sorted` is in time order.
fn blocks_in(sorted: &[[u64; 2]], (from, to): (u64, u64)) -> Vec<(u64, u64)> {
    let start = sorted.partition_point(|a| a[0] < from);
    let mut blocks: Vec<(u64, u64)> = Vec::new();
    for &[t, n] in sorted[start..].iter().take_while(|a| a[0] <= to) {
        match blocks.last_mut() {
            Some((first, count)) if t - *first < SAME_BLOCK_US => *count += n,
            _ => blocks.push((t, n)),
        }
    }
    blocks
}

/// One window's whole block intervals.
struct Window {
    /// Landings of every block but the first: the first closes an interval
    /// that began before the window.
    landed: u64,
    /// From the first block's arrival to the last's, microseconds.
    span_us: u64,
    /// The best run of whole intervals spanning at least a second, or the
    /// whole window's mean when it spans less.
    peak_per_s: f64,
}

impl Window {
    fn of(blocks: &[(u64, u64)]) -> Option<Self> {
        let (&(first, _), rest) = blocks.split_first()?;
        let &(last, _) = rest.last()?;
        let landed: u64 = rest.iter().map(|b| b.1).sum();
        let span_us = last - first;
        let mean = landed as f64 / (span_us as f64 / 1e6);
        // prefix[k]: landings of blocks[..k].
        let mut prefix = Vec::with_capacity(blocks.len() + 1);
        prefix.push(0u64);
        for &(_, n) in blocks {
            prefix.push(prefix.last().copied().unwrap_or(0) + n);
        }
        let mut best = mean;
        let mut j = 0;
        for i in 0..blocks.len() {
            j = j.max(i + 1);
            while j < blocks.len() && blocks[j].0 - blocks[i].0 < 1_000_000 {
                j += 1;
            }
            if j == blocks.len() {
                break;
            }
            // Blocks i+1..=j: the intervals from block i's arrival to block j's.
            let rate =
                (prefix[j + 1] - prefix[i + 1]) as f64 / ((blocks[j].0 - blocks[i].0) as f64 / 1e6);
            best = best.max(rate);
        }
        Some(Self {
            landed,
            span_us,
            peak_per_s: best,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` blocks of `per_block` every `interval_us` from `phase_us`.
    fn periodic(phase_us: u64, interval_us: u64, count: u64, per_block: u64) -> Vec<[u64; 2]> {
        (0..count)
            .map(|k| [phase_us + k * interval_us, per_block])
            .collect()
    }

    #[test]
    fn periodic_blocks_give_the_exact_rate_whatever_their_phase() {
        // 200 a block every 1.000 s, over a 15 s window, early and late in
        // the second: whole seconds read 14 or 15 blocks' worth.
        for phase in [20_000, 980_000] {
            let arrivals = periodic(phase, 1_000_000, 20, 200);
            let r = landed_rate(&arrivals, &[(0, 15_000_000)]).unwrap();
            assert!((r.mean_per_s - 200.0).abs() <= 1.0, "phase {phase}: {r:?}");
            assert!((r.peak_per_s - 200.0).abs() <= 1.0, "phase {phase}: {r:?}");
        }
    }

    #[test]
    fn a_window_of_one_block_has_no_rate_and_says_why() {
        // 500 sent in half a second, landed in one block.
        let e = landed_rate(&[[700_000, 500]], &[(0, 500_000)]).unwrap_err();
        assert_eq!(
            e,
            NoRate {
                blocks: 0,
                landed: 0,
                window_s: 0.5
            }
        );
        let e = landed_rate(&[[300_000, 500]], &[(0, 500_000)]).unwrap_err();
        assert_eq!((e.blocks, e.landed), (1, 500));
        assert!(
            e.to_string()
                .contains("holds 1 block arrival with landings (500 landed), and a rate needs two"),
            "{e}"
        );
    }

    #[test]
    fn the_peak_is_the_best_run_of_blocks_spanning_a_second() {
        // 400 ms slots, a burst of 4,000 in one: the best second holds it.
        let mut slots = periodic(0, 400_000, 10, 100);
        slots[5][1] = 4_000;
        let r = landed_rate(&slots, &[(0, u64::MAX)]).unwrap();
        // Slots 5..=7 over 4..=7's 1.2 s, or 3..=5 over 2..=5's 1.2 s.
        assert!((r.peak_per_s - 4_200.0 / 1.2).abs() < 1e-6, "{r:?}");
        assert!((r.mean_per_s - 4_800.0 / 3.6).abs() < 1e-6, "{r:?}");
        // Two blocks 0.4 s apart: the mean of that one interval.
        let r = landed_rate(&slots[..2], &[(0, u64::MAX)]).unwrap();
        assert!((r.peak_per_s - 250.0).abs() < 1e-6, "{r:?}");
    }

    #[test]
    fn stamps_of_one_block_a_few_ms_apart_are_one_block() {
        // Two generators saw each block 3 ms apart.
        let mut two = periodic(0, 1_000_000, 6, 100);
        two.extend(periodic(3_000, 1_000_000, 6, 50));
        let r = landed_rate(&two, &[(0, u64::MAX)]).unwrap();
        assert!((r.mean_per_s - 150.0).abs() < 1e-6, "{r:?}");
        assert!((r.peak_per_s - 150.0).abs() < 1e-6, "{r:?}");
    }

    #[test]
    fn several_windows_add_their_intervals_and_leave_out_what_lies_between() {
        // 100 a block in [0, 5 s], 300 a block in [10 s, 15 s]; a backlog of
        // 5,000 lands at 7 s, between the windows.
        let mut arrivals = periodic(500_000, 1_000_000, 5, 100);
        arrivals.push([7_000_000, 5_000]);
        arrivals.extend(periodic(10_500_000, 1_000_000, 5, 300));
        let r = landed_rate(&arrivals, &[(0, 5_000_000), (10_000_000, 15_000_000)]).unwrap();
        assert!((r.mean_per_s - 200.0).abs() < 1e-6, "{r:?}");
        assert!((r.peak_per_s - 300.0).abs() < 1e-6, "{r:?}");
    }
}
