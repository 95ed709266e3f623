//! `deploy`: every transaction creates a small contract (`Small.sol`: one
//! storage word written by its constructor), a common benchmark of
//! contract creation.

use super::{Call, Kind, Plan, Prepare, Preparing, Workload};
use crate::error::PrepareError;
use alloy::primitives::{Bytes, TxKind, U256};
use chainmeter_core::scenario::{ScenarioError, Section};
use std::sync::Arc;

pub(super) const KIND: Kind = Kind {
    name: "deploy",
    check,
};

/// chainmeter's small contract, compiled by `scripts/compile-contracts.sh`.
const SMALL_BYTECODE: &str = include_str!("../../contracts/Small.bin");
fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    section.no_workload_settings()?;
    section.no_value("each transaction creates a contract and sends no wei")?;
    Ok(Arc::new(DeployPlan))
}

#[derive(Debug)]
struct DeployPlan;

impl Plan for DeployPlan {
    /// Measures what one creation costs.
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            let code = code()?;
            let gas_limit = p.gas_limit(TxKind::Create, code.clone()).await?;
            Ok(Arc::new(Deploy { code, gas_limit }) as Arc<dyn Workload>)
        })
    }
}

fn code() -> Result<Bytes, PrepareError> {
    Ok(super::bytecode(SMALL_BYTECODE, "Small")?.into())
}

/// A creation of `Small` per transaction.
#[derive(Debug, Clone)]
struct Deploy {
    code: Bytes,
    gas_limit: u64,
}

impl Workload for Deploy {
    fn build(&self, _seq: u64) -> Call {
        Call {
            to: TxKind::Create,
            value: U256::ZERO,
            input: self.code.clone(),
            gas_limit: self.gas_limit,
        }
    }

    fn describe(&self) -> String {
        format!(
            "deploy, a new contract per transaction (Small, {} bytes of creation code), gas limit {}",
            self.code.len(),
            self.gas_limit
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transaction_creates_the_small_contract() {
        let d = Deploy {
            code: code().unwrap(),
            gas_limit: 100_000,
        };
        let call = d.build(9);
        assert_eq!(call.to, TxKind::Create);
        assert_eq!(call.input, d.build(10).input);
        assert!(call.input.len() < 200, "{} bytes", call.input.len());
    }
}
