//! What each Solana transaction does. A workload is one file in this
//! directory and one line in [`KINDS`], in the EVM's shape: its name and
//! the check of its settings (before any validator starts), a [`Plan`]
//! that prepares it on the cluster before the clock starts (mints,
//! accounts), and a [`Workload`] that builds each transaction's
//! instruction on the send path (the submitter puts the compute budget
//! before it, signs and sends) and may check its own effects after the run.

mod prepare;
mod token;
mod transfer;

use crate::error::SolanaError;
use chainmeter_core::{
    chain::{Claimed, VerifyError},
    scenario::{ScenarioError, Section},
};
use chainmeter_result::run::Check;
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair};
use std::{fmt, future::Future, pin::Pin, sync::Arc};

/// Every Solana workload, by the name a scenario gives it.
pub(crate) const KINDS: &[Kind] = &[transfer::KIND, token::KIND];

/// A workload Solana offers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    /// Its name in `workload.kind`.
    pub(crate) name: &'static str,
    /// Checks its settings in the scenario, with their places.
    pub(crate) check: fn(&Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError>,
}

/// The scenario's workload, checked: a kind Solana lacks is an error
/// naming those it has.
pub(crate) fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    section.no_mix()?;
    let name = section.workload().as_str();
    match KINDS.iter().find(|k| k.name == name) {
        Some(kind) => (kind.check)(section),
        None => Err(section.unknown_workload(&KINDS.iter().map(|k| k.name).collect::<Vec<_>>())),
    }
}

/// A future of a prepared workload, borrowing what it was given.
pub(crate) type Preparing<'a> =
    Pin<Box<dyn Future<Output = Result<Arc<dyn Workload>, SolanaError>> + Send + 'a>>;

/// A checked workload, to be prepared on the cluster before the clock starts.
pub(crate) trait Plan: Send + Sync + fmt::Debug {
    /// Creates and mints what its transactions need.
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a>;

    /// Lamports a successful transaction moves from its payer, given the
    /// rent-exempt minimum of an account without data.
    fn lamports(&self, _rent: u64) -> u64 {
        0
    }

    /// Whether its preparation makes nothing a shard would make again, so
    /// that every shard of a hot run writes the one account.
    fn hot_across_shards(&self) -> bool {
        false
    }
}

/// A prepared workload: builds each transaction's instruction on the send
/// path, so it only assembles bytes.
pub(crate) trait Workload: Send + Sync + fmt::Debug {
    /// Transaction `seq`'s instruction, from payer `index`.
    fn instruction(&self, seq: u64, index: usize, payer: &Pubkey) -> Instruction;

    /// What each transaction does, in words, for the result.
    fn describe(&self) -> String;

    /// True when the same payer would sign the same instruction twice: the
    /// compute budget then makes each transaction distinct.
    fn repeats(&self) -> bool {
        true
    }

    /// Lamports a successful transaction moves from its payer.
    fn lamports(&self) -> u64 {
        0
    }

    /// Checks of what the run did to the workload's own state (token
    /// balances), read from the chain after the run, beside the landed
    /// signatures and the payers' fees every workload has checked.
    fn effects<'a>(&'a self, _: Effects<'a>) -> Checking<'a> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// What checking a workload's effects is given.
#[derive(Debug)]
pub(crate) struct Effects<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) url: &'a str,
    pub(crate) claimed: &'a Claimed,
}

/// A future of a workload's checks.
pub(crate) type Checking<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<Check>, VerifyError>> + Send + 'a>>;

/// What preparing a workload on the cluster is given.
pub(crate) struct Prepare<'a> {
    pub(crate) rpc: &'a RpcClient,
    pub(crate) url: &'a str,
    /// Pays for what the preparation creates.
    pub(crate) funder: &'a Keypair,
    /// The funder is the user's key (never airdropped to).
    pub(crate) by_key: bool,
    /// The payers, by index.
    pub(crate) payers: &'a [Pubkey],
    /// The seed the payers' and receivers' keys come from.
    pub(crate) seed: &'a str,
    /// Every transaction writes one account: derived from this seed (the
    /// one sharding leaves whole).
    pub(crate) hot: Option<&'a str>,
    /// What the workload's transfers move (its plan's `lamports`).
    pub(crate) lamports: u64,
}

/// How a transaction's write target is chosen, in the words of the result.
pub(crate) fn writes(hot: bool) -> &'static str {
    match hot {
        true => "one receiver for all (hot writes)",
        false => "a receiver of its own (disjoint writes)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_name_of_its_own() {
        let mut names: Vec<_> = KINDS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
    }
}
