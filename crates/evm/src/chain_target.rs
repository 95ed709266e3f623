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
use chainmeter_result::run::ChainParameters;
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
    /// is 0 blocks. A local anvil's are its own: its block time, safe one
    /// epoch behind and finalized two (default, finalized: (64 + 2) x 1 s
    /// x 1.25 + 10 s = 92.5 s). An attached node's are what it showed at
    /// connect: its blocks' interval, and how far its tag trailed latest
    /// (0 where it names latest, as Hardhat does); 1 s blocks and 32-block
    /// epochs where it showed neither.
    fn default_drain(&self, parameters: Option<&ChainParameters>) -> Duration {
        let level = self.levels.last().copied();
        let epochs = match level {
            Some(l) if l == FINALIZED => 2,
            Some(l) if l == SAFE => 1,
            _ => 0,
        };
        let (block_time, behind) = match &self.endpoint {
            Err(anvil) => (anvil.block_time, epochs * anvil.slots_in_an_epoch),
            Ok(_) => (
                parameters
                    .and_then(ChainParameters::block_interval)
                    .unwrap_or(Duration::from_secs(1)),
                level
                    .filter(|_| epochs > 0)
                    .and_then(|l| parameters?.behind(l.as_str()))
                    .unwrap_or(epochs * 32),
            ),
        };
        block_time.mul_f64((behind + 2) as f64 * 1.25) + DRAIN_SLACK
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
            let binary = match anvil.binary {
                Some(b) => b,
                None => chainmeter_localnet::locate(&chainmeter_localnet::ANVIL)?,
            };
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
