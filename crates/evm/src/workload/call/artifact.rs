//! A compiled contract as its toolchain wrote it: solc's standard-JSON
//! output, a Foundry artifact (`out/<File>.sol/<Contract>.json`) or a
//! Hardhat artifact (`artifacts/.../<Contract>.json`), each giving the ABI
//! and the creation bytecode.

use alloy::{json_abi::JsonAbi, primitives::Bytes};
use serde_json::Value;
use std::path::Path;

/// A contract's ABI and creation bytecode.
#[derive(Debug, Clone)]
pub(crate) struct Artifact {
    pub(crate) name: String,
    pub(crate) abi: JsonAbi,
    pub(crate) bytecode: Bytes,
}

/// Reads contract `contract` (needed when the file holds several) from
/// the artifact at `path`; the error says what is wrong, in words.
pub(crate) fn read(path: &Path, contract: Option<&str>) -> Result<Artifact, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the artifact {}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (name, entry) = match json.get("contracts").and_then(Value::as_object) {
        // solc --standard-json: contracts.<file>.<name>
        Some(files) => {
            let all: Vec<(String, &Value)> = files
                .values()
                .filter_map(Value::as_object)
                .flat_map(|c| c.iter().map(|(n, v)| (n.clone(), v)))
                .collect();
            let names = || {
                all.iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match contract {
                Some(want) => all
                    .iter()
                    .find(|(n, _)| n == want)
                    .map(|(n, v)| (n.clone(), *v))
                    .ok_or_else(|| {
                        format!(
                            "{} holds no contract {want}; it holds {}",
                            path.display(),
                            names()
                        )
                    })?,
                None if all.len() == 1 => (all[0].0.clone(), all[0].1),
                None => {
                    return Err(format!(
                        "{} holds {} contracts ({}); name one with contract = \"...\"",
                        path.display(),
                        all.len(),
                        names()
                    ))
                }
            }
        }
        // Foundry or Hardhat: one contract per file.
        None => (
            json.get("contractName")
                .and_then(Value::as_str)
                .map_or(stem, str::to_owned),
            &json,
        ),
    };
    let abi_value = entry
        .get("abi")
        .ok_or_else(|| format!("{}: contract {name} has no abi", path.display()))?;
    let abi: JsonAbi = serde_json::from_value(abi_value.clone())
        .map_err(|e| format!("{}: the abi of {name} cannot be read: {e}", path.display()))?;
    // solc: evm.bytecode.object; Foundry: bytecode.object; Hardhat: bytecode.
    let code = entry
        .pointer("/evm/bytecode/object")
        .or_else(|| entry.pointer("/bytecode/object"))
        .or_else(|| entry.get("bytecode"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            format!(
                "{}: contract {name} has no creation bytecode",
                path.display()
            )
        })?;
    let bytecode: Bytes = alloy::primitives::hex::decode(code.trim().trim_start_matches("0x"))
        .map_err(|e| format!("{}: the bytecode of {name} is not hex: {e}", path.display()))?
        .into();
    if bytecode.is_empty() {
        return Err(format!(
            "{}: {name} has empty bytecode (an interface or abstract contract cannot be deployed)",
            path.display()
        ));
    }
    Ok(Artifact {
        name,
        abi,
        bytecode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABI: &str = r#"[{"type":"function","name":"bump","inputs":[{"name":"n","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"}]"#;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn solc_foundry_and_hardhat_artifacts_give_abi_and_bytecode() {
        let dir = tempfile::tempdir().unwrap();
        let solc = write(
            dir.path(),
            "out.json",
            &format!(
                r#"{{"contracts":{{"C.sol":{{"Counter":{{"abi":{ABI},"evm":{{"bytecode":{{"object":"6001"}}}}}},"Other":{{"abi":[],"evm":{{"bytecode":{{"object":"6002"}}}}}}}}}}}}"#
            ),
        );
        let a = read(&solc, Some("Counter")).unwrap();
        assert_eq!(
            (a.name.as_str(), a.bytecode.as_ref()),
            ("Counter", &[0x60, 0x01][..])
        );
        assert_eq!(a.abi.functions().count(), 1);
        let e = read(&solc, None).unwrap_err();
        assert!(e.contains("holds 2 contracts (Counter, Other)"), "{e}");
        let e = read(&solc, Some("Nope")).unwrap_err();
        assert!(e.contains("holds no contract Nope"), "{e}");

        let foundry = write(
            dir.path(),
            "Counter.json",
            &format!(r#"{{"abi":{ABI},"bytecode":{{"object":"0x6001"}}}}"#),
        );
        assert_eq!(read(&foundry, None).unwrap().name, "Counter");
        let hardhat = write(
            dir.path(),
            "H.json",
            &format!(r#"{{"contractName":"Counter","abi":{ABI},"bytecode":"0x6001"}}"#),
        );
        assert_eq!(read(&hardhat, None).unwrap().bytecode.len(), 2);
        let empty = write(
            dir.path(),
            "I.json",
            &format!(r#"{{"abi":{ABI},"bytecode":"0x"}}"#),
        );
        assert!(read(&empty, None).unwrap_err().contains("empty bytecode"));
    }
}
