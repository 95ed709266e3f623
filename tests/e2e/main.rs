//! End-to-end tests: the real `chainmeter` binary against real local validators.
//!
//! Tests that start a validator hold [`support::serial`] so that only one
//! validator runs at a time on this 2-core machine. They need the release
//! binary built first (`scripts/test.sh` does it) and the validators
//! installed (`scripts/install-anvil.sh`).

mod bad_input;
mod command_line;
mod evm;
mod faults;
mod funding;
mod gates;
mod load_shapes;
mod metrics;
mod proxy;
mod report;
mod schema;
mod shards;
mod solana;
mod solana_programs;
mod support;
mod workloads;
