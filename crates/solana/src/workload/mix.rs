//! A traffic mix on Solana: each transaction is one entry's workload, as
//! core's [`Mix`] draws it from the seed and the transaction's sequence
//! number. Every entry is prepared as it would be alone; the verification
//! counts each entry's landed signatures the node holds a status for (the
//! landed log keeps each signature's sequence number, so its entry) and
//! checks each entry's effects against its own claim.
//!
//! One compute budget serves the whole run, so a mix asks every
//! transaction for the largest compute-unit limit its entries ask (a memo
//! entry's, say); a limit only bounds what a transaction may use, and
//! without a priority price it changes no fee.

use super::{Checking, Effects, Loaded, Plan, Prepare, Preparing, Workload};
use chainmeter_core::{
    chain::Claimed,
    scenario::{ScenarioError, Section},
    workload::Mix,
};
use chainmeter_result::run::Check;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey};
use std::sync::Arc;

/// Checks every entry as the workload it names.
pub(super) fn check(section: &Section<'_>, mix: &Mix) -> Result<Arc<dyn Plan>, ScenarioError> {
    let plans = section.mix_plans(super::check)?;
    Ok(Arc::new(MixPlan {
        mix: mix.clone(),
        plans,
    }))
}

#[derive(Debug)]
struct MixPlan {
    mix: Mix,
    plans: Vec<Arc<dyn Plan>>,
}

impl Plan for MixPlan {
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            let mut entries = Vec::with_capacity(self.plans.len());
            for plan in &self.plans {
                let own = Prepare {
                    lamports: plan.lamports(p.rent),
                    ..p
                };
                entries.push(plan.prepare(own).await?);
            }
            Ok(Arc::new(Mixed {
                mix: self.mix.clone(),
                entries,
            }) as Arc<dyn Workload>)
        })
    }

    fn programs(&self) -> Vec<Loaded> {
        let mut all: Vec<Loaded> = Vec::new();
        for loaded in self.plans.iter().flat_map(|p| p.programs()) {
            if !all.contains(&loaded) {
                all.push(loaded);
            }
        }
        all
    }

    /// The most a transaction of any entry moves: what each payer is funded for.
    fn lamports(&self, rent: u64) -> u64 {
        self.plans
            .iter()
            .map(|p| p.lamports(rent))
            .max()
            .unwrap_or(0)
    }

    fn unit_limit(&self) -> Option<u32> {
        self.plans.iter().filter_map(|p| p.unit_limit()).max()
    }

    fn hot_across_shards(&self) -> bool {
        self.plans.iter().all(|p| p.hot_across_shards())
    }
}

#[derive(Debug)]
struct Mixed {
    mix: Mix,
    entries: Vec<Arc<dyn Workload>>,
}

impl Workload for Mixed {
    fn instruction(&self, seq: u64, index: usize, payer: &Pubkey) -> Instruction {
        self.entries[self.mix.entry(seq)].instruction(seq, index, payer)
    }

    fn describe(&self) -> String {
        self.mix.describe(self.entries.iter().map(|w| w.describe()))
    }

    fn repeats(&self) -> bool {
        self.entries.iter().any(|w| w.repeats())
    }

    fn repeats_at(&self, seq: u64) -> bool {
        self.entries[self.mix.entry(seq)].repeats()
    }

    fn lamports(&self) -> u64 {
        self.entries.iter().map(|w| w.lamports()).max().unwrap_or(0)
    }

    fn moved(&self, claimed: &Claimed) -> u128 {
        self.entries
            .iter()
            .zip(&claimed.entries)
            .map(|(w, c)| u128::from(c.landed_ok) * u128::from(w.lamports()))
            .sum()
    }

    fn entry(&self, seq: u64) -> Option<usize> {
        Some(self.mix.entry(seq))
    }

    /// Each entry's landed count against the node's statuses of its
    /// signatures, and its own effects against its own claim.
    fn effects<'a>(&'a self, e: Effects<'a>) -> Checking<'a> {
        Box::pin(async move {
            let mut checks = Vec::new();
            for (i, (m, w)) in self.mix.entries().iter().zip(&self.entries).enumerate() {
                let claim = e.claimed.entries.get(i).copied().unwrap_or_default();
                let entry = Some(m.kind.as_str().to_owned());
                checks.push(Check {
                    name: "landed".into(),
                    recorded: (claim.landed_ok + claim.landed_failed).to_string(),
                    chain: e.landed.get(i).copied().unwrap_or(0).to_string(),
                    how: format!(
                        "landed signatures of {}'s transactions the node holds a status for",
                        m.kind
                    ),
                    entry: entry.clone(),
                });
                let claimed = claim.as_claimed(u128::from(w.lamports()));
                let own = w
                    .effects(Effects {
                        claimed: &claimed,
                        landed: &[],
                        ..e
                    })
                    .await?;
                checks.extend(own.into_iter().map(|c| Check {
                    entry: entry.clone(),
                    ..c
                }));
            }
            Ok(checks)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainmeter_core::{chain::EntryClaim, workload::WorkloadName};

    /// An instruction to `program` moving `lamports`; it repeats when it moves none.
    #[derive(Debug)]
    struct To(Pubkey, u64);

    impl Workload for To {
        fn instruction(&self, _: u64, _: usize, _: &Pubkey) -> Instruction {
            Instruction::new_with_bytes(self.0, &[], Vec::new())
        }
        fn describe(&self) -> String {
            format!("to {}", self.0)
        }
        fn lamports(&self) -> u64 {
            self.1
        }
        fn repeats(&self) -> bool {
            self.1 == 0
        }
    }

    #[test]
    fn each_transaction_is_its_entrys_and_only_transfers_move_lamports() {
        let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
        let entries = ["transfer", "memo"]
            .iter()
            .map(|k| chainmeter_core::workload::MixEntry::new(WorkloadName::new(*k), 0.5, 0..0))
            .collect();
        let mixed = Mixed {
            mix: Mix::new(entries, 7),
            entries: vec![Arc::new(To(a, 1_000)), Arc::new(To(b, 0))],
        };
        for seq in 0..200 {
            let program = mixed.instruction(seq, 0, &Pubkey::new_unique()).program_id;
            let entry = mixed.entry(seq).unwrap();
            assert_eq!(program, [a, b][entry], "seq {seq}");
            // Only the repeating entry's transactions need their compute
            // limit varied: the others keep the full limit they ask.
            assert_eq!(mixed.repeats_at(seq), entry == 1, "seq {seq}");
        }
        let claimed = Claimed {
            landed_ok: 30,
            landed_failed: 0,
            fee_total: 0,
            value_per_tx: 1_000,
            entries: vec![
                EntryClaim {
                    landed_ok: 10,
                    ..EntryClaim::default()
                },
                EntryClaim {
                    landed_ok: 20,
                    ..EntryClaim::default()
                },
            ],
        };
        assert_eq!(mixed.moved(&claimed), 10_000, "the memos move nothing");
        assert!(mixed.describe().starts_with("mix of 50% to "));
        assert!(mixed.repeats());
    }
}
