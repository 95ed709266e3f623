//! The chains this binary runs against. Adding a chain is its crate and one
//! line here: scenario sections, levels, fee units, local nodes and runs all
//! come from the crate's [`Chain`].

use chainmeter_core::plugin::Chain;

/// Every chain, in the order a scenario's sections are run.
pub(crate) const CHAINS: &[&dyn Chain] = &[&chainmeter_evm::Evm, &chainmeter_solana::Solana];
