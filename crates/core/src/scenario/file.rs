//! The scenario file as written: TOML mirrored exactly, unknown fields
//! refused, every value kept with its place in the file.

use crate::bids::BidsFile;
use chainmeter_result::level::Level;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::time::Duration;
use toml::Spanned;

/// A duration written the human way in scenario files: `"500ms"`, `"30s"`, `"2m"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s)
            .map(HumanDuration)
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "invalid duration {s:?} ({e}); write it like \"500ms\", \"30s\" or \"2m\""
                ))
            })
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

impl std::str::FromStr for HumanDuration {
    type Err = humantime::DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        humantime::parse_duration(s).map(HumanDuration)
    }
}

/// The scenario file exactly as written, but for the chains' sections,
/// which their crates read (see [`Section`](super::Section)). Unknown
/// top-level keys are refused by the parser, which knows the chains' names.
/// See `scenarios/` for documented examples.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScenarioFile {
    /// Short name; used in result directory names.
    pub name: Spanned<String>,
    /// What the scenario measures, in a sentence or two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sender accounts.
    #[serde(default)]
    pub accounts: AccountsFile,
    /// What each transaction does.
    #[serde(default)]
    pub workload: WorkloadFile,
    /// When transactions are sent.
    pub load: LoadFile,
    /// Prices used to express fees in USD; never fetched, always given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<PricesFile>,
}

/// `[accounts]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsFile {
    /// How many sender accounts to derive and fund (default 32).
    #[serde(default = "default_account_count")]
    pub count: Spanned<u32>,
    /// Seed the sender and receiver keys are derived from (default "chainmeter").
    #[serde(default = "default_seed")]
    pub seed: String,
}

fn default_account_count() -> Spanned<u32> {
    Spanned::new(0..0, 32)
}
fn default_seed() -> String {
    "chainmeter".to_owned()
}

impl Default for AccountsFile {
    fn default() -> Self {
        Self {
            count: default_account_count(),
            seed: default_seed(),
        }
    }
}

/// `[workload]`: what every chain shares. A kind's own settings are a table
/// of their own, `[workload.<kind>]`, which the chain offering the kind
/// checks; any other key is refused by the scenario's check (not here:
/// this table admits keys it does not know, so that those tables pass).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WorkloadFile {
    /// The workload's name: `"transfer"` (native coin to a distinct receiver
    /// per transaction, the default), `"token"` (ERC-20 / SPL Token
    /// transfers), or another a chain offers.
    #[serde(default = "default_workload_kind")]
    pub kind: Spanned<WorkloadName>,
    /// Amount sent per transaction, in the smallest unit: wei or lamports
    /// for `transfer`, token units for `token`. Default 1.
    ///
    /// On Solana a new receiver must end up rent-exempt, so the Solana submitter
    /// raises the value to the rent-exempt minimum and records that it did.
    #[serde(default = "default_value")]
    pub value: u64,
    /// Which accounts (storage slots) the transactions write: `"disjoint"`
    /// (each its own receiver, the default), `"hot"` (every transaction the
    /// same receiver), or `"both"` (the run is made twice, hot then
    /// disjoint, and reported side by side with their ratio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes: Option<Writes>,
    /// The fee market: what each transaction bids as its priority price
    /// (EVM tip in wei per gas; Solana compute-unit price in micro-lamports),
    /// from a list or a range; outcomes and latency are reported per bid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bids: Option<Spanned<BidsFile>>,
    /// A traffic mix in place of one `kind`: each `[[workload.mix]]` entry
    /// a workload and its `share` of the transactions (shares sum to 1).
    /// Every transaction is one entry's, drawn from the seed; each entry's
    /// settings are its kind's table, `[workload.<kind>]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mix: Option<Spanned<Vec<MixEntryFile>>>,
}

/// One `[[workload.mix]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MixEntryFile {
    /// The workload, by name.
    pub kind: Spanned<WorkloadName>,
    /// Its share of the transactions, above 0 and at most 1.
    pub share: Spanned<f64>,
}

/// Which accounts a workload's transactions write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Writes {
    /// Every transaction writes its own receiver.
    Disjoint,
    /// Every transaction writes one receiver: Solana must serialise them,
    /// the EVM executes in order either way.
    Hot,
    /// Hot, then disjoint, side by side.
    Both,
}

impl Writes {
    /// The name as in scenario and result files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Disjoint => "disjoint",
            Self::Hot => "hot",
            Self::Both => "both",
        }
    }

    /// The modes a run makes, in order.
    pub fn modes(self) -> &'static [Writes] {
        match self {
            Self::Both => &[Writes::Hot, Writes::Disjoint],
            Self::Hot => &[Writes::Hot],
            Self::Disjoint => &[Writes::Disjoint],
        }
    }
}

fn default_workload_kind() -> Spanned<WorkloadName> {
    Spanned::new(0..0, WorkloadName::transfer())
}
fn default_value() -> u64 {
    1
}

impl Default for WorkloadFile {
    fn default() -> Self {
        Self {
            kind: default_workload_kind(),
            value: default_value(),
            writes: None,
            bids: None,
            mix: None,
        }
    }
}

pub use crate::workload::WorkloadName;

/// `[load]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoadFile {
    /// Arrivals: `"constant"` (fixed interval) or `"poisson"` (exponential
    /// gaps, same mean rate), whatever the profile.
    #[serde(default = "default_shape")]
    pub shape: ShapeKind,
    /// How the offered rate goes over the run (default `"constant"`):
    /// `"constant"` (`rate`), `"ramp"` (`from` to `to` over `duration`),
    /// `"steps"` (each of `rates` for `step`), `"saturate"` (search for the
    /// highest rate that meets `[load.objective]`, see `[load.saturate]`),
    /// or `"closed"`: closed loop, not a rate at all (`concurrency`
    /// transactions in flight, each sent when one before it reached
    /// `wait_for`), for `duration` or `count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Spanned<ProfileKind>>,
    /// `constant`: offered transactions per second, after warm-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Spanned<f64>>,
    /// `constant` and `closed`: length of the measured window (give
    /// `duration` or `count`, not both); `ramp`: how long the ramp takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Spanned<HumanDuration>>,
    /// `constant` and `closed`: number of measured transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Spanned<u64>>,
    /// `ramp`: the rate at the start (after the warm-up, which is sent at it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Spanned<f64>>,
    /// `ramp`: the rate at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Spanned<f64>>,
    /// `ramp`: `"up"` or `"down"`; required for a ramp down, so that a
    /// swapped `from` and `to` is caught rather than run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// `steps`: the rates, in order (the warm-up is sent at the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates: Option<Spanned<Vec<f64>>>,
    /// `steps`: how long each step lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Spanned<HumanDuration>>,
    /// `closed`: transactions kept in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Spanned<u32>>,
    /// `closed`: the level a transaction must reach before the next is sent
    /// in its place (default: the weakest recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_for: Option<Spanned<Level>>,
    /// Sending before the measured window, at the starting rate; excluded
    /// from histograms and throughput (default "0s").
    #[serde(default)]
    pub warmup: Option<HumanDuration>,
    /// Sends due within this long of one another go out in one request
    /// (default "1ms"; "0s" sends each at its own time). See [`Load::coalesce`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalesce: Option<Spanned<HumanDuration>>,
    /// How long, after the last send, to wait for the last levels. Default:
    /// derived from the chain and the levels asked (see [`Target::drain`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_timeout: Option<HumanDuration>,
    /// `saturate`: the search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saturate: Option<Spanned<SaturateFile>>,
    /// `saturate`: what a probe must meet to hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<Spanned<ObjectiveFile>>,
}

/// How the offered rate goes over the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// One rate.
    Constant,
    /// From one rate to another, linearly.
    Ramp,
    /// A list of rates, each held for a step.
    Steps,
    /// A search for the highest rate that meets an objective.
    Saturate,
    /// Closed loop: a number of transactions in flight.
    Closed,
}

/// Which way a ramp goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// To a higher rate.
    Up,
    /// To a lower rate.
    Down,
}

/// `[load.saturate]`: how the search for the knee goes.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SaturateFile {
    /// The first probe's rate.
    pub from: Spanned<f64>,
    /// The highest rate probed: the search reports "at least this" if it holds.
    pub to: Spanned<f64>,
    /// Each rising probe's rate is the last one's times this (default 1.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<Spanned<f64>>,
    /// Bisection stops when the gap between the rate that held and the one
    /// that broke is at most this share of the former (default 0.05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Spanned<f64>>,
    /// A probe's measured length (default "20s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<Spanned<HumanDuration>>,
    /// A probe's warm-up, sent at its rate and excluded (default "5s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_warmup: Option<HumanDuration>,
    /// Most probes (default 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_probes: Option<Spanned<u32>>,
}

/// `[load.objective]`: what a probe's measured window must meet to hold.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveFile {
    /// Least share of the probe's transactions that land (default 0.99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landed: Option<Spanned<f64>>,
    /// The level whose latency is bounded (default: the weakest recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Spanned<Level>>,
    /// The percentile of that latency that is bounded (default 99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile: Option<Spanned<f64>>,
    /// The bound (default "2s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Spanned<HumanDuration>>,
}

fn default_shape() -> ShapeKind {
    ShapeKind::Constant
}

/// The shape of the offered load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapeKind {
    /// One transaction every `1/rate` seconds.
    Constant,
    /// Exponentially distributed gaps with mean `1/rate` (a Poisson process).
    Poisson,
}

/// `[prices]`: USD per native coin, with where the figure came from.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct PricesFile {
    /// Where the prices came from and when (required when any price is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// USD per coin, keyed `<coin>_usd` (`eth_usd`, `sol_usd`): each chain's
    /// [`FeeUnit::price_key`](crate::spec::FeeUnit::price_key).
    #[serde(flatten)]
    pub usd: std::collections::BTreeMap<String, f64>,
}
