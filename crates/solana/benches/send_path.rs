//! The Solana send path's own costs: signing a transfer as the submitter
//! does (the ed25519 signature is the yardstick for the harness's CPU per
//! transaction), and writing the `sendTransaction` batch body. The
//! signature is timed twice: back to back, and each after a 10 ms sleep, as
//! a run at 100 tx/s signs (what a wake-up adds to the work after it).
//!
//! `cargo bench -p chainmeter-solana --bench send_path`

// criterion_group! and criterion_main! generate undocumented items.
#![allow(missing_docs)]

use chainmeter_core::usage::timed_after_sleeps;
use chainmeter_solana::rpc_send_body;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use solana_sdk::{
    hash::Hash, message::Message, pubkey::Pubkey, signature::Keypair, signer::Signer,
    transaction::Transaction,
};
use std::hint::black_box;
use std::time::Duration;

/// A SOL transfer built, signed and serialized to its wire form.
fn signed_transfer(payer: &Keypair, to: &Pubkey, lamports: u64, hash: Hash) -> Vec<u8> {
    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), to, lamports);
    let message = Message::new_with_blockhash(&[ix], Some(&payer.pubkey()), &hash);
    let mut tx = Transaction::new_unsigned(message);
    tx.sign(&[payer], hash);
    bincode::serialize(&tx).expect("a transaction serializes")
}

fn send_path(c: &mut Criterion) {
    let payer = Keypair::new();
    let to = Pubkey::new_unique();
    let hash = Hash::new_unique();
    let mut group = c.benchmark_group("solana");
    group.throughput(Throughput::Elements(1));
    let mut lamports = 0u64;
    group.bench_function("sign transfer", |b| {
        b.iter(|| {
            lamports += 1;
            black_box(signed_transfer(&payer, &to, lamports, hash))
        })
    });
    let config = r#"{"encoding":"base64","skipPreflight":true,"preflightCommitment":"processed"}"#;
    for n in [1usize, 64] {
        let wires: Vec<Vec<u8>> = (0..n as u64)
            .map(|i| signed_transfer(&payer, &to, i + 1, hash))
            .collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("sendTransaction body, {n} per request"), |b| {
            b.iter_batched(
                || wires.iter().map(Vec::as_slice),
                |w| black_box(rpc_send_body(w, config)),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
    // Few samples: each iteration costs a sleep.
    let mut group = c.benchmark_group("solana");
    group.throughput(Throughput::Elements(1)).sample_size(10);
    group.bench_function("sign transfer (after a 10 ms sleep)", |b| {
        b.iter_custom(|iters| {
            timed_after_sleeps(iters, Duration::from_millis(10), || {
                lamports += 1;
                black_box(signed_transfer(&payer, &to, lamports, hash));
            })
        })
    });
    group.finish();
}

criterion_group!(benches, send_path);
criterion_main!(benches);
