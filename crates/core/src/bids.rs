//! The fee market: what each transaction bids, and the bucket it is
//! reported in.
//!
//! A bid is the chain's priority price: on the EVM the EIP-1559 tip (wei per
//! gas), on Solana the compute-unit price (micro-lamports per unit). Bids
//! belong to senders: every transaction of a sender bids the same, because
//! on the EVM a sender's transactions are ordered by nonce, and a high bid
//! queued behind the same sender's low bids could buy nothing. A sender's
//! bid is a pure function of its index, so the submitter (which signs the
//! bid) and the recorder (which buckets the outcome) agree without talking,
//! and a run can be repeated.

use serde::{Deserialize, Serialize};

/// How bids are spread across transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bids {
    /// Each transaction bids one of these; one bucket per bid.
    List(Vec<u64>),
    /// `levels` evenly spaced bids from `lo` to `hi`; one bucket per level.
    Levels {
        /// Lowest bid.
        lo: u64,
        /// Highest bid.
        hi: u64,
        /// How many levels (at least 2).
        levels: u32,
    },
    /// Each transaction draws its bid uniformly from `lo..=hi`; reported in
    /// `bins` equal-width buckets.
    Uniform {
        /// Lowest bid.
        lo: u64,
        /// Highest bid.
        hi: u64,
        /// Report buckets (at least 1).
        bins: u32,
    },
}

/// A 64-bit mix of `sender` (SplitMix64's finalizer): uniform draws that
/// do not follow the senders' order.
fn mix(sender: u64) -> u64 {
    let mut z = sender.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Bids {
    /// The bid and bucket of sender `sender` (every transaction it sends):
    /// senders take the bids of a list or levels in turn, so every bid has
    /// senders as long as there are as many senders as bids; a uniform
    /// distribution is drawn from, one draw per sender.
    pub fn for_sender(&self, sender: u64) -> (u64, usize) {
        match self {
            Self::List(bids) => {
                let i = (sender % bids.len() as u64) as usize;
                (bids[i], i)
            }
            Self::Levels { lo, hi, levels } => {
                let i = sender % u64::from(*levels);
                (lo + (hi - lo) * i / u64::from(levels - 1), i as usize)
            }
            Self::Uniform { lo, hi, bins } => {
                let r = mix(sender);
                let span = hi - lo;
                let bid = lo + if span == 0 { 0 } else { r % (span + 1) };
                let bin = if span == 0 {
                    0
                } else {
                    ((u128::from(bid - lo) * u128::from(*bins)) / (u128::from(span) + 1)) as usize
                };
                (bid, bin)
            }
        }
    }

    /// Every bucket's range of bids, in bucket order.
    pub fn buckets(&self) -> Vec<(u64, u64)> {
        match self {
            Self::List(bids) => bids.iter().map(|&b| (b, b)).collect(),
            Self::Levels { lo, hi, levels } => (0..u64::from(*levels))
                .map(|i| {
                    let b = lo + (hi - lo) * i / u64::from(levels - 1);
                    (b, b)
                })
                .collect(),
            Self::Uniform { lo, hi, bins } => {
                let (span, n) = (u128::from(hi - lo) + 1, u128::from(*bins));
                (0..n)
                    .map(|i| {
                        let from = *lo as u128 + span * i / n;
                        let to = *lo as u128 + span * (i + 1) / n - 1;
                        (from as u64, to as u64)
                    })
                    .collect()
            }
        }
    }
}

/// `[workload.bids]` in a scenario file: give `list`, or `range` (with
/// `levels`, or `distribution = "uniform"` and `bins`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BidsFile {
    /// Exact bids, one bucket each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<Vec<u64>>,
    /// Lowest and highest bid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[u64; 2]>,
    /// With `range`: evenly spaced levels (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<u32>,
    /// With `range`: `"levels"` (default) or `"uniform"` (each transaction
    /// draws its bid from the range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
    /// With `distribution = "uniform"`: report buckets (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<u32>,
}

/// How bids are drawn from a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Evenly spaced levels.
    Levels,
    /// Uniform over the range.
    Uniform,
}

impl BidsFile {
    /// The checked bids, or what is wrong (the field and why).
    pub fn check(&self) -> Result<Bids, (&'static str, String)> {
        match (&self.list, self.range) {
            (Some(_), Some(_)) => Err(("workload.bids", "give list or range, not both".into())),
            (None, None) => Err(("workload.bids", "give list or range".into())),
            (Some(list), None) => {
                if list.is_empty() {
                    return Err(("workload.bids.list", "must hold at least one bid".into()));
                }
                if self.levels.is_some() || self.distribution.is_some() || self.bins.is_some() {
                    return Err((
                        "workload.bids.list",
                        "levels, distribution and bins go with range, not list".into(),
                    ));
                }
                Ok(Bids::List(list.clone()))
            }
            (None, Some([lo, hi])) => {
                if lo > hi {
                    return Err((
                        "workload.bids.range",
                        format!("[{lo}, {hi}]: the lowest bid comes first"),
                    ));
                }
                match self.distribution.unwrap_or(Distribution::Levels) {
                    Distribution::Levels => {
                        if self.bins.is_some() {
                            return Err((
                                "workload.bids.bins",
                                "goes with distribution = \"uniform\"".into(),
                            ));
                        }
                        let levels = self.levels.unwrap_or(5);
                        if levels < 2 {
                            return Err(("workload.bids.levels", "must be at least 2".into()));
                        }
                        fits("workload.bids.levels", levels, "levels", lo, hi)?;
                        Ok(Bids::Levels { lo, hi, levels })
                    }
                    Distribution::Uniform => {
                        if self.levels.is_some() {
                            return Err((
                                "workload.bids.levels",
                                "goes with evenly spaced levels; use bins with uniform".into(),
                            ));
                        }
                        let bins = self.bins.unwrap_or(5);
                        if bins < 1 {
                            return Err(("workload.bids.bins", "must be at least 1".into()));
                        }
                        fits("workload.bids.bins", bins, "bins", lo, hi)?;
                        Ok(Bids::Uniform { lo, hi, bins })
                    }
                }
            }
        }
    }
}

/// `n` levels or bins need `n` distinct bids in `[lo, hi]`: more would
/// repeat a level or leave a bin that no bid falls in.
fn fits(
    field: &'static str,
    n: u32,
    what: &str,
    lo: u64,
    hi: u64,
) -> Result<(), (&'static str, String)> {
    let values = u128::from(hi - lo) + 1;
    if u128::from(n) > values {
        return Err((
            field,
            format!("{n} {what} over [{lo}, {hi}], which holds {values} bids: they would not be distinct"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bids_are_spread_over_their_buckets_and_agree_with_them() {
        for bids in [
            Bids::List(vec![0, 10, 1_000]),
            Bids::Levels {
                lo: 100,
                hi: 500,
                levels: 5,
            },
            Bids::Uniform {
                lo: 0,
                hi: 999,
                bins: 4,
            },
        ] {
            let buckets = bids.buckets();
            let mut counts = vec![0u32; buckets.len()];
            for seq in 0..4_000 {
                let (bid, bucket) = bids.for_sender(seq);
                let (from, to) = buckets[bucket];
                assert!((from..=to).contains(&bid), "{bids:?}: {bid} in {bucket}");
                assert_eq!(bids.for_sender(seq), (bid, bucket), "deterministic");
                counts[bucket] += 1;
            }
            let expected = 4_000 / buckets.len() as u32;
            for c in counts {
                assert!(
                    c > expected * 8 / 10 && c < expected * 12 / 10,
                    "{bids:?}: {c}"
                );
            }
        }
        assert_eq!(
            Bids::Levels {
                lo: 100,
                hi: 500,
                levels: 5
            }
            .buckets(),
            vec![(100, 100), (200, 200), (300, 300), (400, 400), (500, 500)]
        );
    }

    #[test]
    fn bad_bids_name_their_field() {
        let f = |list: Option<Vec<u64>>, range: Option<[u64; 2]>| BidsFile {
            list,
            range,
            ..Default::default()
        };
        assert_eq!(f(None, None).check().unwrap_err().0, "workload.bids");
        assert_eq!(
            f(Some(vec![]), None).check().unwrap_err().0,
            "workload.bids.list"
        );
        assert!(f(None, Some([5, 1]))
            .check()
            .unwrap_err()
            .1
            .contains("lowest bid comes first"));
        assert_eq!(
            f(Some(vec![1]), Some([1, 2])).check().unwrap_err().1,
            "give list or range, not both"
        );
        assert!(f(None, Some([1, 10])).check().is_ok());
        assert_eq!(
            f(None, Some([1, 2])).check().unwrap_err().0,
            "workload.bids.levels",
            "5 levels in 2 bids"
        );
        let uniform = |bins| BidsFile {
            range: Some([10, 12]),
            distribution: Some(Distribution::Uniform),
            bins: Some(bins),
            ..Default::default()
        };
        assert!(uniform(3).check().is_ok());
        let (field, why) = uniform(4).check().unwrap_err();
        assert_eq!(field, "workload.bids.bins");
        assert!(why.contains("holds 3 bids"), "{why}");
    }
}
