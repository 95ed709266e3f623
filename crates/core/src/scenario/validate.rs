//! From the file model to the checked scenario: every rule a scenario must
//! keep, each broken one reported with its place.

use super::{
    location::{locate, Location},
    End, Endpoint, EvmFile, HumanDuration, Load, LocalOptions, Overrides, Prices, Rate, Scenario,
    ScenarioError, ScenarioFile, SendOptions, SolanaFile, SolanaTracking, Target, Writes,
    MAX_ACCOUNTS,
};
use crate::level::{ChainKind, Level};
use std::{num::NonZeroU32, ops::Range, time::Duration};
use toml::Spanned;

pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) source: &'a str,
}

impl Validator<'_> {
    fn error(&self, span: Range<usize>, field: &str, message: impl Into<String>) -> ScenarioError {
        let span = (span.end > 0).then_some(span);
        ScenarioError::Invalid {
            location: locate(self.text, self.source, span),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    fn cli_error(field: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            location: Location {
                source: "<command line>".into(),
                line: None,
                column: None,
            },
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub(super) fn validate(
        &self,
        mut file: ScenarioFile,
        ov: &Overrides,
    ) -> Result<Scenario, ScenarioError> {
        // Overrides first, so the scenario as run is what the result records.
        if let Some(rate) = ov.rate {
            if Rate::new(rate).is_none() {
                return Err(Self::cli_error("--rate", "must be a number greater than 0"));
            }
            file.load.rate = Spanned::new(0..0, rate);
        }
        if let Some(d) = ov.duration {
            file.load.duration = Some(Spanned::new(0..0, HumanDuration(d)));
            file.load.count = None;
        }
        if let Some(n) = ov.count {
            file.load.count = Some(Spanned::new(0..0, n));
            file.load.duration = None;
        }
        if ov.url.is_some() || ov.ws_url.is_some() {
            match (&mut file.evm, &mut file.solana) {
                (Some(evm), None) => {
                    let evm = evm.get_mut();
                    // A new --url makes the file's ws_url stale: the WebSocket
                    // follows --url unless --ws-url says otherwise.
                    if ov.url.is_some() {
                        evm.ws_url = None;
                    }
                    evm.url = ov.url.clone().or(evm.url.take());
                    evm.ws_url = ov.ws_url.clone().or(evm.ws_url.take());
                }
                (None, Some(sol)) => {
                    let sol = sol.get_mut();
                    if ov.url.is_some() {
                        sol.ws_url = None;
                    }
                    sol.url = ov.url.clone().or(sol.url.take());
                    sol.ws_url = ov.ws_url.clone().or(sol.ws_url.take());
                }
                _ => {
                    return Err(Self::cli_error(
                        "--url",
                        "applies only to a scenario with exactly one of [evm] and [solana]",
                    ))
                }
            }
        }

        let name = file.name.get_ref().trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(self.error(
                file.name.span(),
                "name",
                "must be non-empty and use only letters, digits, '-', '_' and '.' (it names the result directory)",
            ));
        }
        let accounts = NonZeroU32::new(*file.accounts.count.get_ref()).ok_or_else(|| {
            self.error(
                file.accounts.count.span(),
                "accounts.count",
                "must be at least 1",
            )
        })?;
        if accounts.get() > MAX_ACCOUNTS {
            return Err(self.error(
                file.accounts.count.span(),
                "accounts.count",
                format!(
                    "{accounts} is more than chainmeter funds ({MAX_ACCOUNTS}); \
                     more senders than that do not raise a local validator's throughput"
                ),
            ));
        }

        let rate = Rate::new(*file.load.rate.get_ref()).ok_or_else(|| {
            self.error(
                file.load.rate.span(),
                "load.rate",
                "must be a number greater than 0 (transactions per second)",
            )
        })?;
        let end = match (&file.load.duration, &file.load.count) {
            (Some(d), None) if d.get_ref().0.is_zero() => {
                return Err(self.error(d.span(), "load.duration", "must be longer than 0s"))
            }
            (Some(d), None) => End::After(d.get_ref().0),
            (None, Some(n)) if *n.get_ref() == 0 => {
                return Err(self.error(n.span(), "load.count", "must be at least 1"))
            }
            (None, Some(n)) => End::Count(*n.get_ref()),
            (Some(d), Some(_)) => {
                return Err(self.error(
                    d.span(),
                    "load.duration",
                    "give either load.duration or load.count, not both",
                ))
            }
            (None, None) => {
                return Err(self.error(
                    file.load.rate.span(),
                    "load",
                    "give load.duration or load.count",
                ))
            }
        };
        let load = Load {
            shape: file.load.shape,
            rate,
            end,
            warmup: file
                .load
                .warmup
                .get_or_insert(HumanDuration(Duration::ZERO))
                .0,
            drain_timeout: file.load.drain_timeout.map(|d| d.0),
        };

        let bids = match &file.workload.bids {
            None => None,
            Some(b) => {
                let bids = b
                    .get_ref()
                    .check()
                    .map_err(|(field, why)| self.error(b.span(), field, why))?;
                let priced = [
                    (
                        "evm.priority_fee",
                        file.evm
                            .as_ref()
                            .is_some_and(|e| e.get_ref().priority_fee.is_some()),
                    ),
                    (
                        "solana.compute_unit_price",
                        file.solana
                            .as_ref()
                            .is_some_and(|s| s.get_ref().compute_unit_price.is_some()),
                    ),
                ];
                if let Some((field, _)) = priced.iter().find(|(_, set)| *set) {
                    return Err(self.error(
                        b.span(),
                        field,
                        "workload.bids sets the price of every transaction; remove this one",
                    ));
                }
                Some(bids)
            }
        };

        let mut targets = Vec::new();
        if let Some(evm) = &mut file.evm {
            let span = evm.span();
            targets.push(self.evm_target(evm.get_mut(), span)?);
        }
        if let Some(sol) = &mut file.solana {
            let span = sol.span();
            targets.push(self.solana_target(sol.get_mut(), span)?);
        }
        if targets.is_empty() {
            return Err(self.error(
                0..0,
                "<file>",
                "no chain: add an [evm] or a [solana] section",
            ));
        }

        let prices = match &file.prices {
            None => None,
            Some(p) => {
                for (field, v) in [("prices.eth_usd", p.eth_usd), ("prices.sol_usd", p.sol_usd)] {
                    if v.is_some_and(|v| !(v.is_finite() && v > 0.0)) {
                        return Err(self.error(0..0, field, "must be a positive number of USD"));
                    }
                }
                let source = p
                    .source
                    .clone()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| {
                        self.error(
                            0..0,
                            "prices.source",
                            "say where the prices come from and when (required with prices)",
                        )
                    })?;
                Some(Prices {
                    eth_usd: p.eth_usd,
                    sol_usd: p.sol_usd,
                    source,
                })
            }
        };

        let writes = *file.workload.writes.get_or_insert(Writes::Disjoint);
        let as_run = serde_json::to_value(&file).expect("scenario serializes to JSON");
        Ok(Scenario {
            name: name.to_owned(),
            path: None,
            accounts,
            seed: file.accounts.seed.clone(),
            workload: *file.workload.kind.get_ref(),
            value: file.workload.value,
            writes,
            bids,
            load,
            targets,
            prices,
            as_run,
        })
    }

    fn levels(
        &self,
        kind: ChainKind,
        levels: &mut Option<Spanned<Vec<Level>>>,
    ) -> Result<Vec<Level>, ScenarioError> {
        let field = format!("{kind}.levels");
        let all = kind.levels();
        let Some(given) = levels else {
            *levels = Some(Spanned::new(0..0, all.to_vec()));
            return Ok(all.to_vec());
        };
        let list = given.get_ref();
        if list.is_empty() {
            return Err(self.error(given.span(), &field, "name at least one level"));
        }
        if let Some(bad) = list.iter().find(|l| !all.contains(l)) {
            let names: Vec<_> = all.iter().map(|l| l.as_str()).collect();
            return Err(self.error(
                given.span(),
                &field,
                format!("{bad} is not a {kind} level; use {}", names.join(", ")),
            ));
        }
        let mut sorted = list.clone();
        sorted.sort();
        sorted.dedup();
        // Level's order is Processed < Confirmed < Included < Safe < Finalized,
        // which sorts each chain's own levels weakest first.
        Ok(sorted)
    }

    fn attach(
        &self,
        kind: ChainKind,
        url: &Option<String>,
        ws_url: &mut Option<String>,
        span: Range<usize>,
    ) -> Result<Option<Endpoint>, ScenarioError> {
        let Some(url) = url else {
            if ws_url.is_some() {
                return Err(self.error(span, &format!("{kind}.ws_url"), "needs url as well"));
            }
            return Ok(None);
        };
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(|| {
                self.error(
                    span.clone(),
                    &format!("{kind}.url"),
                    format!("{url:?} is not an http:// or https:// URL"),
                )
            })?;
        let ws = match ws_url {
            Some(ws) => ws.clone(),
            None => {
                let scheme = if url.starts_with("https://") {
                    "wss://"
                } else {
                    "ws://"
                };
                let ws = match kind {
                    ChainKind::Evm => format!("{scheme}{rest}"),
                    ChainKind::Solana => solana_ws_from_rpc(scheme, rest).ok_or_else(|| {
                        self.error(
                            span.clone(),
                            "solana.url",
                            format!(
                                "{url:?} has no port to derive ws_url from; give solana.ws_url"
                            ),
                        )
                    })?,
                };
                *ws_url = Some(ws.clone());
                ws
            }
        };
        if !(ws.starts_with("ws://") || ws.starts_with("wss://")) {
            return Err(self.error(
                span,
                &format!("{kind}.ws_url"),
                format!("{ws:?} is not a ws:// or wss:// URL"),
            ));
        }
        Ok(Some(Endpoint::Attach {
            url: url.clone(),
            ws_url: ws,
        }))
    }

    fn evm_target(&self, evm: &mut EvmFile, span: Range<usize>) -> Result<Target, ScenarioError> {
        let levels = self.levels(ChainKind::Evm, &mut evm.levels)?;
        let endpoint = match self.attach(ChainKind::Evm, &evm.url, &mut evm.ws_url, span)? {
            Some(e) => e,
            None => {
                let block_time = evm
                    .block_time
                    .get_or_insert(Spanned::new(0..0, HumanDuration(Duration::from_secs(1))));
                if block_time.get_ref().0.as_millis() < 1 {
                    return Err(self.error(
                        block_time.span(),
                        "evm.block_time",
                        "must be at least 1ms (anvil mines on a timer)",
                    ));
                }
                let epoch = evm.slots_in_an_epoch.get_or_insert(Spanned::new(0..0, 32));
                if *epoch.get_ref() == 0 {
                    return Err(self.error(
                        epoch.span(),
                        "evm.slots_in_an_epoch",
                        "must be at least 1",
                    ));
                }
                let gas = evm.gas_limit.get_or_insert(Spanned::new(0..0, 30_000_000));
                if *gas.get_ref() < 21_000 {
                    return Err(self.error(
                        gas.span(),
                        "evm.gas_limit",
                        "must hold at least one transfer (21000)",
                    ));
                }
                Endpoint::Local(LocalOptions::Anvil {
                    block_time: block_time.get_ref().0,
                    slots_in_an_epoch: *epoch.get_ref(),
                    gas_limit: *gas.get_ref(),
                })
            }
        };
        let priority_fee = *evm.priority_fee.get_or_insert(1_000_000_000);
        Ok(Target {
            kind: ChainKind::Evm,
            endpoint,
            levels,
            send: SendOptions::Evm { priority_fee },
        })
    }

    fn solana_target(
        &self,
        sol: &mut SolanaFile,
        span: Range<usize>,
    ) -> Result<Target, ScenarioError> {
        let levels = self.levels(ChainKind::Solana, &mut sol.levels)?;
        let endpoint = match self.attach(ChainKind::Solana, &sol.url, &mut sol.ws_url, span)? {
            Some(e) => e,
            None => {
                for (field, v) in [
                    ("solana.ticks_per_slot", &sol.ticks_per_slot),
                    ("solana.slots_per_epoch", &sol.slots_per_epoch),
                ] {
                    if let Some(v) = v.as_ref().filter(|v| *v.get_ref() == 0) {
                        return Err(self.error(v.span(), field, "must be at least 1"));
                    }
                }
                Endpoint::Local(LocalOptions::SolanaTestValidator {
                    ticks_per_slot: sol.ticks_per_slot.as_ref().map(|v| *v.get_ref()),
                    slots_per_epoch: sol.slots_per_epoch.as_ref().map(|v| *v.get_ref()),
                })
            }
        };
        if let Some(limit) = sol
            .compute_unit_limit
            .as_ref()
            .filter(|l| *l.get_ref() == 0)
        {
            return Err(self.error(
                limit.span(),
                "solana.compute_unit_limit",
                "must be at least 1",
            ));
        }
        let send = SendOptions::Solana {
            skip_preflight: *sol.skip_preflight.get_or_insert(true),
            max_retries: sol.max_retries,
            compute_unit_price: sol.compute_unit_price,
            compute_unit_limit: sol.compute_unit_limit.as_ref().map(|l| *l.get_ref()),
            tracking: *sol.tracking.get_or_insert(SolanaTracking::Events),
        };
        Ok(Target {
            kind: ChainKind::Solana,
            endpoint,
            levels,
            send,
        })
    }
}

/// solana-test-validator serves PubSub on the RPC port + 1.
fn solana_ws_from_rpc(scheme: &str, rest: &str) -> Option<String> {
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let sep = if path.is_empty() { "" } else { "/" };
    Some(format!(
        "{scheme}{host}:{}{sep}{path}",
        port.checked_add(1)?
    ))
}
