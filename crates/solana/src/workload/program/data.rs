//! An instruction's data as a scenario gives it: a list of little-endian
//! fields, literal or drawn per transaction.
//!
//! ```toml
//! data = [{ u8 = 1 }, { u64 = 1000 }, { hex = "00ff" }, { seq = "u64" },
//!         { payer = "u16" }, { range = [1, 100], type = "u32" }]
//! ```
//!
//! `range` draws from the scenario's seed and the transaction's sequence
//! number, so a run repeats exactly.

use std::fmt;

/// A field's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Width {
    U8,
    U16,
    U32,
    U64,
}

impl Width {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "u8" => Self::U8,
            "u16" => Self::U16,
            "u32" => Self::U32,
            "u64" => Self::U64,
            _ => return None,
        })
    }

    fn bytes(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::U16 => 2,
            Self::U32 => 4,
            Self::U64 => 8,
        }
    }

    fn max(self) -> u64 {
        match self {
            Self::U64 => u64::MAX,
            w => (1u64 << (8 * w.bytes())) - 1,
        }
    }
}

impl fmt::Display for Width {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "u{}", self.bytes() * 8)
    }
}

/// One field of the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    /// These bytes for every transaction.
    Bytes(Vec<u8>),
    /// The transaction's sequence number in the run, truncated to the width.
    Seq(Width),
    /// The index of the payer that signs it.
    Payer(Width),
    /// A uniform draw from `lo..=hi`.
    Range { lo: u64, hi: u64, width: Width },
}

/// What one transaction's fields are drawn for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Draw<'a> {
    pub(super) seed: &'a str,
    pub(super) seq: u64,
    pub(super) payer: usize,
}

const PLACEHOLDERS: &str = "u8, u16, u32, u64, hex, seq, payer or range";

impl Field {
    /// Reads one entry of `data`; the error says why not.
    pub(super) fn parse(value: &toml::Value) -> Result<Self, String> {
        let toml::Value::Table(t) = value else {
            return Err(format!(
                "{value} is not a field: give a table such as {{ u64 = 5 }} (one of {PLACEHOLDERS})"
            ));
        };
        let width_of = |v: &toml::Value| -> Result<Width, String> {
            v.as_str().and_then(Width::parse).ok_or_else(|| {
                format!("{v} is not a width: use \"u8\", \"u16\", \"u32\" or \"u64\"")
            })
        };
        let integer = |v: &toml::Value, w: Width| -> Result<u64, String> {
            let n = v
                .as_integer()
                .ok_or_else(|| format!("{v} is not an integer"))?;
            u64::try_from(n)
                .ok()
                .filter(|&n| n <= w.max())
                .ok_or_else(|| format!("{n} does not fit in a {w}"))
        };
        if let Some(range) = t.get("range") {
            if let Some(extra) = t.keys().find(|k| !matches!(k.as_str(), "range" | "type")) {
                return Err(format!("range takes `type` beside it, not `{extra}`"));
            }
            let width = t.get("type").map_or(Ok(Width::U64), width_of)?;
            let bounds = range
                .as_array()
                .filter(|b| b.len() == 2)
                .ok_or("range takes [lo, hi]")?;
            let (lo, hi) = (integer(&bounds[0], width)?, integer(&bounds[1], width)?);
            if lo > hi {
                return Err("range = [lo, hi]: lo must not exceed hi".to_owned());
            }
            return Ok(Self::Range { lo, hi, width });
        }
        if t.len() != 1 {
            return Err(format!(
                "a field is a table of one key ({PLACEHOLDERS}), not {value}"
            ));
        }
        let (key, v) = t.iter().next().expect("one key");
        if let Some(w) = Width::parse(key) {
            let n = integer(v, w)?;
            return Ok(Self::Bytes(n.to_le_bytes()[..w.bytes()].to_vec()));
        }
        match key.as_str() {
            "hex" => {
                let text = v.as_str().ok_or("hex takes a string of hex digits")?;
                let text = text.strip_prefix("0x").unwrap_or(text);
                if text.len() % 2 != 0 {
                    return Err(format!("hex \"{text}\" has an odd number of digits"));
                }
                (0..text.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&text[i..i + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map(Self::Bytes)
                    .map_err(|_| {
                        format!("hex \"{text}\" holds a character that is not a hex digit")
                    })
            }
            "seq" => width_of(v).map(Self::Seq),
            "payer" => width_of(v).map(Self::Payer),
            other => Err(format!("unknown field `{other}`; use {PLACEHOLDERS}")),
        }
    }

    /// Whether the field makes every transaction of a run distinct: the
    /// sequence number, wide enough not to wrap within a run.
    pub(super) fn distinct(&self) -> bool {
        matches!(self, Self::Seq(Width::U32 | Width::U64))
    }

    /// The field's length in bytes.
    pub(super) fn len(&self) -> usize {
        match self {
            Self::Bytes(b) => b.len(),
            Self::Seq(w) | Self::Payer(w) | Self::Range { width: w, .. } => w.bytes(),
        }
    }

    /// Appends this field's bytes for one transaction; `index` tells the
    /// fields' draws apart.
    pub(super) fn write(&self, draw: &Draw<'_>, index: usize, out: &mut Vec<u8>) {
        let (n, w) = match self {
            Self::Bytes(b) => return out.extend_from_slice(b),
            Self::Seq(w) => (draw.seq, *w),
            Self::Payer(w) => (draw.payer as u64, *w),
            Self::Range { lo, hi, width } => {
                let r = chainmeter_core::workload::draw(draw.seed, draw.seq, index as u64);
                let span = hi - lo;
                let offset = match span.checked_add(1) {
                    Some(s) => r % s,
                    None => r,
                };
                (lo + offset, *width)
            }
        };
        out.extend_from_slice(&n.to_le_bytes()[..w.bytes()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> Result<Field, String> {
        let v: toml::Value = toml::from_str(&format!("f = {text}")).unwrap();
        Field::parse(&v["f"])
    }

    #[test]
    fn fields_are_little_endian_and_drawn_per_transaction() {
        let draw = Draw {
            seed: "s",
            seq: 0x0102,
            payer: 7,
        };
        let mut out = Vec::new();
        for (i, text) in [
            "{ u16 = 258 }",
            "{ hex = \"0xff00\" }",
            "{ seq = \"u32\" }",
            "{ payer = \"u8\" }",
        ]
        .iter()
        .enumerate()
        {
            field(text).unwrap().write(&draw, i, &mut out);
        }
        assert_eq!(out, [2, 1, 0xff, 0, 2, 1, 0, 0, 7]);
        let range = field("{ range = [10, 12], type = \"u8\" }").unwrap();
        let drawn: Vec<u8> = (0..200)
            .map(|seq| {
                let mut v = Vec::new();
                range.write(&Draw { seq, ..draw }, 0, &mut v);
                v[0]
            })
            .collect();
        assert!(drawn.iter().all(|n| (10..=12).contains(n)));
        assert!((10..=12).all(|n| drawn.contains(&n)), "every value drawn");
        let again: Vec<u8> = (0..200)
            .map(|seq| {
                let mut v = Vec::new();
                range.write(&Draw { seq, ..draw }, 0, &mut v);
                v[0]
            })
            .collect();
        assert_eq!(drawn, again, "a draw repeats");
    }

    #[test]
    fn bad_fields_say_why() {
        for (text, says) in [
            ("5", "is not a field"),
            ("{ u8 = 256 }", "does not fit in a u8"),
            ("{ u32 = -1 }", "does not fit in a u32"),
            ("{ i64 = 1 }", "unknown field `i64`"),
            ("{ seq = \"u128\" }", "is not a width"),
            ("{ hex = \"abc\" }", "odd number"),
            ("{ hex = \"zz\" }", "not a hex digit"),
            ("{ range = [5, 1] }", "lo must not exceed hi"),
            ("{ range = [1] }", "range takes [lo, hi]"),
            ("{ range = [1, 2], width = \"u8\" }", "not `width`"),
            ("{ u8 = 1, u16 = 2 }", "a table of one key"),
        ] {
            let e = field(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
