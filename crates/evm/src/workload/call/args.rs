//! A call's arguments as a scenario gives them: literals typed by the ABI,
//! or generators that give each transaction its own value.
//!
//! ```toml
//! args = [42, "0x00…01", { sender = true }, { seq = true }, { contract = true },
//!         { range = [1, 100] }, { pick = [3, 5, 8] }]
//! ```
//!
//! `range` and `pick` draw from the scenario's seed and the transaction's
//! sequence number, so a run repeats exactly.

use alloy::{
    dyn_abi::{DynSolType, DynSolValue},
    primitives::{Address, I256, U256},
};

/// One argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// The same value for every transaction.
    Literal(DynSolValue),
    /// The sending account.
    Sender,
    /// The transaction's sequence number in the run.
    Seq,
    /// The contract the call goes to.
    Contract,
    /// A uniform draw from `lo..=hi`.
    Range { lo: U256, hi: U256, signed: bool },
    /// A draw from these values.
    Pick(Vec<DynSolValue>),
}

/// What a transaction's arguments are drawn for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Draw<'a> {
    pub(crate) seed: &'a str,
    pub(crate) seq: u64,
    pub(crate) sender: Address,
    pub(crate) contract: Address,
}

impl Arg {
    /// Checks `value` against the parameter type `ty`; the error says why not.
    pub(crate) fn parse(value: &toml::Value, ty: &DynSolType) -> Result<Self, String> {
        if let toml::Value::Table(t) = value {
            if t.len() != 1 {
                return Err(format!(
                    "a generator is a table of one key (sender, seq, contract, range or pick), not {}",
                    toml::Value::Table(t.clone())
                ));
            }
            let (key, v) = t.iter().next().expect("one key");
            let integer = matches!(ty, DynSolType::Uint(_) | DynSolType::Int(_));
            let want = |ok: bool, what: &str| match ok {
                true => Ok(()),
                false => Err(format!(
                    "{key} gives {what}, but the parameter is {}",
                    ty.sol_type_name()
                )),
            };
            return match (key.as_str(), v) {
                ("sender", toml::Value::Boolean(true)) => {
                    want(*ty == DynSolType::Address, "an address").map(|()| Self::Sender)
                }
                ("contract", toml::Value::Boolean(true)) => {
                    want(*ty == DynSolType::Address, "an address").map(|()| Self::Contract)
                }
                ("seq", toml::Value::Boolean(true)) => {
                    want(integer, "an integer").map(|()| Self::Seq)
                }
                ("range", toml::Value::Array(bounds)) if bounds.len() == 2 => {
                    want(integer, "an integer")?;
                    let bound = |v: &toml::Value| literal(v, ty).map(|d| as_word(&d));
                    let (lo, hi) = (bound(&bounds[0])?, bound(&bounds[1])?);
                    let signed = matches!(ty, DynSolType::Int(_));
                    let reversed = match signed {
                        true => I256::from_raw(lo) > I256::from_raw(hi),
                        false => lo > hi,
                    };
                    if reversed {
                        return Err("range = [lo, hi]: lo must not exceed hi".to_owned());
                    }
                    Ok(Self::Range { lo, hi, signed })
                }
                ("pick", toml::Value::Array(values)) if !values.is_empty() => values
                    .iter()
                    .map(|v| literal(v, ty))
                    .collect::<Result<_, _>>()
                    .map(Self::Pick),
                ("sender" | "contract" | "seq" | "range" | "pick", _) => Err(format!(
                    "{key} takes {}",
                    match key.as_str() {
                        "range" => "[lo, hi]",
                        "pick" => "a non-empty list of values",
                        _ => "true",
                    }
                )),
                _ => Err(format!(
                    "unknown generator {key}; use sender, seq, contract, range or pick"
                )),
            };
        }
        literal(value, ty).map(Self::Literal)
    }

    /// This argument's value for one transaction; `index` tells the
    /// arguments' draws apart.
    pub(crate) fn value(&self, draw: &Draw<'_>, index: usize, ty: &DynSolType) -> DynSolValue {
        match self {
            Self::Literal(v) => v.clone(),
            Self::Sender => DynSolValue::Address(draw.sender),
            Self::Contract => DynSolValue::Address(draw.contract),
            Self::Seq => integer(ty, U256::from(draw.seq)),
            Self::Range { lo, hi, .. } => {
                let span = hi.wrapping_sub(*lo).saturating_add(U256::from(1));
                let r = U256::from(mix(draw, index));
                let offset = if span.is_zero() { r } else { r % span };
                integer(ty, lo.wrapping_add(offset))
            }
            Self::Pick(values) => values[(mix(draw, index) % values.len() as u64) as usize].clone(),
        }
    }
}

/// The value of `ty` whose word is `word`.
fn integer(ty: &DynSolType, word: U256) -> DynSolValue {
    match ty {
        DynSolType::Int(bits) => DynSolValue::Int(I256::from_raw(word), *bits),
        DynSolType::Uint(bits) => DynSolValue::Uint(word, *bits),
        _ => DynSolValue::Uint(word, 256),
    }
}

fn as_word(v: &DynSolValue) -> U256 {
    match v {
        DynSolValue::Uint(u, _) => *u,
        DynSolValue::Int(i, _) => i.into_raw(),
        _ => U256::ZERO,
    }
}

/// A draw for argument `index` of transaction `draw.seq`.
fn mix(draw: &Draw<'_>, index: usize) -> u64 {
    chainmeter_core::workload::draw(draw.seed, draw.seq, index as u64)
}

/// A literal TOML value as a value of `ty`.
pub(crate) fn literal(value: &toml::Value, ty: &DynSolType) -> Result<DynSolValue, String> {
    let mismatch = || format!("{value} is not a {}", ty.sol_type_name());
    match (value, ty) {
        (toml::Value::Array(items), DynSolType::Array(inner)) => items
            .iter()
            .map(|v| literal(v, inner))
            .collect::<Result<_, _>>()
            .map(DynSolValue::Array),
        (toml::Value::Array(items), DynSolType::FixedArray(inner, n)) => {
            if items.len() != *n {
                return Err(format!(
                    "{value} has {} items; {} needs {n}",
                    items.len(),
                    ty.sol_type_name()
                ));
            }
            items
                .iter()
                .map(|v| literal(v, inner))
                .collect::<Result<_, _>>()
                .map(DynSolValue::FixedArray)
        }
        (toml::Value::Array(items), DynSolType::Tuple(types)) => {
            if items.len() != types.len() {
                return Err(mismatch());
            }
            items
                .iter()
                .zip(types)
                .map(|(v, t)| literal(v, t))
                .collect::<Result<_, _>>()
                .map(DynSolValue::Tuple)
        }
        (toml::Value::Integer(i), DynSolType::Uint(_) | DynSolType::Int(_)) => {
            ty.coerce_str(&i.to_string()).map_err(|_| mismatch())
        }
        (toml::Value::Boolean(b), DynSolType::Bool) => Ok(DynSolValue::Bool(*b)),
        (toml::Value::String(s), _) => ty
            .coerce_str(s)
            .map_err(|e| format!("{s:?} is not a {}: {e}", ty.sol_type_name())),
        _ => Err(mismatch()),
    }
}

/// A decoded value as Solidity would write it: numbers in decimal,
/// addresses checksummed, strings quoted, bytes in hex.
pub(super) fn show(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Bytes(b) => format!("0x{}", alloy::primitives::hex::encode(b)),
        DynSolValue::FixedBytes(w, n) => format!("0x{}", alloy::primitives::hex::encode(&w[..*n])),
        DynSolValue::Array(vs) | DynSolValue::FixedArray(vs) => {
            format!("[{}]", vs.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        DynSolValue::Tuple(vs) => {
            format!("({})", vs.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> DynSolType {
        s.parse().unwrap()
    }

    fn value(s: &str) -> toml::Value {
        toml::from_str::<toml::Table>(&format!("v = {s}")).unwrap()["v"].clone()
    }

    #[test]
    fn literals_are_typed_by_the_abi() {
        assert_eq!(
            literal(&value("42"), &ty("uint256")).unwrap(),
            DynSolValue::Uint(U256::from(42), 256)
        );
        assert_eq!(
            literal(&value("-3"), &ty("int8"))
                .unwrap()
                .as_int()
                .unwrap()
                .0
                .as_i64(),
            -3
        );
        assert!(literal(
            &value("\"0x0000000000000000000000000000000000000001\""),
            &ty("address")
        )
        .is_ok());
        assert!(literal(&value("[1, 2]"), &ty("uint8[]")).is_ok());
        assert!(literal(&value("[1, true]"), &ty("(uint8,bool)")).is_ok());
        let e = literal(&value("true"), &ty("uint256")).unwrap_err();
        assert_eq!(e, "true is not a uint256");
        assert!(literal(&value("300"), &ty("uint8")).is_err());
        assert!(literal(&value("[1, 2]"), &ty("uint8[3]"))
            .unwrap_err()
            .contains("needs 3"));
    }

    #[test]
    fn generators_give_each_transaction_its_own_value_and_repeat() {
        let draw = |seq| Draw {
            seed: "s",
            seq,
            sender: Address::repeat_byte(1),
            contract: Address::repeat_byte(2),
        };
        let u = ty("uint256");
        let seq = Arg::parse(&value("{ seq = true }"), &u).unwrap();
        assert_eq!(
            seq.value(&draw(7), 0, &u),
            DynSolValue::Uint(U256::from(7), 256)
        );
        let sender = Arg::parse(&value("{ sender = true }"), &ty("address")).unwrap();
        assert_eq!(
            sender.value(&draw(7), 0, &ty("address")),
            DynSolValue::Address(Address::repeat_byte(1))
        );
        let range = Arg::parse(&value("{ range = [10, 20] }"), &u).unwrap();
        let drawn: Vec<_> = (0..200)
            .map(|s| as_word(&range.value(&draw(s), 1, &u)))
            .collect();
        assert!(drawn
            .iter()
            .all(|v| *v >= U256::from(10) && *v <= U256::from(20)));
        assert!(drawn.contains(&U256::from(10)) && drawn.contains(&U256::from(20)));
        let again: Vec<_> = (0..200)
            .map(|s| as_word(&range.value(&draw(s), 1, &u)))
            .collect();
        assert_eq!(drawn, again, "seeded: a run repeats");
        let pick = Arg::parse(&value("{ pick = [3, 5] }"), &u).unwrap();
        assert!((0..50).all(|s| matches!(pick.value(&draw(s), 2, &u), DynSolValue::Uint(v, _) if v == U256::from(3) || v == U256::from(5))));
        // Wrong generators for the type, or unknown ones, say why.
        assert_eq!(
            Arg::parse(&value("{ sender = true }"), &u).unwrap_err(),
            "sender gives an address, but the parameter is uint256"
        );
        assert!(Arg::parse(&value("{ range = [5, 1] }"), &u)
            .unwrap_err()
            .contains("lo must not exceed hi"));
        assert!(Arg::parse(&value("{ teleport = 1 }"), &u)
            .unwrap_err()
            .contains("unknown generator teleport"));
    }
}
