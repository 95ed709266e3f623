//! The `[solana]` section of a scenario file, checked into a
//! [`ChainTarget`]: solana-test-validator's options or the node to attach
//! to, how to send, and how to prepare a run.

use crate::spec::SPEC;
use chainmeter_core::{
    plugin::{Attach, Chain, ChainTarget},
    scenario::{ScenarioError, Section},
    ChainSpec, Level,
};
use serde::{Deserialize, Serialize};
use std::{path::PathBuf, sync::Arc, time::Duration};
use toml::Spanned;

/// The most compute units a transaction may ask for: the runtime clamps a
/// larger `SetComputeUnitLimit` to this (agave's `MAX_COMPUTE_UNIT_LIMIT`).
pub(crate) const MAX_COMPUTE_UNIT_LIMIT: u32 = 1_400_000;

/// Solana, as the binary lists it.
#[derive(Debug, Clone, Copy)]
pub struct Solana;

/// `[solana]`: the Solana cluster to run against, as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SolanaFile {
    /// Attach to this JSON-RPC URL instead of starting solana-test-validator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// PubSub WebSocket URL; default: the RPC port + 1, as solana-test-validator lays them out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ws_url: Option<String>,
    /// Levels to wait for, weakest first (default all: processed, confirmed, finalized).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Spanned<Vec<Level>>>,
    /// Local validator: ticks per slot (default 64, the validator's own default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticks_per_slot: Option<Spanned<u64>>,
    /// Local validator: slots per epoch (default: the validator's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots_per_epoch: Option<Spanned<u64>>,
    /// Send with `skipPreflight` (default true: preflight simulation costs the node CPU per transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_preflight: Option<bool>,
    /// `maxRetries` for the node's own rebroadcast (default: unset, the node decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<usize>,
    /// Priority fee: compute unit price in micro-lamports (default: none, no instruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_unit_price: Option<u64>,
    /// Compute unit limit (default: none, no instruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_unit_limit: Option<Spanned<u32>>,
    /// How levels are timed: `"events"` (slot notifications; falls back to
    /// polling when the node does not offer them) or `"poll"` (batched
    /// `getSignatureStatuses`). Default `"events"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<SolanaTracking>,
    /// How transactions reach the validator: `"rpc"` (`sendTransaction`
    /// JSON-RPC batches over HTTP, the default) or `"tpu"` (QUIC straight to
    /// the leader's TPU, as agave's bench-tps sends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<SendPath>,
    /// `send = "tpu"`: the keypair file (solana-keygen JSON) whose stake the
    /// QUIC connection carries. The TPU admits an unstaked connection 200
    /// transactions a second; default for a validator chainmeter starts:
    /// that validator's own identity, which holds all of its stake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpu_identity: Option<Spanned<PathBuf>>,
    /// Local validator: this solana-test-validator binary instead of the
    /// one found (`$SOLANA_TEST_VALIDATOR`, `PATH`, the install script's),
    /// relative to the scenario file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<Spanned<PathBuf>>,
}

/// How transactions reach the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SendPath {
    /// `sendTransaction` over HTTP JSON-RPC, batched.
    Rpc,
    /// QUIC to the current leader's TPU port, batched.
    Tpu,
}

/// How Solana levels are timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SolanaTracking {
    /// Slot notifications over WebSocket, exact to the event.
    Events,
    /// Batched status polling, exact to the polling interval.
    Poll,
}

/// solana-test-validator as chainmeter starts it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidatorOptions {
    /// The binary, when the scenario names one.
    pub binary: Option<PathBuf>,
    /// Ticks per slot.
    pub ticks_per_slot: Option<u64>,
    /// Slots per epoch.
    pub slots_per_epoch: Option<u64>,
}

/// A checked `[solana]` section.
#[derive(Debug, Clone)]
pub struct SolanaTarget {
    /// Where the cluster is: attached, or a validator started with these options.
    pub endpoint: Result<Attach, ValidatorOptions>,
    /// Levels to record, weakest first.
    pub levels: Vec<Level>,
    /// `skipPreflight`.
    pub skip_preflight: bool,
    /// `maxRetries`.
    pub max_retries: Option<usize>,
    /// Compute-unit price, micro-lamports.
    pub compute_unit_price: Option<u64>,
    /// Compute-unit limit.
    pub compute_unit_limit: Option<u32>,
    /// How levels are timed.
    pub tracking: SolanaTracking,
    /// How transactions are sent.
    pub send: SendPath,
    /// `send = "tpu"`: the staked identity's keypair file, when given.
    pub tpu_identity: Option<PathBuf>,
    /// What each transaction does.
    pub(crate) workload: Arc<dyn crate::workload::Plan>,
    pub(crate) as_run: serde_json::Value,
}

/// Blocks a blockhash stays valid for (`MAX_PROCESSING_AGE`), plus the one
/// that proves it passed.
pub(crate) const BLOCKHASH_BLOCKS: u32 = 152;
/// Slots the root trails the confirmed slot by on one validator (measured: 31-32).
pub(crate) const ROOT_LAG_SLOTS: u32 = 32;
/// solana-test-validator's tick rate: 64 ticks make its 0.4 s slot.
pub(crate) const TICKS_PER_SECOND: f64 = 160.0;
/// Slots run slower under load than idle (measured 0.5-0.6 s against 0.4 s).
pub(crate) const LOAD_SLOWDOWN: f64 = 1.5;
/// Added to every derived drain: the last block fetches and root notifications.
pub(crate) const DRAIN_SLACK: Duration = Duration::from_secs(10);

impl Chain for Solana {
    fn spec(&self) -> &'static ChainSpec {
        &SPEC
    }

    fn target(&self, section: &Section<'_>) -> Result<Arc<dyn ChainTarget>, ScenarioError> {
        let mut f: SolanaFile = section.parse()?;
        let workload = crate::workload::check(section)?;
        section.no_price_with_bids("compute_unit_price", f.compute_unit_price.is_some())?;
        let levels = section.levels(&mut f.levels)?;
        let attach = section.attach(&mut f.url, &mut f.ws_url, ws_from_rpc)?;
        let binary = section.node_binary(f.binary.as_ref(), attach.is_some())?;
        let endpoint = match attach {
            Some(a) => Ok(a),
            None => {
                for (field, v) in [
                    ("ticks_per_slot", &f.ticks_per_slot),
                    ("slots_per_epoch", &f.slots_per_epoch),
                ] {
                    if let Some(v) = v.as_ref().filter(|v| *v.get_ref() == 0) {
                        return Err(section.error(v.span(), field, "must be at least 1"));
                    }
                }
                Err(ValidatorOptions {
                    binary,
                    ticks_per_slot: f.ticks_per_slot.as_ref().map(|v| *v.get_ref()),
                    slots_per_epoch: f.slots_per_epoch.as_ref().map(|v| *v.get_ref()),
                })
            }
        };
        if let Some(limit) = f.compute_unit_limit.as_ref().filter(|l| *l.get_ref() == 0) {
            return Err(section.error(limit.span(), "compute_unit_limit", "must be at least 1"));
        }
        if let Some(limit) = f
            .compute_unit_limit
            .as_ref()
            .filter(|l| *l.get_ref() > MAX_COMPUTE_UNIT_LIMIT)
        {
            return Err(section.error(
                limit.span(),
                "compute_unit_limit",
                format!(
                    "{} is above the runtime's maximum of {MAX_COMPUTE_UNIT_LIMIT} units a transaction: the runtime would clamp it, and the result would record a limit that never applied",
                    limit.get_ref()
                ),
            ));
        }
        let send = *f.send.get_or_insert(SendPath::Rpc);
        if let Some(identity) = &f.tpu_identity {
            if send != SendPath::Tpu {
                return Err(section.error(
                    identity.span(),
                    "tpu_identity",
                    "applies only with send = \"tpu\"",
                ));
            }
            if !identity.get_ref().is_file() {
                return Err(section.error(
                    identity.span(),
                    "tpu_identity",
                    format!("no keypair file at {}", identity.get_ref().display()),
                ));
            }
        }
        let target = SolanaTarget {
            endpoint,
            levels,
            skip_preflight: *f.skip_preflight.get_or_insert(true),
            max_retries: f.max_retries,
            compute_unit_price: f.compute_unit_price,
            compute_unit_limit: f.compute_unit_limit.as_ref().map(|l| *l.get_ref()),
            tracking: *f.tracking.get_or_insert(SolanaTracking::Events),
            send,
            tpu_identity: f.tpu_identity.as_ref().map(|p| p.get_ref().clone()),
            workload,
            as_run: serde_json::Value::Null,
        };
        Ok(Arc::new(SolanaTarget {
            as_run: serde_json::to_value(&f).expect("the [solana] section serializes"),
            ..target
        }))
    }
}

/// solana-test-validator serves PubSub on the RPC port + 1.
fn ws_from_rpc(scheme: &str, rest: &str) -> Option<String> {
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let sep = if path.is_empty() { "" } else { "/" };
    Some(format!(
        "{scheme}{host}:{}{sep}{path}",
        port.checked_add(1)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainmeter_core::scenario::{self, Overrides, Scenario};

    fn parse(text: &str) -> Result<Scenario, String> {
        let head = "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[solana]\n";
        scenario::parse(
            &format!("{head}{text}"),
            "s.toml",
            &Overrides::default(),
            &[&Solana as &dyn Chain],
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn the_drain_outlasts_a_blockhash() {
        let s = parse("").unwrap();
        // 152 blocks of blockhash validity at 0.4 s, x 1.5, + 10 s.
        let d = s.targets[0].drain(None, None).as_secs_f64();
        assert!((d - 101.2).abs() < 0.01, "{d}");
        assert_eq!(s.as_run["solana"]["tracking"], "events");
    }

    #[test]
    fn the_websocket_defaults_to_the_rpc_port_plus_one() {
        let s = parse("url = \"http://127.0.0.1:8899\"\n").unwrap();
        assert_eq!(
            s.targets[0].attach(),
            Some(&Attach {
                url: "http://127.0.0.1:8899".into(),
                ws_url: "ws://127.0.0.1:8900".into()
            })
        );
        let e = parse("url = \"http://localhost\"\n").unwrap_err();
        assert!(e.contains("solana.url: cannot derive ws_url"), "{e}");
    }

    #[test]
    fn validator_options_and_prices_are_checked_with_their_place() {
        let e = parse("ticks_per_slot = 0\n").unwrap_err();
        assert_eq!(e, "s.toml:6:18: solana.ticks_per_slot: must be at least 1");
        let e =
            parse("levels = [\"finalized\", \"processed\"]\ncompute_unit_limit = 0\n").unwrap_err();
        assert!(
            e.contains("solana.compute_unit_limit: must be at least 1"),
            "{e}"
        );
        let e = parse("tpu_identity = \"/nonexistent.json\"\n").unwrap_err();
        assert_eq!(
            e,
            "s.toml:6:16: solana.tpu_identity: applies only with send = \"tpu\""
        );
        let e = parse("send = \"tpu\"\ntpu_identity = \"/nonexistent.json\"\n").unwrap_err();
        assert_eq!(
            e,
            "s.toml:7:16: solana.tpu_identity: no keypair file at /nonexistent.json"
        );
        let e = parse("send = \"udp\"\n").unwrap_err();
        assert!(e.contains("solana.send"), "{e}");
        assert_eq!(parse("").unwrap().as_run["solana"]["send"], "rpc");
        let s = parse("levels = [\"finalized\", \"processed\"]\n").unwrap();
        assert_eq!(
            s.targets[0].levels(),
            [crate::spec::PROCESSED, crate::spec::FINALIZED]
        );
    }
}
