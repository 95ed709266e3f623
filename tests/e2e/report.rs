//! The HTML report opened in a real headless browser (Debian's chromium).

use crate::support::{self, chainmeter, repo_root, stderr};
use std::process::Command;

/// Where the install scripts and Debian put chromium.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

/// Renders the result at `fixture` (with the interval log beside it, if
/// any) as a page, opens it in headless chromium and checks it: nothing
/// fetched, no console message, not blank, and as many charts drawn in
/// the screenshot as the page holds. Returns the page.
fn render_and_inspect(fixture: &std::path::Path, sections: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("report.md");
    let out = chainmeter(&[
        "report",
        fixture.to_str().unwrap(),
        "--out",
        md.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    inspect_page(&tmp.path().join("report.html"), sections, true)
}

/// Opens the page at `page` in headless chromium and checks it (see
/// [`render_and_inspect`]); returns its HTML.
/// `framed`: count the charts' frames in the screenshot, for pages whose
/// charts each take the page's width (not the history's small multiples).
fn inspect_page(page: &std::path::Path, sections: &[&str], framed: bool) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(page).unwrap();
    for needle in sections {
        assert!(html.contains(needle), "report.html lacks {needle:?}");
    }
    for fetch in [
        "src=",
        "url(",
        "@import",
        "<script",
        "<link",
        "<img",
        "href=\"http",
        "href=\"//",
    ] {
        assert!(
            !html.contains(fetch),
            "the page must fetch nothing, yet has {fetch:?}"
        );
    }
    check_figures(&html);

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
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1024,9000",
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

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let width = info.width as usize;
    let rows: Vec<&[u8]> = buf[..info.buffer_size()].chunks(width * channels).collect();
    // Not blank: a fair share of the pixels are not the background.
    let inked = rows
        .iter()
        .flat_map(|r| r.chunks(channels))
        .filter(|p| p.iter().take(3).any(|&c| c < 200))
        .count();
    let total = width * rows.len();
    assert!(
        inked * 200 > total,
        "screenshot looks blank: {inked} of {total} pixels inked"
    );
    if !framed {
        return html;
    }
    // Every chart drawn: each chart's frame (a 1 px #ddd border, the only
    // such colour on the page) crosses the screenshot as two long lines.
    let frame_line = |r: &&[u8]| {
        r.chunks(channels)
            .filter(|p| p[..3] == [221, 221, 221])
            .count()
            > width / 2
    };
    let lines = rows
        .windows(2)
        .filter(|w| !frame_line(&w[0]) && frame_line(&w[1]))
        .count();
    let charts = html.matches("<svg").count();
    assert_eq!(
        lines,
        2 * charts,
        "the page holds {charts} charts, the screenshot shows {} frames",
        lines as f64 / 2.0
    );
    html
}

/// Every chart is a figure: its SVG, then its legend outside the plot (an
/// HTML caption under it, naming each series, none of which the plot
/// writes on the data), and each position's values on hover.
fn check_figures(html: &str) {
    let figures: Vec<&str> = html
        .split("<figure class=\"chart\">")
        .skip(1)
        .map(|f| &f[..f.find("</figure>").expect("a figure ends")])
        .collect();
    assert_eq!(
        figures.len(),
        html.matches("<svg").count(),
        "every SVG is in a figure"
    );
    for figure in figures {
        let (svg, caption) = figure.split_once("</svg>").expect("an SVG");
        assert!(svg.contains("<title>"), "no hover values in {svg}");
        if caption.is_empty() {
            continue; // bars labelled at the bars: no legend to keep apart
        }
        assert!(
            caption.starts_with("<figcaption class=\"legend\">"),
            "{caption}"
        );
        for name in caption.split("</i>").skip(1) {
            let name = &name[..name.find("</span>").unwrap()];
            assert!(
                !svg.contains(&format!(">{name}</text>")),
                "{name:?} is written on the plot"
            );
        }
    }
}

/// A latency in milliseconds as the charts write it.
fn chart_ms(us: u64) -> String {
    let short = |v: f64| match v {
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    };
    let ms = us as f64 / 1e3;
    if ms >= 1000.0 {
        format!("{} s", short(ms / 1000.0))
    } else {
        format!("{} ms", short(ms))
    }
}

#[test]
fn html_report_renders_in_a_headless_browser_without_console_errors() {
    let html = render_and_inspect(
        &repo_root().join("crates/report/tests/fixtures/evm-a.json"),
        &[
            "<svg",
            "Latency by percentile",
            "Throughput",
            "Fees",
            "Outcomes",
            "Environment",
            "polyline",
        ],
    );
    assert_eq!(html.matches("<svg").count(), 3);
    // Hovering over p99 on the latency chart reads the run's p99.
    let r = chainmeter_result::run::RunResult::read(
        &repo_root().join("crates/report/tests/fixtures/evm-a.json"),
    )
    .unwrap();
    let l = &r.levels[0];
    let title = format!("p99\n{}: {}", l.level, chart_ms(l.latency_us.p99));
    assert!(html.contains(&title), "no {title:?} in the page");
    // The fees as a distribution: a dozen ranges, not a bar per value.
    let fees = &html[html.find("<h2>Fees</h2>").unwrap()..];
    let fees = &fees[..fees.find("</svg>").unwrap()];
    assert_eq!(
        fees.matches("<rect x=").count() - fees.matches("<title>").count(),
        12
    );
}

/// A steps run with its interval log: the knee plots, the per-step table,
/// latency over time and step boundaries on the throughput chart, all drawn.
#[test]
fn a_steps_report_draws_every_chart() {
    let html = render_and_inspect(
        &repo_root().join("crates/report/tests/fixtures/evm-steps/result.json"),
        &[
            "Rate against throughput and latency",
            "step 3: 600 tx/s",
            "Latency over time",
            "stroke-dasharray",
        ],
    );
    // Knee plots (2), latency by percentile, over time, throughput, fees.
    assert_eq!(html.matches("<svg").count(), 6);
}

/// A saturation search (a real one on anvil, 3M gas a block): its probes
/// by offered rate with the knee and the block limit's bound marked on
/// both charts, each probe's figures on hover.
#[test]
fn a_search_page_marks_the_knee_and_the_chains_bound() {
    let html = render_and_inspect(
        &repo_root().join("crates/report/tests/fixtures/evm-search/result.json"),
        &["Rate against throughput and latency", "Knee: "],
    );
    let knee = &html[html.find("Rate against throughput").unwrap()..];
    let knee = &knee[..knee.find("<h2>").unwrap_or(knee.len())];
    assert_eq!(knee.matches("<figure").count(), 2, "throughput and latency");
    assert_eq!(knee.matches(">knee 139 tx/s</text>").count(), 2, "{knee}");
    assert_eq!(
        knee.matches(">block limit 142 tx/s</text>").count(),
        2,
        "{knee}"
    );
    // The probe that broke reads its landed rate on hover.
    assert!(
        knee.contains("<title>154 tx/s offered\nlanded: 142 tx/s"),
        "{knee}"
    );
}

/// Chain against chain: both chains' latency curves on one chart, their
/// throughput timelines, and the fees (in their own coins, with no prices).
#[test]
fn the_comparison_page_draws_both_chains() {
    let tmp = tempfile::tempdir().unwrap();
    let root = repo_root();
    let page = tmp.path().join("comparison.html");
    let out = chainmeter(&[
        "compare",
        root.join("crates/report/tests/fixtures/evm-a.json")
            .to_str()
            .unwrap(),
        root.join("crates/report/tests/fixtures/solana-v1.json")
            .to_str()
            .unwrap(),
        "--allow-mismatch",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = inspect_page(
        &page,
        &[
            "evm included",
            "solana confirmed",
            "evm evm-poisson landed",
            "Fee per transaction",
            "[prices]",
        ],
        true,
    );
    assert_eq!(html.matches("<svg").count(), 2);
}

/// `compare` with thresholds: exit code 0 when none is broken, 1 with the
/// broken rule named when one is, 2 for a rule it cannot read; `merge` adds.
#[test]
fn compare_gates_on_thresholds_and_merge_adds() {
    let tmp = tempfile::tempdir().unwrap();
    let fixtures = repo_root().join("crates/report/tests/fixtures");
    let (a, b) = (fixtures.join("evm-a.json"), fixtures.join("evm-b.json"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let bench = tmp.path().join("bench");
    let html = tmp.path().join("cmp.html");

    let ok = chainmeter(&[
        "compare",
        a,
        b,
        "--fail-if",
        "included.p99>+50%",
        "--fail-if",
        "tps<-50%",
        "--bench-json",
        bench.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let bigger: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("bench-bigger.json")).unwrap(),
    )
    .unwrap();
    assert!(bigger
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "evm tps" && e["unit"] == "tx/s"));
    assert!(std::fs::read_to_string(&html).unwrap().contains("<table>"));

    // A rule only a candidate 99% faster than the baseline could keep.
    let broken = chainmeter(&["compare", a, b, "--fail-if", "included.p99>-99%"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stderr(&broken).contains("the candidate regressed:\n- included.p99:"),
        "{}",
        stderr(&broken)
    );

    let unreadable = chainmeter(&["compare", a, b, "--fail-if", "included.p99 up 10%"]);
    assert_eq!(unreadable.status.code(), Some(2), "{}", stderr(&unreadable));

    let merged = tmp.path().join("merged.json");
    let out = chainmeter(&["merge", a, b, "--out", merged.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    crate::support::assert_matches_schema(&merged);
    let m = chainmeter_result::run::RunResult::read(&merged).unwrap();
    assert_eq!(m.outcomes.sent, 600);
}

/// The scenario a page gives to run a result again is one chainmeter
/// reads, and runs what the result ran: for every result in the fixtures
/// and the published reference.
#[test]
fn the_scenario_a_page_gives_to_reproduce_a_run_loads_as_run() {
    let root = repo_root();
    let tmp = tempfile::tempdir().unwrap();
    let results = [
        "crates/report/tests/fixtures/evm-a.json",
        "crates/report/tests/fixtures/evm-mix.json",
        "crates/report/tests/fixtures/evm-steps/result.json",
        "results/reference/2026-12-07-compare/evm/result.json",
        "results/reference/2026-12-07-compare/solana/result.json",
    ];
    for file in results {
        let r = chainmeter_result::run::RunResult::read(&root.join(file)).unwrap();
        let again = chainmeter_report::method::reproduce(&r);
        assert!(
            again.command.starts_with("chainmeter run scenario.toml"),
            "{}",
            again.command
        );
        let path = tmp.path().join("scenario.toml");
        std::fs::write(&path, &again.scenario).unwrap();
        let loaded = chainmeter_core::scenario::load(
            &path,
            &Default::default(),
            &[&chainmeter_evm::Evm, &chainmeter_solana::Solana],
        )
        .unwrap_or_else(|e| panic!("{file}: {e}\n{}", again.scenario));
        assert_eq!(loaded.name, r.scenario_name, "{file}");
        let page = chainmeter_report::html::run_page(&r, &[]);
        assert!(page.contains("<h2>How this was measured</h2>"), "{file}");
        assert!(page.contains("<h2>Reproduce</h2>"), "{file}");
    }
}

/// A real run (anvil started by chainmeter from an absolute path, its
/// outputs under an absolute directory), a comparison of it, and the
/// history of a directory holding it beside earlier results of every
/// schema (schema 1 included) and an A/B session: no page or summary
/// holds a local path; the history has a chart per headline metric per
/// group and a link per run, its A/B sides drawn as ranges, and it
/// opens in the browser clean.
#[test]
fn pages_hold_no_local_path_and_a_history_gathers_every_run() {
    let f = support::Fixture::bare();
    let root = repo_root();
    let runs = f.path().join("runs");
    let fresh = runs.join("fresh");
    let file = f.scenario(
        "name = \"e2e-pages\"\n[accounts]\ncount = 4\n[load]\nrate = 40\ncount = 60\n[evm]\nblock_time = \"1s\"\nlevels = [\"included\"]\n",
    );
    let anvil = chainmeter_localnet::locate(&chainmeter_localnet::ANVIL).expect("anvil installed");
    let binary = format!("evm.binary=\"{}\"", anvil.display());
    let out = chainmeter(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        fresh.to_str().unwrap(),
        "-q",
        "--set",
        &binary,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Earlier results beside it, and an A/B session's four runs.
    let fixtures = root.join("crates/report/tests/fixtures");
    let copy = |from: &str, to: &str| {
        let to = runs.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixtures.join(from), to).unwrap();
    };
    copy("solana-v1.json", "old/solana-v1.json");
    copy("evm-a.json", "old/evm-a.json");
    copy("evm-steps/result.json", "steps/result.json");
    copy("evm-steps/latency.hlog", "steps/latency.hlog");
    for (pair, from) in [
        ("pair-1-a", "evm-a.json"),
        ("pair-1-b", "evm-b.json"),
        ("pair-2-b", "evm-b.json"),
        ("pair-2-a", "evm-a.json"),
    ] {
        copy(from, &format!("ab/{pair}/result.json"));
    }
    std::fs::write(runs.join("ab/ab.json"), "{}").unwrap();

    let cmp = f.path().join("cmp.md");
    let out = chainmeter(&[
        "compare",
        fresh.join("result.json").to_str().unwrap(),
        fixtures.join("evm-a.json").to_str().unwrap(),
        "--allow-mismatch",
        "--out",
        cmp.to_str().unwrap(),
        "--html",
        cmp.with_extension("html").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = chainmeter(&["report", runs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    // No local path in any page or summary.
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let forbidden = [
        f.path().display().to_string(),
        root.display().to_string(),
        anvil.display().to_string(),
        format!("{home}/"),
    ];
    for page in [
        fresh.join("summary.md"),
        fresh.join("report.html"),
        runs.join("index.md"),
        runs.join("index.html"),
        runs.join("old/solana-v1.html"),
        cmp.clone(),
        cmp.with_extension("html"),
    ] {
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        for path in &forbidden {
            assert!(
                !text.contains(path.as_str()),
                "{} holds the local path {path}",
                page.display()
            );
        }
    }
    let page = std::fs::read_to_string(fresh.join("report.html")).unwrap();
    assert!(
        page.contains("binary = &quot;anvil&quot;"),
        "the binary by its name"
    );

    // The history: per group a chart per headline metric and a link per run.
    let index = std::fs::read_to_string(runs.join("index.html")).unwrap();
    let md = std::fs::read_to_string(runs.join("index.md")).unwrap();
    // Each group's headline metrics, by scenario and chain.
    let mut groups: std::collections::BTreeMap<(String, String), Vec<String>> = Default::default();
    for (result, page) in [
        ("fresh/result.json", "fresh/report.html"),
        ("old/solana-v1.json", "old/solana-v1.html"),
        ("old/evm-a.json", "old/evm-a.html"),
        ("steps/result.json", "steps/report.html"),
        ("ab/pair-1-a/result.json", "ab/pair-1-a/report.html"),
        ("ab/pair-1-b/result.json", "ab/pair-1-b/report.html"),
        ("ab/pair-2-b/result.json", "ab/pair-2-b/report.html"),
        ("ab/pair-2-a/result.json", "ab/pair-2-a/report.html"),
    ] {
        let r = chainmeter_result::run::RunResult::read(&runs.join(result)).unwrap();
        assert!(runs.join(page).exists(), "{page} written");
        assert!(index.contains(&format!("href=\"{page}\"")), "{page} linked");
        assert!(
            md.contains(&format!("({page})")),
            "{page} linked in index.md"
        );
        let key = (r.scenario_name.clone(), r.chain.clone());
        let names: Vec<String> = chainmeter_result::headline::headline(&r)
            .into_iter()
            .map(|m| m.name)
            .collect();
        let group = groups.entry(key).or_default();
        for n in names {
            if !group.contains(&n) {
                group.push(n);
            }
        }
    }
    assert_eq!(
        groups.len(),
        4,
        "e2e-pages, compare (solana), evm-poisson, evm-steps"
    );
    for ((scenario, chain), metrics) in &groups {
        let heading = format!("<h2>{scenario} on {chain}</h2>");
        let at = index
            .find(&heading)
            .unwrap_or_else(|| panic!("no {heading}"));
        let section = &index[at + heading.len()..];
        let section = &section[..section.find("<h2>").unwrap_or(section.len())];
        assert_eq!(
            section.matches("<figure").count(),
            metrics.len(),
            "{heading}: a chart per headline metric {metrics:?}"
        );
        for m in metrics {
            assert!(section.contains(&format!("<h3>{m}</h3>")), "{heading}: {m}");
        }
    }
    // The A/B session: A and B, two runs each, drawn with their ranges.
    assert!(
        md.contains("ab A (2 runs)") && md.contains("ab B (2 runs)"),
        "{md}"
    );
    assert!(index.contains(" to "), "ranges read on hover");
    inspect_page(
        &runs.join("index.html"),
        &["<h2>evm-poisson on evm</h2>"],
        false,
    );
}
