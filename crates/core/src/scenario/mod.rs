//! Scenario files: the TOML a user writes, and the checked [`Scenario`] a run uses.
//!
//! Parsing is in two steps. [`ScenarioFile`] (`file`) mirrors the TOML exactly
//! (unknown fields are errors, every value keeps its place in the file);
//! `validate` turns it into a [`Scenario`] (`model`) whose types admit no
//! invalid value. Each chain's section is read and checked by the chain's
//! crate through a [`Section`] (`section`). Every error names the file,
//! line, column and field (`location`).

mod file;
mod load;
mod model;
mod validate;

pub use crate::section::set::{BadSetting, Setting};
pub use crate::section::{Location, Overrides, ScenarioError, Section};
pub use file::*;
pub use model::*;
pub use validate::seed_number;

use crate::{chain::plugin::Chain, section::location::toml_error};
use std::path::Path;
use validate::Validator;

/// Reads and validates the scenario at `path`, applying `overrides`; its
/// chain sections may name any of `chains`.
pub fn load(
    path: &Path,
    overrides: &Overrides,
    chains: &[&dyn Chain],
) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, &path.display().to_string(), overrides, chains).map(|mut s| {
        s.path = Some(path.to_owned());
        s
    })
}

/// Parses and validates scenario `text` with the overrides' `--set` keys
/// written in; `source` names it in errors.
pub fn parse(
    text: &str,
    source: &str,
    overrides: &Overrides,
    chains: &[&dyn Chain],
) -> Result<Scenario, ScenarioError> {
    if overrides.sets.is_empty() {
        return parse_text(text, source, overrides, chains);
    }
    match crate::section::set::Edited::apply(text, &overrides.sets)? {
        Some(edited) => {
            parse_text(&edited.text, source, overrides, chains).map_err(|e| edited.blame(e))
        }
        // Not TOML: the plain parse says where.
        None => parse_text(text, source, overrides, chains),
    }
}

fn parse_text(
    text: &str,
    source: &str,
    overrides: &Overrides,
    chains: &[&dyn Chain],
) -> Result<Scenario, ScenarioError> {
    let file: ScenarioFile = toml::from_str(text).map_err(|e| toml_error(text, source, &e))?;
    Validator {
        text,
        source,
        chains,
    }
    .validate(file, overrides)
}

/// A TOML or type error, with its place and the field there.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        bids::Bids,
        chain::plugin::{Attach, ChainError, ChainTarget, Connect, LocalNode},
        chain::{AnySubmitter, BoxFuture, Session},
        spec::{ChainSpec, FeeUnit},
    };
    use chainmeter_result::level::Level;
    use serde::Deserialize;
    use std::{borrow::Cow, sync::Arc, time::Duration};

    /// A chain whose section has levels, a URL and a price, as real ones do.
    struct Fake;

    static FAKE: ChainSpec = ChainSpec {
        name: "fake",
        levels: &[Level::new("seen"), Level::new("settled")],
        fee_unit: FeeUnit {
            unit: Cow::Borrowed("crumbs"),
            coin: Cow::Borrowed("FAK"),
            decimals: 6,
            small: Cow::Borrowed("crumbs"),
            small_decimals: 0,
            bid: Cow::Borrowed("crumbs per step"),
        },
    };

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct FakeFile {
        url: Option<String>,
        ws_url: Option<String>,
        levels: Option<toml::Spanned<Vec<Level>>>,
        price: Option<u64>,
        depth: Option<toml::Spanned<u32>>,
    }

    /// `[workload.token]`, as the fake chain offers it.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TokenSettings {
        decimals: Option<toml::Spanned<u8>>,
    }

    #[derive(Debug)]
    struct FakeTarget {
        levels: Vec<Level>,
        attach: Option<Attach>,
    }

    impl Chain for Fake {
        fn spec(&self) -> &'static ChainSpec {
            &FAKE
        }
        fn target(&self, section: &Section<'_>) -> Result<Arc<dyn ChainTarget>, ScenarioError> {
            let entries: Vec<Section<'_>> = match section.mix() {
                Some(m) => (0..m.entries().len())
                    .filter_map(|i| section.entry(i))
                    .collect(),
                None => vec![section.clone()],
            };
            for section in &entries {
                let offered = ["transfer", "token"];
                if !offered.contains(&section.workload().as_str()) {
                    return Err(section.unknown_workload(&offered));
                }
                if section.workload().as_str() == "token" {
                    let t: Option<TokenSettings> = section.workload_settings()?;
                    if let Some(d) = t.and_then(|t| t.decimals).filter(|d| *d.get_ref() > 18) {
                        return Err(section.error(d.span(), "", "at most 18 decimals"));
                    }
                }
            }
            let mut f: FakeFile = section.parse()?;
            section.no_price_with_bids("price", f.price.is_some())?;
            if let Some(d) = f.depth.as_ref().filter(|d| *d.get_ref() == 0) {
                return Err(section.error(d.span(), "depth", "must be at least 1"));
            }
            let levels = section.levels(&mut f.levels)?;
            let attach = section.attach(&mut f.url, &mut f.ws_url, |scheme, rest| {
                Some(format!("{scheme}{rest}"))
            })?;
            Ok(Arc::new(FakeTarget { levels, attach }))
        }
    }

    impl ChainTarget for FakeTarget {
        fn spec(&self) -> &'static ChainSpec {
            &FAKE
        }
        fn levels(&self) -> &[Level] {
            &self.levels
        }
        fn attach(&self) -> Option<&Attach> {
            self.attach.as_ref()
        }
        fn default_drain(&self, _: Option<&chainmeter_result::run::ChainParameters>) -> Duration {
            Duration::from_secs(9)
        }
        fn as_run(&self) -> serde_json::Value {
            serde_json::json!({ "levels": self.levels })
        }
        fn start_local(&self, _: std::path::PathBuf) -> BoxFuture<Result<LocalNode, ChainError>> {
            Box::pin(async { Err("no node".into()) })
        }
        fn connect(&self, _: Connect) -> BoxFuture<Result<Session<AnySubmitter>, ChainError>> {
            Box::pin(async { Err("no chain".into()) })
        }
    }

    const CHAINS: &[&dyn Chain] = &[&Fake];

    const GOOD: &str = r#"
name = "t"
[load]
rate = 100
duration = "10s"
[fake]
"#;

    fn ok(text: &str, ov: &Overrides) -> Scenario {
        parse(text, "s.toml", ov, CHAINS).unwrap()
    }

    fn err(text: &str) -> String {
        parse(text, "s.toml", &Overrides::default(), CHAINS)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_are_filled_in() {
        let s = ok(GOOD, &Overrides::default());
        assert_eq!(s.accounts.get(), 32);
        assert_eq!(
            s.load.profile,
            Profile::Constant {
                rate: Rate::new(100.0).unwrap(),
                end: End::After(Duration::from_secs(10))
            }
        );
        assert_eq!(s.targets.len(), 1);
        let t = &s.targets[0];
        assert_eq!(t.levels(), FAKE.levels);
        assert_eq!(t.attach(), None);
        assert_eq!(s.as_run["fake"]["levels"][1], "settled");
        assert!(s.as_run["load"].get("drain_timeout").is_none());
        assert_eq!(s.load.coalesce, Duration::from_millis(1));
        assert_eq!(t.drain(s.load.drain_timeout, None), Duration::from_secs(9));
        assert_eq!(
            t.drain(Some(Duration::from_secs(3)), None),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn unknown_field_names_file_line_and_field() {
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 5\nbogus = 3\n[fake]\n");
        assert!(
            e.starts_with("s.toml:5:1: load.bogus: unknown field `bogus`"),
            "{e}"
        );
    }

    #[test]
    fn a_chain_section_reports_its_own_errors_with_their_place() {
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 5\n[fake]\nbogus = 3\n");
        assert!(
            e.starts_with("s.toml:6:1: fake.bogus: unknown field `bogus`"),
            "{e}"
        );
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 5\n[fake]\ndepth = 0\n");
        assert_eq!(e, "s.toml:6:9: fake.depth: must be at least 1");
    }

    #[test]
    fn an_unknown_section_names_the_chains() {
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 5\n[cosmos]\n");
        assert!(
            e.starts_with("s.toml:5:2: cosmos: unknown section or field `cosmos`"),
            "{e}"
        );
        assert!(e.contains("[fake]"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = err("name = \"t\"\n[load]\nrate = \"fast\"\ncount = 5\n[fake]\n");
        assert!(
            e.starts_with("s.toml:3:8: load.rate: invalid type: string"),
            "{e}"
        );
    }

    #[test]
    fn zero_rate_is_refused_with_its_place() {
        let e = err("name = \"t\"\n[load]\nrate = 0\ncount = 5\n[fake]\n");
        assert_eq!(
            e,
            "s.toml:3:8: load.rate: must be a number greater than 0 (transactions per second)"
        );
    }

    #[test]
    fn a_coalescing_window_past_its_limit_is_refused_with_its_place() {
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 5\ncoalesce = \"1s\"\n[fake]\n");
        assert_eq!(
            e,
            "s.toml:5:12: load.coalesce: at most 50 ms: it sends transactions up to that much ahead of their time"
        );
        let s = ok(
            "name = \"t\"\n[load]\nrate = 1\ncount = 5\ncoalesce = \"0s\"\n[fake]\n",
            &Overrides::default(),
        );
        assert_eq!(s.load.coalesce, Duration::ZERO);
    }

    #[test]
    fn bad_duration_is_explained() {
        let e = err("name = \"t\"\n[load]\nrate = 1\nduration = \"ten\"\n[fake]\n");
        assert!(e.contains("load.duration: invalid duration \"ten\""), "{e}");
    }

    #[test]
    fn duration_and_count_are_exclusive_and_one_is_required() {
        assert!(
            err("name = \"t\"\n[load]\nrate = 1\nduration = \"1s\"\ncount = 3\n[fake]\n")
                .contains("not both")
        );
        assert!(err("name = \"t\"\n[load]\nrate = 1\n[fake]\n")
            .contains("give load.duration or load.count"));
    }

    #[test]
    fn a_chain_is_required_and_levels_must_belong_to_it() {
        assert!(err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n").contains("no chain"));
        let e =
            err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[fake]\nlevels = [\"confirmed\"]\n");
        assert!(
            e.contains(
                "s.toml:6:10: fake.levels: confirmed is not a fake level; use seen, settled"
            ),
            "{e}"
        );
    }

    #[test]
    fn levels_are_put_in_the_chains_order() {
        let s = ok(
            "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[fake]\nlevels = [\"settled\", \"seen\", \"seen\"]\n",
            &Overrides::default(),
        );
        assert_eq!(
            s.targets[0].levels(),
            [Level::new("seen"), Level::new("settled")]
        );
    }

    #[test]
    fn overrides_apply_and_are_checked() {
        let ov = Overrides {
            url: Some("http://127.0.0.1:8899".into()),
            rate: Some(7.0),
            count: Some(3),
            ..Default::default()
        };
        let s = ok(GOOD, &ov);
        assert_eq!(
            s.load.profile,
            Profile::Constant {
                rate: Rate::new(7.0).unwrap(),
                end: End::Count(3)
            }
        );
        assert_eq!(
            s.targets[0].attach(),
            Some(&Attach {
                url: "http://127.0.0.1:8899".into(),
                ws_url: "ws://127.0.0.1:8899".into()
            })
        );
        let bad = Overrides {
            rate: Some(0.0),
            ..Default::default()
        };
        assert_eq!(
            parse(GOOD, "s.toml", &bad, CHAINS).unwrap_err().to_string(),
            "<command line>: --rate: must be a number greater than 0"
        );
    }

    #[test]
    fn a_set_key_is_checked_as_the_files_and_errors_name_the_flag() {
        let set = |given: &[&str]| Overrides {
            sets: given.iter().map(|g| g.parse().unwrap()).collect(),
            ..Default::default()
        };
        let file = "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[fake]\nlevels = [\"seen\"]\n";
        // The flag wins over the file's value, and a later flag over an earlier.
        let s = ok(file, &set(&["load.rate=5", "load.rate=9", "load.count=4"]));
        assert_eq!(
            s.load.profile,
            Profile::Constant {
                rate: Rate::new(9.0).unwrap(),
                end: End::Count(4)
            }
        );
        // A nested key the file lacks: its tables are made.
        let s = ok(file, &set(&["workload.bids.list=[1, 2]"]));
        assert!(
            s.as_run.to_string().contains("\"list\":[1,2]"),
            "{}",
            s.as_run
        );
        let e = |given: &[&str]| {
            parse(file, "s.toml", &set(given), CHAINS)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e(&["load.rate=fast"]),
            "--set load.rate=fast: load.rate: invalid type: string \"fast\", expected f64"
        );
        let unknown = e(&["load.rat=5"]);
        assert!(
            unknown.starts_with("--set load.rat=5: load")
                && unknown.contains("unknown field `rat`"),
            "{unknown}"
        );
        // An error the flags did not cause keeps the file's own line.
        let e = parse(
            "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[fake]\nlevels = [\"confirmed\"]\n",
            "s.toml",
            &set(&["load.count=2"]),
            CHAINS,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("s.toml:6:10: fake.levels"), "{e}");
    }

    #[test]
    fn the_websocket_follows_a_url_given_on_the_command_line() {
        let file = "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[fake]\nurl = \"http://127.0.0.1:8545\"\nws_url = \"ws://127.0.0.1:8545\"\n";
        let ov = Overrides {
            url: Some("http://127.0.0.1:9999".into()),
            ..Default::default()
        };
        let s = ok(file, &ov);
        assert_eq!(s.targets[0].attach().unwrap().ws_url, "ws://127.0.0.1:9999");
        let ov = Overrides {
            url: Some("http://127.0.0.1:9999".into()),
            ws_url: Some("ws://127.0.0.1:7777".into()),
            ..Default::default()
        };
        let s = ok(file, &ov);
        assert_eq!(s.targets[0].attach().unwrap().ws_url, "ws://127.0.0.1:7777");
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[fake]\nurl = \"ftp://x\"\n");
        assert!(e.contains("fake.url: \"ftp://x\" is not an http://"), "{e}");
    }

    #[test]
    fn fee_market_bids_are_checked_with_their_place() {
        let e = err(
            "name = \"t\"\n[workload.bids]\nrange = [5, 1]\n[load]\nrate = 1\ncount = 1\n[fake]\n",
        );
        assert!(
            e.starts_with("s.toml:2:1: workload.bids.range: [5, 1]: the lowest bid comes first"),
            "{e}"
        );
        let e = err("name = \"t\"\n[workload.bids]\nlist = [1, 2]\n[load]\nrate = 1\ncount = 1\n[fake]\nprice = 5\n");
        assert!(
            e.contains("fake.price: workload.bids sets the price"),
            "{e}"
        );
        let s = ok(
            "name = \"t\"\n[workload.bids]\nrange = [0, 100]\ndistribution = \"uniform\"\nbins = 4\n[load]\nrate = 1\ncount = 1\n[fake]\n",
            &Overrides::default(),
        );
        assert_eq!(
            s.bids,
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
            err("name = \"t\"\n[workload]\nkind = \"swap\"\n[load]\nrate = 1\ncount = 1\n[fake]\n");
        assert_eq!(
            e,
            "s.toml:3:8: workload.kind: fake offers no `swap` workload; it offers transfer, token"
        );
        let s = ok(
            "name = \"t\"\n[workload]\nkind = \"token\"\n[workload.token]\ndecimals = 6\n[load]\nrate = 1\ncount = 1\n[fake]\n",
            &Overrides::default(),
        );
        assert_eq!(s.workload.as_str(), "token");
        // The kind's settings are in the scenario as run.
        assert_eq!(s.as_run["workload"]["token"]["decimals"], 6);
    }

    #[test]
    fn a_mix_is_checked_entry_by_entry_with_its_places() {
        let text = |mix: &str| {
            format!("name = \"t\"\n[workload]\nvalue = 2\n{mix}[workload.token]\ndecimals = 6\n[load]\nrate = 1\ncount = 1\n[fake]\n")
        };
        let two = "[[workload.mix]]\nkind = \"transfer\"\nshare = 0.7\n[[workload.mix]]\nkind = \"token\"\nshare = 0.3\n";
        let s = ok(&text(two), &Overrides::default());
        assert_eq!(s.workload.as_str(), "mix");
        let m = s.mix.as_ref().unwrap();
        let kinds: Vec<_> = m
            .entries()
            .iter()
            .map(|e| (e.kind.as_str(), e.share))
            .collect();
        assert_eq!(kinds, [("transfer", 0.7), ("token", 0.3)]);
        assert_eq!(s.as_run["workload"]["kind"], "mix");
        assert_eq!(s.as_run["workload"]["token"]["decimals"], 6);
        assert_eq!(s.as_run["workload"]["mix"][1]["share"], 0.3);

        let e = err(&text("[[workload.mix]]\nkind = \"transfer\"\nshare = 0.7\n[[workload.mix]]\nkind = \"token\"\nshare = 0.2\n"));
        assert!(
            e.contains("workload.mix: the shares sum to 0.8999999999999999 (0.7 + 0.2); they must sum to 1"),
            "{e}"
        );
        assert!(e.starts_with("s.toml:4:"), "{e}");
        let e = err(&text("[[workload.mix]]\nkind = \"token\"\nshare = 0.7\n[[workload.mix]]\nkind = \"swap\"\nshare = 0.3\n"));
        assert!(
            e.starts_with("s.toml:8:8: workload.kind: fake offers no `swap` workload; it offers transfer, token"),
            "{e}"
        );
        let e = err(&text("[[workload.mix]]\nkind = \"transfer\"\nshare = 0.7\n[[workload.mix]]\nkind = \"transfer\"\nshare = 0.3\n"));
        assert!(
            e.starts_with("s.toml:8:8: workload.mix[1].kind: `transfer` is entry 0's too"),
            "{e}"
        );
        let e = err(&text(
            "[[workload.mix]]\nkind = \"transfer\"\nshare = 1.5\n",
        ));
        assert!(
            e.starts_with(
                "s.toml:6:9: workload.mix[0].share: 1.5: a share is above 0 and at most 1"
            ),
            "{e}"
        );
        let e = err("name = \"t\"\n[workload]\nkind = \"token\"\n[[workload.mix]]\nkind = \"transfer\"\nshare = 1.0\n[load]\nrate = 1\ncount = 1\n[fake]\n");
        assert!(
            e.starts_with("s.toml:3:8: workload.kind: `token` beside [[workload.mix]]"),
            "{e}"
        );
        // A settings table of a kind the mix does not run.
        let e = err("name = \"t\"\n[[workload.mix]]\nkind = \"transfer\"\nshare = 1.0\n[workload.token]\ndecimals = 6\n[load]\nrate = 1\ncount = 1\n[fake]\n");
        assert!(
            e.contains(
                "workload.token: settings of the `token` workload, but its mix runs transfer"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_workloads_settings_are_checked_by_its_chain_with_their_place() {
        let e = err("name = \"t\"\n[workload]\nkind = \"token\"\n[workload.token]\nbogus = 1\n[load]\nrate = 1\ncount = 1\n[fake]\n");
        assert!(
            e.starts_with("s.toml:5:1: workload.token.bogus: unknown field `bogus`"),
            "{e}"
        );
        let e = err("name = \"t\"\n[workload]\nkind = \"token\"\n[workload.token]\ndecimals = 30\n[load]\nrate = 1\ncount = 1\n[fake]\n");
        assert!(e.starts_with("s.toml:5:12: "), "{e}");
        assert!(e.ends_with("at most 18 decimals"), "{e}");
        // Another kind's settings, or a key that is neither, are refused by the scenario.
        let e = err("name = \"t\"\n[workload]\nkind = \"transfer\"\n[workload.token]\ndecimals = 6\n[load]\nrate = 1\ncount = 1\n[fake]\n");
        assert_eq!(
            e,
            "s.toml:4:11: workload.token: settings of the `token` workload, but the scenario runs `transfer` (workload.kind)"
        );
        let e = err("name = \"t\"\n[workload]\nvalu = 3\n[load]\nrate = 1\ncount = 1\n[fake]\n");
        assert!(
            e.starts_with("s.toml:3:1: workload.valu: unknown field `valu`"),
            "{e}"
        );
    }

    #[test]
    fn too_many_accounts_are_refused_with_the_limit() {
        let e = err(
            "name = \"t\"\n[accounts]\ncount = 100000000\n[load]\nrate = 1\ncount = 1\n[fake]\n",
        );
        assert!(
            e.starts_with(
                "s.toml:3:9: accounts.count: 100000000 is more than chainmeter funds (65536)"
            ),
            "{e}"
        );
    }

    fn load_err(load: &str) -> String {
        err(&format!("name = \"t\"\n[load]\n{load}\n[fake]\n"))
    }

    #[test]
    fn ramps_steps_and_searches_are_checked_with_their_place() {
        let e = load_err("profile = \"ramp\"\nfrom = 500\nto = 100\nduration = \"10s\"");
        assert!(
            e.starts_with("s.toml:5:6: load.to: 100 is below load.from (500); for a ramp down, say direction = \"down\""),
            "{e}"
        );
        let s = ok(
            "name = \"t\"\n[load]\nprofile = \"ramp\"\nfrom = 500\nto = 100\nduration = \"10s\"\ndirection = \"down\"\n[fake]\n",
            &Overrides::default(),
        );
        assert!(matches!(s.load.profile, Profile::Ramp { .. }));
        let e = load_err("profile = \"steps\"\nrates = []\nstep = \"5s\"");
        assert!(
            e.starts_with("s.toml:4:9: load.rates: name at least one rate"),
            "{e}"
        );
        let e = load_err("profile = \"steps\"\nrates = [100]");
        assert!(e.contains("load.step: steps need their length"), "{e}");
        let e = load_err("profile = \"steps\"\nrate = 100\nrates = [100]\nstep = \"5s\"");
        assert!(
            e.contains("load.rate: does not apply to a steps profile"),
            "{e}"
        );
        let e = load_err("profile = \"saturate\"");
        assert!(
            e.contains("load.saturate: a saturate profile needs [load.saturate]"),
            "{e}"
        );
        let search = "profile = \"saturate\"\n[load.saturate]\nfrom = 100\nto = 1000";
        let e = load_err(&format!(
            "{search}\n[load.objective]\nlevel = \"confirmed\""
        ));
        assert!(
            e.starts_with("s.toml:8:9: load.objective.level: confirmed is not a level recorded on fake (it records seen, settled)"),
            "{e}"
        );
        let e = load_err(&format!("{search}\n[load.objective]\nlanded = 99"));
        assert!(
            e.contains("load.objective.landed: must be a share above 0 and at most 1"),
            "{e}"
        );
        let e = load_err(&format!("{search}\nfactor = 1"));
        assert!(
            e.contains("load.saturate.factor: must be greater than 1"),
            "{e}"
        );
        let s = ok(
            &format!(
                "name = \"t\"\n[load]\n{search}\n[load.objective]\nlevel = \"settled\"\n[fake]\n"
            ),
            &Overrides::default(),
        );
        let Profile::Saturate(sat) = &s.load.profile else {
            panic!("{:?}", s.load.profile)
        };
        assert_eq!((sat.factor, sat.max_probes), (1.5, 12));
        assert_eq!(sat.objective.level, Some(Level::new("settled")));
        assert_eq!(s.as_run["load"]["objective"]["landed"], 0.99);
        let bad = Overrides {
            rate: Some(5.0),
            ..Default::default()
        };
        let e = parse(
            &format!("name = \"t\"\n[load]\n{search}\n[fake]\n"),
            "s.toml",
            &bad,
            CHAINS,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "<command line>: --rate: does not apply to a saturate profile"
        );
    }

    #[test]
    fn prices_are_per_coin_and_need_a_source() {
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[fake]\n[prices]\nfak_usd = 3.0\n");
        assert!(e.contains("prices.source"), "{e}");
        let e = err("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[fake]\n[prices]\neth_usd = 3.0\nsource = \"x\"\n");
        assert!(
            e.contains("prices.eth_usd: not a coin's price; use fak_usd"),
            "{e}"
        );
        let s = ok(
            "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[fake]\n[prices]\nfak_usd = 3.0\nsource = \"x\"\n",
            &Overrides::default(),
        );
        assert_eq!(s.prices.unwrap().usd_per_coin(&FAKE.fee_unit), Some(3.0));
    }
}
