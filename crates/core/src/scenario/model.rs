//! The checked scenario: types that admit no invalid value.

use super::{ShapeKind, WorkloadKind, Writes};
use crate::{
    bids::Bids,
    level::Level,
    plugin::{Attach, ChainTarget},
    spec::{ChainSpec, FeeUnit},
};
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
    /// What each transaction does.
    pub workload: WorkloadKind,
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// Constant or Poisson.
    pub shape: ShapeKind,
    /// Offered rate.
    pub rate: Rate,
    /// End of the measured window.
    pub end: End,
    /// Warm-up before the measured window.
    pub warmup: Duration,
    /// How long to wait after the last send for outstanding levels, when
    /// given; else each target derives its own ([`Target::drain`]).
    pub drain_timeout: Option<Duration>,
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
    /// what the chain derives ([`ChainTarget::default_drain`]).
    pub fn drain(&self, given: Option<Duration>) -> Duration {
        given.unwrap_or_else(|| self.chain.default_drain())
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

/// Settings given on the command line that override the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--url`: attach to this node (applies to the scenario's single chain).
    pub url: Option<String>,
    /// `--ws-url`.
    pub ws_url: Option<String>,
    /// `--rate`.
    pub rate: Option<f64>,
    /// `--duration`.
    pub duration: Option<Duration>,
    /// `--count`.
    pub count: Option<u64>,
}
