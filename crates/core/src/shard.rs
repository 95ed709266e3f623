//! One generator's share of a scenario (`chainmeter run --shard I/N`), so
//! that N processes, on one machine or many, drive one chain together and
//! `chainmeter merge` adds their results into one.
//!
//! Shard I of N sends 1/N of the offered rate (of every rate of a ramp or
//! steps; of a count, and of a closed loop's concurrency, its share with
//! the remainder going to the first shards) from its own 1/N of the
//! senders, whose keys derive from the seed and the shard, so no two
//! shards ever share an account or a nonce. A saturation search is one
//! process's: each shard would search on its own.

use crate::scenario::{End, Profile, Rate, Scenario, WorkloadKind, Writes};
use serde::{Deserialize, Serialize};
use std::{fmt, num::NonZeroU32, str::FromStr};

/// The I-th of N generators, counted from 0 (as Kubernetes'
/// `JOB_COMPLETION_INDEX`): `index < count` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "ShardFields", into = "ShardFields")]
pub struct Shard {
    index: u32,
    count: NonZeroU32,
}

/// [`Shard`] as stored in result files.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct ShardFields {
    /// I, from 0, below `count`.
    index: u32,
    /// N.
    #[schemars(range(min = 1))]
    count: u32,
}

impl TryFrom<ShardFields> for Shard {
    type Error = ShardError;
    fn try_from(f: ShardFields) -> Result<Self, ShardError> {
        Shard::new(f.index, f.count)
    }
}

impl From<Shard> for ShardFields {
    fn from(s: Shard) -> Self {
        Self {
            index: s.index,
            count: s.count.get(),
        }
    }
}

/// A shard that cannot be, or a scenario that cannot be sharded so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// Not `I/N`.
    #[error("{0:?} is not I/N (e.g. 0/3: the first of three generators, counted from 0)")]
    Syntax(String),
    /// `I` not below `N`.
    #[error("shard {index}/{count}: the index counts from 0 and must be below {count}")]
    OutOfRange {
        /// I.
        index: u32,
        /// N.
        count: u32,
    },
    /// The scenario cannot be split this way.
    #[error("the scenario cannot be split into {count} shards: {reason}")]
    Unsplittable {
        /// N.
        count: u32,
        /// Why.
        reason: String,
    },
}

impl Shard {
    /// Shard `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<Self, ShardError> {
        match NonZeroU32::new(count) {
            Some(count) if index < count.get() => Ok(Self { index, count }),
            _ => Err(ShardError::OutOfRange { index, count }),
        }
    }

    /// I, from 0.
    pub fn index(self) -> u32 {
        self.index
    }

    /// N.
    pub fn count(self) -> u32 {
        self.count.get()
    }

    /// This shard's part of `total` things dealt out in turn: `total / N`,
    /// plus one for the first `total % N` shards.
    pub fn part(self, total: u64) -> u64 {
        let n = u64::from(self.count.get());
        total / n + u64::from(u64::from(self.index) < total % n)
    }

    fn rate(self, r: Rate) -> Rate {
        Rate::new(r.per_second() / f64::from(self.count.get())).expect("a positive rate's share")
    }

    fn unsplittable(self, reason: impl Into<String>) -> ShardError {
        ShardError::Unsplittable {
            count: self.count.get(),
            reason: reason.into(),
        }
    }

    /// `scenario` cut to this shard's share: its senders, its seed, its
    /// part of the load. The scenario as run (`as_run`) is left whole: it
    /// is what the merged result ran.
    pub fn apply(self, scenario: &mut Scenario) -> Result<(), ShardError> {
        let n = self.count();
        let accounts = self.part(u64::from(scenario.accounts.get()));
        scenario.accounts = u32::try_from(accounts)
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or_else(|| {
                self.unsplittable(format!(
                    "accounts.count ({}) gives shard {} no sender of its own",
                    scenario.accounts, self.index
                ))
            })?;
        if scenario.workload == WorkloadKind::Token && scenario.writes != Writes::Disjoint {
            return Err(self.unsplittable(
                "writes = \"hot\" (or \"both\") with workload.kind = \"token\": each shard creates \
                 its own token, so each would write a hot account of its own; run hot token \
                 transfers from one process, or shard native transfers"
                    .to_owned(),
            ));
        }
        // The hot receiver comes from `shared_seed`, which stays whole.
        scenario.seed = format!("{}/shard-{}-of-{n}", scenario.seed, self.index);
        let end = |e: End| -> Result<End, ShardError> {
            match e {
                End::After(d) => Ok(End::After(d)),
                End::Count(c) => match self.part(c) {
                    0 => Err(self.unsplittable(format!(
                        "load.count ({c}) leaves shard {} nothing to send",
                        self.index
                    ))),
                    part => Ok(End::Count(part)),
                },
            }
        };
        scenario.load.profile =
            match scenario.load.profile.clone() {
                Profile::Constant { rate, end: e } => Profile::Constant {
                    rate: self.rate(rate),
                    end: end(e)?,
                },
                Profile::Ramp { from, to, over } => Profile::Ramp {
                    from: self.rate(from),
                    to: self.rate(to),
                    over,
                },
                Profile::Steps { rates, step } => Profile::Steps {
                    rates: rates.into_iter().map(|r| self.rate(r)).collect(),
                    step,
                },
                Profile::Closed {
                    concurrency,
                    wait_for,
                    end: e,
                } => Profile::Closed {
                    concurrency: match self.part(u64::from(concurrency)) {
                        0 => {
                            return Err(self.unsplittable(format!(
                            "load.concurrency ({concurrency}) leaves shard {} nothing in flight",
                            self.index
                        )))
                        }
                        c => c as u32,
                    },
                    wait_for,
                    end: end(e)?,
                },
                Profile::Saturate(_) => return Err(self.unsplittable(
                    "a saturation search is one process's (each shard would search on its own); \
                     run one search with more senders instead",
                )),
            };
        Ok(())
    }
}

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Self, ShardError> {
        let syntax = || ShardError::Syntax(s.to_owned());
        let (i, n) = s.split_once('/').ok_or_else(syntax)?;
        let (i, n) = (
            i.trim().parse().map_err(|_| syntax())?,
            n.trim().parse().map_err(|_| syntax())?,
        );
        Self::new(i, n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Load, ShapeKind};
    use std::time::Duration;

    fn constant(rate: f64, end: End, accounts: u32) -> Scenario {
        Scenario {
            name: "t".into(),
            path: None,
            accounts: NonZeroU32::new(accounts).unwrap(),
            seed: "seed".into(),
            shared_seed: "seed".into(),
            workload: WorkloadKind::Transfer,
            value: 1,
            writes: Writes::Disjoint,
            bids: None,
            load: Load {
                shape: ShapeKind::Constant,
                profile: Profile::Constant {
                    rate: Rate::new(rate).unwrap(),
                    end,
                },
                warmup: Duration::ZERO,
                coalesce: Duration::ZERO,
                drain_timeout: None,
            },
            targets: Vec::new(),
            prices: None,
            as_run: serde_json::Value::Null,
        }
    }

    #[test]
    fn parts_deal_out_the_total_in_turn() {
        let parts: Vec<u64> = (0..3).map(|i| Shard::new(i, 3).unwrap().part(10)).collect();
        assert_eq!(parts, [4, 3, 3]);
        assert_eq!(parts.iter().sum::<u64>(), 10);
    }

    #[test]
    fn shards_are_parsed_and_checked() {
        assert_eq!("2/3".parse::<Shard>().unwrap(), Shard::new(2, 3).unwrap());
        assert_eq!(
            "3/3".parse::<Shard>().unwrap_err().to_string(),
            "shard 3/3: the index counts from 0 and must be below 3"
        );
        assert!(matches!("1-3".parse::<Shard>(), Err(ShardError::Syntax(_))));
        assert!(matches!(
            "0/0".parse::<Shard>(),
            Err(ShardError::OutOfRange { .. })
        ));
        let stored: Result<Shard, _> = serde_json::from_str(r#"{"index": 5, "count": 2}"#);
        assert!(stored.is_err());
        let s = Shard::new(1, 4).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"index":1,"count":4}"#);
        assert_eq!(serde_json::from_str::<Shard>(&json).unwrap(), s);
    }

    #[test]
    fn a_shard_takes_its_share_of_rate_count_senders_and_its_own_seed() {
        let mut s = constant(300.0, End::Count(1000), 32);
        Shard::new(0, 3).unwrap().apply(&mut s).unwrap();
        assert_eq!(
            s.load.profile,
            Profile::Constant {
                rate: Rate::new(100.0).unwrap(),
                end: End::Count(334)
            }
        );
        assert_eq!(s.accounts.get(), 11);
        assert!(s.seed.ends_with("/shard-0-of-3"), "{}", s.seed);
        assert_eq!(s.shared_seed, "seed", "every shard writes one hot receiver");

        let mut s = constant(300.0, End::Count(1000), 32);
        (s.workload, s.writes) = (WorkloadKind::Token, Writes::Hot);
        let e = Shard::new(0, 3).unwrap().apply(&mut s).unwrap_err();
        assert!(e.to_string().contains("its own token"), "{e}");

        let mut s = constant(300.0, End::After(Duration::from_secs(5)), 2);
        let e = Shard::new(2, 3).unwrap().apply(&mut s).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the scenario cannot be split into 3 shards: accounts.count (2) gives shard 2 no sender of its own"
        );
    }
}
