//! Which of N generators a result came from (`chainmeter run --shard I/N`).

use serde::{Deserialize, Serialize};
use std::{fmt, num::NonZeroU32, str::FromStr};

/// The I-th of N generators, counted from 0 (as Kubernetes'
/// `JOB_COMPLETION_INDEX`): `index < count` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "ShardFields", into = "ShardFields")]
pub struct Shard {
    index: u32,
    count: NonZeroU32,
}

/// [`Shard`] as stored in result files.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct ShardFields {
    /// I, from 0, below `count`.
    index: u32,
    /// N.
    #[schemars(range(min = 1))]
    count: u32,
}

impl TryFrom<ShardFields> for Shard {
    type Error = ShardError;
    fn try_from(f: ShardFields) -> Result<Self, ShardError> {
        Shard::new(f.index, f.count)
    }
}

impl From<Shard> for ShardFields {
    fn from(s: Shard) -> Self {
        Self {
            index: s.index,
            count: s.count.get(),
        }
    }
}

/// A shard that cannot be, or a scenario that cannot be sharded so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// Not `I/N`.
    #[error("{0:?} is not I/N (e.g. 0/3: the first of three generators, counted from 0)")]
    Syntax(String),
    /// `I` not below `N`.
    #[error("shard {index}/{count}: the index counts from 0 and must be below {count}")]
    OutOfRange {
        /// I.
        index: u32,
        /// N.
        count: u32,
    },
    /// The scenario cannot be split this way.
    #[error("the scenario cannot be split into {count} shards: {reason}")]
    Unsplittable {
        /// N.
        count: u32,
        /// Why.
        reason: String,
    },
}

impl Shard {
    /// Shard `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<Self, ShardError> {
        match NonZeroU32::new(count) {
            Some(count) if index < count.get() => Ok(Self { index, count }),
            _ => Err(ShardError::OutOfRange { index, count }),
        }
    }

    /// I, from 0.
    pub fn index(self) -> u32 {
        self.index
    }

    /// N.
    pub fn count(self) -> u32 {
        self.count.get()
    }

    /// This shard's part of `total` things dealt out in turn: `total / N`,
    /// plus one for the first `total % N` shards.
    pub fn part(self, total: u64) -> u64 {
        let n = u64::from(self.count.get());
        total / n + u64::from(u64::from(self.index) < total % n)
    }
}

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Self, ShardError> {
        let syntax = || ShardError::Syntax(s.to_owned());
        let (i, n) = s.split_once('/').ok_or_else(syntax)?;
        let (i, n) = (
            i.trim().parse().map_err(|_| syntax())?,
            n.trim().parse().map_err(|_| syntax())?,
        );
        Self::new(i, n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}
