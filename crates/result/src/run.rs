//! The result file: one JSON document per run and chain.
//!
//! Units are in field names (`_us`, `_s`); fees are in the chain's smallest
//! unit, and totals, which can exceed 2^53, are decimal strings.

use crate::{
    histogram::StoredHistogram,
    level::Level,
    outcome::OutcomeCounts,
    rate::{landed_rate, BlockRate, NoRate},
    shard::Shard,
    unit::FeeUnit,
};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, path::Path};

/// The version of the result format this build writes. Bumped on any change
/// that an older reader would misread.
///
/// - 1: the first format.
/// - 2: `status` may be `incomplete`; `verification`; `fees.warmup`;
///   `outcomes.unknown_by_reason`; `tracking.achieved_interval_us`;
///   `submitter` counters; `fee_buckets`. Version 1 files still read (the
///   new fields empty).
/// - 3: `chain` is any chain's name, and `fee_unit` says how its fees are
///   counted, so that readers need not know the chain. Versions 1 and 2
///   still read: they could name only `evm` and `solana`, whose units are
///   filled in.
/// - 4: `load.profile`; `steps` (each step or probe on its own) and `knee`
///   (a saturation search's answer). Older files read with no steps, and a
///   `constant` profile.
/// - 5: `throughput.landed_peak_1s` is the best rate over whole blocks
///   spanning at least a second (a number), no longer the best wall-clock
///   second's count, which doubled a chain's rate when two block arrivals
///   fell in one second; `throughput.arrivals` it is computed from;
///   `status` may be `running` (a partial result, written as the run goes);
///   `merged`; `knee.at_least` / `knee.broke_per_s`; `repeats` carry each
///   repeat's status and verification; `verification.dry_senders`. Version
///   4 files read as they are: their peak is the old count.
/// - 6: every landed rate (`throughput`, each step's, the knee's) is taken
///   over whole block intervals, and is null where the window holds too
///   few blocks for one, `throughput.no_rate` saying why; a search's
///   run-level rate counts what landed while its probes were sending.
///   Older files read as they are: their means are over whole seconds.
pub const SCHEMA_VERSION: u32 = 6;

/// The result file's JSON Schema, generated from these types (draft
/// 2020-12); `schemas/result.schema.json` is it, and a test keeps the two
/// equal. Fields added as optional do not change [`SCHEMA_VERSION`]; the
/// schema admits fields it does not know, so files from newer builds
/// still validate.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(RunResult);
    schema.insert(
        "$id".to_owned(),
        "https://github.com/chainmeter/chainmeter/schemas/result.schema.json".into(),
    );
    schema.insert(
        "description".to_owned(),
        format!(
            "A chainmeter result file, schema_version {SCHEMA_VERSION}: one run of one scenario against one chain. \
             Units are in field names (_us, _s); fees are in the chain's smallest unit, and totals are decimal strings."
        )
        .into(),
    );
    serde_json::to_value(schema).expect("a schema serializes")
}

/// One run of one scenario against one chain.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunResult {
    /// Always first: [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The chain's name (`evm`, `solana`), as its crate declares it.
    pub chain: String,
    /// The chain's coin and the units its fees are counted in.
    pub fee_unit: FeeUnit,
    /// The scenario's name.
    pub scenario_name: String,
    /// The scenario as run: defaults filled in, command-line overrides applied.
    pub scenario: serde_json::Value,
    /// Where and with what it ran.
    pub environment: Environment,
    /// Wall-clock start, RFC 3339 UTC (a label only: latencies use a monotonic clock).
    pub started_at: String,
    /// Wall-clock end, RFC 3339 UTC.
    pub ended_at: String,
    /// Whether the run completed or was aborted, and why.
    pub status: RunStatus,
    /// The load as offered.
    pub load: LoadSummary,
    /// What each transaction did. Files that lack it (before chainmeter
    /// wrote it) get it from their scenario when read.
    #[serde(default)]
    pub workload: WorkloadSummary,
    /// Per level, weakest first: latency histograms.
    pub levels: Vec<LevelLatency>,
    /// Landed throughput.
    pub throughput: Throughput,
    /// What the chain charged.
    pub fees: Fees,
    /// Where every transaction ended up.
    pub outcomes: OutcomeCounts,
    /// The chain's own view: block/slot intervals and contents.
    pub chain_view: ChainView,
    /// How level timestamps were obtained.
    pub tracking: Tracking,
    /// The generator this was, when the run was one shard of several
    /// (`--shard I/N`); merging the shards' results clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// For a merged result: the inputs it was merged from, each with what it
    /// proved against the chain, and how far their windows overlapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<Merged>,
    /// With `run --repeat K`: each repeat's headline metrics, in order (the
    /// rest of the file is the last repeat's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repeats: Vec<Repeat>,
    /// How transactions were sent (the route to the node), in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sending: String,
    /// What the harness itself spent.
    pub harness: HarnessUsage,
    /// The sender accounts and their state before the first send, so that
    /// fees and landed counts can be checked against the chain afterwards.
    pub senders: Vec<SenderRecord>,
    /// The run's figures re-derived from chain state after the drain; absent
    /// when the check was skipped (`--no-verify`, an aborted run, schema 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// What the submitter counted besides outcomes, e.g. `nonce_resyncs`.
    #[serde(default)]
    pub submitter: BTreeMap<String, u64>,
    /// The fee market, when the scenario set bids: one entry per bid bucket,
    /// the measured window's transactions only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_buckets: Vec<FeeBucket>,
    /// A traffic mix's entries, each with its figures as the whole run's
    /// (`workload.kind` is then `mix`); their counts add up to the whole's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mix: Vec<MixEntryResult>,
    /// Each step or probe on its own, for `steps` and `saturate` profiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepResult>,
    /// A saturation search's knee, when a probe held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knee: Option<Knee>,
}

/// One entry of a traffic mix: its transactions' figures, counted as the
/// whole run's are (outcomes of every transaction, warm-up included;
/// latency and fees of the measured window's).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MixEntryResult {
    /// The entry's workload.
    pub kind: String,
    /// The share of the transactions the scenario gave it.
    pub share: f64,
    /// Where its transactions ended up.
    pub outcomes: OutcomeCounts,
    /// Per recorded level, weakest first: latency from the intended send time.
    pub levels: Vec<EntryLatency>,
    /// What the chain charged its transactions, and their gas or compute units.
    pub fees: Fees,
}

/// A mix entry's latency to one level.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EntryLatency {
    /// The level.
    pub level: Level,
    /// `t_L - t_sched`, microseconds.
    pub latency_us: StoredHistogram,
}

/// The transactions that bid within one range, and what it bought them.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeeBucket {
    /// Lowest and highest bid of the bucket (equal for a list or levels):
    /// EVM tip in wei per gas, Solana compute-unit price in micro-lamports.
    pub bid: [u64; 2],
    /// Transactions planned with such a bid.
    pub sent: u64,
    /// Of them, landed.
    pub landed: u64,
    /// Fee each landed one was charged, read from the chain (smallest
    /// unit): exact min, max and mean.
    pub fee_min: String,
    /// See `fee_min`.
    pub fee_max: String,
    /// See `fee_min`.
    pub fee_mean: f64,
    /// Latency to the weakest recorded level, then to the strongest when it
    /// is another level.
    pub levels: Vec<BucketLatency>,
    /// Of the bucket's senders, those that ran out of funds (see
    /// [`Verification::dry_senders`]): its landed share then says what
    /// its senders could pay for, not what its bid bought.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dry_senders: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A fee-market bucket's latency to one level, from the intended send time.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BucketLatency {
    /// The level.
    pub level: Level,
    /// `t_L - t_sched`, microseconds.
    pub latency_us: StoredHistogram,
}

/// The run's own figures beside the same figures read from the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verification {
    /// How the chain's figures were obtained.
    pub method: String,
    /// One entry per figure checked.
    pub checks: Vec<Check>,
    /// Why the chain could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Senders (by index) whose balance after the run could not pay for
    /// one more of their transactions: they ran out of funds, so what they
    /// sent late may have failed for that, not on the chain's merits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dry_senders: Vec<u32>,
    /// Parts of the run that were never verified (a merged result's inputs
    /// that hold no verification): the whole is then unverified, which no
    /// gate reads as fit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unverified: Vec<String>,
}

impl Verification {
    /// A verification that could not read the chain.
    pub fn failed(error: String) -> Self {
        Self {
            method: String::new(),
            checks: Vec::new(),
            error: Some(error),
            dry_senders: Vec::new(),
            unverified: Vec::new(),
        }
    }

    /// True when the chain was read for every part of the run and every
    /// figure matched.
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self.unverified.is_empty()
            && self.checks.iter().all(|c| c.chain == c.recorded)
    }

    /// One line for the summary: `verified against the chain: landed N = N, fees X = X`,
    /// or what differed.
    pub fn line(&self) -> String {
        if let Some(e) = &self.error {
            return format!("not verified: cannot read the chain: {e}");
        }
        if !self.unverified.is_empty() {
            return format!(
                "UNVERIFIED: {} recorded no verification against the chain",
                self.unverified.join(", ")
            );
        }
        let figures = self
            .checks
            .iter()
            .map(|c| {
                let op = if c.chain == c.recorded { "=" } else { "≠" };
                let name = match &c.entry {
                    Some(entry) => format!("{entry} {}", c.name),
                    None => c.name.clone(),
                };
                format!("{name} {} {op} {}", c.recorded, c.chain)
            })
            .collect::<Vec<_>>()
            .join(", ");
        if self.passed() {
            format!("verified against the chain: {figures}")
        } else {
            format!("VERIFICATION FAILED (recorded vs chain): {figures}")
        }
    }

    /// The check named `name`, if it was made.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// One figure as the run recorded it and as the chain shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Check {
    /// What is compared, e.g. `landed` or `fees`.
    pub name: String,
    /// The run's own figure (decimal string: fees may exceed 2^53).
    pub recorded: String,
    /// The chain's figure.
    pub chain: String,
    /// How the chain's figure was derived.
    pub how: String,
    /// The traffic-mix entry (its workload) the check is of; none when it
    /// is of the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

/// A sender account as it was before the run's first transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SenderRecord {
    /// Address (EVM, 0x-hex) or public key (Solana, base58).
    pub address: String,
    /// Balance before the first send, smallest unit (decimal string).
    pub balance_before: String,
    /// Nonce before the first send (EVM only).
    pub nonce_before: Option<u64>,
}

/// Versions and machine.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Environment {
    /// chainmeter's version.
    pub chainmeter_version: String,
    /// git revision chainmeter was built from, if known.
    pub git_revision: Option<String>,
    /// The node: validator binary and version when started locally, else what the node reports.
    pub node: NodeInfo,
    /// Operating system and architecture.
    pub os: String,
    /// CPU model name.
    pub cpu_model: String,
    /// Logical cores.
    pub cores: usize,
}

/// The node a run talked to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NodeInfo {
    /// True when chainmeter started it; false when attached.
    pub started_locally: bool,
    /// Validator binary path, when started locally.
    pub binary: Option<String>,
    /// Its `--version` output (first line), or the node's client version.
    pub version: String,
    /// RPC URL.
    pub rpc_url: String,
    /// Chain id (EVM) or genesis hash (Solana).
    pub chain_id: String,
}

/// Why a run stopped before its end.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopKind {
    /// Ctrl-C (SIGINT).
    Interrupted,
    /// SIGTERM (what `timeout`, CI runners and Kubernetes send).
    Terminated,
    /// The node went away: its process exited, its connection closed, or it
    /// stopped producing blocks or slots.
    NodeGone,
    /// The chain's tracker failed while the node was there.
    TrackerFailed,
    /// A reason of no kind above (and every abort in older files).
    #[default]
    Other,
}

impl StopKind {
    /// True when a signal stopped the run, not the chain.
    pub fn is_signal(self) -> bool {
        matches!(self, Self::Interrupted | Self::Terminated)
    }
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunStatus {
    /// Every planned transaction was sent and the drain finished or timed out.
    Completed,
    /// The run stopped early; transactions whose fate was open are `unknown`.
    Aborted {
        /// Why, in words.
        reason: String,
        /// Why, for machines (`other` in files written before it was kept).
        #[serde(default)]
        kind: StopKind,
    },
    /// Every planned transaction was sent, but the drain ended before every
    /// landed transaction reached every recorded level.
    Incomplete {
        /// Per level: landed transactions that had not reached it.
        missing: BTreeMap<Level, u64>,
    },
    /// Written while the run went on, a partial result: read after the run,
    /// it means chainmeter never finished it (it was killed, or the machine
    /// went down). Its figures cover the run up to `ended_at`; what was in
    /// flight then is `unknown` (in flight).
    Running,
}

impl RunStatus {
    /// The run ended and its result was written at its end (completed,
    /// incomplete or aborted), not a partial result.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Running)
    }

    /// For an incomplete run, the shortfall in words, e.g.
    /// `12 short of finalized`; `None` otherwise.
    pub fn shortfall(&self) -> Option<String> {
        let Self::Incomplete { missing } = self else {
            return None;
        };
        Some(
            missing
                .iter()
                .map(|(level, n)| format!("{n} short of {level}"))
                .collect::<Vec<_>>()
                .join(", "),
        )
    }
}

/// The offered load.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoadSummary {
    /// `constant` or `poisson` arrivals.
    pub shape: String,
    /// How the rate went: `constant`, `ramp`, `steps` or `saturate`.
    #[serde(default = "constant_profile")]
    pub profile: String,
    /// Offered rate, transactions per second: the constant rate, or the
    /// measured window's mean for other profiles.
    pub rate_per_s: f64,
    /// Warm-up length.
    pub warmup_s: f64,
    /// Measured window: from the end of warm-up to the last intended send.
    pub window_s: f64,
    /// Transactions sent in the warm-up.
    pub warmup_sent: u64,
    /// Transactions sent in the measured window.
    pub measured_sent: u64,
    /// Value each transfer carried, smallest unit (decimal string).
    pub value_per_tx: String,
    /// How far behind schedule the sends went: `t_send - t_sched`, microseconds.
    pub send_lag_us: StoredHistogram,
    /// A closed loop's shape; absent for an open-loop profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_loop: Option<ClosedLoopSummary>,
}

/// A closed loop: transactions in flight at once, each followed by the next
/// once it reached a level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClosedLoopSummary {
    /// Transactions in flight at once.
    pub concurrency: u32,
    /// The level each waited for; absent: the weakest recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_for: Option<Level>,
}

/// What each transaction did, as the scenario set it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkloadSummary {
    /// `transfer` (the native coin) or `token`.
    pub kind: String,
    /// Value per transaction as the scenario asked: the smallest native
    /// unit, or token units (the chain may need more: `load.value_per_tx`).
    pub value: u64,
    /// `disjoint` (each transaction writes a receiver of its own) or `hot`
    /// (every transaction writes one).
    pub writes: String,
    /// Sender accounts.
    pub accounts: u32,
    /// What each transaction did, in words, as its chain describes it
    /// (`token, 5 token units per transaction, each to …`).
    #[serde(default)]
    pub description: String,
}

/// A scenario's defaults: a transfer of 1, each to its own receiver, from 32 senders.
impl Default for WorkloadSummary {
    fn default() -> Self {
        Self {
            kind: "transfer".into(),
            value: 1,
            writes: "disjoint".into(),
            accounts: 32,
            description: String::new(),
        }
    }
}

fn constant_profile() -> String {
    "constant".to_owned()
}

/// What a stage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// A step of a `steps` profile.
    Step,
    /// A probe of a saturation search.
    Probe,
}

/// Whether a probe held, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verdict {
    /// It met the objective.
    pub held: bool,
    /// Share of its transactions that landed.
    pub landed_share: f64,
    /// The bounded latency, microseconds, if anything reached the level.
    pub latency_us: Option<u64>,
    /// What it failed, or "met the objective".
    pub reason: String,
}

/// One step or probe, with what was recorded of it alone.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepResult {
    /// A step of a `steps` profile, or a probe of a search.
    pub kind: StageKind,
    /// `step 2: 1000 tx/s`.
    pub label: String,
    /// Its target rate, transactions per second.
    pub rate_per_s: f64,
    /// Its measured window, seconds from the start of the run (a probe's
    /// warm-up comes before it).
    pub window_s: [f64; 2],
    /// Measured transactions sent, and per second of the window.
    pub sent: u64,
    /// See `sent`.
    pub offered_per_s: f64,
    /// Of them, landed.
    pub landed: u64,
    /// What the chain landed while it was sending: its window's whole block
    /// intervals, as the run's mean is taken. Null when the window holds
    /// fewer than two block arrivals.
    pub landed_per_s: Option<f64>,
    /// Latency per level, of its measured transactions.
    pub levels: Vec<LevelLatency>,
    /// Where its transactions (a probe's warm-up included) ended up.
    pub outcomes: OutcomeCounts,
    /// What its measured transactions were charged.
    pub fees: Fees,
    /// A probe's verdict against the objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// A saturation search's answer: the highest probe that held, and whether
/// that is the knee, a lower bound of it, or one end of a bracket.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Knee {
    /// Its index in `steps`.
    pub step: usize,
    /// Its offered rate, transactions per second.
    pub rate_per_s: f64,
    /// Its landed throughput (its step's `landed_per_s`).
    pub landed_per_s: Option<f64>,
    /// No probe broke (the highest rate allowed held, or the probes ran out
    /// while rising): the knee is at least `rate_per_s`.
    pub at_least: bool,
    /// The probes ran out before the rate that held and the lowest that broke
    /// came within the search's resolution: the knee lies between
    /// `rate_per_s` and this rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broke_per_s: Option<f64>,
    /// The objective, as a sentence.
    pub objective: String,
    /// Probes made.
    pub probes: usize,
    /// How long the search took, seconds.
    pub search_s: f64,
}

impl Knee {
    /// The rate is the knee itself, not a bound of it.
    pub fn is_found(&self) -> bool {
        !self.at_least && self.broke_per_s.is_none()
    }

    /// What the search established, in words: `1428 tx/s`, `at least 759
    /// tx/s (no probe broke)`, `between 1139 and 1709 tx/s (...)`.
    pub fn rate_words(&self) -> String {
        match (self.at_least, self.broke_per_s) {
            (true, _) => format!(
                "at least {:.0} tx/s (no probe broke: a lower bound, not a knee)",
                self.rate_per_s
            ),
            (false, Some(b)) => format!(
                "between {:.0} and {b:.0} tx/s (the probes ran out before the bracket narrowed to the resolution: not a knee)",
                self.rate_per_s
            ),
            (false, None) => format!("{:.0} tx/s", self.rate_per_s),
        }
    }
}

/// Latency to one level.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LevelLatency {
    /// The level.
    pub level: Level,
    /// `t_L - t_sched`, microseconds: the headline figure.
    pub latency_us: StoredHistogram,
    /// `t_L - t_send`, microseconds.
    pub service_latency_us: StoredHistogram,
}

/// Landed throughput.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Throughput {
    /// Mean landed transactions per second over the measured window: the
    /// landings of the whole block (slot) intervals whose blocks arrived in
    /// the window, over the time those intervals span (see
    /// [`crate::rate::landed_rate`]); for a search, over its probes'
    /// windows alone. Null when the window holds fewer than two block
    /// arrivals (`no_rate` says so). Files before schema 6 hold landings in
    /// the window's whole wall-clock seconds over their count.
    pub landed_mean_per_s: Option<f64>,
    /// The best landed rate of the measured window, transactions per
    /// second: over the shortest run of whole blocks (slots) that spans at
    /// least a second, the best such run's landings over its span (the
    /// mean, when the window's blocks span less). Not a count in a
    /// wall-clock second: two block arrivals in one second would read as
    /// twice the chain's rate. Null with `landed_mean_per_s`. Files before
    /// schema 5 hold the best whole second's count.
    pub landed_peak_1s: Option<f64>,
    /// Why the window has no landed rate, when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_rate: Option<NoRate>,
    /// Mean offered (intended) transactions per second over the window.
    pub offered_mean_per_s: f64,
    /// One entry per second from the start of the run (warm-up and drain included).
    pub timeline: Vec<SecondCounts>,
    /// Every instant at which the chain showed landings (a block's or
    /// slot's arrival), as `[microseconds from the start of the run,
    /// transactions that landed then]`, in time order; what the rates are
    /// computed from, and recomputed from when results merge.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrivals: Vec<[u64; 2]>,
}

impl Throughput {
    /// Sets the landed rates from what [`crate::rate::landed_rate`] found.
    pub fn set_landed(&mut self, rate: Result<BlockRate, NoRate>) {
        (self.landed_mean_per_s, self.landed_peak_1s, self.no_rate) = match rate {
            Ok(r) => (Some(r.mean_per_s), Some(r.peak_per_s), None),
            Err(why) => (None, None, Some(why)),
        };
    }

    /// The landed rates of `arrivals` over `windows_us`, with the rest empty
    /// but for `offered_mean_per_s`.
    pub fn over(
        arrivals: Vec<[u64; 2]>,
        windows_us: &[(u64, u64)],
        offered_mean_per_s: f64,
    ) -> Self {
        let mut t = Self {
            landed_mean_per_s: None,
            landed_peak_1s: None,
            no_rate: None,
            offered_mean_per_s,
            timeline: Vec::new(),
            arrivals,
        };
        t.set_landed(landed_rate(&t.arrivals, windows_us));
        t
    }
}

/// A traffic-mix share (0 to 1) as the percent a scenario means by it:
/// `0.07` is `7`, not `7.000000000000001` (the float product's last bit).
pub fn share_percent(share: f64) -> String {
    let pct = (share * 100.0 * 1e9).round() / 1e9;
    format!("{pct}")
}

/// Counts for one second of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SecondCounts {
    /// Seconds since the start of the run.
    pub t_s: u64,
    /// Transactions whose intended send time fell in this second.
    pub offered: u64,
    /// Transactions that reached the chain's first level in this second.
    pub landed: u64,
    /// Send calls that failed in this second.
    pub rejected: u64,
}

/// Fees, in the chain's smallest unit.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Fees {
    /// `wei` or `lamports`.
    pub unit: String,
    /// Fee per landed transaction. Its percentiles carry the histogram's 3
    /// significant digits; `min`, `max` and `mean` below are exact.
    pub per_tx: StoredHistogram,
    /// Sum of all landed transactions' fees (decimal string: may exceed 2^53).
    pub total: String,
    /// Smallest fee of a landed transaction, exact (decimal string).
    pub min: String,
    /// Largest fee of a landed transaction, exact (decimal string).
    pub max: String,
    /// `total` divided by the landed transactions' count.
    pub mean: f64,
    /// Gas used (EVM) or compute units consumed (Solana) per landed transaction.
    pub compute_per_tx: StoredHistogram,
    /// The USD price used, when one was given.
    pub price: Option<Price>,
    /// Mean fee per landed transaction in USD, when a price was given.
    pub mean_usd: Option<f64>,
    /// Total fees in USD, when a price was given.
    pub total_usd: Option<f64>,
    /// Fees of the warm-up's landed transactions, apart from the figures
    /// above, which cover the measured window only (absent in schema 1 files,
    /// whose figures included the warm-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<WarmupFees>,
}

/// Fees of the warm-up's landed transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WarmupFees {
    /// Landed warm-up transactions.
    pub landed: u64,
    /// Their fees, smallest unit (decimal string).
    pub total: String,
}

/// A price given by the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Price {
    /// USD per native coin.
    pub usd_per_coin: f64,
    /// Where it came from.
    pub source: String,
}

/// The chain's own view of the run.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainView {
    /// Interval between consecutive blocks/slots as observed, microseconds.
    pub block_interval_us: StoredHistogram,
    /// The run's transactions per block/slot (Solana's votes left out).
    pub txs_per_block: StoredHistogram,
    /// Gas (EVM) or compute units (Solana) per block, when the node reports it.
    pub compute_per_block: StoredHistogram,
    /// Blocks/slots of the measured window observed (warm-up's and the
    /// drain's left out).
    pub blocks: u64,
    /// The most gas or compute units one block may hold, as the node said:
    /// with the gas a transaction uses, the bound on the rate a chain can
    /// land.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_limit: Option<u64>,
}

/// How level timestamps were obtained.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tracking {
    /// A description, e.g. `newHeads over WebSocket + eth_getBlockReceipts`.
    pub method: String,
    /// The worst-case delay the method adds to a timestamp, microseconds;
    /// for polling, the achieved interval's p99 when it was measured.
    pub resolution_us: u64,
    /// Polling only: the interval the poll loop achieved, microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achieved_interval_us: Option<StoredHistogram>,
}

/// What a merged result was merged from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Merged {
    /// Each input, in the order given.
    pub inputs: Vec<MergedInput>,
    /// Seconds during which every input's measured window was open (0 when
    /// they never all overlapped).
    pub overlap_s: f64,
}

/// One input of a merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MergedInput {
    /// The file it was read from.
    pub path: String,
    /// Its shard, when it was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Its measured window, seconds from the merged result's start.
    pub window_s: [f64; 2],
    /// How it ended.
    pub status: RunStatus,
    /// What it proved against the chain; absent when it was not verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

/// One repeat of a repeated run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Repeat {
    /// When it started (RFC 3339).
    pub started_at: String,
    /// Its headline metrics by name (`tps`, `included.p50`, ...), as
    /// `compare` names them.
    pub metrics: BTreeMap<String, f64>,
    /// How it ended, so that a gate can check every repeat, not only the
    /// last; absent in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Its verification against the chain, when it was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Latency samples per recorded level.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub samples: BTreeMap<Level, u64>,
}

impl Repeat {
    /// The repeat of `r`: its headline `metrics`, status, verification and
    /// samples per level.
    pub fn of(r: &RunResult, metrics: BTreeMap<String, f64>) -> Self {
        Self {
            started_at: r.started_at.clone(),
            metrics,
            status: Some(r.status.clone()),
            verification: r.verification.clone(),
            samples: r
                .levels
                .iter()
                .map(|l| (l.level, l.latency_us.count))
                .collect(),
        }
    }
}

/// What the harness spent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HarnessUsage {
    /// User + system CPU of the harness process during sending and draining, microseconds.
    pub cpu_us: u64,
    /// That CPU time per sent transaction, microseconds.
    pub cpu_us_per_tx: f64,
    /// CPU per sent transaction while sending only (to the last send), microseconds:
    /// the drain's waiting for the last levels, which costs CPU but sends
    /// nothing, left out.
    pub sending_cpu_us_per_tx: f64,
    /// Peak resident memory of the process, bytes.
    pub max_rss_bytes: u64,
    /// The peak resident memory as it stood at the end of each whole minute
    /// of the run, bytes: flat when the harness's memory does not grow with
    /// the run's length.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peak_rss_by_minute: Vec<u64>,
    /// Cores the harness kept busy while sending (CPU time over wall time).
    #[serde(default)]
    pub cores_while_sending: f64,
    /// The local validator's own CPU over the same stretch, when chainmeter
    /// started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<ValidatorUsage>,
}

/// What the validator chainmeter started spent, from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValidatorUsage {
    /// CPU while sending, per sent transaction, microseconds.
    pub cpu_us_per_tx: f64,
    /// Cores it kept busy while sending.
    pub cores_while_sending: f64,
}

/// A result file that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultReadError {
    /// I/O.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Not JSON of the expected shape.
    #[error("{path}: not a chainmeter result")]
    Json {
        /// The file.
        path: String,
        /// The error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// Written by a newer chainmeter.
    #[error(
        "{path}: schema_version {found} is newer than this chainmeter reads ({SCHEMA_VERSION})"
    )]
    Version {
        /// The file.
        path: String,
        /// What it says.
        found: u32,
    },
}

/// The fee unit of a chain a schema 1 or 2 file names: those carried none,
/// and could name only these two.
fn schema_2_fee_unit(chain: &str) -> Option<FeeUnit> {
    use std::borrow::Cow::Borrowed;
    match chain {
        "evm" => Some(FeeUnit {
            unit: Borrowed("wei"),
            coin: Borrowed("ETH"),
            decimals: 18,
            small: Borrowed("gwei"),
            small_decimals: 9,
            bid: Borrowed("tip in wei per gas"),
        }),
        "solana" => Some(FeeUnit {
            unit: Borrowed("lamports"),
            coin: Borrowed("SOL"),
            decimals: 9,
            small: Borrowed("lamports"),
            small_decimals: 0,
            bid: Borrowed("compute-unit price in micro-lamports"),
        }),
        _ => None,
    }
}

/// Files written before the typed summaries have the workload and a closed
/// loop's shape only in the scenario as run: read them from there, with the
/// defaults it had then.
fn typed_summaries(value: &mut serde_json::Value) {
    let at = |v: &serde_json::Value, p: &str| v.pointer(p).cloned();
    let scenario = value["scenario"].clone();
    let workload = serde_json::json!({
        "kind": at(&scenario, "/workload/kind").unwrap_or_else(|| "transfer".into()),
        "value": at(&scenario, "/workload/value").unwrap_or_else(|| 1.into()),
        "writes": at(&scenario, "/workload/writes").unwrap_or_else(|| "disjoint".into()),
        "accounts": at(&scenario, "/accounts/count").unwrap_or_else(|| 32.into()),
    });
    if let Some(obj) = value.as_object_mut() {
        obj.insert("workload".into(), workload);
    }
    if value.pointer("/load/profile").and_then(|p| p.as_str()) == Some("closed loop") {
        let mut closed = serde_json::json!({
            "concurrency": at(&scenario, "/load/concurrency").unwrap_or_else(|| 0.into()),
        });
        if let Some(level) = at(&scenario, "/load/wait_for") {
            closed["wait_for"] = level;
        }
        value["load"]["closed_loop"] = closed;
    }
}

/// What a file written before chains described their workloads says of
/// it: its two workloads in the words chainmeter used then.
fn described(value: &serde_json::Value) -> String {
    let w = &value["workload"];
    let kind = w["kind"].as_str().unwrap_or("transfer");
    let what = match kind {
        "token" => format!("{} token units", w["value"].as_u64().unwrap_or(1)),
        _ => format!(
            "{} {}",
            value["load"]["value_per_tx"].as_str().unwrap_or("1"),
            value["fees"]["unit"].as_str().unwrap_or("")
        ),
    };
    let writes = match w["writes"].as_str() {
        Some("hot") => "one receiver for all (hot writes)",
        _ => "a receiver of its own (disjoint writes)",
    };
    format!("{kind}, {what} per transaction, each to {writes}")
}

impl RunResult {
    /// Reads a result file, checking its schema version first.
    pub fn read(path: &Path) -> Result<Self, ResultReadError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ResultReadError::Io {
            path: p.clone(),
            source,
        })?;
        #[derive(Deserialize)]
        struct Version {
            schema_version: u32,
        }
        let v: Version = serde_json::from_str(&text).map_err(|source| ResultReadError::Json {
            path: p.clone(),
            source,
        })?;
        if v.schema_version > SCHEMA_VERSION {
            return Err(ResultReadError::Version {
                path: p,
                found: v.schema_version,
            });
        }
        let mut value: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| ResultReadError::Json {
                path: p.clone(),
                source,
            })?;
        if v.schema_version < 3 {
            let unit = value["chain"].as_str().and_then(schema_2_fee_unit);
            if let (Some(unit), Some(obj)) = (unit, value.as_object_mut()) {
                obj.insert(
                    "fee_unit".into(),
                    serde_json::to_value(unit).expect("a fee unit serializes"),
                );
            }
        }
        if value.get("workload").is_none() {
            typed_summaries(&mut value);
        }
        if value.pointer("/workload/description").is_none() {
            value["workload"]["description"] = described(&value).into();
        }
        serde_json::from_value(value).map_err(|source| ResultReadError::Json { path: p, source })
    }

    /// Each repeat's value of the headline metric `name`, in order, `None`
    /// for a repeat without it: a gate must not judge a rule on the repeats
    /// that happen to have the metric.
    pub fn repeat_values(&self, name: &str) -> Vec<Option<f64>> {
        self.repeats
            .iter()
            .map(|rep| rep.metrics.get(name).copied())
            .collect()
    }

    /// The latency of `level`, if it was tracked.
    pub fn level(&self, level: Level) -> Option<&LevelLatency> {
        self.levels.iter().find(|l| l.level == level)
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;

    #[test]
    fn files_without_the_typed_summaries_get_them_from_the_scenario() {
        let mut v = serde_json::json!({
            "scenario": {
                "accounts": { "count": 8 },
                "workload": { "kind": "token", "value": 5, "writes": "hot" },
                "load": { "concurrency": 16, "wait_for": "confirmed" },
            },
            "load": { "profile": "closed loop" },
        });
        typed_summaries(&mut v);
        let w: WorkloadSummary = serde_json::from_value(v["workload"].clone()).unwrap();
        assert_eq!(
            w,
            WorkloadSummary {
                kind: "token".into(),
                value: 5,
                writes: "hot".into(),
                accounts: 8,
                description: String::new(),
            }
        );
        let c: ClosedLoopSummary =
            serde_json::from_value(v["load"]["closed_loop"].clone()).unwrap();
        assert_eq!(c.concurrency, 16);
        assert_eq!(
            c.wait_for.map(|l| l.to_string()).as_deref(),
            Some("confirmed")
        );
        // What the scenario left out had its defaults.
        let mut bare = serde_json::json!({ "scenario": {}, "load": { "profile": "constant" } });
        typed_summaries(&mut bare);
        assert_eq!(bare["workload"]["kind"], "transfer");
        assert_eq!(bare["workload"]["accounts"], 32);
        assert!(bare["load"].get("closed_loop").is_none());
        assert_eq!(
            described(&v),
            "token, 5 token units per transaction, each to one receiver for all (hot writes)"
        );
    }

    #[test]
    fn a_stop_has_a_kind_for_machines_and_old_files_read_as_other() {
        let old: RunStatus =
            serde_json::from_str(r#"{"state":"aborted","reason":"gone"}"#).unwrap();
        assert_eq!(
            old,
            RunStatus::Aborted {
                reason: "gone".into(),
                kind: StopKind::Other
            }
        );
        let new = RunStatus::Aborted {
            reason: "interrupted by Ctrl-C".into(),
            kind: StopKind::Interrupted,
        };
        let json = serde_json::to_string(&new).unwrap();
        assert_eq!(
            json,
            r#"{"state":"aborted","reason":"interrupted by Ctrl-C","kind":"interrupted"}"#
        );
        assert_eq!(serde_json::from_str::<RunStatus>(&json).unwrap(), new);
        assert!(StopKind::Terminated.is_signal() && !StopKind::NodeGone.is_signal());
    }

    #[test]
    fn shares_print_as_given() {
        assert_eq!(share_percent(0.07), "7");
        assert_eq!(share_percent(0.6), "60");
        assert_eq!(share_percent(0.125), "12.5");
        assert_eq!(share_percent(1.0 / 3.0), "33.333333333");
    }

    /// `schemas/result.schema.json` is what these types generate; after a
    /// change to them, regenerate it with
    /// `UPDATE_SCHEMA=1 cargo test -p chainmeter-result schema`.
    #[test]
    fn the_published_schema_is_the_generated_one() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/result.schema.json");
        let generated = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let published = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            published == generated,
            "{} is not what the result types generate: run UPDATE_SCHEMA=1 cargo test -p chainmeter-result schema",
            path.display()
        );
    }
}
