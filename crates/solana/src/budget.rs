//! The compute-budget instructions put before every transaction: its
//! compute-unit limit and price (or the fee market's bid).

use crate::workload::Workload;
use chainmeter_core::bids::Bids;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey};

/// Compute units a transaction of one non-budget instruction may use when
/// it sets no limit: the runtime's default per instruction.
const DEFAULT_UNIT_LIMIT: u32 = 200_000;
/// Most compute units the per-transaction variation takes off the limit.
const UNIQUE_SPAN: u32 = 10_000;

/// The compute-budget instructions put before every transaction.
///
/// A transaction whose instruction repeats (the same payer sending the same
/// token amount to the same account, or every payer one receiver) would be
/// signed identically within one blockhash's life: one signature, and the
/// node drops the copies as already processed. Such a transaction gets a
/// compute-unit limit that differs per transaction (up to 10,000 below the
/// limit asked, or the runtime's default of 200,000), which makes every
/// transaction distinct at the cost of one compute-budget instruction; its
/// fee changes only with a priority price (price x limit). Whether it
/// repeats is the workload's to say per transaction: in a mix, a memo's
/// transactions (distinct by their payload) keep the full limit they need
/// while a token entry's vary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Compute-unit limit asked for.
    pub(crate) limit: Option<u32>,
    /// Compute-unit price, micro-lamports.
    pub(crate) price: Option<u64>,
    /// Per-transaction prices (the fee market), in place of `price`.
    pub(crate) bids: Option<Bids>,
}

impl Budget {
    /// The priority fee of a transaction of payer `payer` at the most,
    /// lamports: its compute-unit price times the limit (the runtime's
    /// default for one instruction when none is asked), rounded up.
    pub(crate) fn priority_lamports(&self, payer: usize) -> u64 {
        let price = self.price_of(payer);
        let limit = u128::from(self.limit.unwrap_or(DEFAULT_UNIT_LIMIT));
        price.map_or(0, |p| {
            u64::try_from((u128::from(p) * limit).div_ceil(1_000_000)).unwrap_or(u64::MAX)
        })
    }

    /// The compute-unit price payer `payer` bids, micro-lamports: its bid
    /// in the fee market, else the price asked.
    fn price_of(&self, payer: usize) -> Option<u64> {
        match &self.bids {
            Some(b) => Some(b.for_sender(payer as u64).0),
            None => self.price,
        }
    }

    /// Every instruction of transaction `seq` of `workload`, by payer
    /// `index` (`payer`): the budget's, then the workload's. What the
    /// submitter signs and the size the result records.
    pub(crate) fn transaction(
        &self,
        workload: &dyn Workload,
        seq: u64,
        index: usize,
        payer: &Pubkey,
    ) -> Vec<Instruction> {
        let mut ixs = self.instructions(seq, index, workload.repeats_at(seq));
        ixs.push(workload.instruction(seq, index, payer));
        ixs
    }

    /// The budget instructions of transaction `seq`, sent by payer `payer`,
    /// whose instruction `repeats` one it sent before.
    pub(crate) fn instructions(&self, seq: u64, payer: usize, repeats: bool) -> Vec<Instruction> {
        use solana_compute_budget_interface::ComputeBudgetInstruction;
        let limit = if repeats {
            let base = self.limit.unwrap_or(DEFAULT_UNIT_LIMIT);
            let span = UNIQUE_SPAN.min(base / 2).max(1);
            Some(base - (seq % u64::from(span)) as u32)
        } else {
            self.limit
        };
        let mut v = Vec::with_capacity(2);
        if let Some(limit) = limit {
            v.push(ComputeBudgetInstruction::set_compute_unit_limit(limit));
        }
        if let Some(price) = self.price_of(payer) {
            v.push(ComputeBudgetInstruction::set_compute_unit_price(price));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_payer_is_funded_for_its_own_bid() {
        let budget = Budget {
            limit: Some(1_000),
            price: None,
            bids: Some(Bids::List(vec![1_000_000_000, 4_000_000_000])),
        };
        // 1e9 micro-lamports x 1,000 units = 1e6 lamports; the top bid, 4e6.
        assert_eq!(budget.priority_lamports(0), 1_000_000);
        assert_eq!(budget.priority_lamports(1), 4_000_000);
        let plain = Budget {
            limit: None,
            price: Some(3),
            bids: None,
        };
        // 3 x 200,000 / 1e6 = 0.6: rounded up to a lamport.
        assert_eq!(plain.priority_lamports(7), 1);
    }

    #[test]
    fn a_repeating_workload_signs_distinct_transactions() {
        let budget = Budget {
            limit: None,
            price: Some(1_000),
            bids: None,
        };
        let (a, b) = (
            budget.instructions(0, 0, true),
            budget.instructions(1, 0, true),
        );
        assert_eq!(a.len(), 2);
        assert_ne!(a, b, "the same instructions twice");
        assert_eq!(
            budget.instructions(0, 0, true),
            budget.instructions(10_000, 0, true)
        );
        assert_eq!(
            budget.instructions(0, 0, false),
            budget.instructions(1, 0, false)
        );
        assert_eq!(
            budget.instructions(0, 0, false).len(),
            1,
            "no limit asked, none set"
        );
    }
}
