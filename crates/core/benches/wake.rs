//! CPU time of one sleep and wake-up of the harness's runtime
//! (current-thread tokio) on a timer, at the rates an open-loop sender wakes
//! at.
//!
//! An open-loop sender sleeps and wakes at least once per scheduled send
//! (and again for the node's answer), so below about 1,000 tx/s, where sends
//! stop sharing a wake-up, a wake-up's cost bounds the harness's CPU per
//! transaction from below, whatever the send path. On a virtual machine a
//! wake-up can cost more than a signature. Criterion times wall clock, which
//! for a sleep is the sleep; this prints the process's CPU time per wake-up
//! (`getrusage`, as the run's own figures). Every interval is at least
//! tokio's timer resolution (1 ms), so every wake-up follows a real sleep.
//!
//!   cargo bench -p chainmeter-core --bench wake
use chainmeter_core::usage::ProcessUsage;
use std::time::{Duration, Instant};

/// How long each rate is measured.
const WINDOW: Duration = Duration::from_secs(5);

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!("| wake-ups/s | CPU µs per wake-up | wake-ups |");
    println!("|---:|---:|---:|");
    for rate in [10u32, 100, 200, 1_000] {
        let interval = Duration::from_secs(1) / rate;
        let (cpu, wakes) = runtime.block_on(async {
            let before = ProcessUsage::now().cpu;
            let start = Instant::now();
            let mut next = start;
            let mut wakes = 0u64;
            while next - start < WINDOW {
                next += interval;
                tokio::time::sleep_until(next.into()).await;
                wakes += 1;
            }
            (ProcessUsage::now().cpu - before, wakes)
        });
        println!(
            "| {rate} | {:.1} | {wakes} |",
            cpu.as_secs_f64() * 1e6 / wakes as f64
        );
    }
}
