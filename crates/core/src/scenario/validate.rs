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
    workload::{Mix, MixEntry, WorkloadName},
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
const WORKLOAD_KEYS: [&str; 5] = ["kind", "value", "writes", "bids", "mix"];

/// How far a mix's shares may sum from 1: room for decimals such as 0.1.
const SHARE_SLACK: f64 = 1e-9;

impl Validator<'_> {
    /// Refuses a key of `[workload]` that is neither shared nor the
    /// settings table of a kind the scenario runs (its kind, or its mix's);
    /// returns those tables as written.
    fn workload_settings(
        &self,
        file: &ScenarioFile,
        kinds: &[&str],
    ) -> Result<Vec<(String, serde_json::Value)>, ScenarioError> {
        let toml_err = |e: toml::de::Error| toml_error(self.text, self.source, &e);
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
            if !kinds.contains(&name.as_str()) {
                let runs = match &file.workload.mix {
                    Some(_) => format!("its mix runs {}", kinds.join(", ")),
                    None => format!("the scenario runs `{}` (workload.kind)", kinds.join(", ")),
                };
                return Err(self.error(
                    key.span(),
                    &field,
                    format!("settings of the `{name}` workload, but {runs}"),
                ));
            }
        }
        let mut tables = Vec::new();
        for kind in kinds {
            if let Some(t) = value_at(self.text, &["workload", kind]).map_err(toml_err)? {
                tables.push((
                    (*kind).to_owned(),
                    serde_json::to_value(t).expect("TOML converts to JSON"),
                ));
            }
        }
        Ok(tables)
    }

    /// `[[workload.mix]]`, checked: entries of distinct kinds, none a mix,
    /// each share above 0 and at most 1, the shares summing to 1.
    fn mix(&self, file: &ScenarioFile, seed: u64) -> Result<Option<Mix>, ScenarioError> {
        let Some(mix) = &file.workload.mix else {
            return Ok(None);
        };
        let kind = &file.workload.kind;
        if kind.span().end > 0 && kind.get_ref().as_str() != Mix::NAME {
            return Err(self.error(
                kind.span(),
                "workload.kind",
                format!(
                    "`{}` beside [[workload.mix]]: a mix names its workloads in its entries; leave kind out (or write \"{}\")",
                    kind.get_ref(),
                    Mix::NAME
                ),
            ));
        }
        if mix.get_ref().is_empty() {
            return Err(self.error(mix.span(), "workload.mix", "has no entries"));
        }
        let mut entries: Vec<MixEntry> = Vec::new();
        for (i, e) in mix.get_ref().iter().enumerate() {
            let field = format!("workload.mix[{i}]");
            let name = e.kind.get_ref();
            if name.as_str() == Mix::NAME {
                return Err(self.error(
                    e.kind.span(),
                    &format!("{field}.kind"),
                    "a mix cannot hold a mix",
                ));
            }
            if let Some(j) = entries.iter().position(|x| &x.kind == name) {
                return Err(self.error(
                    e.kind.span(),
                    &format!("{field}.kind"),
                    format!("`{name}` is entry {j}'s too; give each workload one entry, with its whole share"),
                ));
            }
            let share = *e.share.get_ref();
            if !(share.is_finite() && share > 0.0 && share <= 1.0) {
                return Err(self.error(
                    e.share.span(),
                    &format!("{field}.share"),
                    format!("{share}: a share is above 0 and at most 1"),
                ));
            }
            entries.push(MixEntry::new(name.clone(), share, e.kind.span()));
        }
        let sum: f64 = entries.iter().map(|e| e.share).sum();
        if (sum - 1.0).abs() > SHARE_SLACK {
            let shares: Vec<String> = entries.iter().map(|e| e.share.to_string()).collect();
            return Err(self.error(
                mix.span(),
                "workload.mix",
                format!(
                    "the shares sum to {sum} ({}); they must sum to 1",
                    shares.join(" + ")
                ),
            ));
        }
        Ok(Some(Mix::new(entries, seed)))
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

        let mix = self.mix(&file, seed_number(&file.accounts.seed))?;
        let workload = match &mix {
            Some(_) => WorkloadName::new(Mix::NAME),
            None => file.workload.kind.get_ref().clone(),
        };
        let kinds: Vec<&str> = match &mix {
            Some(m) => m.entries().iter().map(|e| e.kind.as_str()).collect(),
            None => vec![workload.as_str()],
        };
        let settings = self.workload_settings(&file, &kinds)?;
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
                workload: &workload,
                workload_span: file.workload.kind.span(),
                value: file.workload.value,
                planned_sends: load.expected_sends().map(|n| n.ceil() as u64),
                mix: mix.as_ref(),
                in_mix: false,
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
        as_run["workload"]["kind"] = workload.as_str().into();
        for (kind, table) in settings {
            as_run["workload"][kind] = table;
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
            workload,
            mix,
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

/// A number from the scenario's text seed (FNV-1a: stable across builds).
pub fn seed_number(seed: &str) -> u64 {
    seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
