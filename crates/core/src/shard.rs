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

use crate::scenario::{End, Profile, Rate, Scenario, Writes};
pub use chainmeter_result::shard::{Shard, ShardError};
use std::num::NonZeroU32;

/// Cutting a scenario to a shard's share.
pub trait Split {
    /// `scenario` cut to this shard's share: its senders, its seed, its
    /// part of the load. The scenario as run (`as_run`) is left whole: it
    /// is what the merged result ran.
    fn apply(self, scenario: &mut Scenario) -> Result<(), ShardError>;
}

impl Split for Shard {
    fn apply(self, scenario: &mut Scenario) -> Result<(), ShardError> {
        let n = self.count();
        let accounts = self.part(u64::from(scenario.accounts.get()));
        scenario.accounts = u32::try_from(accounts)
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or_else(|| {
                unsplittable(
                    self,
                    format!(
                        "accounts.count ({}) gives shard {} no sender of its own",
                        scenario.accounts,
                        self.index()
                    ),
                )
            })?;
        // A workload that prepares its own state in each shard (a token, a
        // contract) would write a hot account of each shard's, not the run's.
        if scenario.writes != Writes::Disjoint
            && !scenario.targets.iter().all(|t| t.chain.hot_across_shards())
        {
            return Err(unsplittable(
                self,
                format!(
                    "writes = \"hot\" (or \"both\") with workload.kind = \"{}\": each shard \
                     prepares its own state (a token, a contract), so each would write a hot \
                     account of its own; run hot writes of it from one process, or shard \
                     native transfers",
                    scenario.workload
                ),
            ));
        }
        // The hot receiver comes from `shared_seed`, which stays whole.
        scenario.seed = format!("{}/shard-{}-of-{n}", scenario.seed, self.index());
        let end = |e: End| -> Result<End, ShardError> {
            match e {
                End::After(d) => Ok(End::After(d)),
                End::Count(c) => match self.part(c) {
                    0 => Err(unsplittable(
                        self,
                        format!(
                            "load.count ({c}) leaves shard {} nothing to send",
                            self.index()
                        ),
                    )),
                    part => Ok(End::Count(part)),
                },
            }
        };
        scenario.load.profile =
            match scenario.load.profile.clone() {
                Profile::Constant { rate, end: e } => Profile::Constant {
                    rate: share(self, rate),
                    end: end(e)?,
                },
                Profile::Ramp { from, to, over } => Profile::Ramp {
                    from: share(self, from),
                    to: share(self, to),
                    over,
                },
                Profile::Steps { rates, step } => Profile::Steps {
                    rates: rates.into_iter().map(|r| share(self, r)).collect(),
                    step,
                },
                Profile::Closed {
                    concurrency,
                    wait_for,
                    end: e,
                } => Profile::Closed {
                    concurrency: match self.part(u64::from(concurrency)) {
                        0 => {
                            return Err(unsplittable(
                                self,
                                format!(
                            "load.concurrency ({concurrency}) leaves shard {} nothing in flight",
                            self.index()
                        ),
                            ))
                        }
                        c => c as u32,
                    },
                    wait_for,
                    end: end(e)?,
                },
                Profile::Saturate(_) => return Err(unsplittable(
                    self,
                    "a saturation search is one process's (each shard would search on its own); \
                     run one search with more senders instead",
                )),
            };
        Ok(())
    }
}

fn share(shard: Shard, r: Rate) -> Rate {
    Rate::new(r.per_second() / f64::from(shard.count())).expect("a positive rate's share")
}

fn unsplittable(shard: Shard, reason: impl Into<String>) -> ShardError {
    ShardError::Unsplittable {
        count: shard.count(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        chain::{
            plugin::{Attach, ChainError, ChainTarget, Connect, LocalNode},
            AnySubmitter, BoxFuture, Session,
        },
        scenario::{Load, ShapeKind, Target},
        spec::ChainSpec,
        workload::WorkloadName,
        Level,
    };
    use std::{path::PathBuf, sync::Arc, time::Duration};

    /// A chain whose workload can write a hot account across shards, or not.
    #[derive(Debug)]
    struct Prepares(bool);

    impl ChainTarget for Prepares {
        fn spec(&self) -> &'static ChainSpec {
            unreachable!("sharding reads no spec")
        }
        fn levels(&self) -> &[Level] {
            &[]
        }
        fn attach(&self) -> Option<&Attach> {
            None
        }
        fn default_drain(&self, _: Option<&chainmeter_result::run::ChainParameters>) -> Duration {
            Duration::ZERO
        }
        fn as_run(&self) -> serde_json::Value {
            serde_json::Value::Null
        }
        fn start_local(&self, _: PathBuf) -> BoxFuture<Result<LocalNode, ChainError>> {
            unreachable!("sharding starts no node")
        }
        fn connect(&self, _: Connect) -> BoxFuture<Result<Session<AnySubmitter>, ChainError>> {
            unreachable!("sharding connects to nothing")
        }
        fn hot_across_shards(&self) -> bool {
            !self.0
        }
    }

    fn constant(rate: f64, end: End, accounts: u32) -> Scenario {
        Scenario {
            name: "t".into(),
            path: None,
            accounts: NonZeroU32::new(accounts).unwrap(),
            seed: "seed".into(),
            shared_seed: "seed".into(),
            workload: WorkloadName::transfer(),
            mix: None,
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

        // A workload that prepares its own state cannot write one hot
        // account across shards; one that prepares nothing can.
        let mut s = constant(300.0, End::Count(1000), 32);
        s.writes = Writes::Hot;
        s.targets = vec![Target {
            chain: Arc::new(Prepares(false)),
        }];
        Shard::new(0, 3).unwrap().apply(&mut s).unwrap();
        let mut s = constant(300.0, End::Count(1000), 32);
        (s.workload, s.writes) = (WorkloadName::new("token"), Writes::Hot);
        s.targets = vec![Target {
            chain: Arc::new(Prepares(true)),
        }];
        let e = Shard::new(0, 3).unwrap().apply(&mut s).unwrap_err();
        assert!(
            e.to_string()
                .contains("prepares its own state (a token, a contract)"),
            "{e}"
        );

        let mut s = constant(300.0, End::After(Duration::from_secs(5)), 2);
        let e = Shard::new(2, 3).unwrap().apply(&mut s).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the scenario cannot be split into 3 shards: accounts.count (2) gives shard 2 no sender of its own"
        );
    }
}
