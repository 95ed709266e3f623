//! What each Solana transaction does. A workload is one file in this
//! directory and one line in [`KINDS`], in the EVM's shape: its name and
//! the check of its settings (before any validator starts), a [`Plan`]
//! that prepares it on the cluster before the clock starts (mints,
//! accounts), and a [`Workload`] that builds each transaction's
//! instruction on the send path (the submitter puts the compute budget
//! before it, signs and sends) and may check its own effects after the run.

mod memo;
mod mix;
mod prepare;
mod program;
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
use std::{fmt, future::Future, path::PathBuf, pin::Pin, sync::Arc};

/// Every Solana workload, by the name a scenario gives it.
pub(crate) const KINDS: &[Kind] = &[transfer::KIND, token::KIND, memo::KIND, program::KIND];

/// Solana's largest transaction on the wire (`PACKET_DATA_SIZE`).
pub(crate) const MAX_TX_BYTES: usize = 1232;

/// A workload Solana offers.
pub(crate) type Kind = chainmeter_core::section::WorkloadKind<dyn Plan>;

/// The scenario's workload, checked: a kind Solana lacks is an error
/// naming those it has.
pub(crate) fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    match section.mix() {
        Some(m) => mix::check(section, m),
        None => section.pick_workload(KINDS),
    }
}

/// A program a validator chainmeter starts loads at genesis (`--bpf-program`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loaded {
    pub(crate) id: Pubkey,
    /// Its ELF.
    pub(crate) file: PathBuf,
}

/// A future of a prepared workload, borrowing what it was given.
pub(crate) type Preparing<'a> =
    Pin<Box<dyn Future<Output = Result<Arc<dyn Workload>, SolanaError>> + Send + 'a>>;

/// A checked workload, to be prepared on the cluster before the clock starts.
pub(crate) trait Plan: Send + Sync + fmt::Debug {
    /// Creates and mints what its transactions need.
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a>;

    /// The programs a validator chainmeter starts must load.
    fn programs(&self) -> Vec<Loaded> {
        Vec::new()
    }

    /// Lamports a successful transaction moves from its payer, given the
    /// rent-exempt minimum of an account without data.
    fn lamports(&self, _rent: u64) -> u64 {
        0
    }

    /// The compute-unit limit its transactions ask for when the scenario
    /// sets none; `None` leaves the runtime's default of 200,000 per
    /// instruction, which the scheduler reserves whatever a transaction uses.
    fn unit_limit(&self) -> Option<u32> {
        None
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

    /// Whether transaction `seq`'s instruction repeats (see [`repeats`](Self::repeats)):
    /// in a mix, its entry's say.
    fn repeats_at(&self, _seq: u64) -> bool {
        self.repeats()
    }

    /// Lamports a successful transaction moves from its payer.
    fn lamports(&self) -> u64 {
        0
    }

    /// Lamports the run's successful transactions moved from the payers.
    fn moved(&self, claimed: &Claimed) -> u128 {
        u128::from(claimed.landed_ok) * u128::from(self.lamports())
    }

    /// The traffic-mix entry transaction `seq` is of; `None` outside a mix.
    fn entry(&self, _seq: u64) -> Option<usize> {
        None
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
    /// In a traffic mix: each entry's landed signatures the node holds a
    /// status for, in the mix's order.
    pub(crate) landed: &'a [u64],
}

/// A future of a workload's checks.
pub(crate) type Checking<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<Check>, VerifyError>> + Send + 'a>>;

/// What preparing a workload on the cluster is given.
#[derive(Clone, Copy)]
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
    /// The rent-exempt minimum of an account without data.
    pub(crate) rent: u64,
}

impl Prepare<'_> {
    /// Fails unless `program` is an executable account on the cluster.
    pub(crate) async fn deployed(&self, program: &Pubkey) -> Result<(), SolanaError> {
        let account = self
            .rpc
            .get_account_with_commitment(program, self.rpc.commitment())
            .await
            .map_err(prepare::prepare_step(
                self.url,
                "reading the program's account",
            ))?
            .value;
        let why = match account {
            Some(a) if a.executable => return Ok(()),
            Some(_) => format!("{program} is not an executable account"),
            None => format!(
                "no program {program} on the cluster: a validator chainmeter starts loads the \
                 programs its workload names; when attaching, deploy it first"
            ),
        };
        Err(prepare::prepare_step(
            self.url,
            "finding the workload's program",
        )(why))
    }
}

/// The serialized size of a transaction of `instructions` paid by `payer`:
/// what a scenario's settings must keep under [`MAX_TX_BYTES`].
pub(crate) fn tx_bytes(instructions: &[Instruction], payer: &Pubkey) -> usize {
    let message = solana_sdk::message::Message::new(instructions, Some(payer));
    let tx = solana_sdk::transaction::Transaction::new_unsigned(message);
    bincode::serialized_size(&tx).map_or(usize::MAX, |n| n as usize)
}

/// The compute-budget instructions at their largest (a limit and a price),
/// for the size checks.
pub(crate) fn largest_budget() -> Vec<Instruction> {
    use solana_compute_budget_interface::ComputeBudgetInstruction;
    vec![
        ComputeBudgetInstruction::set_compute_unit_limit(1),
        ComputeBudgetInstruction::set_compute_unit_price(1),
    ]
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

    #[test]
    fn a_transfer_is_well_under_the_packet_size() {
        let payer = Pubkey::new_unique();
        let mut ixs = largest_budget();
        ixs.push(solana_system_interface::instruction::transfer(
            &payer,
            &Pubkey::new_unique(),
            1,
        ));
        let n = tx_bytes(&ixs, &payer);
        // 1 signature, 4 keys, 3 instructions: about 250 bytes.
        assert!((200..300).contains(&n), "{n}");
    }
}
