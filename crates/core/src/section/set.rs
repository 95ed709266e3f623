//! `--set KEY=VALUE`: any scenario key by its dotted path, written into the
//! scenario's text as if the file held it, so that it is checked exactly as
//! the file's own keys are. An error at a key a flag wrote names the flag;
//! an error elsewhere keeps the file's own line.

use super::{Location, ScenarioError};
use std::{fmt, str::FromStr};
use toml_edit::{DocumentMut, Item, Value};

/// One `--set KEY=VALUE`.
#[derive(Debug, Clone)]
pub struct Setting {
    /// As given on the command line.
    given: String,
    /// The key's dotted path, split.
    path: Vec<String>,
    /// The value: TOML (`2000`, `true`, `[1, 2]`, `"x"`), else the text as a
    /// string (`tpu`, `2s`).
    value: Value,
}

impl Setting {
    /// The key's dotted path (`load.rate`).
    pub fn key(&self) -> String {
        self.path.join(".")
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.given)
    }
}

/// Why a `--set` is not `KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given}: {why}")]
pub struct BadSetting {
    given: String,
    why: &'static str,
}

impl FromStr for Setting {
    type Err = BadSetting;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let bad = |why| BadSetting {
            given: given.to_owned(),
            why,
        };
        let (key, text) = given
            .split_once('=')
            .ok_or_else(|| bad("give KEY=VALUE, the key by its dotted path (load.rate=2000)"))?;
        let path: Vec<String> = key.trim().split('.').map(|s| s.trim().to_owned()).collect();
        if path.iter().any(String::is_empty) {
            return Err(bad(
                "the key is a dotted path of names (workload.storage.slots)",
            ));
        }
        let text = text.trim();
        let value = text
            .parse::<Value>()
            .unwrap_or_else(|_| Value::from(text.to_owned()));
        Ok(Self {
            given: given.to_owned(),
            path,
            value,
        })
    }
}

/// A scenario's text with the settings written in, and how its lines map
/// back to the file's.
#[derive(Debug)]
pub(crate) struct Edited<'s> {
    pub(crate) text: String,
    /// For each line of `text`: the file's line it is (1-based), or the
    /// setting that wrote it.
    lines: Vec<Line<'s>>,
    sets: &'s [Setting],
}

#[derive(Debug, Clone, Copy)]
enum Line<'s> {
    File(usize),
    Set(&'s Setting),
    /// Written for a setting (a table's header) but none's key.
    Added,
}

impl<'s> Edited<'s> {
    /// `text` with every setting written in, in order (a later one wins).
    /// `None` when `text` is not TOML: the plain parse then says where.
    pub(crate) fn apply(text: &str, sets: &'s [Setting]) -> Result<Option<Self>, ScenarioError> {
        let Ok(mut doc) = text.parse::<DocumentMut>() else {
            return Ok(None);
        };
        for set in sets {
            write(&mut doc, set)?;
        }
        let edited = doc.to_string();
        let lines = map_lines(text, &edited, sets);
        Ok(Some(Self {
            text: edited,
            lines,
            sets,
        }))
    }

    /// `e` as the user should read it: at a flag's key, the flag; elsewhere
    /// the file's own line.
    pub(crate) fn blame(&self, e: ScenarioError) -> ScenarioError {
        let ScenarioError::Invalid {
            location,
            field,
            message,
        } = e
        else {
            return e;
        };
        let at = location.line.and_then(|l| self.lines.get(l - 1)).copied();
        let location = match at {
            Some(Line::File(line)) => Location {
                line: Some(line),
                ..location
            },
            Some(Line::Set(set)) => flag(set),
            // A table a flag made: the flag whose key is under it.
            Some(Line::Added) => self
                .sets
                .iter()
                .find(|s| field.is_empty() || s.key().starts_with(&field))
                .map_or_else(|| flag_source(&location), flag),
            None => location,
        };
        ScenarioError::Invalid {
            location,
            field,
            message,
        }
    }
}

fn flag(set: &Setting) -> Location {
    Location {
        source: format!("--set {set}"),
        line: None,
        column: None,
    }
}

fn flag_source(location: &Location) -> Location {
    Location {
        source: format!("{} (with --set)", location.source),
        line: None,
        column: None,
    }
}

/// Writes `set` into `doc`, making the tables on its path as needed.
fn write(doc: &mut DocumentMut, set: &Setting) -> Result<(), ScenarioError> {
    let (last, tables) = set.path.split_last().expect("a path has a name");
    let mut table = doc.as_table_mut() as &mut dyn toml_edit::TableLike;
    for (i, name) in tables.iter().enumerate() {
        let item = table.entry(name).or_insert_with(toml_edit::table);
        table = item
            .as_table_like_mut()
            .ok_or_else(|| ScenarioError::Invalid {
                location: flag(set),
                field: set.path[..=i].join("."),
                message: "is not a table the key can be set in (an array of tables, such as \
                      workload.mix, is set in the file)"
                    .into(),
            })?;
    }
    table.insert(last, Item::Value(set.value.clone()));
    Ok(())
}

/// Which file line each line of `edited` is, walking both in order: the
/// settings only replace a line's value or add lines, so an edited line
/// equal to the file's next one is that line; one that is not, followed by
/// the file's line after it, replaced it; any other was added.
fn map_lines<'s>(file: &str, edited: &str, sets: &'s [Setting]) -> Vec<Line<'s>> {
    let file: Vec<&str> = file.lines().collect();
    let edited: Vec<&str> = edited.lines().collect();
    let setting = |line: &str| {
        let key = line.split('=').next().unwrap_or("").trim();
        // A later setting of the same key wins, as it did when written.
        sets.iter().rev().find(|s| {
            let last = s.path.last().map(String::as_str).unwrap_or("");
            key == last || key == s.key() || key.ends_with(&format!(".{last}"))
        })
    };
    let mut at = 0;
    let mut lines = Vec::with_capacity(edited.len());
    for (i, line) in edited.iter().enumerate() {
        if file.get(at) == Some(line) {
            at += 1;
            lines.push(Line::File(at));
            continue;
        }
        let replaced = file.get(at).is_some()
            && match (edited.get(i + 1), file.get(at + 1)) {
                (Some(next), Some(after)) => next == after,
                (None, None) => true,
                _ => false,
            };
        if replaced {
            at += 1;
        }
        lines.push(setting(line).map_or(Line::Added, Line::Set));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(given: &[&str]) -> Vec<Setting> {
        given.iter().map(|g| g.parse().unwrap()).collect()
    }

    #[test]
    fn values_are_toml_else_text() {
        let s: Setting = "load.rate=2000".parse().unwrap();
        assert_eq!(s.key(), "load.rate");
        assert_eq!(s.value.as_integer(), Some(2000));
        let s: Setting = "solana.send=tpu".parse().unwrap();
        assert_eq!(s.value.as_str(), Some("tpu"));
        let s: Setting = "evm.block_time = 2s".parse().unwrap();
        assert_eq!(s.value.as_str(), Some("2s"));
        assert_eq!(s.key(), "evm.block_time");
        let s: Setting = "solana.levels=[\"processed\"]".parse().unwrap();
        assert!(s.value.is_array());
        assert!("load.rate".parse::<Setting>().is_err());
        assert!("load..rate=1".parse::<Setting>().is_err());
        assert!("=1".parse::<Setting>().is_err());
    }

    #[test]
    fn a_setting_replaces_a_key_in_place_or_adds_it_and_lines_map_back() {
        let file = "name = \"x\"\n[load]\nrate = 100\n\n[evm]\nlevels = [\"included\"]\n";
        let given = sets(&[
            "load.rate=2000",
            "load.count=50",
            "workload.storage.slots=8",
        ]);
        let e = Edited::apply(file, &given).unwrap().unwrap();
        let doc: toml::Table = toml::from_str(&e.text).unwrap();
        assert_eq!(doc["load"]["rate"].as_integer(), Some(2000));
        assert_eq!(doc["load"]["count"].as_integer(), Some(50));
        assert_eq!(doc["workload"]["storage"]["slots"].as_integer(), Some(8));
        // The file's `[evm]` (its line 5) is still line 5 to the user,
        // whatever was added before it.
        let evm = e.text.lines().position(|l| l == "[evm]").unwrap();
        assert!(matches!(e.lines[evm], Line::File(5)), "{:?}", e.lines);
        let rate = e.text.lines().position(|l| l.starts_with("rate")).unwrap();
        assert!(matches!(e.lines[rate], Line::Set(s) if s.key() == "load.rate"));
        let count = e.text.lines().position(|l| l.starts_with("count")).unwrap();
        assert!(matches!(e.lines[count], Line::Set(s) if s.key() == "load.count"));
    }

    #[test]
    fn an_array_of_tables_cannot_be_set_into() {
        let file = "[[workload.mix]]\nkind = \"transfer\"\nshare = 1.0\n";
        let e = Edited::apply(file, &sets(&["workload.mix.share=0.5"])).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "--set workload.mix.share=0.5: workload.mix: is not a table the key can be set in"
            ),
            "{e}"
        );
    }
}
