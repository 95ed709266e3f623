//! The `[evm]` section of a scenario file, checked into a [`ChainTarget`]:
//! anvil's options or the node to attach to, and how to prepare a run.

use crate::{spec::SPEC, workload::Plan};
use chainmeter_core::{
    plugin::{Attach, Chain, ChainTarget},
    scenario::{HumanDuration, ScenarioError, Section},
    ChainSpec, Level,
};
use serde::{Deserialize, Serialize};
use std::{path::PathBuf, sync::Arc, time::Duration};
use toml::Spanned;

/// The EVM, as the binary lists it.
#[derive(Debug, Clone, Copy)]
pub struct Evm;

/// `[evm]`: the EVM chain to run against, as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EvmFile {
    /// Attach to this JSON-RPC URL instead of starting anvil.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// WebSocket URL for block notifications and sending; default: `url` with ws:// instead of http://.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ws_url: Option<String>,
    /// Levels to wait for, weakest first (default all: included, safe, finalized).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Spanned<Vec<Level>>>,
    /// Local anvil: seconds between blocks (default "1s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_time: Option<Spanned<HumanDuration>>,
    /// Local anvil: slots per epoch; `safe` trails by one epoch, `finalized` by two (default 32).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots_in_an_epoch: Option<Spanned<u64>>,
    /// Local anvil: block gas limit (default 30,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_limit: Option<Spanned<u64>>,
    /// Priority fee (tip) per gas, in wei (default 1 gwei).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_fee: Option<u64>,
    /// With transactions pending and no new block for this long, the run
    /// stops: the node is taken to have stopped producing blocks (default
    /// "15s", and at least ten block intervals). Raise it to measure a chain
    /// halt as latency instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_block_timeout: Option<Spanned<HumanDuration>>,
    /// Local anvil: this anvil binary instead of the one found (`$ANVIL`,
    /// `PATH`, the install script's), relative to the scenario file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<Spanned<PathBuf>>,
}

/// anvil as chainmeter starts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnvilOptions {
    /// The binary, when the scenario names one.
    pub binary: Option<PathBuf>,
    /// Time between blocks.
    pub block_time: Duration,
    /// Slots per epoch; safe trails one epoch, finalized two.
    pub slots_in_an_epoch: u64,
    /// Block gas limit.
    pub gas_limit: u64,
}

/// A checked `[evm]` section.
#[derive(Debug, Clone)]
pub struct EvmTarget {
    /// Where the chain is: attached, or anvil started with these options.
    pub endpoint: Result<Attach, AnvilOptions>,
    /// Levels to record, weakest first.
    pub levels: Vec<Level>,
    /// Tip per gas, wei.
    pub priority_fee: u64,
    /// No new block for this long with transactions pending ends the run.
    pub no_block_timeout: Duration,
    /// What each transaction does, checked.
    pub(crate) workload: Arc<dyn Plan>,
    pub(crate) as_run: serde_json::Value,
}

/// Added to every derived drain: the last receipts and tag reads.
pub(crate) const DRAIN_SLACK: Duration = Duration::from_secs(10);

impl Chain for Evm {
    fn spec(&self) -> &'static ChainSpec {
        &SPEC
    }

    fn target(&self, section: &Section<'_>) -> Result<Arc<dyn ChainTarget>, ScenarioError> {
        let mut f: EvmFile = section.parse()?;
        let workload = crate::workload::check(section)?;
        section.no_price_with_bids("priority_fee", f.priority_fee.is_some())?;
        let levels = section.levels(&mut f.levels)?;
        let attach = section.attach(&mut f.url, &mut f.ws_url, |scheme, rest| {
            Some(format!("{scheme}{rest}"))
        })?;
        let binary = section.node_binary(f.binary.as_ref(), attach.is_some())?;
        let endpoint = match attach {
            Some(a) => Ok(a),
            None => {
                let block_time = f
                    .block_time
                    .get_or_insert(Spanned::new(0..0, HumanDuration(Duration::from_secs(1))));
                if block_time.get_ref().0.as_millis() < 1 {
                    return Err(section.error(
                        block_time.span(),
                        "block_time",
                        "must be at least 1ms (anvil mines on a timer)",
                    ));
                }
                let epoch = f.slots_in_an_epoch.get_or_insert(Spanned::new(0..0, 32));
                if *epoch.get_ref() == 0 {
                    return Err(section.error(
                        epoch.span(),
                        "slots_in_an_epoch",
                        "must be at least 1",
                    ));
                }
                let gas = f.gas_limit.get_or_insert(Spanned::new(0..0, 30_000_000));
                if *gas.get_ref() < 21_000 {
                    return Err(section.error(
                        gas.span(),
                        "gas_limit",
                        "must hold at least one transfer (21000)",
                    ));
                }
                Err(AnvilOptions {
                    binary,
                    block_time: block_time.get_ref().0,
                    slots_in_an_epoch: *epoch.get_ref(),
                    gas_limit: *gas.get_ref(),
                })
            }
        };
        let priority_fee = *f.priority_fee.get_or_insert(1_000_000_000);
        let stall = f
            .no_block_timeout
            .get_or_insert(Spanned::new(0..0, HumanDuration(Duration::from_secs(15))));
        if stall.get_ref().0 < Duration::from_secs(1) {
            return Err(section.error(stall.span(), "no_block_timeout", "must be at least 1s"));
        }
        let no_block_timeout = stall.get_ref().0;
        Ok(Arc::new(EvmTarget {
            endpoint,
            levels,
            priority_fee,
            no_block_timeout,
            workload,
            as_run: serde_json::to_value(&f).expect("the [evm] section serializes"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainmeter_core::{
        plugin::Chain,
        scenario::{self, Overrides, Scenario},
    };

    const GOOD: &str =
        "name = \"t\"\n[load]\nrate = 100\nduration = \"10s\"\n[evm]\nblock_time = \"2s\"\n";

    fn parse(text: &str) -> Result<Scenario, String> {
        scenario::parse(text, "s.toml", &Overrides::default(), &[&Evm as &dyn Chain])
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_filled_in_and_the_drain_covers_the_strongest_level() {
        let s = parse(GOOD).unwrap();
        let t = &s.targets[0];
        assert_eq!(t.levels(), SPEC.levels);
        assert_eq!(s.as_run["evm"]["slots_in_an_epoch"], 32);
        assert_eq!(s.as_run["evm"]["gas_limit"], 30_000_000);
        // 2 s blocks, 32-slot epochs, finalized: (64 + 2) x 2 s x 1.25 + 10 s.
        assert_eq!(t.drain(None, None), Duration::from_secs(175));
        let included = GOOD.replace("block_time", "levels = [\"included\"]\nblock_time");
        let s = parse(&included).unwrap();
        assert_eq!(s.targets[0].drain(None, None), Duration::from_secs(15));
    }

    /// An attached node's drain follows what it showed at connect: its
    /// blocks' interval and how far its tag trails latest.
    #[test]
    fn an_attached_nodes_drain_comes_from_its_parameters() {
        let s = parse(
            "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[evm]\nurl = \"http://127.0.0.1:8545\"\n",
        )
        .unwrap();
        let t = &s.targets[0];
        let node = |interval_ms, finalized| chainmeter_result::run::ChainParameters::Evm {
            chain_id: 1,
            block_gas_limit: None,
            base_fee_wei: 0,
            latest_block: 1_000,
            safe_block: finalized,
            finalized_block: finalized,
            block_interval_ms: interval_ms,
        };
        // Nothing known: 1 s blocks, finalized two 32-block epochs behind.
        assert_eq!(
            t.drain(None, None),
            Duration::from_secs_f64(66.0 * 1.25 + 10.0)
        );
        // Hardhat: finalized is latest; 2 s blocks: (0 + 2) x 2 s x 1.25 + 10 s.
        let hardhat = node(Some(2_000.0), Some(1_000));
        assert_eq!(hardhat.behind("finalized"), Some(0));
        assert_eq!(t.drain(None, Some(&hardhat)), Duration::from_secs(15));
        // 96 blocks behind at 500 ms: (96 + 2) x 0.5 s x 1.25 + 10 s.
        let far = node(Some(500.0), Some(904));
        assert_eq!(
            t.drain(None, Some(&far)),
            Duration::from_secs_f64(98.0 * 0.625 + 10.0)
        );
        // A tag still at genesis says nothing of the distance.
        let young = node(None, Some(0));
        assert_eq!(young.behind("finalized"), None);
        assert_eq!(t.drain(None, Some(&young)), t.drain(None, None));
        // A drain the scenario gives is the scenario's.
        assert_eq!(
            t.drain(Some(Duration::from_secs(3)), Some(&far)),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn anvil_options_are_checked_with_their_place() {
        let e = parse(&GOOD.replace("\"2s\"", "\"0s\"")).unwrap_err();
        assert_eq!(
            e,
            "s.toml:6:14: evm.block_time: must be at least 1ms (anvil mines on a timer)"
        );
        let e = parse(&format!("{GOOD}gas_limit = 20000\n")).unwrap_err();
        assert!(
            e.contains("evm.gas_limit: must hold at least one transfer"),
            "{e}"
        );
        let e = parse(&format!("{GOOD}no_block_timeout = \"500ms\"\n")).unwrap_err();
        assert_eq!(e, "s.toml:7:20: evm.no_block_timeout: must be at least 1s");
        assert_eq!(
            parse(GOOD).unwrap().as_run["evm"]["no_block_timeout"],
            "15s"
        );
        let e = parse(&format!("{GOOD}levels = [\"confirmed\"]\n")).unwrap_err();
        assert!(
            e.contains("evm.levels: confirmed is not a evm level; use included, safe, finalized"),
            "{e}"
        );
    }

    #[test]
    fn the_websocket_is_the_rpc_url_with_ws() {
        let s = parse("name = \"t\"\n[load]\nrate = 1\ncount = 1\n[evm]\nurl = \"https://127.0.0.1:8545/x\"\n").unwrap();
        assert_eq!(
            s.targets[0].attach().unwrap().ws_url,
            "wss://127.0.0.1:8545/x"
        );
    }
}
