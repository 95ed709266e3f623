//! `transfer`: the native coin to a receiver that is new for every
//! transaction (or, with hot writes, one receiver for all).

use super::{receiver, receivers, Call, Kind, Plan, Prepare, Preparing, Workload};
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
    /// Asks the node what a transfer costs: 21,000 gas by Ethereum's
    /// rules, more on a chain that charges its own way. A transfer's gas
    /// does not depend on its value, so none is sent with the question
    /// (the senders may not be funded yet).
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            let to = TxKind::Call(receiver(p.seed, u64::MAX, p.hot));
            let gas_limit =
                crate::setup::estimate_gas(p.client, p.url, p.senders[0], to, Bytes::new()).await?;
            Ok(Arc::new(Transfer {
                seed: p.seed.to_owned(),
                value: U256::from(self.value),
                hot: p.hot,
                gas_limit,
            }) as Arc<dyn Workload>)
        })
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
    /// Gas each transfer may use: what the node estimated.
    pub(crate) gas_limit: u64,
}

impl Workload for Transfer {
    fn build(&self, seq: u64) -> Call {
        Call {
            to: TxKind::Call(receiver(&self.seed, seq, self.hot)),
            value: self.value,
            input: Bytes::new(),
            gas_limit: self.gas_limit,
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
    use crate::workload::{hot_receiver, TRANSFER_GAS};

    #[test]
    fn every_shard_of_a_hot_run_writes_one_receiver() {
        let shard = |i: u32| Transfer {
            seed: format!("s/shard-{i}-of-2"),
            value: U256::from(1),
            hot: Some(hot_receiver("s")),
            gas_limit: TRANSFER_GAS,
        };
        assert_eq!(shard(0).build(7).to, shard(1).build(3).to);
        let disjoint = |i: u32| Transfer {
            seed: format!("s/shard-{i}-of-2"),
            value: U256::from(1),
            hot: None,
            gas_limit: TRANSFER_GAS,
        };
        assert_ne!(disjoint(0).build(7).to, disjoint(1).build(7).to);
        assert_eq!(disjoint(0).build(7).gas_limit, TRANSFER_GAS);
        assert_eq!(
            disjoint(0).describe(),
            "transfer, 1 wei per transaction, each to a receiver of its own (disjoint writes)"
        );
    }
}
