//! How core drives the EVM: [`ChainTarget`] for the checked `[evm]`
//! section, starting anvil or attaching, and connecting a session. Apart
//! from `target` (the section) so that `connect`, which prepares a session
//! from the section, and the section itself do not name each other.

use crate::{
    connect::connect,
    spec::{FINALIZED, SAFE, SPEC},
    target::{EvmTarget, DRAIN_SLACK},
};
use chainmeter_core::{
    chain::{AnySubmitter, BoxFuture, Session},
    funder::{FunderKey, MalformedKey},
    plugin::{Attach, ChainError, ChainTarget, Connect, LocalNode},
    ChainSpec, Level,
};
use std::{path::PathBuf, time::Duration};

impl ChainTarget for EvmTarget {
    fn spec(&self) -> &'static ChainSpec {
        &SPEC
    }

    fn levels(&self) -> &[Level] {
        &self.levels
    }

    fn attach(&self) -> Option<&Attach> {
        self.endpoint.as_ref().ok()
    }

    /// (blocks to the level + 2) x block time x 1.25 + 10 s, where included
    /// is 0 blocks, safe one epoch and finalized two (anvil's tags); an
    /// attached node is assumed to have 1 s blocks and 32-slot epochs.
    /// Default anvil, finalized: (64 + 2) x 1 s x 1.25 + 10 s = 92.5 s.
    fn default_drain(&self) -> Duration {
        let (block_time, epoch) = match &self.endpoint {
            Err(anvil) => (anvil.block_time, anvil.slots_in_an_epoch),
            Ok(_) => (Duration::from_secs(1), 32),
        };
        let blocks = match self.levels.last() {
            Some(&l) if l == FINALIZED => 2 * epoch,
            Some(&l) if l == SAFE => epoch,
            _ => 0,
        } + 2;
        block_time.mul_f64(blocks as f64 * 1.25) + DRAIN_SLACK
    }

    fn as_run(&self) -> serde_json::Value {
        self.as_run.clone()
    }

    fn check_funder(&self, key: &FunderKey) -> Result<(), MalformedKey> {
        crate::funding::signer(key).map(drop)
    }

    fn start_local(&self, dir: PathBuf) -> BoxFuture<Result<LocalNode, ChainError>> {
        let options = self.endpoint.clone().err();
        Box::pin(async move {
            let anvil = options.ok_or("the [evm] section attaches to a node")?;
            let binary = chainmeter_localnet::locate(&chainmeter_localnet::ANVIL)?;
            let opts = chainmeter_localnet::AnvilOptions {
                block_time: anvil.block_time,
                slots_in_an_epoch: anvil.slots_in_an_epoch,
                gas_limit: anvil.gas_limit,
            };
            let node = chainmeter_localnet::start_anvil(&binary, &opts, &dir).await?;
            Ok(node.into_local())
        })
    }

    fn connect(&self, c: Connect) -> BoxFuture<Result<Session<AnySubmitter>, ChainError>> {
        let target = self.clone();
        Box::pin(async move { Ok(connect(&c, &target).await?.erase()) })
    }

    fn hot_across_shards(&self) -> bool {
        self.workload.hot_across_shards()
    }
}
