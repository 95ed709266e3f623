//! A workload's name as a scenario gives it. Each chain crate offers its
//! own workloads and checks their settings (`[workload.<kind>]`); core only
//! carries the name: a leaf the scenario and the chain seam both name.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The name of what each transaction does: `transfer`, `token`, `call`, …
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(transparent)]
pub struct WorkloadName(String);

impl WorkloadName {
    /// The workload of a scenario that names none: a native-coin transfer.
    pub fn transfer() -> Self {
        Self("transfer".to_owned())
    }

    /// A workload named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as in scenario and result files.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkloadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One workload of a traffic mix and the share of transactions it gets.
#[derive(Debug, Clone, PartialEq)]
pub struct MixEntry {
    /// The workload.
    pub kind: WorkloadName,
    /// Its share of the transactions, in (0, 1]; a mix's shares sum to 1.
    pub share: f64,
    /// Where the entry names its kind in the scenario file.
    pub(crate) span: std::ops::Range<usize>,
}

impl MixEntry {
    /// `kind` with `share`, named at `span` of the scenario file.
    pub fn new(kind: WorkloadName, share: f64, span: std::ops::Range<usize>) -> Self {
        Self { kind, share, span }
    }
}

/// A traffic mix (`[[workload.mix]]`): every transaction is one entry's,
/// drawn from the scenario's seed and its sequence number alone, so the
/// submitter (which builds it) and the recorder (which reports it per
/// entry) agree without talking, and a run repeats exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    entries: Vec<MixEntry>,
    /// Entry i takes the draws below `bounds[i]` (and at or above the one before).
    bounds: Vec<u64>,
    seed: u64,
}

impl Mix {
    /// The name of a mixed workload, as results give it.
    pub const NAME: &'static str = "mix";

    /// The mix in words, each entry's share before what its workload says
    /// of itself (`each`, in the mix's order): `mix of 60% transfer, …; 40% …`.
    pub fn describe(&self, each: impl IntoIterator<Item = String>) -> String {
        let entries: Vec<String> = self
            .entries
            .iter()
            .zip(each)
            .map(|(m, w)| format!("{}% {w}", chainmeter_result::run::share_percent(m.share)))
            .collect();
        format!("mix of {}", entries.join("; "))
    }

    /// A mix of `entries`, whose shares the scenario's check has found
    /// positive and summing to 1, drawn with `seed`.
    pub fn new(entries: Vec<MixEntry>, seed: u64) -> Self {
        let total: f64 = entries.iter().map(|e| e.share).sum();
        let mut acc = 0.0;
        let mut bounds: Vec<u64> = entries
            .iter()
            .map(|e| {
                acc += e.share / total;
                // 2^64 · acc, saturating at the top: the last bound is u64::MAX.
                (acc * 18_446_744_073_709_551_616.0).min(u64::MAX as f64) as u64
            })
            .collect();
        if let Some(last) = bounds.last_mut() {
            *last = u64::MAX;
        }
        Self {
            entries,
            bounds,
            seed,
        }
    }

    /// The entries, in the scenario's order.
    pub fn entries(&self) -> &[MixEntry] {
        &self.entries
    }

    /// The entry transaction `seq` belongs to.
    pub fn entry(&self, seq: u64) -> usize {
        let draw = chainmeter_result::rng::SplitMix64::new(
            self.seed ^ seq.wrapping_mul(0xD6E8_FEB8_6659_FD93),
        )
        .next_u64();
        self.bounds
            .iter()
            .position(|&b| draw < b)
            .unwrap_or(self.entries.len() - 1)
    }
}

/// A uniform 64-bit draw for value `index` of transaction `seq`, from the
/// scenario's text seed alone (FNV-1a, then a finalizer: stable across
/// builds and machines): how a workload gives each transaction a value of
/// its own (`range`, `pick`) that a second run repeats exactly.
pub fn draw(seed: &str, seq: u64, index: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed
        .bytes()
        .chain(seq.to_le_bytes())
        .chain(index.to_le_bytes())
    {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix(shares: &[f64]) -> Mix {
        let entries = shares
            .iter()
            .enumerate()
            .map(|(i, &s)| MixEntry::new(WorkloadName::new(format!("w{i}")), s, 0..0))
            .collect();
        Mix::new(entries, 42)
    }

    #[test]
    fn draws_follow_the_shares_and_repeat() {
        let m = mix(&[0.6, 0.3, 0.1]);
        let n = 100_000u64;
        let mut counts = [0u64; 3];
        for seq in 0..n {
            counts[m.entry(seq)] += 1;
            assert_eq!(m.entry(seq), m.entry(seq), "a draw is a function of seq");
        }
        for (count, share) in counts.iter().zip([0.6, 0.3, 0.1]) {
            // Four standard deviations of a binomial draw.
            let sd = (n as f64 * share * (1.0 - share)).sqrt();
            assert!(
                (*count as f64 - n as f64 * share).abs() < 4.0 * sd,
                "{counts:?}"
            );
        }
        // Consecutive sequence numbers do not fall in runs of one entry.
        let switches = (1..1000).filter(|&s| m.entry(s) != m.entry(s - 1)).count();
        assert!(switches > 400, "{switches}");
    }

    #[test]
    fn a_whole_share_takes_everything_and_another_seed_draws_otherwise() {
        let one = mix(&[1.0]);
        assert!((0..1000).all(|s| one.entry(s) == 0));
        let a = mix(&[0.5, 0.5]);
        let b = Mix::new(a.entries().to_vec(), 43);
        assert!((0..100).any(|s| a.entry(s) != b.entry(s)));
    }
}
