//! `call`: the user's own contract. The scenario names a compiled artifact
//! (solc's standard-JSON output, a Foundry or a Hardhat artifact), the
//! function each transaction calls by its signature, and its arguments,
//! literal or generated (`args`). Before the clock, chainmeter deploys the
//! contract (once, or once per sender) with its constructor's arguments and
//! makes the setup calls listed (`[[workload.call.setup]]`, from the
//! deployer or from every sender); every mismatch with the ABI is a located
//! error when the scenario is read.
//!
//! ```toml
//! [workload]
//! kind = "call"
//!
//! [workload.call]
//! artifact = "out/Counter.sol/Counter.json"
//! constructor = [100]
//! function = "bump(uint256)"
//! args = [{ seq = true }]
//!
//! [[workload.call.setup]]
//! function = "setLimit(uint256)"
//! args = [1000]
//! ```

mod args;
mod artifact;

use super::{Call, Kind, Plan, Prepare, Preparing, Workload};
use crate::{error::PrepareError, setup::Deployer};
use alloy::{
    dyn_abi::{DynSolType, DynSolValue, JsonAbiExt, Specifier},
    json_abi::{Function, StateMutability},
    primitives::{Address, Bytes, TxKind, U256},
};
use args::{Arg, Draw};
use chainmeter_core::scenario::{ScenarioError, Section};
use serde::Deserialize;
use std::{ops::Range, path::PathBuf, sync::Arc};
use toml::Spanned;

pub(super) const KIND: Kind = Kind {
    name: "call",
    check,
};

/// `[workload.call]`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallFile {
    /// The compiled contract, relative to the scenario file.
    artifact: Spanned<PathBuf>,
    /// Which contract of the artifact, when it holds several.
    contract: Option<Spanned<String>>,
    /// The constructor's arguments (literals).
    constructor: Option<Spanned<Vec<toml::Value>>>,
    /// `"once"` (one contract every sender calls, the default) or
    /// `"per_sender"` (a contract of its own for each sender).
    deploy: Option<Deploy>,
    /// The function each transaction calls: its signature, or its name when unique.
    function: Spanned<String>,
    /// Its arguments.
    args: Option<Spanned<Vec<toml::Value>>>,
    /// Wei sent with each call (default 0); only to a payable function.
    value: Option<Spanned<u64>>,
    /// The gas limit of each call; default: the largest `eth_estimateGas`
    /// over a sample of the run's calls, plus 25%.
    gas_limit: Option<Spanned<u64>>,
    /// Calls made before the clock starts.
    setup: Option<Vec<SetupFile>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Deploy {
    Once,
    PerSender,
}

/// `[[workload.call.setup]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupFile {
    function: Spanned<String>,
    args: Option<Spanned<Vec<toml::Value>>>,
    /// `"deployer"` (the default) or `"senders"` (each sender once).
    from: Option<From>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum From {
    Deployer,
    Senders,
}

/// A function and its arguments, checked against the ABI.
#[derive(Debug, Clone)]
struct Invocation {
    function: Function,
    types: Vec<DynSolType>,
    args: Vec<Arg>,
}

impl Invocation {
    fn data(&self, draw: &Draw<'_>) -> Bytes {
        let values: Vec<DynSolValue> = self
            .args
            .iter()
            .zip(&self.types)
            .enumerate()
            .map(|(i, (a, ty))| a.value(draw, i, ty))
            .collect();
        // The values were typed by the ABI when the scenario was read, so
        // encoding them cannot fail.
        self.function
            .abi_encode_input(&values)
            .unwrap_or_default()
            .into()
    }

    /// Refuses a `seq` argument whose type cannot hold the run's last
    /// sequence number: from there on every call would revert in the ABI
    /// decoder, booked as the contract's failures.
    fn fits_sequence(&self, sends: u64) -> Result<(), String> {
        let last = sends.saturating_sub(1);
        for (i, (arg, ty)) in self.args.iter().zip(&self.types).enumerate() {
            let max = match (arg, ty) {
                (Arg::Seq, DynSolType::Uint(bits)) if *bits < 64 => (1u64 << bits) - 1,
                (Arg::Seq, DynSolType::Int(bits)) if *bits <= 64 => (1u64 << (bits - 1)) - 1,
                _ => continue,
            };
            if last > max {
                return Err(format!(
                    "argument {} of {}: seq reaches {last} over the run's {sends} planned transactions (warm-up included), past {}'s maximum {max}",
                    i + 1,
                    self.function.signature(),
                    ty.sol_type_name()
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
struct CallPlan {
    name: String,
    bytecode: Bytes,
    constructor: Vec<u8>,
    deploy: Deploy,
    call: Invocation,
    value: U256,
    gas_limit: Option<u64>,
    setup: Vec<(Invocation, From)>,
    /// The ABI's custom errors, to read a revert's data by.
    errors: Vec<alloy::json_abi::Error>,
    /// The run's planned transactions, to sample the gas estimate over.
    planned_sends: Option<u64>,
}

/// Calls whose gas is estimated for the default gas limit, spread over the
/// run's sequence: a call whose cost grows with a generated argument is
/// estimated at its costlier values, not only at the first.
const GAS_SAMPLE: u64 = 16;

fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    let err = |span: Range<usize>, field: &str, m: String| section.workload_error(span, field, m);
    section.no_value("a call sends [workload.call] value")?;
    let f: CallFile = section.workload_settings()?.ok_or_else(|| {
        section.unknown_settings(
            "kind = \"call\" needs [workload.call]: artifact and function at least",
        )
    })?;
    let path = section.path(f.artifact.get_ref());
    let a =
        artifact::read(&path, f.contract.as_ref().map(|c| c.get_ref().as_str())).map_err(|e| {
            match &f.contract {
                Some(c) if e.contains("holds no contract") => err(c.span(), "contract", e),
                _ => err(f.artifact.span(), "artifact", e),
            }
        })?;
    let function = |sig: &Spanned<String>, field: &str| -> Result<Function, ScenarioError> {
        let want = sig.get_ref().trim();
        let all: Vec<&Function> = a.abi.functions().collect();
        let found: Vec<&&Function> = match want.contains('(') {
            true => all.iter().filter(|x| x.signature() == want).collect(),
            false => all.iter().filter(|x| x.name == want).collect(),
        };
        match found.as_slice() {
            [one] => Ok((**one).clone()),
            [] => Err(err(
                sig.span(),
                field,
                format!(
                    "the ABI of {} has no function {want}; it has {}",
                    a.name,
                    all.iter()
                        .map(|x| x.signature())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            many => Err(err(
                sig.span(),
                field,
                format!(
                    "{want} is overloaded in {}: give one signature of {}",
                    a.name,
                    many.iter()
                        .map(|x| x.signature())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    };
    let invocation = |function: Function,
                      args: &Option<Spanned<Vec<toml::Value>>>,
                      field: &str|
     -> Result<Invocation, ScenarioError> {
        let (span, given) = match args {
            Some(a) => (a.span(), a.get_ref().as_slice()),
            None => (0..0, &[][..]),
        };
        let types = function
            .inputs
            .iter()
            .map(|p| p.resolve())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                err(
                    span.clone(),
                    field,
                    format!("{}: {e}", function.signature()),
                )
            })?;
        if given.len() != types.len() {
            return Err(err(
                span,
                field,
                format!(
                    "{} takes {} argument(s); {} given",
                    function.signature(),
                    types.len(),
                    given.len()
                ),
            ));
        }
        let args = given
            .iter()
            .zip(&types)
            .enumerate()
            .map(|(i, (v, ty))| {
                Arg::parse(v, ty).map_err(|e| {
                    err(
                        span.clone(),
                        field,
                        format!("argument {} of {}: {e}", i + 1, function.signature()),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Invocation {
            function,
            types,
            args,
        })
    };
    let call = invocation(function(&f.function, "function")?, &f.args, "args")?;
    if let Some(v) = f.value.as_ref().filter(|v| *v.get_ref() > 0) {
        if call.function.state_mutability != StateMutability::Payable {
            return Err(err(
                v.span(),
                "value",
                format!(
                    "{} is not payable: every call sending {} wei would revert",
                    call.function.signature(),
                    v.get_ref()
                ),
            ));
        }
    }
    if let Some(sends) = section.planned_sends() {
        let span = f.args.as_ref().map_or(0..0, Spanned::span);
        call.fits_sequence(sends)
            .map_err(|m| err(span, "args", m))?;
    }
    let constructor = match (&a.abi.constructor, &f.constructor) {
        (None, None) => Vec::new(),
        (None, Some(given)) if given.get_ref().is_empty() => Vec::new(),
        (None, Some(given)) => {
            return Err(err(
                given.span(),
                "constructor",
                format!("{} has no constructor arguments", a.name),
            ))
        }
        (Some(c), given) => {
            let (span, values) = match given {
                Some(g) => (g.span(), g.get_ref().as_slice()),
                None => (0..0, &[][..]),
            };
            if values.len() != c.inputs.len() {
                return Err(err(
                    span,
                    "constructor",
                    format!(
                        "{}'s constructor takes {} argument(s); {} given",
                        a.name,
                        c.inputs.len(),
                        values.len()
                    ),
                ));
            }
            let typed = c
                .inputs
                .iter()
                .zip(values)
                .enumerate()
                .map(|(i, (p, v))| {
                    let ty = p
                        .resolve()
                        .map_err(|e| err(span.clone(), "constructor", e.to_string()))?;
                    args::literal(v, &ty).map_err(|e| {
                        err(
                            span.clone(),
                            "constructor",
                            format!("argument {}: {e}", i + 1),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            c.abi_encode_input(&typed)
                .map_err(|e| err(span, "constructor", e.to_string()))?
        }
    };
    let setup = f
        .setup
        .iter()
        .flatten()
        .map(|s| {
            let inv = invocation(
                function(&s.function, "setup.function")?,
                &s.args,
                "setup.args",
            )?;
            Ok((inv, s.from.unwrap_or(From::Deployer)))
        })
        .collect::<Result<_, ScenarioError>>()?;
    if let Some(g) = f.gas_limit.as_ref().filter(|g| *g.get_ref() < 21_000) {
        return Err(err(g.span(), "gas_limit", "must be at least 21000".into()));
    }
    let errors = a.abi.errors().cloned().collect();
    Ok(Arc::new(CallPlan {
        errors,
        name: a.name,
        bytecode: a.bytecode,
        constructor,
        deploy: f.deploy.unwrap_or(Deploy::Once),
        call,
        value: U256::from(f.value.map_or(0, |v| *v.get_ref())),
        gas_limit: f.gas_limit.map(|g| *g.get_ref()),
        setup,
        planned_sends: section.planned_sends(),
    }))
}

impl Plan for CallPlan {
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            let deployer = p.deployer().await?;
            let code: Bytes = [self.bytecode.as_ref(), &self.constructor].concat().into();
            let instances = match self.deploy {
                Deploy::Once => 1,
                Deploy::PerSender => p.senders.len(),
            };
            let mut contracts = Vec::with_capacity(instances);
            for _ in 0..instances {
                contracts.push(p.create(&deployer, code.clone(), &self.name).await?);
            }
            let contract_of = |i: usize| contracts[i.min(contracts.len() - 1)];
            for (inv, from) in &self.setup {
                match from {
                    From::Deployer => {
                        for (i, &contract) in contracts.iter().enumerate() {
                            let draw = Draw {
                                seed: p.seed,
                                seq: i as u64,
                                sender: deployer.address(),
                                contract,
                            };
                            deployer
                                .execute(p.client, p.url, TxKind::Call(contract), inv.data(&draw))
                                .await?;
                        }
                    }
                    From::Senders => {
                        for (i, &sender) in p.senders.iter().enumerate() {
                            let from =
                                Deployer::sender(p.client, p.url, p.seed, i as u32, p.chain_id)
                                    .await?;
                            let contract = contract_of(i);
                            let draw = Draw {
                                seed: p.seed,
                                seq: i as u64,
                                sender,
                                contract,
                            };
                            from.execute(p.client, p.url, TxKind::Call(contract), inv.data(&draw))
                                .await?;
                        }
                    }
                }
            }
            let mut workload = Contract {
                name: self.name.clone(),
                seed: p.seed.to_owned(),
                senders: p.senders.to_vec(),
                contracts,
                call: self.call.clone(),
                value: self.value,
                gas_limit: self.gas_limit.unwrap_or(0),
                errors: self.errors.clone(),
            };
            if self.gas_limit.is_none() {
                // The largest estimate over calls spread across the run,
                // each from its own sender. A call the node says reverts
                // would revert whatever its gas (the contract refusing it):
                // it bounds nothing, unless every sampled call does.
                let span = self.planned_sends.unwrap_or(GAS_SAMPLE).max(1);
                let mut seqs: Vec<u64> = (0..GAS_SAMPLE).map(|k| k * span / GAS_SAMPLE).collect();
                seqs.push(span - 1);
                seqs.dedup();
                let mut refused = None;
                for seq in seqs {
                    let call = workload.build(seq);
                    let from = workload.senders[(seq % workload.senders.len() as u64) as usize];
                    match p.gas_limit_from(from, call.to, call.input).await {
                        Ok(gas) => workload.gas_limit = workload.gas_limit.max(gas),
                        Err(e) => {
                            refused.get_or_insert((seq, e));
                        }
                    }
                }
                if let (0, Some((seq, e))) = (workload.gas_limit, refused) {
                    return Err(PrepareError::NoEstimate {
                        function: self.call.function.signature(),
                        seq,
                        source: Box::new(e),
                    }
                    .into());
                }
            }
            Ok(Arc::new(workload) as Arc<dyn Workload>)
        })
    }
}

/// Calls of one function of the user's contract.
#[derive(Debug, Clone)]
struct Contract {
    name: String,
    seed: String,
    senders: Vec<Address>,
    /// One, or one per sender.
    contracts: Vec<Address>,
    call: Invocation,
    value: U256,
    gas_limit: u64,
    /// The ABI's custom errors.
    errors: Vec<alloy::json_abi::Error>,
}

impl Workload for Contract {
    fn build(&self, seq: u64) -> Call {
        let index = (seq % self.senders.len().max(1) as u64) as usize;
        let contract = self.contracts[index.min(self.contracts.len() - 1)];
        let draw = Draw {
            seed: &self.seed,
            seq,
            sender: self.senders.get(index).copied().unwrap_or_default(),
            contract,
        };
        Call {
            to: TxKind::Call(contract),
            value: self.value,
            input: self.call.data(&draw),
            gas_limit: self.gas_limit,
        }
    }

    fn describe(&self) -> String {
        let on = match self.contracts.len() {
            1 => "one contract every sender calls".to_owned(),
            n => format!("a contract of its own for each of {n} senders"),
        };
        format!(
            "call, {}.{} on {on}, gas limit {}",
            self.name,
            self.call.function.signature(),
            self.gas_limit
        )
    }

    fn value(&self) -> U256 {
        self.value
    }

    fn warnings(&self) -> Vec<String> {
        let f = &self.call.function;
        match f.state_mutability {
            StateMutability::View | StateMutability::Pure => vec![format!(
                "{}.{} is {}: it changes no state, so each transaction only pays for running it",
                self.name,
                f.signature(),
                f.state_mutability.as_str().unwrap_or("view")
            )],
            _ => Vec::new(),
        }
    }

    /// A custom error of the ABI, with its arguments: `Unlucky(13, 0x…)`.
    fn revert_reason(&self, data: &[u8]) -> Option<String> {
        let (selector, rest) = (data.get(..4)?, &data[4..]);
        let error = self.errors.iter().find(|e| e.selector() == selector)?;
        let values = error.abi_decode_input(rest).ok()?;
        let shown: Vec<String> = values.iter().map(args::show).collect();
        Some(format!("{}({})", error.name, shown.join(", ")))
    }

    fn is_own(&self, to: Option<Address>, input: &[u8]) -> bool {
        to.is_some_and(|to| self.contracts.contains(&to))
            && input.get(..4) == Some(&self.call.function.selector()[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainmeter_core::{
        chain::plugin::Chain,
        scenario::{self, Overrides},
    };

    const ABI: &str = r#"[{"type":"function","name":"record","inputs":[{"name":"n","type":"uint256"},{"name":"who","type":"address"}],"outputs":[],"stateMutability":"nonpayable"},{"type":"constructor","inputs":[{"name":"c","type":"uint256"}],"stateMutability":"nonpayable"}]"#;

    fn scenario_with(dir: &std::path::Path, call: &str) -> Result<(), String> {
        std::fs::write(
            dir.join("L.json"),
            format!(r#"{{"abi":{ABI},"bytecode":"0x6001"}}"#),
        )
        .unwrap();
        let path = dir.join("s.toml");
        std::fs::write(
            &path,
            format!("name = \"t\"\n[workload]\nkind = \"call\"\n[workload.call]\nartifact = \"L.json\"\n{call}\n[load]\nrate = 1\ncount = 1\n[evm]\n"),
        )
        .unwrap();
        scenario::load(&path, &Overrides::default(), &[&crate::Evm as &dyn Chain])
            .map(drop)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn each_call_encodes_its_own_arguments_without_a_chain() {
        let dir = tempfile::tempdir().unwrap();
        let a = artifact::read(
            &{
                std::fs::write(
                    dir.path().join("L.json"),
                    format!(r#"{{"abi":{ABI},"bytecode":"0x6001"}}"#),
                )
                .unwrap();
                dir.path().join("L.json")
            },
            None,
        )
        .unwrap();
        let function = a.abi.functions().next().unwrap().clone();
        let types: Vec<DynSolType> = function
            .inputs
            .iter()
            .map(|p| p.resolve().unwrap())
            .collect();
        let args = vec![
            Arg::parse(&toml::Value::Table(toml::toml! { seq = true }), &types[0]).unwrap(),
            Arg::parse(
                &toml::Value::Table(toml::toml! { sender = true }),
                &types[1],
            )
            .unwrap(),
        ];
        let senders = vec![Address::repeat_byte(1), Address::repeat_byte(2)];
        let c = Contract {
            name: a.name,
            seed: "s".into(),
            senders: senders.clone(),
            contracts: vec![Address::repeat_byte(9)],
            call: Invocation {
                function: function.clone(),
                types,
                args,
            },
            value: U256::ZERO,
            gas_limit: 60_000,
            errors: vec![serde_json::from_str(
                r#"{"type":"error","name":"Unlucky","inputs":[{"name":"n","type":"uint256"},{"name":"who","type":"address"}]}"#,
            )
            .unwrap()],
        };
        // A revert's data read by the ABI's custom errors; other data is left alone.
        let data = c.errors[0]
            .abi_encode_input(&[
                DynSolValue::Uint(U256::from(13), 256),
                DynSolValue::Address(senders[0]),
            ])
            .unwrap();
        assert_eq!(
            c.revert_reason(&data).as_deref(),
            Some("Unlucky(13, 0x0101010101010101010101010101010101010101)")
        );
        assert_eq!(c.revert_reason(&[0x08, 0xc3, 0x79, 0xa0, 0]), None);
        let call = c.build(3);
        assert_eq!(call.to, TxKind::Call(Address::repeat_byte(9)));
        let expected = function
            .abi_encode_input(&[
                DynSolValue::Uint(U256::from(3), 256),
                DynSolValue::Address(senders[1]),
            ])
            .unwrap();
        assert_eq!(call.input.as_ref(), expected.as_slice());
        assert_eq!(&call.input[..4], function.selector().as_slice());
        assert!(c
            .describe()
            .starts_with("call, L.record(uint256,address) on one contract"));
    }

    #[test]
    fn the_scenario_is_checked_against_the_abi_before_any_node() {
        let dir = tempfile::tempdir().unwrap();
        let ok =
            "constructor = [5]\nfunction = \"record\"\nargs = [{ seq = true }, { sender = true }]";
        assert_eq!(scenario_with(dir.path(), ok), Ok(()));
        let e = scenario_with(
            dir.path(),
            "function = \"record\"\nargs = [1, { sender = true }]",
        )
        .unwrap_err();
        assert!(
            e.contains("workload.call.constructor: L's constructor takes 1 argument(s); 0 given"),
            "{e}"
        );
        let e = scenario_with(
            dir.path(),
            "constructor = [5]\nfunction = \"record\"\nargs = [1]",
        )
        .unwrap_err();
        assert!(
            e.contains("record(uint256,address) takes 2 argument(s); 1 given"),
            "{e}"
        );
        let e = scenario_with(
            dir.path(),
            "constructor = [5]\nfunction = \"record\"\nargs = [1, 2]\nbogus = 1",
        )
        .unwrap_err();
        assert!(
            e.contains("workload.call.bogus: unknown field `bogus`"),
            "{e}"
        );
    }
}
