//! Confirmation levels: how far a transaction has come on its chain.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{fmt, sync::Mutex};

/// A confirmation level a transaction can reach, named by its chain
/// (`processed`, `included`, `finalized`, ...).
///
/// A chain crate declares its levels as constants in its
/// `ChainSpec` (in chainmeter-core), weakest first; the order of levels
/// is the chain's, never the names'. A level is reached at most once per
/// transaction. The type is `Copy` because the recorder handles one per
/// event; names read back from files are stored once per process.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level(&'static str);

/// Level names read from files, each stored once (a handful per chain).
static READ_NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

impl Level {
    /// The level called `name`, for a chain crate's constants.
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The level called `name`, for names read from scenario and result files.
    pub fn named(name: &str) -> Self {
        let mut names = READ_NAMES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&known) = names.iter().find(|n| **n == name) {
            return Self(known);
        }
        let stored: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.push(stored);
        Self(stored)
    }

    /// The level's name as it appears in scenario and result files.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl schemars::JsonSchema for Level {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Level".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A confirmation level its chain declares: processed, confirmed, finalized (Solana); included, safe, finalized (EVM)."
        })
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Self::named(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_read_back_equals_the_constant() {
        const SAFE: Level = Level::new("safe");
        let read: Level = serde_json::from_str("\"safe\"").unwrap();
        assert_eq!(read, SAFE);
        assert_eq!(
            Level::named("safe").as_str().as_ptr(),
            read.as_str().as_ptr()
        );
        assert_eq!(serde_json::to_string(&SAFE).unwrap(), "\"safe\"");
    }
}
