//! `chainmeter run --metrics ADDR`: live Prometheus metrics while a real run goes.

use crate::support::{self, scenario, Running};
use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    time::{Duration, Instant},
};

/// One sample's value: the line `name{labels} value` whose name and labels
/// start with `series`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// `GET /metrics`, or `None` when nothing answers.
fn scrape(addr: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    s.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// An anvil run at 100 tx/s for 6 s serving metrics: scraped while it
/// goes, the counters move (more sent at each scrape, latency observed per
/// level, transactions in flight); the last scrape before the process
/// exits agrees with the result file: offered = sent = the result's sent,
/// landed = its landed but for the last block, which can land after it.
#[test]
fn metrics_scraped_mid_run_move_and_agree_with_the_result() {
    let f = support::Fixture::bare();
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let file = scenario(
        f.path(),
        "s.toml",
        "name = \"e2e-metrics\"\n[load]\nrate = 100\nduration = \"6s\"\n\
         [evm]\nlevels = [\"included\"]\n",
    );
    let out = f.out();
    let mut run = Running::start(&[
        "run",
        file.to_str().unwrap(),
        "--metrics",
        &addr,
        "--out",
        out.to_str().unwrap(),
    ]);
    run.wait_for_line("sending", Duration::from_secs(60));
    let series = |name: &str| format!("chainmeter_{name}{{chain=\"evm\",scenario=\"e2e-metrics\"");
    let mut scrapes: Vec<(Instant, String)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    // Scrape until the process has gone (it serves until it exits): a
    // second of refused connections after the first answers.
    let mut refused = 0;
    while Instant::now() < deadline && refused < 40 {
        match scrape(&addr) {
            Some(text) => {
                scrapes.push((Instant::now(), text));
                refused = 0;
            }
            None if !scrapes.is_empty() => refused += 1,
            None => {}
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let (code, stderr) = run.finish(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stderr}");
    let r = support::result(&out);

    let sent: Vec<f64> = scrapes
        .iter()
        .filter_map(|(_, t)| value(t, &series("sent_total")))
        .collect();
    assert!(sent.windows(2).all(|w| w[0] <= w[1]), "sent never falls");
    let mid = scrapes
        .iter()
        .map(|(_, t)| t)
        // Past 2 s: anvil's 1 s blocks are not in phase with the run, so a
        // scrape a second in may come before the first block is read.
        .find(|t| value(t, &series("sent_total")).is_some_and(|n| n > 200.0 && n < 500.0))
        .expect("a scrape while sending");
    println!("a scrape mid-run:\n{mid}");
    assert!(value(mid, &series("in_flight")).unwrap() > 0.0, "{mid}");
    assert!(mid.contains("chainmeter_latency_seconds_count{chain=\"evm\",scenario=\"e2e-metrics\",level=\"included\"}"));

    let last = &scrapes.last().unwrap().1;
    let n = |name: &str| value(last, &series(name)).unwrap_or(0.0) as u64;
    println!(
        "last scrape: offered {}, sent {}, landed ok {}; result: sent {}, landed ok {}",
        n("offered_total"),
        n("sent_total"),
        n("landed_total"),
        r.outcomes.sent,
        r.outcomes.landed_ok
    );
    // Every send is done well before the drain ends, so the last scrape
    // mostly has them all; on a machine loaded by the rest of the suite a
    // scrape can be answered late (once: 598 of 600), so they agree to
    // within the sends of a moment, and never exceed the result's.
    for name in ["offered_total", "sent_total"] {
        let scraped = n(name);
        assert!(
            scraped <= r.outcomes.sent && r.outcomes.sent - scraped <= 10,
            "last scrape {name} {scraped}, result sent {}",
            r.outcomes.sent
        );
    }
    // The last block can land between the last scrape and the exit (the
    // verification and the report take tens of milliseconds): landings
    // agree to within that block, at most a second of sends.
    let landed = n("landed_total");
    assert!(
        landed <= r.outcomes.landed_ok && r.outcomes.landed_ok - landed <= 100,
        "last scrape landed {landed}, result {}",
        r.outcomes.landed_ok
    );
    let observed = value(
        last,
        "chainmeter_latency_seconds_count{chain=\"evm\",scenario=\"e2e-metrics\",level=\"included\"}",
    )
    .unwrap() as u64;
    assert_eq!(
        observed, landed,
        "one latency per landing in the same scrape"
    );
}
