//! `storage`: each transaction writes `slots` storage slots and runs
//! `loops` iterations of arithmetic (`Storage.sol`), so a scenario dials
//! the gas per transaction, and with it the chain's gas-bound knee. With
//! disjoint writes each transaction's slots are new ones; with hot writes
//! every transaction rewrites the same slots.
//!
//! ```toml
//! [workload]
//! kind = "storage"
//! [workload.storage]
//! slots = 4
//! loops = 100
//! ```

use super::{selector, Call, Kind, Plan, Prepare, Preparing, Workload};
use alloy::primitives::{Address, Bytes, TxKind, U256};
use chainmeter_core::scenario::{ScenarioError, Section};
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

pub(super) const KIND: Kind = Kind {
    name: "storage",
    check,
};

/// chainmeter's storage contract, compiled by `scripts/compile-contracts.sh`.
const STORAGE_BYTECODE: &str = include_str!("../../contracts/Storage.bin");
/// More would not fit a 30M-gas block (a fresh slot costs 22,100 gas).
const MAX_SLOTS: u64 = 1_000;
const MAX_LOOPS: u64 = 100_000;

/// `[workload.storage]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageFile {
    /// Slots written per transaction (default 1).
    slots: Option<Spanned<u64>>,
    /// Loop iterations per transaction (default 0).
    loops: Option<Spanned<u64>>,
}

fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    section.no_value("each transaction writes storage and sends no wei")?;
    let f: Option<StorageFile> = section.workload_settings()?;
    let (slots, loops) = f.map_or((None, None), |f| (f.slots, f.loops));
    let bounded = |v: Option<Spanned<u64>>, field: &str, default: u64, lo: u64, hi: u64| match v {
        Some(v) if !(lo..=hi).contains(v.get_ref()) => {
            Err(section.workload_error(v.span(), field, format!("must be {lo} to {hi}")))
        }
        Some(v) => Ok(*v.get_ref()),
        None => Ok(default),
    };
    Ok(Arc::new(StoragePlan {
        slots: bounded(slots, "slots", 1, 1, MAX_SLOTS)?,
        loops: bounded(loops, "loops", 0, 0, MAX_LOOPS)?,
    }))
}

#[derive(Debug)]
struct StoragePlan {
    slots: u64,
    loops: u64,
}

impl Plan for StoragePlan {
    /// Deploys the contract and measures the first call.
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            let deployer = p.deployer().await?;
            let code: Bytes = super::bytecode(STORAGE_BYTECODE, "Storage")?.into();
            let contract = p.create(&deployer, code, "Storage").await?;
            let mut w = Storage {
                contract,
                slots: self.slots,
                loops: self.loops,
                hot: p.hot.is_some(),
                gas_limit: 0,
            };
            let first = w.build(0);
            w.gas_limit = p.gas_limit(first.to, first.input).await?;
            Ok(Arc::new(w) as Arc<dyn Workload>)
        })
    }
}

#[derive(Debug, Clone)]
struct Storage {
    contract: Address,
    slots: u64,
    loops: u64,
    hot: bool,
    gas_limit: u64,
}

impl Workload for Storage {
    fn build(&self, seq: u64) -> Call {
        // Key 0 is every hot transaction's; a disjoint one's is its own
        // (seq + 1, so none shares the hot key).
        let key = if self.hot { 0 } else { seq + 1 };
        let mut input = Vec::with_capacity(4 + 32 * 3);
        input.extend_from_slice(&selector("work(uint256,uint256,uint256)"));
        for word in [key, self.slots, self.loops] {
            input.extend_from_slice(&U256::from(word).to_be_bytes::<32>());
        }
        Call {
            to: TxKind::Call(self.contract),
            value: U256::ZERO,
            input: input.into(),
            gas_limit: self.gas_limit,
        }
    }

    fn describe(&self) -> String {
        let slots = match self.hot {
            true => format!("the same {} storage slots rewritten", self.slots),
            false => format!("{} new storage slots written", self.slots),
        };
        format!(
            "storage, {slots} and {} loop iterations per transaction (Storage.work), gas limit {}",
            self.loops, self.gas_limit
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_disjoint_transaction_writes_slots_of_its_own() {
        let w = |hot| Storage {
            contract: Address::repeat_byte(7),
            slots: 4,
            loops: 10,
            hot,
            gas_limit: 1,
        };
        let (a, b) = (w(false).build(1), w(false).build(2));
        assert_ne!(a.input, b.input);
        assert_eq!(a.input.len(), 4 + 96);
        assert_eq!(a.input[4 + 31], 2, "key seq + 1");
        assert_eq!(a.input[4 + 63], 4, "slots");
        assert_eq!(a.input[4 + 95], 10, "loops");
        assert_eq!(w(true).build(1).input, w(true).build(2).input);
        assert!(w(true)
            .describe()
            .contains("the same 4 storage slots rewritten"));
    }
}
