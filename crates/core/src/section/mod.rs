//! A chain's section of a scenario file (`[evm]`, `[solana]`), as the
//! chain's crate reads and checks it, with the same located errors as the
//! rest of the file (`location`).
//!
//! A leaf below both the chain seam (`plugin`, which hands a chain its
//! section) and `scenario` (which finds the sections in a file): it must
//! import neither.

pub(crate) mod location;
pub(crate) mod set;

pub use location::{Location, ScenarioError};

use crate::{
    spec::ChainSpec,
    workload::{Mix, WorkloadName},
};
use chainmeter_result::level::Level;
use location::{field_at, locate, toml_error};
use serde::{
    de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor},
    Deserializer,
};
use std::time::Duration;
use std::{fmt, marker::PhantomData, ops::Range, sync::Arc};
use toml::Spanned;

/// A running node to attach to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attach {
    /// JSON-RPC URL.
    pub url: String,
    /// WebSocket URL.
    pub ws_url: String,
}

/// Settings given on the command line that override the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--url`: attach to this node (applies to the scenario's single chain).
    pub url: Option<String>,
    /// `--ws-url`.
    pub ws_url: Option<String>,
    /// `--rate`.
    pub rate: Option<f64>,
    /// `--duration`.
    pub duration: Option<Duration>,
    /// `--count`.
    pub count: Option<u64>,
    /// `--set KEY=VALUE`, in order: written into the scenario's text before
    /// it is read, so each is checked as the file's own keys are.
    pub sets: Vec<set::Setting>,
}

/// A workload a chain offers, for its list of them: the name a scenario
/// gives it (`workload.kind`) and the check of its settings, which gives
/// the chain's own plan (`P`, its `dyn Plan`).
pub struct WorkloadKind<P: ?Sized> {
    /// Its name in `workload.kind`.
    pub name: &'static str,
    /// Checks its settings in the scenario, with their places.
    pub check: fn(&Section<'_>) -> Result<Arc<P>, ScenarioError>,
}

impl<P: ?Sized> Clone for WorkloadKind<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: ?Sized> Copy for WorkloadKind<P> {}

impl<P: ?Sized> fmt::Debug for WorkloadKind<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkloadKind")
            .field("name", &self.name)
            .finish()
    }
}

/// One chain's section of a scenario file, handed to its crate's
/// `Chain::target` (in `plugin`, which imports this module, not the other way).
#[derive(Debug, Clone)]
pub struct Section<'a> {
    pub(crate) spec: &'static ChainSpec,
    pub(crate) text: &'a str,
    pub(crate) source: &'a str,
    /// Where the section's header is.
    pub(crate) span: Range<usize>,
    /// The command line's `--url` and `--ws-url`, when given (the scenario
    /// then has this one chain).
    pub(crate) overrides: Option<&'a Overrides>,
    /// `workload.bids` is set: it prices every transaction.
    pub(crate) bids: bool,
    /// The scenario's workload, as `[workload]` names it.
    pub(crate) workload: &'a WorkloadName,
    /// Where `workload.kind` is (empty when the scenario names none).
    pub(crate) workload_span: Range<usize>,
    /// `workload.value`.
    pub(crate) value: u64,
    /// How many transactions the run plans to send, warm-up included
    /// (`Load::expected_sends`); `None` when the chain sets the pace.
    pub(crate) planned_sends: Option<u64>,
    /// The traffic mix, when `[[workload.mix]]` is given (the workload is
    /// then [`Mix::NAME`]).
    pub(crate) mix: Option<&'a Mix>,
    /// This section is a mix entry's ([`Section::entry`]).
    pub(crate) in_mix: bool,
}

impl<'a> Section<'a> {
    /// The chain whose section this is.
    pub fn spec(&self) -> &'static ChainSpec {
        self.spec
    }

    /// Parses the section into the crate's own type. Give that type
    /// `#[serde(deny_unknown_fields)]` and [`Spanned`] fields, so errors can
    /// name their place.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ScenarioError> {
        let picked = Pick::<T>::at(&[self.spec.name])
            .deserialize(toml::Deserializer::new(self.text))
            .map_err(|e| toml_error(self.text, self.source, &e))?;
        picked.ok_or_else(|| self.error(0..0, "", "the section is missing"))
    }

    /// The workload the scenario runs (`workload.kind`).
    pub fn workload(&self) -> &WorkloadName {
        self.workload
    }

    /// The traffic mix, when the scenario runs one: the chain checks each
    /// entry's workload through [`entry`](Self::entry).
    pub fn mix(&self) -> Option<&'a Mix> {
        self.mix
    }

    /// Every entry of the scenario's mix checked by `check` as the workload
    /// it names, in the mix's order; empty without a mix.
    pub fn mix_plans<P: ?Sized>(
        &self,
        check: impl Fn(&Section<'a>) -> Result<Arc<P>, ScenarioError>,
    ) -> Result<Vec<Arc<P>>, ScenarioError> {
        let n = self.mix.map_or(0, |m| m.entries().len());
        (0..n)
            .filter_map(|i| self.entry(i))
            .map(|entry| check(&entry))
            .collect()
    }

    /// This section as mix entry `i`'s: its workload is the entry's kind,
    /// named where the entry names it, with the kind's own settings table.
    pub fn entry(&self, i: usize) -> Option<Section<'a>> {
        let entry = self.mix?.entries().get(i)?;
        Some(Section {
            workload: &entry.kind,
            workload_span: entry.span.clone(),
            mix: None,
            in_mix: true,
            ..self.clone()
        })
    }

    /// How many transactions the run plans to send, warm-up included: the
    /// sequence numbers a workload sees stay below it (for Poisson arrivals,
    /// about). `None` for a closed loop, whose pace the chain sets.
    pub fn planned_sends(&self) -> Option<u64> {
        self.planned_sends
    }

    /// `workload.value`: what each transaction moves, in the chain's
    /// smallest unit or in token units, as the workload reads it.
    pub fn workload_value(&self) -> u64 {
        self.value
    }

    /// Refuses a `workload.value` above 0 for a workload that moves none
    /// (`why` says what it does instead): the value would be dropped
    /// silently. In a mix the value is the other entries'.
    pub fn no_value(&self, why: &str) -> Result<(), ScenarioError> {
        if self.in_mix {
            return Ok(());
        }
        let given = Pick::<Spanned<u64>>::at(&["workload", "value"])
            .deserialize(toml::Deserializer::new(self.text))
            .map_err(|e| toml_error(self.text, self.source, &e))?;
        match given.filter(|v| *v.get_ref() > 0) {
            Some(v) => Err(ScenarioError::Invalid {
                location: locate(self.text, self.source, Some(v.span())),
                field: "workload.value".to_owned(),
                message: format!(
                    "{} moves no value ({why}): value = {} would be dropped",
                    self.workload,
                    v.get_ref()
                ),
            }),
            None => Ok(()),
        }
    }

    /// Parses the workload's own settings, `[workload.<kind>]`, into the
    /// crate's type (give it `#[serde(deny_unknown_fields)]`, as for
    /// [`parse`](Self::parse)); `None` when the scenario has no such table.
    pub fn workload_settings<T: DeserializeOwned>(&self) -> Result<Option<T>, ScenarioError> {
        Pick::<T>::at(&["workload", self.workload.as_str()])
            .deserialize(toml::Deserializer::new(self.text))
            .map_err(|e| toml_error(self.text, self.source, &e))
    }

    /// `binary`: the node program a local run starts instead of the one
    /// found on the machine (two builds side by side, as `ab` runs them),
    /// relative to the scenario file; it must be an executable file, and a
    /// section that attaches (`attached`) starts none.
    pub fn node_binary(
        &self,
        given: Option<&Spanned<std::path::PathBuf>>,
        attached: bool,
    ) -> Result<Option<std::path::PathBuf>, ScenarioError> {
        let Some(given) = given else {
            return Ok(None);
        };
        if attached {
            return Err(self.error(
                given.span(),
                "binary",
                "applies only to a node chainmeter starts, not to one it attaches to",
            ));
        }
        let path = self.path(given.get_ref());
        let executable = std::fs::metadata(&path).is_ok_and(|m| {
            use std::os::unix::fs::PermissionsExt;
            m.is_file() && m.permissions().mode() & 0o111 != 0
        });
        if !executable {
            return Err(self.error(
                given.span(),
                "binary",
                format!("{} is not an executable file", path.display()),
            ));
        }
        Ok(Some(path))
    }

    /// `path` as the scenario means it: relative to the scenario file's
    /// directory (to the working directory for a scenario read from text).
    pub fn path(&self, path: &std::path::Path) -> std::path::PathBuf {
        match std::path::Path::new(self.source).parent() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_owned(),
        }
    }

    /// An error on `workload.<kind>.<field>` at `span`.
    pub fn workload_error(
        &self,
        span: Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::Invalid {
            location: locate(self.text, self.source, Some(span).filter(|s| s.end > 0)),
            field: format!("workload.{}.{field}", self.workload),
            message: message.into(),
        }
    }

    /// An error on the workload's settings as a whole (`workload.<kind>`),
    /// at `[workload]` or where the kind is named.
    pub fn unknown_settings(&self, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            location: locate(
                self.text,
                self.source,
                Some(self.workload_span.clone()).filter(|s| s.end > 0),
            ),
            field: format!("workload.{}", self.workload),
            message: message.into(),
        }
    }

    /// Refuses any `[workload.<kind>]` setting, for a kind that has none.
    pub fn no_workload_settings(&self) -> Result<(), ScenarioError> {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct None {}
        self.workload_settings::<None>().map(drop)
    }

    /// The workload of `kinds` this section names, its settings checked by
    /// that kind; a kind not among them is an error naming those there are.
    pub fn pick_workload<P: ?Sized>(
        &self,
        kinds: &[WorkloadKind<P>],
    ) -> Result<Arc<P>, ScenarioError> {
        match kinds.iter().find(|k| k.name == self.workload.as_str()) {
            Some(kind) => (kind.check)(self),
            None => Err(self.unknown_workload(&kinds.iter().map(|k| k.name).collect::<Vec<_>>())),
        }
    }

    /// The error for a workload this chain does not offer, naming those it does.
    pub fn unknown_workload(&self, offered: &[&str]) -> ScenarioError {
        ScenarioError::Invalid {
            location: locate(
                self.text,
                self.source,
                Some(self.workload_span.clone()).filter(|s| s.end > 0),
            ),
            field: "workload.kind".to_owned(),
            message: format!(
                "{} offers no `{}` workload; it offers {}",
                self.spec.name,
                self.workload,
                offered.join(", ")
            ),
        }
    }

    /// An error on `<chain>.<field>` at `span`, or at the section's header
    /// when `span` is empty.
    pub fn error(
        &self,
        span: Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        let span = if span.end > 0 {
            span
        } else {
            self.span.clone()
        };
        let field = if field.is_empty() {
            self.spec.name.to_owned()
        } else {
            format!("{}.{field}", self.spec.name)
        };
        ScenarioError::Invalid {
            location: locate(self.text, self.source, Some(span)),
            field,
            message: message.into(),
        }
    }

    /// The levels to record, weakest first: those of `levels` when given
    /// (each must be one of the chain's), else all of the chain's, which are
    /// then written into `levels` so the scenario as run shows them.
    pub fn levels(
        &self,
        levels: &mut Option<Spanned<Vec<Level>>>,
    ) -> Result<Vec<Level>, ScenarioError> {
        let all = self.spec.levels;
        let Some(given) = levels else {
            *levels = Some(Spanned::new(0..0, all.to_vec()));
            return Ok(all.to_vec());
        };
        let list = given.get_ref();
        if list.is_empty() {
            return Err(self.error(given.span(), "levels", "name at least one level"));
        }
        if let Some(bad) = list.iter().find(|l| self.spec.rank(**l).is_none()) {
            let names: Vec<_> = all.iter().map(|l| l.as_str()).collect();
            return Err(self.error(
                given.span(),
                "levels",
                format!(
                    "{bad} is not a {} level; use {}",
                    self.spec.name,
                    names.join(", ")
                ),
            ));
        }
        Ok(all.iter().copied().filter(|l| list.contains(l)).collect())
    }

    /// The node to attach to, when `url` (or the command line's `--url`) is
    /// given. The WebSocket URL is `ws_url`, else what `derive_ws` makes of
    /// the WebSocket scheme (`ws://`, `wss://`) and the URL after its
    /// scheme; `None` from it is an error asking for `ws_url`. Both fields
    /// are updated to what the run uses.
    pub fn attach(
        &self,
        url: &mut Option<String>,
        ws_url: &mut Option<String>,
        derive_ws: fn(scheme: &str, rest: &str) -> Option<String>,
    ) -> Result<Option<Attach>, ScenarioError> {
        if let Some(ov) = self.overrides {
            // A new --url makes the file's ws_url stale: the WebSocket follows
            // --url unless --ws-url says otherwise.
            if ov.url.is_some() {
                *ws_url = None;
            }
            *url = ov.url.clone().or(url.take());
            *ws_url = ov.ws_url.clone().or(ws_url.take());
        }
        let Some(url) = url else {
            if ws_url.is_some() {
                return Err(self.error(0..0, "ws_url", "needs url as well"));
            }
            return Ok(None);
        };
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(|| {
                self.error(
                    0..0,
                    "url",
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
                let ws = derive_ws(scheme, rest).ok_or_else(|| {
                    self.error(
                        0..0,
                        "url",
                        format!("cannot derive ws_url from {url:?}; give ws_url"),
                    )
                })?;
                *ws_url = Some(ws.clone());
                ws
            }
        };
        if !(ws.starts_with("ws://") || ws.starts_with("wss://")) {
            return Err(self.error(
                0..0,
                "ws_url",
                format!("{ws:?} is not a ws:// or wss:// URL"),
            ));
        }
        Ok(Some(Attach {
            url: url.clone(),
            ws_url: ws,
        }))
    }

    /// Refuses a fixed priority price (`field`, set when `set`) beside
    /// `workload.bids`, which prices every transaction.
    pub fn no_price_with_bids(&self, field: &str, set: bool) -> Result<(), ScenarioError> {
        if self.bids && set {
            return Err(self.error(
                0..0,
                field,
                "workload.bids sets the price of every transaction; remove this one",
            ));
        }
        Ok(())
    }
}

/// Deserializes the value at `path` (a top-level key, then keys in the
/// tables below it) of a document, ignoring the others, with the
/// document's own deserializer so that spans survive.
struct Pick<'p, T> {
    path: &'p [&'p str],
    value: PhantomData<T>,
}

impl<'p, T> Pick<'p, T> {
    fn at(path: &'p [&'p str]) -> Self {
        Self {
            path,
            value: PhantomData,
        }
    }
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Pick<'_, T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Pick<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a table with a [{}] section", self.path.join("."))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            match self.path {
                [first] if key == *first => found = Some(map.next_value::<T>()?),
                [first, rest @ ..] if key == *first => {
                    found = map.next_value_seed(Pick::<T>::at(rest))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

/// The value at `path` of a document, if it is there.
pub(crate) fn value_at(text: &str, path: &[&str]) -> Result<Option<toml::Value>, toml::de::Error> {
    Pick::<toml::Value>::at(path).deserialize(toml::Deserializer::new(text))
}

/// The keys of the top-level table `table`, each with its place and
/// whether it holds a table.
pub(crate) fn table_keys(
    text: &str,
    table: &str,
) -> Result<Vec<(Spanned<String>, bool)>, toml::de::Error> {
    let picked = Pick::<std::collections::BTreeMap<Spanned<String>, toml::Value>>::at(&[table])
        .deserialize(toml::Deserializer::new(text))?;
    Ok(picked
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.is_table()))
        .collect())
}

/// The top-level keys of a document, each with its place.
pub(crate) fn top_level_keys(text: &str) -> Result<Vec<Spanned<String>>, toml::de::Error> {
    let keys: std::collections::BTreeMap<Spanned<String>, IgnoredAny> = toml::from_str(text)?;
    Ok(keys.into_keys().collect())
}

/// Where a field is, for an error on a key found by [`top_level_keys`].
pub(crate) fn field_of(text: &str, key: &Spanned<String>) -> String {
    let f = field_at(text, key.span().start);
    if f == "<file>" {
        key.get_ref().clone()
    } else {
        f
    }
}
