//! Measures what one ed25519 transaction signature costs on this machine,
//! the yardstick for the harness's CPU per transaction.
//!
//! `cargo run --release -p chainmeter-solana --example ed25519_sign_cost`

use solana_sdk::{
    hash::Hash, message::Message, pubkey::Pubkey, signature::Keypair, signer::Signer,
    transaction::Transaction,
};
use std::time::Instant;

fn main() {
    let payer = Keypair::new();
    let n = 50_000u64;
    let start = Instant::now();
    for i in 0..n {
        let ix = solana_system_interface::instruction::transfer(
            &payer.pubkey(),
            &Pubkey::new_unique(),
            i + 1,
        );
        let hash = Hash::new_unique();
        let mut tx = Transaction::new_unsigned(Message::new_with_blockhash(
            &[ix],
            Some(&payer.pubkey()),
            &hash,
        ));
        tx.sign(&[&payer], hash);
        std::hint::black_box(tx);
    }
    println!(
        "ed25519 (solana-sdk Keypair, transfer transaction): {:.1} µs per signed transaction",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
