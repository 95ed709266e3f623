//! Scenario files: the TOML a user writes, and the checked [`Scenario`] a run uses.
//!
//! Parsing is in two steps. [`ScenarioFile`] (`file`) mirrors the TOML exactly
//! (unknown fields are errors, every value keeps its place in the file);
//! `validate` turns it into a [`Scenario`] (`model`) whose types admit no
//! invalid value. Every error names the file, line, column and field
//! (`location`).

mod file;
mod location;
mod model;
mod validate;

pub use file::*;
pub use location::{Location, ScenarioError};
pub use model::*;

use location::{field_at, locate};
use std::path::Path;
use validate::Validator;

/// Reads and validates the scenario at `path`, applying `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, &path.display().to_string(), overrides).map(|mut s| {
        s.path = Some(path.to_owned());
        s
    })
}

/// Parses and validates scenario `text`; `source` names it in errors.
pub fn parse(text: &str, source: &str, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    let file: ScenarioFile = toml::from_str(text).map_err(|e| {
        let span = e.span();
        ScenarioError::Invalid {
            location: locate(text, source, span.clone()),
            field: span
                .map(|s| field_at(text, s.start))
                .unwrap_or_else(|| "<file>".to_owned()),
            message: e.message().trim().to_owned(),
        }
    })?;
    Validator { text, source }.validate(file, overrides)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        bids::Bids,
        level::{ChainKind, Level},
    };
    use std::time::Duration;

    const GOOD: &str = r#"
name = "t"
[load]
rate = 100
duration = "10s"
[evm]
block_time = "2s"
"#;

    fn err(text: &str) -> String {
        parse(text, "s.toml", &Overrides::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_are_filled_in() {
        let s = parse(GOOD, "s.toml", &Overrides::default()).unwrap();
        assert_eq!(s.accounts.get(), 32);
        assert_eq!(s.load.end, End::After(Duration::from_secs(10)));
        assert_eq!(s.targets.len(), 1);
        let t = &s.targets[0];
        assert_eq!(t.levels, ChainKind::Evm.levels());
        assert_eq!(
            t.endpoint,
            Endpoint::Local(LocalOptions::Anvil {
                block_time: Duration::from_secs(2),
                slots_in_an_epoch: 32,
                gas_limit: 30_000_000
            })
        );
        assert_eq!(s.as_run["evm"]["slots_in_an_epoch"], 32);
        assert!(s.as_run["load"].get("drain_timeout").is_none());
        assert_eq!(s.load.drain_timeout, None);
    }

    #[test]
    fn unknown_field_names_file_line_and_field() {
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 5\nbogus = 3\n[evm]\n");
        assert!(
            e.starts_with("s.toml:5:1: load.bogus: unknown field `bogus`"),
            "{e}"
        );
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = err("name = \"t\"\n[load]\nrate = \"fast\"\ncount = 5\n[evm]\n");
        assert!(
            e.starts_with("s.toml:3:8: load.rate: invalid type: string"),
            "{e}"
        );
    }

    #[test]
    fn zero_rate_is_refused_with_its_place() {
        let e = err("name = \"t\"\n[load]\nrate = 0\ncount = 5\n[evm]\n");
        assert_eq!(
            e,
            "s.toml:3:8: load.rate: must be a number greater than 0 (transactions per second)"
        );
    }

    #[test]
    fn bad_duration_is_explained() {
        let e = err("name = \"t\"\n[load]\nrate = 1\nduration = \"ten\"\n[evm]\n");
        assert!(e.contains("load.duration: invalid duration \"ten\""), "{e}");
    }

    #[test]
    fn duration_and_count_are_exclusive_and_one_is_required() {
        assert!(
            err("name = \"t\"\n[load]\nrate = 1\nduration = \"1s\"\ncount = 3\n[evm]\n")
                .contains("not both")
        );
        assert!(err("name = \"t\"\n[load]\nrate = 1\n[evm]\n")
            .contains("give load.duration or load.count"));
    }

    #[test]
    fn a_chain_is_required_and_levels_must_belong_to_it() {
        assert!(err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n").contains("no chain"));
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[evm]\nlevels = [\"confirmed\"]\n");
        assert!(
            e.contains("evm.levels: confirmed is not a evm level"),
            "{e}"
        );
    }

    #[test]
    fn levels_are_sorted_weakest_first() {
        let s = parse(
            "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[solana]\nlevels = [\"finalized\", \"processed\"]\n",
            "s.toml",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(s.targets[0].levels, [Level::Processed, Level::Finalized]);
    }

    #[test]
    fn overrides_apply_and_are_checked() {
        let ov = Overrides {
            url: Some("http://127.0.0.1:8899".into()),
            rate: Some(7.0),
            count: Some(3),
            ..Default::default()
        };
        let s = parse(GOOD, "s.toml", &ov).unwrap();
        assert_eq!(s.load.rate.per_second(), 7.0);
        assert_eq!(s.load.end, End::Count(3));
        assert_eq!(
            s.targets[0].endpoint,
            Endpoint::Attach {
                url: "http://127.0.0.1:8899".into(),
                ws_url: "ws://127.0.0.1:8899".into()
            }
        );
        let bad = Overrides {
            rate: Some(0.0),
            ..Default::default()
        };
        assert_eq!(
            parse(GOOD, "s.toml", &bad).unwrap_err().to_string(),
            "<command line>: --rate: must be a number greater than 0"
        );
    }

    #[test]
    fn the_websocket_follows_a_url_given_on_the_command_line() {
        let file = "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[evm]\nurl = \"http://127.0.0.1:8545\"\nws_url = \"ws://127.0.0.1:8545\"\n";
        let ov = Overrides {
            url: Some("http://127.0.0.1:9999".into()),
            ..Default::default()
        };
        let s = parse(file, "s", &ov).unwrap();
        assert_eq!(
            s.targets[0].endpoint,
            Endpoint::Attach {
                url: "http://127.0.0.1:9999".into(),
                ws_url: "ws://127.0.0.1:9999".into()
            }
        );
        let ov = Overrides {
            url: Some("http://127.0.0.1:9999".into()),
            ws_url: Some("ws://127.0.0.1:7777".into()),
            ..Default::default()
        };
        let s = parse(file, "s", &ov).unwrap();
        assert!(
            matches!(&s.targets[0].endpoint, Endpoint::Attach { ws_url, .. } if ws_url == "ws://127.0.0.1:7777")
        );
    }

    #[test]
    fn the_drain_covers_the_strongest_level_asked() {
        let s = parse(GOOD, "s.toml", &Overrides::default()).unwrap();
        // 2 s blocks, 32-slot epochs, finalized: (64 + 2) x 2 s x 1.25 + 10 s.
        assert_eq!(s.targets[0].drain(None), Duration::from_secs(175));
        let included = GOOD.replace(
            "block_time = \"2s\"",
            "block_time = \"2s\"\nlevels = [\"included\"]",
        );
        let s = parse(&included, "s.toml", &Overrides::default()).unwrap();
        assert_eq!(s.targets[0].drain(None), Duration::from_secs(15));
        assert_eq!(
            s.targets[0].drain(Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        let sol = parse(
            "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[solana]\n",
            "s",
            &Overrides::default(),
        )
        .unwrap();
        // 152 blocks of blockhash validity at 0.4 s, x 1.5, + 10 s.
        let d = sol.targets[0].drain(None).as_secs_f64();
        assert!((d - 101.2).abs() < 0.01, "{d}");
    }

    #[test]
    fn fee_market_bids_are_checked_with_their_place() {
        let e = err(
            "name = \"t\"\n[workload.bids]\nrange = [5, 1]\n[load]\nrate = 1\ncount = 1\n[evm]\n",
        );
        assert!(
            e.starts_with("s.toml:2:1: workload.bids.range: [5, 1]: the lowest bid comes first"),
            "{e}"
        );
        let e = err("name = \"t\"\n[workload.bids]\nlist = [1, 2]\n[load]\nrate = 1\ncount = 1\n[solana]\ncompute_unit_price = 5\n");
        assert!(
            e.contains("solana.compute_unit_price: workload.bids sets the price"),
            "{e}"
        );
        let ok = parse(
            "name = \"t\"\n[workload.bids]\nrange = [0, 100]\ndistribution = \"uniform\"\nbins = 4\n[load]\nrate = 1\ncount = 1\n[evm]\n",
            "s",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            ok.bids,
            Some(Bids::Uniform {
                lo: 0,
                hi: 100,
                bins: 4
            })
        );
    }

    #[test]
    fn an_unknown_workload_is_located() {
        let e =
            err("name = \"t\"\n[workload]\nkind = \"swap\"\n[load]\nrate = 1\ncount = 1\n[evm]\n");
        assert!(
            e.starts_with("s.toml:3:8: workload.kind: unknown variant `swap`"),
            "{e}"
        );
        let ok = parse(
            "name = \"t\"\n[workload]\nkind = \"token\"\n[load]\nrate = 1\ncount = 1\n[evm]\n",
            "s",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(ok.workload, WorkloadKind::Token);
    }

    #[test]
    fn too_many_accounts_are_refused_with_the_limit() {
        let e = err(
            "name = \"t\"\n[accounts]\ncount = 100000000\n[load]\nrate = 1\ncount = 1\n[evm]\n",
        );
        assert!(
            e.starts_with(
                "s.toml:3:9: accounts.count: 100000000 is more than chainmeter funds (65536)"
            ),
            "{e}"
        );
    }

    #[test]
    fn solana_ws_defaults_to_rpc_port_plus_one() {
        let s = parse("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[solana]\nurl = \"http://127.0.0.1:8899\"\n", "s", &Overrides::default()).unwrap();
        assert_eq!(
            s.targets[0].endpoint,
            Endpoint::Attach {
                url: "http://127.0.0.1:8899".into(),
                ws_url: "ws://127.0.0.1:8900".into()
            }
        );
    }

    #[test]
    fn prices_need_a_source() {
        let e =
            err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[evm]\n[prices]\neth_usd = 3000.0\n");
        assert!(e.contains("prices.source"), "{e}");
    }
}
