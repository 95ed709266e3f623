//! Where in a scenario file something is wrong: errors with file, line,
//! column and the dotted field.

use std::{fmt, ops::Range, path::PathBuf};

/// A scenario that failed to load: what is wrong and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a value has the wrong type or name.
    #[error("{location}: {field}: {message}")]
    Invalid {
        /// Where in the file.
        location: Location,
        /// The dotted field path (`load.rate`), or `<file>` when none applies.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A place in a scenario file (or on the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, or `<command line>` for overrides.
    pub source: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

pub(crate) fn locate(text: &str, source: &str, span: Option<Range<usize>>) -> Location {
    let Some(span) = span else {
        return Location {
            source: source.to_owned(),
            line: None,
            column: None,
        };
    };
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(start, |nl| start - nl - 1) + 1;
    Location {
        source: source.to_owned(),
        line: Some(line),
        column: Some(column),
    }
}

/// The dotted key path (`load.rate`) of the `key = value` line holding byte `offset`.
pub(crate) fn field_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_owned());
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    match (table, key) {
        (Some(t), Some(k)) => format!("{t}.{k}"),
        (None, Some(k)) => k,
        (Some(_), None) if line.starts_with('[') => line
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_owned(),
        (Some(t), None) => t,
        (None, None) => "<file>".to_owned(),
    }
}

/// A TOML error in `text` (from `source`), at its place.
pub(crate) fn toml_error(text: &str, source: &str, e: &toml::de::Error) -> ScenarioError {
    let span = e.span();
    ScenarioError::Invalid {
        location: locate(text, source, span.clone()),
        field: span
            .map(|s| field_at(text, s.start))
            .unwrap_or_else(|| "<file>".to_owned()),
        message: e.message().trim().to_owned(),
    }
}
