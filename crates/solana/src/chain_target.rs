//! How core drives Solana: [`ChainTarget`] for the checked `[solana]`
//! section, starting solana-test-validator or attaching, and connecting a
//! session. Apart from `target` (the section) so that `connect`, which
//! prepares a session from the section, and the section itself do not name
//! each other.

use crate::{
    connect::connect,
    spec::{FINALIZED, SPEC},
    target::{
        SolanaTarget, BLOCKHASH_BLOCKS, DRAIN_SLACK, LOAD_SLOWDOWN, ROOT_LAG_SLOTS,
        TICKS_PER_SECOND,
    },
};
use chainmeter_core::{
    chain::{AnySubmitter, BoxFuture, Session},
    funder::{FunderKey, MalformedKey},
    plugin::{Attach, ChainError, ChainTarget, Connect, LocalNode},
    ChainSpec, Level,
};
use chainmeter_result::run::ChainParameters;
use std::{path::PathBuf, time::Duration};
impl ChainTarget for SolanaTarget {
    fn spec(&self) -> &'static ChainSpec {
        &SPEC
    }

    fn levels(&self) -> &[Level] {
        &self.levels
    }

    fn attach(&self) -> Option<&Attach> {
        self.endpoint.as_ref().ok()
    }

    /// max(152 blocks of blockhash validity, 32 slots of root lag if
    /// finalized is recorded) x slot time x 1.5 + 10 s, so that what never
    /// landed is provably `expired` rather than `unknown`. A local
    /// validator's slot time is its ticks per slot / 160 (0.4 s by
    /// default: 101.2 s); an attached cluster's is what its recent
    /// performance samples showed at connect (0.4 s without any).
    fn default_drain(&self, parameters: Option<&ChainParameters>) -> Duration {
        let slot = self.slot(parameters);
        let slots = if self.levels.last() == Some(&FINALIZED) {
            BLOCKHASH_BLOCKS.max(ROOT_LAG_SLOTS)
        } else {
            BLOCKHASH_BLOCKS
        };
        slot.mul_f64(f64::from(slots) * LOAD_SLOWDOWN) + DRAIN_SLACK
    }

    /// [`SETTLE_QUIET_SLOTS`] slots: the RPC node re-sends what it holds
    /// every 2 s, so a backlog still landing shows within that.
    fn settle_quiet(&self, parameters: Option<&ChainParameters>) -> Option<Duration> {
        Some(self.slot(parameters) * SETTLE_QUIET_SLOTS)
    }

    fn as_run(&self) -> serde_json::Value {
        self.as_run.clone()
    }

    fn check_funder(&self, key: &FunderKey) -> Result<(), MalformedKey> {
        crate::connect::funder_keypair(key).map(drop)
    }

    fn start_local(&self, dir: PathBuf) -> BoxFuture<Result<LocalNode, ChainError>> {
        let options = self.endpoint.clone().err();
        let programs = self
            .workload
            .programs()
            .into_iter()
            .map(|p| (p.id.to_string(), p.file))
            .collect();
        Box::pin(async move {
            let v = options.ok_or("the [solana] section attaches to a cluster")?;
            let binary = match v.binary {
                Some(b) => b,
                None => chainmeter_localnet::locate(&chainmeter_localnet::SOLANA_TEST_VALIDATOR)?,
            };
            let opts = chainmeter_localnet::SolanaOptions {
                ticks_per_slot: v.ticks_per_slot,
                slots_per_epoch: v.slots_per_epoch,
                mint: None,
                programs,
            };
            let node =
                chainmeter_localnet::start_solana_test_validator(&binary, &opts, &dir).await?;
            Ok(node.into_local())
        })
    }

    fn connect(&self, c: Connect) -> BoxFuture<Result<Session<AnySubmitter>, ChainError>> {
        let target = self.clone();
        Box::pin(async move { Ok(connect(&c, &target).await?.erase()) })
    }

    /// A transfer prepares nothing: its hot receiver is the run's in every
    /// shard; a token run creates its mint and accounts per shard.
    fn hot_across_shards(&self) -> bool {
        self.workload.hot_across_shards()
    }
}

/// Slots without one of a probe's transactions resolving after which the
/// search takes the chain's backlog as drained (see
/// [`ChainTarget::settle_quiet`]): 4 s at 0.4 s slots, twice the RPC
/// node's re-send interval.
const SETTLE_QUIET_SLOTS: u32 = 10;

impl SolanaTarget {
    /// The slot time: a local validator's from its ticks per slot (0.4 s by
    /// default), an attached cluster's from what its recent performance
    /// samples showed at connect (0.4 s without any).
    fn slot(&self, parameters: Option<&ChainParameters>) -> Duration {
        match &self.endpoint {
            Err(v) => {
                Duration::from_secs_f64(v.ticks_per_slot.unwrap_or(64) as f64 / TICKS_PER_SECOND)
            }
            Ok(_) => parameters
                .and_then(ChainParameters::block_interval)
                .unwrap_or(Duration::from_secs_f64(64.0 / TICKS_PER_SECOND)),
        }
    }
}
