//! The checked scenario: types that admit no invalid value.

use super::{ShapeKind, SolanaTracking, WorkloadKind, Writes};
use crate::{
    bids::Bids,
    level::{ChainKind, Level},
};
use std::{num::NonZeroU32, path::PathBuf, time::Duration};

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
