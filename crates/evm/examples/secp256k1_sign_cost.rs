//! Measures what one secp256k1 transaction signature costs on this machine,
//! the yardstick for the harness's CPU per transaction.
//!
//! `cargo run --release -p chainmeter-evm --example secp256k1_sign_cost`

use alloy::{
    consensus::TxEip1559,
    network::TxSignerSync,
    primitives::{Address, TxKind, U256},
    signers::local::PrivateKeySigner,
};
use std::time::Instant;

fn main() {
    let signer = PrivateKeySigner::random();
    let n = 20_000u64;
    let start = Instant::now();
    for nonce in 0..n {
        let mut tx = TxEip1559 {
            chain_id: 31337,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 3_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(Address::with_last_byte(1)),
            value: U256::from(1),
            ..Default::default()
        };
        std::hint::black_box(signer.sign_transaction_sync(&mut tx).expect("signs"));
    }
    println!(
        "secp256k1 (alloy PrivateKeySigner, EIP-1559): {:.1} µs per signature",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
