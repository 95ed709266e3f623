//! What the recorder costs per event: one transaction's whole life (planned,
//! sent, three levels reached, landed with its fee) on a recorder that has
//! seen many before, as in a long run.
//!
//! `cargo bench -p chainmeter-core --bench recorder`

// criterion_group! and criterion_main! generate undocumented items.
#![allow(missing_docs)]

use chainmeter_core::{chain::ChainEvent, recorder::Recorder, Level};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::{
    hint::black_box,
    time::{Duration, Instant},
};

static LEVELS: [Level; 3] = [
    Level::new("processed"),
    Level::new("confirmed"),
    Level::new("finalized"),
];

/// Events in one transaction's life: planned, sent, three levels, landed.
const EVENTS_PER_TX: u64 = 6;

fn recorder(c: &mut Criterion) {
    let start = Instant::now();
    let mut r = Recorder::new(&LEVELS, &LEVELS, start, (Duration::ZERO, Duration::MAX));
    let mut seq = 0u64;
    let mut group = c.benchmark_group("recorder");
    group.throughput(Throughput::Elements(EVENTS_PER_TX));
    group.bench_function("one transaction's events", |b| {
        b.iter(|| {
            seq += 1;
            // Spread over seconds and latencies as a run is, so the
            // timeline and histograms see realistic values.
            let sched = start + Duration::from_micros(seq * 200);
            r.planned(seq, sched, false, None);
            r.sent(seq, sched + Duration::from_micros(150));
            for (i, &level) in LEVELS.iter().enumerate() {
                let at = sched + Duration::from_millis(300 + 400 * i as u64 + seq % 97);
                r.apply(&ChainEvent::Reached { seq, level, at });
            }
            r.apply(&ChainEvent::Landed {
                seq,
                success: true,
                fee: 5_000,
                compute: 150,
                error: None,
            });
            black_box(r.in_flight())
        });
    });
    group.finish();
}

criterion_group!(benches, recorder);
criterion_main!(benches);
