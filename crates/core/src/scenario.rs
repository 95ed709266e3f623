//! Scenario files: the TOML a user writes, and the checked [`Scenario`] a run uses.
//!
//! Parsing is in two steps. [`ScenarioFile`] mirrors the TOML exactly (unknown
//! fields are errors, every value keeps its place in the file); [`ScenarioFile::validate`]
//! turns it into a [`Scenario`] whose types admit no invalid value. Every error
//! names the file, line, column and field.

use crate::{
    bids::{Bids, BidsFile},
    level::{ChainKind, Level},
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{
    fmt,
    num::NonZeroU32,
    ops::Range,
    path::{Path, PathBuf},
    time::Duration,
};
use toml::Spanned;

/// A scenario that failed to load: what is wrong and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a value has the wrong type or name.
    #[error("{location}: {field}: {message}")]
    Invalid {
        /// Where in the file.
        location: Location,
        /// The dotted field path (`load.rate`), or `<file>` when none applies.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A place in a scenario file (or on the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, or `<command line>` for overrides.
    pub source: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

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

/// The scenario file exactly as written. See `scenarios/` for documented examples.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
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
    /// Run against an EVM chain (anvil, or attach to a URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evm: Option<Spanned<EvmFile>>,
    /// Run against Solana (solana-test-validator, or attach to a URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solana: Option<Spanned<SolanaFile>>,
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

/// `[workload]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadFile {
    /// `"transfer"` (native coin to a distinct receiver per transaction) or
    /// `"token"` (ERC-20 / SPL Token transfers).
    #[serde(default = "default_workload_kind")]
    pub kind: Spanned<WorkloadKind>,
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

fn default_workload_kind() -> Spanned<WorkloadKind> {
    Spanned::new(0..0, WorkloadKind::Transfer)
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
        }
    }
}

/// What each transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadKind {
    /// A native-coin transfer to a receiver that is new for every transaction.
    Transfer,
    /// A token transfer: ERC-20 `transfer` to a receiver new for every
    /// transaction on the EVM; SPL Token `transfer` from each payer's token
    /// account to a receiving account of its own on Solana. chainmeter
    /// creates the token and mints to every sender before the clock starts.
    Token,
}

impl WorkloadKind {
    /// The kind's name as in scenario and result files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Transfer => "transfer",
            Self::Token => "token",
        }
    }
}

/// `[load]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoadFile {
    /// `"constant"` (fixed interval) or `"poisson"` (exponential gaps, same mean rate).
    #[serde(default = "default_shape")]
    pub shape: ShapeKind,
    /// Offered transactions per second, after warm-up.
    pub rate: Spanned<f64>,
    /// Length of the measured window. Give `duration` or `count`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Spanned<HumanDuration>>,
    /// Number of measured transactions. Give `duration` or `count`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Spanned<u64>>,
    /// Sending before the measured window, at the same rate; excluded from
    /// histograms and throughput (default "0s").
    #[serde(default)]
    pub warmup: Option<HumanDuration>,
    /// How long, after the last send, to wait for the last levels. Default:
    /// derived from the chain and the levels asked (see [`Target::drain`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_timeout: Option<HumanDuration>,
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

/// `[evm]`: the EVM chain to run against.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EvmFile {
    /// Attach to this JSON-RPC URL instead of starting anvil.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// WebSocket URL for block notifications and sending; default: `url` with ws:// instead of http://.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ws_url: Option<String>,
    /// Levels to wait for, weakest first (default all: included, safe, finalized).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Spanned<Vec<Level>>>,
    /// Local anvil: seconds between blocks (default "1s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_time: Option<Spanned<HumanDuration>>,
    /// Local anvil: slots per epoch; `safe` trails by one epoch, `finalized` by two (default 32).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots_in_an_epoch: Option<Spanned<u64>>,
    /// Local anvil: block gas limit (default 30,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_limit: Option<Spanned<u64>>,
    /// Priority fee (tip) per gas, in wei (default 1 gwei).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_fee: Option<u64>,
}

/// `[solana]`: the Solana cluster to run against.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SolanaFile {
    /// Attach to this JSON-RPC URL instead of starting solana-test-validator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// PubSub WebSocket URL; default: the RPC port + 1, as solana-test-validator lays them out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ws_url: Option<String>,
    /// Levels to wait for, weakest first (default all: processed, confirmed, finalized).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Spanned<Vec<Level>>>,
    /// Local validator: ticks per slot (default 64, the validator's own default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticks_per_slot: Option<Spanned<u64>>,
    /// Local validator: slots per epoch (default: the validator's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots_per_epoch: Option<Spanned<u64>>,
    /// Send with `skipPreflight` (default true: preflight simulation costs the node CPU per transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_preflight: Option<bool>,
    /// `maxRetries` for the node's own rebroadcast (default: unset, the node decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<usize>,
    /// Priority fee: compute unit price in micro-lamports (default: none, no instruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_unit_price: Option<u64>,
    /// Compute unit limit (default: none, no instruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_unit_limit: Option<Spanned<u32>>,
    /// How levels are timed: `"events"` (slot notifications; falls back to
    /// polling when the node does not offer them) or `"poll"` (batched
    /// `getSignatureStatuses`). Default `"events"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<SolanaTracking>,
}

/// How Solana levels are timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SolanaTracking {
    /// Slot notifications over WebSocket, exact to the event.
    Events,
    /// Batched status polling, exact to the polling interval.
    Poll,
}

/// `[prices]`: USD per native coin, with where the figure came from.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PricesFile {
    /// USD per ETH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eth_usd: Option<f64>,
    /// USD per SOL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sol_usd: Option<f64>,
    /// Where the prices came from and when (required when any price is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

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
    /// The chains to run against, in file order (EVM first, then Solana).
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

/// Where a chain is: started locally by chainmeter, or already running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// chainmeter starts a local validator with these options.
    Local(LocalOptions),
    /// chainmeter attaches to a running node.
    Attach {
        /// JSON-RPC URL.
        url: String,
        /// WebSocket URL.
        ws_url: String,
    },
}

/// Options for a validator chainmeter starts itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalOptions {
    /// anvil.
    Anvil {
        /// Time between blocks (whole milliseconds, at least 1 ms... anvil takes seconds).
        block_time: Duration,
        /// Slots per epoch; safe trails one epoch, finalized two.
        slots_in_an_epoch: u64,
        /// Block gas limit.
        gas_limit: u64,
    },
    /// solana-test-validator.
    SolanaTestValidator {
        /// Ticks per slot.
        ticks_per_slot: Option<u64>,
        /// Slots per epoch.
        slots_per_epoch: Option<u64>,
    },
}

/// One chain to run against, with its chain-specific options.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Which chain family.
    pub kind: ChainKind,
    /// Where it is.
    pub endpoint: Endpoint,
    /// Levels to wait for, weakest first, never empty.
    pub levels: Vec<Level>,
    /// Chain-specific sending options.
    pub send: SendOptions,
}

/// Blocks a Solana blockhash stays valid for (`MAX_PROCESSING_AGE`), plus
/// the one that proves it passed.
const SOLANA_BLOCKHASH_BLOCKS: u32 = 152;
/// Slots the root trails the confirmed slot by on one validator (measured: 31-32).
const SOLANA_ROOT_LAG_SLOTS: u32 = 32;
/// Slot time of solana-test-validator at its default 64 ticks per slot.
const SOLANA_TICKS_PER_SECOND: f64 = 160.0;
/// Slots run slower under load than idle (measured 0.5-0.6 s against 0.4 s).
const LOAD_SLOWDOWN: f64 = 1.5;
/// Added to every derived drain: the last receipts, block fetches and tag reads.
const DRAIN_SLACK: Duration = Duration::from_secs(10);

impl Target {
    /// How long to wait after the last send, unless the scenario says:
    /// long enough for a transaction sent last to reach the strongest level
    /// asked, with room for a loaded chain, and on Solana long enough for an
    /// unlanded transaction's blockhash to expire provably, so that what
    /// never landed is `expired` rather than `unknown`.
    ///
    /// - EVM: (blocks to the level + 2) x block time x 1.25 + 10 s, where
    ///   included is 0 blocks, safe one epoch and finalized two (anvil's tags);
    ///   an attached node is assumed to have 1 s blocks and 32-slot epochs.
    ///   Default anvil, finalized: (64 + 2) x 1 s x 1.25 + 10 s = 92.5 s.
    /// - Solana: max(152 blocks of blockhash validity, 32 slots of root lag
    ///   if finalized is asked) x slot time x 1.5 + 10 s; slot time is
    ///   ticks per slot / 160 (0.4 s by default): 101.2 s.
    pub fn drain(&self, given: Option<Duration>) -> Duration {
        if let Some(d) = given {
            return d;
        }
        let strongest = self.levels.last().copied().unwrap_or(Level::Finalized);
        match &self.endpoint {
            Endpoint::Local(LocalOptions::Anvil {
                block_time,
                slots_in_an_epoch,
                ..
            }) => evm_drain(*block_time, *slots_in_an_epoch, strongest),
            Endpoint::Attach { .. } if self.kind == ChainKind::Evm => {
                evm_drain(Duration::from_secs(1), 32, strongest)
            }
            Endpoint::Local(LocalOptions::SolanaTestValidator { ticks_per_slot, .. }) => {
                solana_drain(ticks_per_slot.unwrap_or(64), strongest)
            }
            Endpoint::Attach { .. } => solana_drain(64, strongest),
        }
    }
}

fn evm_drain(block_time: Duration, epoch: u64, strongest: Level) -> Duration {
    let blocks = match strongest {
        Level::Finalized => 2 * epoch,
        Level::Safe => epoch,
        _ => 0,
    } + 2;
    block_time.mul_f64(blocks as f64 * 1.25) + DRAIN_SLACK
}

fn solana_drain(ticks_per_slot: u64, strongest: Level) -> Duration {
    let slot = Duration::from_secs_f64(ticks_per_slot as f64 / SOLANA_TICKS_PER_SECOND);
    let slots = if strongest == Level::Finalized {
        SOLANA_BLOCKHASH_BLOCKS.max(SOLANA_ROOT_LAG_SLOTS)
    } else {
        SOLANA_BLOCKHASH_BLOCKS
    };
    slot.mul_f64(f64::from(slots) * LOAD_SLOWDOWN) + DRAIN_SLACK
}

/// Chain-specific sending options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOptions {
    /// EVM.
    Evm {
        /// Tip per gas, wei.
        priority_fee: u64,
    },
    /// Solana.
    Solana {
        /// `skipPreflight`.
        skip_preflight: bool,
        /// `maxRetries`.
        max_retries: Option<usize>,
        /// Compute-unit price, micro-lamports.
        compute_unit_price: Option<u64>,
        /// Compute-unit limit.
        compute_unit_limit: Option<u32>,
        /// How levels are timed.
        tracking: SolanaTracking,
    },
}

/// USD prices given by the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    /// USD per ETH.
    pub eth_usd: Option<f64>,
    /// USD per SOL.
    pub sol_usd: Option<f64>,
    /// Where they came from.
    pub source: String,
}

impl Prices {
    /// USD per native coin of `kind`, if given.
    pub fn usd_per_coin(&self, kind: ChainKind) -> Option<f64> {
        match kind {
            ChainKind::Evm => self.eth_usd,
            ChainKind::Solana => self.sol_usd,
        }
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

/// Reads and validates the scenario at `path`, applying `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, &path.display().to_string(), overrides).map(|mut s| {
        s.path = Some(path.to_owned());
        s
    })
}

/// Parses and validates scenario `text`; `source` names it in errors.
pub fn parse(text: &str, source: &str, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    let file: ScenarioFile = toml::from_str(text).map_err(|e| {
        let span = e.span();
        ScenarioError::Invalid {
            location: locate(text, source, span.clone()),
            field: span
                .map(|s| field_at(text, s.start))
                .unwrap_or_else(|| "<file>".to_owned()),
            message: e.message().trim().to_owned(),
        }
    })?;
    Validator { text, source }.validate(file, overrides)
}

struct Validator<'a> {
    text: &'a str,
    source: &'a str,
}

impl Validator<'_> {
    fn error(&self, span: Range<usize>, field: &str, message: impl Into<String>) -> ScenarioError {
        let span = (span.end > 0).then_some(span);
        ScenarioError::Invalid {
            location: locate(self.text, self.source, span),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    fn cli_error(field: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            location: Location {
                source: "<command line>".into(),
                line: None,
                column: None,
            },
            field: field.to_owned(),
            message: message.into(),
        }
    }

    fn validate(&self, mut file: ScenarioFile, ov: &Overrides) -> Result<Scenario, ScenarioError> {
        // Overrides first, so the scenario as run is what the result records.
        if let Some(rate) = ov.rate {
            if Rate::new(rate).is_none() {
                return Err(Self::cli_error("--rate", "must be a number greater than 0"));
            }
            file.load.rate = Spanned::new(0..0, rate);
        }
        if let Some(d) = ov.duration {
            file.load.duration = Some(Spanned::new(0..0, HumanDuration(d)));
            file.load.count = None;
        }
        if let Some(n) = ov.count {
            file.load.count = Some(Spanned::new(0..0, n));
            file.load.duration = None;
        }
        if ov.url.is_some() || ov.ws_url.is_some() {
            match (&mut file.evm, &mut file.solana) {
                (Some(evm), None) => {
                    let evm = evm.get_mut();
                    // A new --url makes the file's ws_url stale: the WebSocket
                    // follows --url unless --ws-url says otherwise.
                    if ov.url.is_some() {
                        evm.ws_url = None;
                    }
                    evm.url = ov.url.clone().or(evm.url.take());
                    evm.ws_url = ov.ws_url.clone().or(evm.ws_url.take());
                }
                (None, Some(sol)) => {
                    let sol = sol.get_mut();
                    if ov.url.is_some() {
                        sol.ws_url = None;
                    }
                    sol.url = ov.url.clone().or(sol.url.take());
                    sol.ws_url = ov.ws_url.clone().or(sol.ws_url.take());
                }
                _ => {
                    return Err(Self::cli_error(
                        "--url",
                        "applies only to a scenario with exactly one of [evm] and [solana]",
                    ))
                }
            }
        }

        let name = file.name.get_ref().trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(self.error(
                file.name.span(),
                "name",
                "must be non-empty and use only letters, digits, '-', '_' and '.' (it names the result directory)",
            ));
        }
        let accounts = NonZeroU32::new(*file.accounts.count.get_ref()).ok_or_else(|| {
            self.error(
                file.accounts.count.span(),
                "accounts.count",
                "must be at least 1",
            )
        })?;
        if accounts.get() > MAX_ACCOUNTS {
            return Err(self.error(
                file.accounts.count.span(),
                "accounts.count",
                format!(
                    "{accounts} is more than chainmeter funds ({MAX_ACCOUNTS}); \
                     more senders than that do not raise a local validator's throughput"
                ),
            ));
        }

        let rate = Rate::new(*file.load.rate.get_ref()).ok_or_else(|| {
            self.error(
                file.load.rate.span(),
                "load.rate",
                "must be a number greater than 0 (transactions per second)",
            )
        })?;
        let end = match (&file.load.duration, &file.load.count) {
            (Some(d), None) if d.get_ref().0.is_zero() => {
                return Err(self.error(d.span(), "load.duration", "must be longer than 0s"))
            }
            (Some(d), None) => End::After(d.get_ref().0),
            (None, Some(n)) if *n.get_ref() == 0 => {
                return Err(self.error(n.span(), "load.count", "must be at least 1"))
            }
            (None, Some(n)) => End::Count(*n.get_ref()),
            (Some(d), Some(_)) => {
                return Err(self.error(
                    d.span(),
                    "load.duration",
                    "give either load.duration or load.count, not both",
                ))
            }
            (None, None) => {
                return Err(self.error(
                    file.load.rate.span(),
                    "load",
                    "give load.duration or load.count",
                ))
            }
        };
        let load = Load {
            shape: file.load.shape,
            rate,
            end,
            warmup: file
                .load
                .warmup
                .get_or_insert(HumanDuration(Duration::ZERO))
                .0,
            drain_timeout: file.load.drain_timeout.map(|d| d.0),
        };

        let bids = match &file.workload.bids {
            None => None,
            Some(b) => {
                let bids = b
                    .get_ref()
                    .check()
                    .map_err(|(field, why)| self.error(b.span(), field, why))?;
                let priced = [
                    (
                        "evm.priority_fee",
                        file.evm
                            .as_ref()
                            .is_some_and(|e| e.get_ref().priority_fee.is_some()),
                    ),
                    (
                        "solana.compute_unit_price",
                        file.solana
                            .as_ref()
                            .is_some_and(|s| s.get_ref().compute_unit_price.is_some()),
                    ),
                ];
                if let Some((field, _)) = priced.iter().find(|(_, set)| *set) {
                    return Err(self.error(
                        b.span(),
                        field,
                        "workload.bids sets the price of every transaction; remove this one",
                    ));
                }
                Some(bids)
            }
        };

        let mut targets = Vec::new();
        if let Some(evm) = &mut file.evm {
            let span = evm.span();
            targets.push(self.evm_target(evm.get_mut(), span)?);
        }
        if let Some(sol) = &mut file.solana {
            let span = sol.span();
            targets.push(self.solana_target(sol.get_mut(), span)?);
        }
        if targets.is_empty() {
            return Err(self.error(
                0..0,
                "<file>",
                "no chain: add an [evm] or a [solana] section",
            ));
        }

        let prices = match &file.prices {
            None => None,
            Some(p) => {
                for (field, v) in [("prices.eth_usd", p.eth_usd), ("prices.sol_usd", p.sol_usd)] {
                    if v.is_some_and(|v| !(v.is_finite() && v > 0.0)) {
                        return Err(self.error(0..0, field, "must be a positive number of USD"));
                    }
                }
                let source = p
                    .source
                    .clone()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| {
                        self.error(
                            0..0,
                            "prices.source",
                            "say where the prices come from and when (required with prices)",
                        )
                    })?;
                Some(Prices {
                    eth_usd: p.eth_usd,
                    sol_usd: p.sol_usd,
                    source,
                })
            }
        };

        let writes = *file.workload.writes.get_or_insert(Writes::Disjoint);
        let as_run = serde_json::to_value(&file).expect("scenario serializes to JSON");
        Ok(Scenario {
            name: name.to_owned(),
            path: None,
            accounts,
            seed: file.accounts.seed.clone(),
            workload: *file.workload.kind.get_ref(),
            value: file.workload.value,
            writes,
            bids,
            load,
            targets,
            prices,
            as_run,
        })
    }

    fn levels(
        &self,
        kind: ChainKind,
        levels: &mut Option<Spanned<Vec<Level>>>,
    ) -> Result<Vec<Level>, ScenarioError> {
        let field = format!("{kind}.levels");
        let all = kind.levels();
        let Some(given) = levels else {
            *levels = Some(Spanned::new(0..0, all.to_vec()));
            return Ok(all.to_vec());
        };
        let list = given.get_ref();
        if list.is_empty() {
            return Err(self.error(given.span(), &field, "name at least one level"));
        }
        if let Some(bad) = list.iter().find(|l| !all.contains(l)) {
            let names: Vec<_> = all.iter().map(|l| l.as_str()).collect();
            return Err(self.error(
                given.span(),
                &field,
                format!("{bad} is not a {kind} level; use {}", names.join(", ")),
            ));
        }
        let mut sorted = list.clone();
        sorted.sort();
        sorted.dedup();
        // Level's order is Processed < Confirmed < Included < Safe < Finalized,
        // which sorts each chain's own levels weakest first.
        Ok(sorted)
    }

    fn attach(
        &self,
        kind: ChainKind,
        url: &Option<String>,
        ws_url: &mut Option<String>,
        span: Range<usize>,
    ) -> Result<Option<Endpoint>, ScenarioError> {
        let Some(url) = url else {
            if ws_url.is_some() {
                return Err(self.error(span, &format!("{kind}.ws_url"), "needs url as well"));
            }
            return Ok(None);
        };
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(|| {
                self.error(
                    span.clone(),
                    &format!("{kind}.url"),
                    format!("{url:?} is not an http:// or https:// URL"),
                )
            })?;
        let ws = match ws_url {
            Some(ws) => ws.clone(),
            None => {
                let scheme = if url.starts_with("https://") {
                    "wss://"
                } else {
                    "ws://"
                };
                let ws = match kind {
                    ChainKind::Evm => format!("{scheme}{rest}"),
                    ChainKind::Solana => solana_ws_from_rpc(scheme, rest).ok_or_else(|| {
                        self.error(
                            span.clone(),
                            "solana.url",
                            format!(
                                "{url:?} has no port to derive ws_url from; give solana.ws_url"
                            ),
                        )
                    })?,
                };
                *ws_url = Some(ws.clone());
                ws
            }
        };
        if !(ws.starts_with("ws://") || ws.starts_with("wss://")) {
            return Err(self.error(
                span,
                &format!("{kind}.ws_url"),
                format!("{ws:?} is not a ws:// or wss:// URL"),
            ));
        }
        Ok(Some(Endpoint::Attach {
            url: url.clone(),
            ws_url: ws,
        }))
    }

    fn evm_target(&self, evm: &mut EvmFile, span: Range<usize>) -> Result<Target, ScenarioError> {
        let levels = self.levels(ChainKind::Evm, &mut evm.levels)?;
        let endpoint = match self.attach(ChainKind::Evm, &evm.url, &mut evm.ws_url, span)? {
            Some(e) => e,
            None => {
                let block_time = evm
                    .block_time
                    .get_or_insert(Spanned::new(0..0, HumanDuration(Duration::from_secs(1))));
                if block_time.get_ref().0.as_millis() < 1 {
                    return Err(self.error(
                        block_time.span(),
                        "evm.block_time",
                        "must be at least 1ms (anvil mines on a timer)",
                    ));
                }
                let epoch = evm.slots_in_an_epoch.get_or_insert(Spanned::new(0..0, 32));
                if *epoch.get_ref() == 0 {
                    return Err(self.error(
                        epoch.span(),
                        "evm.slots_in_an_epoch",
                        "must be at least 1",
                    ));
                }
                let gas = evm.gas_limit.get_or_insert(Spanned::new(0..0, 30_000_000));
                if *gas.get_ref() < 21_000 {
                    return Err(self.error(
                        gas.span(),
                        "evm.gas_limit",
                        "must hold at least one transfer (21000)",
                    ));
                }
                Endpoint::Local(LocalOptions::Anvil {
                    block_time: block_time.get_ref().0,
                    slots_in_an_epoch: *epoch.get_ref(),
                    gas_limit: *gas.get_ref(),
                })
            }
        };
        let priority_fee = *evm.priority_fee.get_or_insert(1_000_000_000);
        Ok(Target {
            kind: ChainKind::Evm,
            endpoint,
            levels,
            send: SendOptions::Evm { priority_fee },
        })
    }

    fn solana_target(
        &self,
        sol: &mut SolanaFile,
        span: Range<usize>,
    ) -> Result<Target, ScenarioError> {
        let levels = self.levels(ChainKind::Solana, &mut sol.levels)?;
        let endpoint = match self.attach(ChainKind::Solana, &sol.url, &mut sol.ws_url, span)? {
            Some(e) => e,
            None => {
                for (field, v) in [
                    ("solana.ticks_per_slot", &sol.ticks_per_slot),
                    ("solana.slots_per_epoch", &sol.slots_per_epoch),
                ] {
                    if let Some(v) = v.as_ref().filter(|v| *v.get_ref() == 0) {
                        return Err(self.error(v.span(), field, "must be at least 1"));
                    }
                }
                Endpoint::Local(LocalOptions::SolanaTestValidator {
                    ticks_per_slot: sol.ticks_per_slot.as_ref().map(|v| *v.get_ref()),
                    slots_per_epoch: sol.slots_per_epoch.as_ref().map(|v| *v.get_ref()),
                })
            }
        };
        if let Some(limit) = sol
            .compute_unit_limit
            .as_ref()
            .filter(|l| *l.get_ref() == 0)
        {
            return Err(self.error(
                limit.span(),
                "solana.compute_unit_limit",
                "must be at least 1",
            ));
        }
        let send = SendOptions::Solana {
            skip_preflight: *sol.skip_preflight.get_or_insert(true),
            max_retries: sol.max_retries,
            compute_unit_price: sol.compute_unit_price,
            compute_unit_limit: sol.compute_unit_limit.as_ref().map(|l| *l.get_ref()),
            tracking: *sol.tracking.get_or_insert(SolanaTracking::Events),
        };
        Ok(Target {
            kind: ChainKind::Solana,
            endpoint,
            levels,
            send,
        })
    }
}

/// solana-test-validator serves PubSub on the RPC port + 1.
fn solana_ws_from_rpc(scheme: &str, rest: &str) -> Option<String> {
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let sep = if path.is_empty() { "" } else { "/" };
    Some(format!(
        "{scheme}{host}:{}{sep}{path}",
        port.checked_add(1)?
    ))
}

fn locate(text: &str, source: &str, span: Option<Range<usize>>) -> Location {
    let Some(span) = span else {
        return Location {
            source: source.to_owned(),
            line: None,
            column: None,
        };
    };
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(start, |nl| start - nl - 1) + 1;
    Location {
        source: source.to_owned(),
        line: Some(line),
        column: Some(column),
    }
}

/// The dotted key path (`load.rate`) of the `key = value` line holding byte `offset`.
fn field_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_owned());
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    match (table, key) {
        (Some(t), Some(k)) => format!("{t}.{k}"),
        (None, Some(k)) => k,
        (Some(_), None) if line.starts_with('[') => line
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_owned(),
        (Some(t), None) => t,
        (None, None) => "<file>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
[load]
rate = 100
duration = "10s"
[evm]
block_time = "2s"
"#;

    fn err(text: &str) -> String {
        parse(text, "s.toml", &Overrides::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_are_filled_in() {
        let s = parse(GOOD, "s.toml", &Overrides::default()).unwrap();
        assert_eq!(s.accounts.get(), 32);
        assert_eq!(s.load.end, End::After(Duration::from_secs(10)));
        assert_eq!(s.targets.len(), 1);
        let t = &s.targets[0];
        assert_eq!(t.levels, ChainKind::Evm.levels());
        assert_eq!(
            t.endpoint,
            Endpoint::Local(LocalOptions::Anvil {
                block_time: Duration::from_secs(2),
                slots_in_an_epoch: 32,
                gas_limit: 30_000_000
            })
        );
        assert_eq!(s.as_run["evm"]["slots_in_an_epoch"], 32);
        assert!(s.as_run["load"].get("drain_timeout").is_none());
        assert_eq!(s.load.drain_timeout, None);
    }

    #[test]
    fn unknown_field_names_file_line_and_field() {
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 5\nbogus = 3\n[evm]\n");
        assert!(
            e.starts_with("s.toml:5:1: load.bogus: unknown field `bogus`"),
            "{e}"
        );
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = err("name = \"t\"\n[load]\nrate = \"fast\"\ncount = 5\n[evm]\n");
        assert!(
            e.starts_with("s.toml:3:8: load.rate: invalid type: string"),
            "{e}"
        );
    }

    #[test]
    fn zero_rate_is_refused_with_its_place() {
        let e = err("name = \"t\"\n[load]\nrate = 0\ncount = 5\n[evm]\n");
        assert_eq!(
            e,
            "s.toml:3:8: load.rate: must be a number greater than 0 (transactions per second)"
        );
    }

    #[test]
    fn bad_duration_is_explained() {
        let e = err("name = \"t\"\n[load]\nrate = 1\nduration = \"ten\"\n[evm]\n");
        assert!(e.contains("load.duration: invalid duration \"ten\""), "{e}");
    }

    #[test]
    fn duration_and_count_are_exclusive_and_one_is_required() {
        assert!(
            err("name = \"t\"\n[load]\nrate = 1\nduration = \"1s\"\ncount = 3\n[evm]\n")
                .contains("not both")
        );
        assert!(err("name = \"t\"\n[load]\nrate = 1\n[evm]\n")
            .contains("give load.duration or load.count"));
    }

    #[test]
    fn a_chain_is_required_and_levels_must_belong_to_it() {
        assert!(err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n").contains("no chain"));
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[evm]\nlevels = [\"confirmed\"]\n");
        assert!(
            e.contains("evm.levels: confirmed is not a evm level"),
            "{e}"
        );
    }

    #[test]
    fn levels_are_sorted_weakest_first() {
        let s = parse(
            "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[solana]\nlevels = [\"finalized\", \"processed\"]\n",
            "s.toml",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(s.targets[0].levels, [Level::Processed, Level::Finalized]);
    }

    #[test]
    fn overrides_apply_and_are_checked() {
        let ov = Overrides {
            url: Some("http://127.0.0.1:8899".into()),
            rate: Some(7.0),
            count: Some(3),
            ..Default::default()
        };
        let s = parse(GOOD, "s.toml", &ov).unwrap();
        assert_eq!(s.load.rate.per_second(), 7.0);
        assert_eq!(s.load.end, End::Count(3));
        assert_eq!(
            s.targets[0].endpoint,
            Endpoint::Attach {
                url: "http://127.0.0.1:8899".into(),
                ws_url: "ws://127.0.0.1:8899".into()
            }
        );
        let bad = Overrides {
            rate: Some(0.0),
            ..Default::default()
        };
        assert_eq!(
            parse(GOOD, "s.toml", &bad).unwrap_err().to_string(),
            "<command line>: --rate: must be a number greater than 0"
        );
    }

    #[test]
    fn the_websocket_follows_a_url_given_on_the_command_line() {
        let file = "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[evm]\nurl = \"http://127.0.0.1:8545\"\nws_url = \"ws://127.0.0.1:8545\"\n";
        let ov = Overrides {
            url: Some("http://127.0.0.1:9999".into()),
            ..Default::default()
        };
        let s = parse(file, "s", &ov).unwrap();
        assert_eq!(
            s.targets[0].endpoint,
            Endpoint::Attach {
                url: "http://127.0.0.1:9999".into(),
                ws_url: "ws://127.0.0.1:9999".into()
            }
        );
        let ov = Overrides {
            url: Some("http://127.0.0.1:9999".into()),
            ws_url: Some("ws://127.0.0.1:7777".into()),
            ..Default::default()
        };
        let s = parse(file, "s", &ov).unwrap();
        assert!(
            matches!(&s.targets[0].endpoint, Endpoint::Attach { ws_url, .. } if ws_url == "ws://127.0.0.1:7777")
        );
    }

    #[test]
    fn the_drain_covers_the_strongest_level_asked() {
        let s = parse(GOOD, "s.toml", &Overrides::default()).unwrap();
        // 2 s blocks, 32-slot epochs, finalized: (64 + 2) x 2 s x 1.25 + 10 s.
        assert_eq!(s.targets[0].drain(None), Duration::from_secs(175));
        let included = GOOD.replace(
            "block_time = \"2s\"",
            "block_time = \"2s\"\nlevels = [\"included\"]",
        );
        let s = parse(&included, "s.toml", &Overrides::default()).unwrap();
        assert_eq!(s.targets[0].drain(None), Duration::from_secs(15));
        assert_eq!(
            s.targets[0].drain(Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        let sol = parse(
            "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[solana]\n",
            "s",
            &Overrides::default(),
        )
        .unwrap();
        // 152 blocks of blockhash validity at 0.4 s, x 1.5, + 10 s.
        let d = sol.targets[0].drain(None).as_secs_f64();
        assert!((d - 101.2).abs() < 0.01, "{d}");
    }

    #[test]
    fn fee_market_bids_are_checked_with_their_place() {
        let e = err(
            "name = \"t\"\n[workload.bids]\nrange = [5, 1]\n[load]\nrate = 1\ncount = 1\n[evm]\n",
        );
        assert!(
            e.starts_with("s.toml:2:1: workload.bids.range: [5, 1]: the lowest bid comes first"),
            "{e}"
        );
        let e = err("name = \"t\"\n[workload.bids]\nlist = [1, 2]\n[load]\nrate = 1\ncount = 1\n[solana]\ncompute_unit_price = 5\n");
        assert!(
            e.contains("solana.compute_unit_price: workload.bids sets the price"),
            "{e}"
        );
        let ok = parse(
            "name = \"t\"\n[workload.bids]\nrange = [0, 100]\ndistribution = \"uniform\"\nbins = 4\n[load]\nrate = 1\ncount = 1\n[evm]\n",
            "s",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            ok.bids,
            Some(Bids::Uniform {
                lo: 0,
                hi: 100,
                bins: 4
            })
        );
    }

    #[test]
    fn an_unknown_workload_is_located() {
        let e =
            err("name = \"t\"\n[workload]\nkind = \"swap\"\n[load]\nrate = 1\ncount = 1\n[evm]\n");
        assert!(
            e.starts_with("s.toml:3:8: workload.kind: unknown variant `swap`"),
            "{e}"
        );
        let ok = parse(
            "name = \"t\"\n[workload]\nkind = \"token\"\n[load]\nrate = 1\ncount = 1\n[evm]\n",
            "s",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(ok.workload, WorkloadKind::Token);
    }

    #[test]
    fn too_many_accounts_are_refused_with_the_limit() {
        let e = err(
            "name = \"t\"\n[accounts]\ncount = 100000000\n[load]\nrate = 1\ncount = 1\n[evm]\n",
        );
        assert!(
            e.starts_with(
                "s.toml:3:9: accounts.count: 100000000 is more than chainmeter funds (65536)"
            ),
            "{e}"
        );
    }

    #[test]
    fn solana_ws_defaults_to_rpc_port_plus_one() {
        let s = parse("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[solana]\nurl = \"http://127.0.0.1:8899\"\n", "s", &Overrides::default()).unwrap();
        assert_eq!(
            s.targets[0].endpoint,
            Endpoint::Attach {
                url: "http://127.0.0.1:8899".into(),
                ws_url: "ws://127.0.0.1:8900".into()
            }
        );
    }

    #[test]
    fn prices_need_a_source() {
        let e =
            err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[evm]\n[prices]\neth_usd = 3000.0\n");
        assert!(e.contains("prices.source"), "{e}");
    }
}
