//! `transfer`: the native coin to a receiver that is new for every
//! transaction (or, with hot writes, one receiver for all).

use super::{receiver, receivers, Call, Kind, Plan, Prepare, Preparing, Workload, TRANSFER_GAS};
use crate::spec::SPEC;
use alloy::primitives::{Address, Bytes, TxKind, U256};
use chainmeter_core::scenario::{ScenarioError, Section};
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
    /// Wei per transfer.
    value: u64,
}

impl Plan for TransferPlan {
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        let workload = Transfer {
            seed: p.seed.to_owned(),
            value: U256::from(self.value),
            hot: p.hot,
        };
        Box::pin(async move { Ok(Arc::new(workload) as Arc<dyn Workload>) })
    }

    /// Nothing to prepare: the hot receiver is the run's, in every shard.
    fn hot_across_shards(&self) -> bool {
        true
    }
}

/// Native value to a new receiver per transaction.
#[derive(Debug, Clone)]
pub(crate) struct Transfer {
    /// Key derivation seed (receivers).
    pub(crate) seed: String,
    /// Wei per transfer.
    pub(crate) value: U256,
    /// The one receiver of every transaction, when hot.
    pub(crate) hot: Option<Address>,
}

impl Workload for Transfer {
    fn build(&self, seq: u64) -> Call {
        Call {
            to: TxKind::Call(receiver(&self.seed, seq, self.hot)),
            value: self.value,
            input: Bytes::new(),
            gas_limit: TRANSFER_GAS,
        }
    }

    fn describe(&self) -> String {
        format!(
            "transfer, {} {} per transaction, each to {}",
            self.value,
            SPEC.fee_unit.unit,
            receivers(self.hot)
        )
    }

    fn value(&self) -> U256 {
        self.value
    }

    /// A receiver is new for every transaction: a transfer is a call with
    /// no input.
    fn is_own(&self, to: Option<Address>, input: &[u8]) -> bool {
        to.is_some() && input.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::hot_receiver;

    #[test]
    fn every_shard_of_a_hot_run_writes_one_receiver() {
        let shard = |i: u32| Transfer {
            seed: format!("s/shard-{i}-of-2"),
            value: U256::from(1),
            hot: Some(hot_receiver("s")),
        };
        assert_eq!(shard(0).build(7).to, shard(1).build(3).to);
        let disjoint = |i: u32| Transfer {
            seed: format!("s/shard-{i}-of-2"),
            value: U256::from(1),
            hot: None,
        };
        assert_ne!(disjoint(0).build(7).to, disjoint(1).build(7).to);
        assert_eq!(disjoint(0).build(7).gas_limit, TRANSFER_GAS);
        assert_eq!(
            disjoint(0).describe(),
            "transfer, 1 wei per transaction, each to a receiver of its own (disjoint writes)"
        );
    }
}
