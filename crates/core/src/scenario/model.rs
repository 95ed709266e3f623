//! The checked scenario: types that admit no invalid value.

use super::{ShapeKind, WorkloadName, Writes};
use crate::{
    bids::Bids,
    chain::plugin::{Attach, ChainTarget},
    spec::{ChainSpec, FeeUnit},
    workload::Mix,
};
use chainmeter_result::{level::Level, run::ChainParameters};
use std::{collections::BTreeMap, num::NonZeroU32, path::PathBuf, sync::Arc, time::Duration};

// ---------------------------------------------------------------------------
// The validated model.

/// Most sender accounts a scenario may ask for. Funding is one transaction
/// per 16 payers on Solana and one batch of cheat calls on anvil; past this
/// it takes minutes and buys nothing (5,000 tx/s needs a few hundred).
pub const MAX_ACCOUNTS: u32 = 65_536;

/// A checked scenario. Every field holds a value a run can use as it is.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario's name.
    pub name: String,
    /// The file it was loaded from, if any.
    pub path: Option<PathBuf>,
    /// Number of sender accounts.
    pub accounts: NonZeroU32,
    /// Seed for key derivation.
    pub seed: String,
    /// Seed of what every shard of a run shares (the hot receiver): the
    /// scenario's seed, which sharding leaves whole.
    pub shared_seed: String,
    /// What each transaction does: a workload's name, or [`Mix::NAME`].
    pub workload: WorkloadName,
    /// The traffic mix, when the scenario runs one.
    pub mix: Option<Mix>,
    /// Value per transfer in the chain's smallest unit.
    pub value: u64,
    /// Which accounts the transactions write.
    pub writes: Writes,
    /// Each transaction's priority bid, when the scenario sets a fee market.
    pub bids: Option<Bids>,
    /// The offered load.
    pub load: Load,
    /// The chains to run against, in the order the binary lists chains.
    pub targets: Vec<Target>,
    /// USD prices, if given.
    pub prices: Option<Prices>,
    /// The scenario as run (defaults filled in, overrides applied), for the result file.
    pub as_run: serde_json::Value,
}

/// A rate in transactions per second: finite and greater than zero.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Rate(f64);

impl Rate {
    /// Checks `per_second`.
    pub fn new(per_second: f64) -> Option<Self> {
        (per_second.is_finite() && per_second > 0.0).then_some(Self(per_second))
    }
    /// Transactions per second.
    pub fn per_second(self) -> f64 {
        self.0
    }
    /// The mean gap between two transactions.
    pub fn interval(self) -> Duration {
        Duration::from_secs_f64(1.0 / self.0)
    }
}

/// When the measured window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// After this long (plus warm-up).
    After(Duration),
    /// After this many measured transactions (plus those of the warm-up).
    Count(u64),
}

/// The offered load.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    /// Arrivals: constant or Poisson.
    pub shape: ShapeKind,
    /// How the offered rate goes over the run.
    pub profile: Profile,
    /// Warm-up before the measured window, at the profile's starting rate.
    pub warmup: Duration,
    /// Sends due within this long after the one being sent go out with it,
    /// early, in one request: fewer requests and wake-ups per transaction
    /// (the harness's cost at low rates is mostly those). A transaction
    /// sent early is timed from its actual send, never from its later
    /// intended time, so latency is never understated; the offered rate is
    /// still counted by the intended times.
    pub coalesce: Duration,
    /// How long to wait after the last send for outstanding levels, when
    /// given; else each target derives its own ([`Target::drain`]).
    pub drain_timeout: Option<Duration>,
}

/// How the offered rate goes over the run, open loop: the schedule never
/// sleeps its lateness away.
#[derive(Debug, Clone, PartialEq)]
pub enum Profile {
    /// One rate until the end.
    Constant {
        /// The rate.
        rate: Rate,
        /// End of the measured window.
        end: End,
    },
    /// Linearly from one rate to another.
    Ramp {
        /// At the start of the measured window.
        from: Rate,
        /// At its end.
        to: Rate,
        /// Its length.
        over: Duration,
    },
    /// Each rate held for one step; each step is reported on its own.
    Steps {
        /// The rates, in order; never empty.
        rates: Vec<Rate>,
        /// Each step's length.
        step: Duration,
    },
    /// A search for the highest rate that meets an objective.
    Saturate(Saturate),
    /// Closed loop: `concurrency` transactions in flight, each followed by
    /// the next once it reached `wait_for`. Not a rate: the chain's pace
    /// sets the rate, and results say so.
    Closed {
        /// Transactions kept in flight, at least 1.
        concurrency: u32,
        /// The level a transaction must reach before the next takes its
        /// place; `None`: each chain's weakest recorded.
        wait_for: Option<Level>,
        /// End of the measured window.
        end: End,
    },
}

impl Profile {
    /// The rate the profile starts at (the warm-up's).
    pub fn starting_rate(&self) -> Rate {
        match self {
            Self::Constant { rate, .. } => *rate,
            Self::Ramp { from, .. } => *from,
            Self::Steps { rates, .. } => rates[0],
            Self::Saturate(s) => s.from,
            // A nominal figure for the warm-up's accounting; a closed loop sends at the chain's pace.
            Self::Closed { concurrency, .. } => {
                Rate::new(f64::from(*concurrency)).expect("concurrency is at least 1")
            }
        }
    }

    /// The profile's name as in scenario and result files.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Constant { .. } => "constant",
            Self::Ramp { .. } => "ramp",
            Self::Steps { .. } => "steps",
            Self::Saturate(_) => "saturate",
            Self::Closed { .. } => "closed loop",
        }
    }
}

impl Load {
    /// How many transactions the profile's rates send over the warm-up and
    /// the window, as an expectation (exact for constant arrivals but for
    /// each segment's rounding; a search as if every probe ran at its
    /// highest rate); `None` for a closed loop, whose pace the chain sets.
    pub fn expected_sends(&self) -> Option<f64> {
        let warmup = self.profile.starting_rate().per_second() * self.warmup.as_secs_f64();
        let measured = match &self.profile {
            Profile::Constant { rate, end } => match end {
                End::After(d) => rate.per_second() * d.as_secs_f64(),
                End::Count(n) => *n as f64,
            },
            Profile::Ramp { from, to, over } => {
                (from.per_second() + to.per_second()) / 2.0 * over.as_secs_f64()
            }
            Profile::Steps { rates, step } => {
                rates.iter().map(|r| r.per_second()).sum::<f64>() * step.as_secs_f64()
            }
            Profile::Saturate(s) => {
                f64::from(s.max_probes)
                    * s.to.per_second()
                    * (s.probe + s.probe_warmup).as_secs_f64()
            }
            Profile::Closed { .. } => return None,
        };
        Some(warmup + measured)
    }
}

/// How a saturation search goes, and what a probe must meet.
#[derive(Debug, Clone, PartialEq)]
pub struct Saturate {
    /// The first probe's rate.
    pub from: Rate,
    /// The highest rate probed.
    pub to: Rate,
    /// Each rising probe's rate is the last one's times this (> 1).
    pub factor: f64,
    /// Bisection stops when (broke - held) / held is at most this (0 to 1).
    pub resolution: f64,
    /// A probe's measured length.
    pub probe: Duration,
    /// A probe's warm-up.
    pub probe_warmup: Duration,
    /// Most probes.
    pub max_probes: u32,
    /// What a probe must meet.
    pub objective: Objective,
}

/// What a probe's measured window must meet to hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// Least share of its transactions that land, 0 to 1.
    pub landed: f64,
    /// The level whose latency is bounded; `None`: each chain's weakest recorded.
    pub level: Option<Level>,
    /// The percentile bounded, 0 to 100 (exclusive of 0).
    pub percentile: f64,
    /// The bound.
    pub latency: Duration,
}

/// One chain to run against: its crate's checked section.
#[derive(Debug, Clone)]
pub struct Target {
    /// What the chain's crate made of its section.
    pub chain: Arc<dyn ChainTarget>,
}

impl Target {
    /// The chain.
    pub fn spec(&self) -> &'static ChainSpec {
        self.chain.spec()
    }

    /// Levels to record, weakest first, never empty.
    pub fn levels(&self) -> &[Level] {
        self.chain.levels()
    }

    /// The node to attach to; `None` when chainmeter starts a local one.
    pub fn attach(&self) -> Option<&Attach> {
        self.chain.attach()
    }

    /// How long to wait after the last send: `given` by the scenario, else
    /// what the chain derives from its section and what it said of itself
    /// at connect ([`ChainTarget::default_drain`]).
    pub fn drain(&self, given: Option<Duration>, parameters: Option<&ChainParameters>) -> Duration {
        given.unwrap_or_else(|| self.chain.default_drain(parameters))
    }

    /// See [`ChainTarget::settle_quiet`].
    pub fn settle_quiet(&self, parameters: Option<&ChainParameters>) -> Option<Duration> {
        self.chain.settle_quiet(parameters)
    }
}

/// USD prices given by the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    /// USD per coin, by [`FeeUnit::price_key`] (`eth_usd`).
    pub usd: BTreeMap<String, f64>,
    /// Where they came from.
    pub source: String,
}

impl Prices {
    /// USD per coin of a chain whose fees are in `unit`, if given.
    pub fn usd_per_coin(&self, unit: &FeeUnit) -> Option<f64> {
        self.usd.get(&unit.price_key()).copied()
    }
}
