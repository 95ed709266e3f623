//! `transfer`: lamports to a receiver that is new for every transaction
//! (or, with hot writes, one receiver for all).

use super::{writes, Kind, Plan, Prepare, Preparing, Workload};
use crate::keys;
use chainmeter_core::scenario::{ScenarioError, Section};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey};
use std::sync::Arc;

pub(super) const KIND: Kind = Kind {
    name: "transfer",
    check,
};

fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    section.no_workload_settings()?;
    Ok(Arc::new(TransferPlan {
        value: section.workload_value(),
    }))
}

#[derive(Debug)]
struct TransferPlan {
    /// `workload.value`, lamports.
    value: u64,
}

impl Plan for TransferPlan {
    /// Nothing to create: receivers come into being with their first lamports.
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        let workload = Transfer {
            seed: p.seed.to_owned(),
            lamports: p.lamports,
            // Every shard's: from the seed sharding leaves whole.
            hot: p.hot.map(|shared| keys::receiver(shared, 0)),
        };
        Box::pin(async move { Ok(Arc::new(workload) as Arc<dyn Workload>) })
    }

    /// A new receiver must end up rent-exempt, or the transfer fails.
    fn lamports(&self, rent: u64) -> u64 {
        self.value.max(rent)
    }

    /// The hot receiver is the run's, in every shard.
    fn hot_across_shards(&self) -> bool {
        true
    }
}

/// SOL to a receiver that is new for every transaction.
#[derive(Debug, Clone)]
struct Transfer {
    /// Key derivation seed (receivers).
    seed: String,
    /// Lamports per transfer (at least the rent-exempt minimum).
    lamports: u64,
    /// The one receiver of every transaction, when hot.
    hot: Option<Pubkey>,
}

impl Workload for Transfer {
    fn instruction(&self, seq: u64, _: usize, payer: &Pubkey) -> Instruction {
        solana_system_interface::instruction::transfer(
            payer,
            &self.hot.unwrap_or_else(|| keys::receiver(&self.seed, seq)),
            self.lamports,
        )
    }

    fn describe(&self) -> String {
        format!(
            "transfer, {} lamports per transaction, each to {}",
            self.lamports,
            writes(self.hot.is_some())
        )
    }

    /// A new receiver each time: only a hot run repeats an instruction.
    fn repeats(&self) -> bool {
        self.hot.is_some()
    }

    fn lamports(&self) -> u64 {
        self.lamports
    }
}
