//! The EVM send path's own cost: signing an EIP-1559 transfer and encoding
//! it for `eth_sendRawTransaction`, as the submitter does (the secp256k1
//! signature is the yardstick for the harness's CPU per transaction), with
//! each signing library: libsecp256k1, which the submitter uses, and k256,
//! alloy's local signer. A third case signs with libsecp256k1 after a 10 ms
//! sleep each time, as a run at 100 tx/s does: what a wake-up adds to the
//! signature after it.
//!
//! `cargo bench -p chainmeter-evm --bench send_path`

// criterion_group! and criterion_main! generate undocumented items.
#![allow(missing_docs)]

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    primitives::{Address, TxKind, U256},
    signers::local::PrivateKeySigner,
};
use chainmeter_core::usage::timed_after_sleeps;
use chainmeter_evm::signing::{HashSigner, Libsecp256k1};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

/// A 1-wei transfer with `nonce`.
fn transfer(nonce: u64) -> TxEip1559 {
    TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 3_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(Address::with_last_byte(1)),
        value: U256::from(1),
        ..Default::default()
    }
}

/// Signs and encodes `tx` as the submitter does.
fn sign(signer: &dyn HashSigner, tx: TxEip1559) -> Vec<u8> {
    let signature = signer.sign_hash(&tx.signature_hash()).expect("signs");
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

fn send_path(c: &mut Criterion) {
    let k256 = PrivateKeySigner::random();
    let libsecp = Libsecp256k1::new(&k256).expect("a valid key");
    let signers: [(&str, &dyn HashSigner); 2] = [
        ("sign transfer (libsecp256k1)", &libsecp),
        ("sign transfer (k256)", &k256),
    ];
    let mut nonce = 0u64;
    let mut group = c.benchmark_group("evm");
    group.throughput(Throughput::Elements(1));
    for (name, signer) in signers {
        group.bench_function(name, |b| {
            b.iter(|| {
                nonce += 1;
                black_box(sign(signer, transfer(nonce)))
            })
        });
    }
    group.finish();
    // Each signature after a 10 ms sleep, as in a run at 100 tx/s: the
    // first work after a wake-up runs slower than the same work back to
    // back. Only the signature is timed; few samples, as each costs a sleep.
    let mut group = c.benchmark_group("evm");
    group.throughput(Throughput::Elements(1)).sample_size(10);
    group.bench_function("sign transfer (libsecp256k1, after a 10 ms sleep)", |b| {
        b.iter_custom(|iters| {
            timed_after_sleeps(iters, Duration::from_millis(10), || {
                nonce += 1;
                black_box(sign(&libsecp, transfer(nonce)));
            })
        })
    });
    group.finish();
}

criterion_group!(benches, send_path);
criterion_main!(benches);
