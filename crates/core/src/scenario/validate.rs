//! From the file model to the checked scenario: every rule a scenario must
//! keep, each broken one reported with its place.

use super::{
    Overrides, Prices, Profile, Scenario, ScenarioError, ScenarioFile, Section, Target, Writes,
    MAX_ACCOUNTS,
};
use crate::{
    chain::plugin::Chain,
    section::{
        field_of,
        location::{locate, toml_error, Location},
        table_keys, top_level_keys, value_at,
    },
};
use std::{num::NonZeroU32, ops::Range};

/// The scenario's own top-level keys; the others must name a chain.
const KEYS: [&str; 6] = [
    "name",
    "description",
    "accounts",
    "workload",
    "load",
    "prices",
];

pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) source: &'a str,
    pub(super) chains: &'a [&'a dyn Chain],
}

/// What `[workload]` holds besides a kind's own settings table.
const WORKLOAD_KEYS: [&str; 4] = ["kind", "value", "writes", "bids"];

impl Validator<'_> {
    /// Refuses a key of `[workload]` that is neither shared nor the chosen
    /// kind's settings table; returns that table as written, if there is one.
    fn workload_settings(
        &self,
        file: &ScenarioFile,
    ) -> Result<Option<serde_json::Value>, ScenarioError> {
        let toml_err = |e: toml::de::Error| toml_error(self.text, self.source, &e);
        let kind = file.workload.kind.get_ref().as_str();
        for (key, is_table) in table_keys(self.text, "workload").map_err(toml_err)? {
            let name = key.get_ref();
            if WORKLOAD_KEYS.contains(&name.as_str()) {
                continue;
            }
            let field = format!("workload.{name}");
            if !is_table {
                return Err(self.error(
                    key.span(),
                    &field,
                    format!(
                        "unknown field `{name}`; [workload] has {}, and the settings of its kind as a table [workload.<kind>]",
                        WORKLOAD_KEYS.join(", ")
                    ),
                ));
            }
            if name != kind {
                return Err(self.error(
                    key.span(),
                    &field,
                    format!("settings of the `{name}` workload, but the scenario runs `{kind}` (workload.kind)"),
                ));
            }
        }
        let table = value_at(self.text, &["workload", kind]).map_err(toml_err)?;
        Ok(table.map(|t| serde_json::to_value(t).expect("TOML converts to JSON")))
    }

    pub(super) fn error(
        &self,
        span: Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        let span = (span.end > 0).then_some(span);
        ScenarioError::Invalid {
            location: locate(self.text, self.source, span),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The chains' sections, for messages: `[evm], [solana]`.
    fn sections(&self) -> String {
        let names: Vec<_> = self
            .chains
            .iter()
            .map(|c| format!("[{}]", c.spec().name))
            .collect();
        names.join(", ")
    }

    pub(super) fn cli_error(field: &str, message: impl Into<String>) -> ScenarioError {
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
        let load = self.load(&mut file.load, ov)?;
        // The chains present, in the order the binary lists them.
        let keys = top_level_keys(self.text).map_err(|e| toml_error(self.text, self.source, &e))?;
        if let Some(bad) = keys.iter().find(|k| {
            !KEYS.contains(&k.get_ref().as_str())
                && !self.chains.iter().any(|c| c.spec().name == k.get_ref())
        }) {
            return Err(self.error(
                bad.span(),
                &field_of(self.text, bad),
                format!(
                    "unknown section or field `{}`; a scenario has {} and a section per chain: {}",
                    bad.get_ref(),
                    KEYS.join(", "),
                    self.sections()
                ),
            ));
        }
        let present: Vec<(&dyn Chain, Range<usize>)> = self
            .chains
            .iter()
            .filter_map(|c| {
                keys.iter()
                    .find(|k| k.get_ref() == c.spec().name)
                    .map(|k| (*c, k.span()))
            })
            .collect();
        let url_given = ov.url.is_some() || ov.ws_url.is_some();
        if url_given && present.len() != 1 {
            return Err(Self::cli_error(
                "--url",
                "applies only to a scenario with exactly one chain section",
            ));
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

        let settings = self.workload_settings(&file)?;
        let bids = match &file.workload.bids {
            None => None,
            Some(b) => Some(
                b.get_ref()
                    .check()
                    .map_err(|(field, why)| self.error(b.span(), field, why))?,
            ),
        };

        let mut targets = Vec::new();
        let mut sections = serde_json::Map::new();
        for (chain, span) in present {
            let section = Section {
                spec: chain.spec(),
                text: self.text,
                source: self.source,
                span,
                overrides: url_given.then_some(ov),
                bids: bids.is_some(),
                workload: file.workload.kind.get_ref(),
                workload_span: file.workload.kind.span(),
                value: file.workload.value,
            };
            let target = chain.target(&section)?;
            sections.insert(chain.spec().name.to_owned(), target.as_run());
            targets.push(Target { chain: target });
        }
        if targets.is_empty() {
            return Err(self.error(
                0..0,
                "<file>",
                format!("no chain: add a section for one of {}", self.sections()),
            ));
        }

        // A level the load names must be recorded on every chain.
        let named = match &load.profile {
            Profile::Saturate(s) => s.objective.level.zip(
                file.load
                    .objective
                    .as_ref()
                    .and_then(|o| o.get_ref().level.as_ref())
                    .map(|l| ("load.objective.level", l.span())),
            ),
            Profile::Closed { wait_for, .. } => wait_for.zip(
                file.load
                    .wait_for
                    .as_ref()
                    .map(|l| ("load.wait_for", l.span())),
            ),
            _ => None,
        };
        if let Some((wanted, (field, span))) = named {
            if let Some(t) = targets.iter().find(|t| !t.levels().contains(&wanted)) {
                let recorded: Vec<_> = t.levels().iter().map(|l| l.as_str()).collect();
                return Err(self.error(
                    span,
                    field,
                    format!(
                        "{wanted} is not a level recorded on {} (it records {})",
                        t.spec().name,
                        recorded.join(", ")
                    ),
                ));
            }
        }

        let prices = match &file.prices {
            None => None,
            Some(p) => {
                let known: Vec<String> = self
                    .chains
                    .iter()
                    .map(|c| c.spec().fee_unit.price_key())
                    .collect();
                for (key, v) in &p.usd {
                    let field = format!("prices.{key}");
                    if !known.contains(key) {
                        return Err(self.error(
                            0..0,
                            &field,
                            format!("not a coin's price; use {}", known.join(", ")),
                        ));
                    }
                    if !(v.is_finite() && *v > 0.0) {
                        return Err(self.error(0..0, &field, "must be a positive number of USD"));
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
                    usd: p.usd.clone(),
                    source,
                })
            }
        };

        let writes = *file.workload.writes.get_or_insert(Writes::Disjoint);
        let mut as_run = serde_json::to_value(&file).expect("scenario serializes to JSON");
        if let Some(settings) = settings {
            as_run["workload"][file.workload.kind.get_ref().as_str()] = settings;
        }
        if let Some(run) = as_run.as_object_mut() {
            run.extend(sections);
        }
        Ok(Scenario {
            name: name.to_owned(),
            path: None,
            accounts,
            seed: file.accounts.seed.clone(),
            shared_seed: file.accounts.seed.clone(),
            workload: file.workload.kind.get_ref().clone(),
            value: file.workload.value,
            writes,
            bids,
            load,
            targets,
            prices,
            as_run,
        })
    }
}
