//! The HTML report opened in a real headless browser (Debian's chromium).

use crate::support::{chainmeter, repo_root, stderr};
use std::process::Command;

/// Where the install scripts and Debian put chromium.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

#[test]
fn html_report_renders_in_a_headless_browser_without_console_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = repo_root().join("crates/report/tests/fixtures/evm-a.json");
    let md = tmp.path().join("report.md");
    let out = chainmeter(&[
        "report",
        fixture.to_str().unwrap(),
        "--out",
        md.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = tmp.path().join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    for needle in [
        "<svg",
        "Latency by percentile",
        "Throughput",
        "Fees",
        "Outcomes",
        "Environment",
        "polyline",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle:?}");
    }
    for fetch in ["src=", "href=", "url(", "@import", "<script"] {
        assert!(
            !html.contains(fetch),
            "the page must fetch nothing, yet has {fetch:?}"
        );
    }

    let shot = tmp.path().join("shot.png");
    let browser = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1024,1800",
        ])
        .arg(format!(
            "--user-data-dir={}",
            tmp.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (scripts/test.sh installs Debian's chromium)");
    let log = String::from_utf8_lossy(&browser.stderr);
    assert!(browser.status.success(), "chromium failed:\n{log}");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );

    // Not blank: a fair share of the pixels are not the background.
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let inked = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|&c| c < 200))
        .count();
    let total = pixels.len() / channels;
    assert!(
        inked * 200 > total,
        "screenshot looks blank: {inked} of {total} pixels inked"
    );
}
