//! `program`: the user's own program, which chainmeter has no code for.
//! The scenario names its ELF (loaded into a validator chainmeter starts)
//! or the id of a program already deployed (when attaching), and describes
//! the instruction each transaction carries: its accounts in order and its
//! data as little-endian fields ([`data`]). Accounts chainmeter should
//! create (one shared by every payer, or one per payer; owned by the
//! program, rent-exempt, zeroed) are created before the clock. Every
//! mismatch is a located error when the scenario is read, before any
//! validator starts.
//!
//! ```toml
//! [workload]
//! kind = "program"
//!
//! [workload.program]
//! file = "counter.so"           # or id = "<base58>", or keypair = "id.json"
//! accounts = [
//!   { create = "shared", size = 16, writable = true },
//!   { payer = true },
//!   { sysvar = "clock" },
//! ]
//! data = [{ range = [1, 100], type = "u64" }, { seq = "u64" }]
//! ```

mod data;

use super::{
    largest_budget,
    prepare::{confirm_all, Derived},
    tx_bytes, Kind, Loaded, Plan, Prepare, Preparing, Workload, MAX_TX_BYTES,
};
use crate::{calls::top_up, error::SolanaError, keys};
use chainmeter_core::scenario::{ScenarioError, Section};
use data::{Draw, Field};
use serde::Deserialize;
use solana_sdk::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
    signer::Signer,
};
use std::{ops::Range, path::PathBuf, str::FromStr, sync::Arc};
use toml::Spanned;

pub(super) const KIND: Kind = Kind {
    name: "program",
    check,
};

/// `[workload.program]`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgramFile {
    /// The program's ELF (`.so`), relative to the scenario file.
    file: Option<Spanned<PathBuf>>,
    /// Its id (base58).
    id: Option<Spanned<String>>,
    /// A keypair file (solana-keygen JSON) whose public key is its id.
    keypair: Option<Spanned<PathBuf>>,
    /// The instruction's accounts, in order.
    accounts: Option<Spanned<Vec<Spanned<AccountFile>>>>,
    /// Its data, field by field.
    data: Option<Spanned<Vec<Spanned<toml::Value>>>>,
}

/// One entry of `accounts`: exactly one of `payer`, `pubkey`, `sysvar`, `create`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountFile {
    payer: Option<bool>,
    pubkey: Option<String>,
    sysvar: Option<String>,
    create: Option<Create>,
    /// `create`: the account's size in bytes.
    size: Option<usize>,
    writable: Option<bool>,
    signer: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Create {
    /// One account every payer's transactions name: hot writes.
    Shared,
    /// An account of its own for every payer: disjoint writes.
    PerPayer,
}

/// The sysvars an instruction may name, by the name a scenario gives them.
const SYSVARS: &[(&str, &str)] = &[
    ("clock", "SysvarC1ock11111111111111111111111111111111"),
    (
        "epoch_schedule",
        "SysvarEpochSchedu1e111111111111111111111111",
    ),
    (
        "instructions",
        "Sysvar1nstructions1111111111111111111111111",
    ),
    ("rent", "SysvarRent111111111111111111111111111111111"),
    ("slot_hashes", "SysvarS1otHashes111111111111111111111111111"),
    (
        "stake_history",
        "SysvarStakeHistory1111111111111111111111111",
    ),
];

/// Largest account chainmeter creates: the system program's limit for a
/// new account (`MAX_PERMITTED_DATA_LENGTH`).
const MAX_ACCOUNT_SIZE: usize = 10 * 1024 * 1024;

/// Accounts created per setup transaction: a `create_account_with_seed`
/// is three keys and about 130 bytes, so six fit a packet with room.
const CREATES_PER_TX: usize = 6;

/// An account of the instruction, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Account {
    /// The transaction's payer, its one signer.
    Payer { writable: bool },
    /// A fixed address.
    Fixed { key: Pubkey, writable: bool },
    /// Created before the clock: created account `k` (payer i's, when one per payer).
    Created { k: usize, writable: bool },
}

/// An account to create before the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ToCreate {
    per_payer: bool,
    size: usize,
}

#[derive(Debug)]
struct ProgramPlan {
    id: Pubkey,
    file: Option<PathBuf>,
    accounts: Vec<Account>,
    creates: Vec<ToCreate>,
    fields: Vec<Field>,
}

fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    let err = |span: Range<usize>, field: &str, m: String| section.workload_error(span, field, m);
    section.no_value("it calls a program; give amounts in its data")?;
    let f: ProgramFile = section.workload_settings()?.ok_or_else(|| {
        section.unknown_settings(
            "kind = \"program\" needs [workload.program]: a program's file or id at least",
        )
    })?;
    let (file, elf) = match &f.file {
        Some(path) => {
            let resolved = section.path(path.get_ref());
            let bytes = std::fs::read(&resolved).map_err(|e| {
                err(
                    path.span(),
                    "file",
                    format!("cannot read {}: {e}", resolved.display()),
                )
            })?;
            if !bytes.starts_with(b"\x7fELF") {
                return Err(err(
                    path.span(),
                    "file",
                    format!(
                        "{} is not a program: a Solana program is an ELF shared object (.so)",
                        resolved.display()
                    ),
                ));
            }
            (Some(resolved), Some(bytes))
        }
        None => (None, None),
    };
    let id = match (&f.id, &f.keypair, &elf) {
        (Some(_), Some(k), _) => {
            return Err(err(
                k.span(),
                "keypair",
                "give `id` or `keypair`, not both".into(),
            ))
        }
        (Some(id), None, _) => Pubkey::from_str(id.get_ref().trim()).map_err(|e| {
            err(
                id.span(),
                "id",
                format!("{} is not a public key: {e}", id.get_ref()),
            )
        })?,
        (None, Some(k), _) => {
            let path = section.path(k.get_ref());
            solana_sdk::signature::read_keypair_file(&path)
                .map_err(|e| {
                    err(
                        k.span(),
                        "keypair",
                        format!(
                            "{} is not a keypair file (solana-keygen's JSON): {e}",
                            path.display()
                        ),
                    )
                })?
                .pubkey()
        }
        (None, None, Some(bytes)) => keys::program(bytes),
        (None, None, None) => {
            return Err(section.unknown_settings(
                "give `file` (a program's .so, which a validator chainmeter starts loads) or \
                 `id` (a program already deployed on the cluster attached to)",
            ))
        }
    };

    let mut accounts = Vec::new();
    let mut creates = Vec::new();
    let listed = f.accounts.as_ref().map_or(&[][..], |a| a.get_ref());
    for (i, entry) in listed.iter().enumerate() {
        let at = |m: &str| err(entry.span(), &format!("accounts[{i}]"), m.to_owned());
        let (account, create) = account(entry.get_ref(), creates.len()).map_err(|m| at(&m))?;
        creates.extend(create);
        accounts.push(account);
    }
    let fields = f
        .data
        .as_ref()
        .map_or(&[][..], |d| d.get_ref())
        .iter()
        .enumerate()
        .map(|(i, v)| {
            Field::parse(v.get_ref()).map_err(|m| err(v.span(), &format!("data[{i}]"), m))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let plan = ProgramPlan {
        id,
        file,
        accounts,
        creates,
        fields,
    };
    let bytes = plan.largest_tx();
    if bytes > MAX_TX_BYTES {
        let (span, field) = match (&f.accounts, &f.data) {
            (Some(a), _) if !plan.accounts.is_empty() => (a.span(), "accounts"),
            (_, Some(d)) => (d.span(), "data"),
            _ => (0..0, "accounts"),
        };
        return Err(err(
            span,
            field,
            format!(
                "a transaction of {} accounts and {} bytes of data is {bytes} bytes, over \
                 Solana's {MAX_TX_BYTES}",
                plan.accounts.len(),
                plan.data_len()
            ),
        ));
    }
    Ok(Arc::new(plan))
}

/// One entry of `accounts`, checked, with the account to create for it;
/// `created` accounts are listed before it.
fn account(a: &AccountFile, created: usize) -> Result<(Account, Option<ToCreate>), String> {
    let given = [
        a.payer.is_some(),
        a.pubkey.is_some(),
        a.sysvar.is_some(),
        a.create.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(
            "give exactly one of payer = true, pubkey = \"…\", sysvar = \"…\" or \
                    create = \"shared\" | \"per_payer\""
                .into(),
        );
    }
    if a.size.is_some() && a.create.is_none() {
        return Err("size applies only to an account chainmeter creates (create = …)".into());
    }
    if a.signer == Some(true) && a.payer.is_none() {
        return Err(
            "only the payer signs: chainmeter holds no other account's key (signer = true)".into(),
        );
    }
    let writable = a.writable.unwrap_or(false);
    if let Some(payer) = a.payer {
        if !payer {
            return Err("payer takes true".into());
        }
        if a.signer == Some(false) {
            return Err("the payer signs every transaction: signer = false cannot hold".into());
        }
        // The fee payer is writable whatever its meta says.
        let writable = a.writable.unwrap_or(true);
        return Ok((Account::Payer { writable }, None));
    }
    if let Some(key) = &a.pubkey {
        let key =
            Pubkey::from_str(key.trim()).map_err(|e| format!("{key} is not a public key: {e}"))?;
        return Ok((Account::Fixed { key, writable }, None));
    }
    if let Some(name) = &a.sysvar {
        let Some((_, key)) = SYSVARS.iter().find(|(n, _)| n == name) else {
            return Err(format!(
                "unknown sysvar {name}; use {}",
                SYSVARS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if writable {
            return Err("a sysvar cannot be writable".into());
        }
        let key = Pubkey::from_str(key).expect("the sysvar ids are public keys");
        return Ok((Account::Fixed { key, writable }, None));
    }
    let size = a.size.ok_or("create needs size, in bytes")?;
    if size > MAX_ACCOUNT_SIZE {
        return Err(format!(
            "size {size} is over the {MAX_ACCOUNT_SIZE} bytes an account can be created with"
        ));
    }
    let create = ToCreate {
        per_payer: a.create == Some(Create::PerPayer),
        size,
    };
    Ok((
        Account::Created {
            k: created,
            writable,
        },
        Some(create),
    ))
}

impl ProgramPlan {
    fn data_len(&self) -> usize {
        self.fields.iter().map(Field::len).sum()
    }

    /// The size of its largest transaction: every account but the payer a
    /// key of its own, and both compute-budget instructions.
    fn largest_tx(&self) -> usize {
        let payer = Pubkey::new_unique();
        let mut ixs = largest_budget();
        ixs.push(Instruction {
            program_id: self.id,
            accounts: self
                .accounts
                .iter()
                .map(|a| match a {
                    Account::Payer { .. } => AccountMeta::new(payer, true),
                    _ => AccountMeta::new(Pubkey::new_unique(), false),
                })
                .collect(),
            data: vec![0; self.data_len()],
        });
        tx_bytes(&ixs, &payer)
    }
}

impl Plan for ProgramPlan {
    fn programs(&self) -> Vec<Loaded> {
        self.file
            .iter()
            .map(|file| Loaded {
                id: self.id,
                file: file.clone(),
            })
            .collect()
    }

    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            p.deployed(&self.id).await?;
            let mut created = Vec::with_capacity(self.creates.len());
            for (k, c) in self.creates.iter().enumerate() {
                let count = if c.per_payer { p.payers.len() } else { 1 };
                created.push(create_accounts(&p, k, count, c.size, &self.id).await?);
            }
            Ok(Arc::new(Program {
                id: self.id,
                accounts: self.accounts.clone(),
                per_payer: self.creates.iter().map(|c| c.per_payer).collect(),
                created,
                fields: self.fields.clone(),
                seed: p.seed.to_owned(),
            }) as Arc<dyn Workload>)
        })
    }
}

/// Creates `count` zeroed accounts of `size` bytes owned by `owner`,
/// rent-exempt, paid by the funder, at addresses derived from it that are
/// new to this run (a second run on the same cluster starts from zero).
async fn create_accounts(
    p: &Prepare<'_>,
    k: usize,
    count: usize,
    size: usize,
    owner: &Pubkey,
) -> Result<Vec<Pubkey>, SolanaError> {
    let rent = p
        .rpc
        .get_minimum_balance_for_rent_exemption(size)
        .await
        .map_err(super::prepare::prepare_step(
            p.url,
            "getMinimumBalanceForRentExemption",
        ))?;
    // Rent, and each setup transaction's fee with room.
    let fees = (count.div_ceil(CREATES_PER_TX) as u64) * 10_000;
    top_up(p.rpc, p.url, p.funder, p.by_key, rent * count as u64 + fees).await?;
    let base = p.funder.pubkey();
    let derived = Derived::new(base, p.seed);
    let mut keys = Vec::with_capacity(count);
    let mut batches = Vec::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(CREATES_PER_TX) {
        let mut ixs = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let (seed, key) = derived.account(p.url, &format!("{k}.{i}."), owner)?;
            ixs.push(
                solana_system_interface::instruction::create_account_with_seed(
                    &base,
                    &key,
                    &base,
                    &seed,
                    rent,
                    size as u64,
                    owner,
                ),
            );
            keys.push(key);
        }
        batches.push(ixs);
    }
    confirm_all(p.rpc, p.url, p.funder, &batches).await?;
    Ok(keys)
}

/// The user's instruction, its accounts created.
#[derive(Debug)]
struct Program {
    id: Pubkey,
    accounts: Vec<Account>,
    /// Whether created account k is one per payer.
    per_payer: Vec<bool>,
    /// Created account k's addresses (one, or one per payer).
    created: Vec<Vec<Pubkey>>,
    fields: Vec<Field>,
    /// The scenario's seed, which `range` fields draw from.
    seed: String,
}

impl Workload for Program {
    fn instruction(&self, seq: u64, index: usize, payer: &Pubkey) -> Instruction {
        let meta = |key: Pubkey, signer: bool, writable: bool| match writable {
            true => AccountMeta::new(key, signer),
            false => AccountMeta::new_readonly(key, signer),
        };
        let accounts = self
            .accounts
            .iter()
            .map(|a| match *a {
                Account::Payer { writable } => meta(*payer, true, writable),
                Account::Fixed { key, writable } => meta(key, false, writable),
                Account::Created { k, writable } => {
                    let i = if self.per_payer[k] { index } else { 0 };
                    meta(self.created[k][i], false, writable)
                }
            })
            .collect();
        let draw = Draw {
            seed: &self.seed,
            seq,
            payer: index,
        };
        let mut data = Vec::with_capacity(self.fields.iter().map(Field::len).sum());
        for (i, f) in self.fields.iter().enumerate() {
            f.write(&draw, i, &mut data);
        }
        Instruction {
            program_id: self.id,
            accounts,
            data,
        }
    }

    fn describe(&self) -> String {
        let n = self.accounts.len();
        let mut words = format!(
            "program {}, {n} account{} and {} bytes of data per transaction",
            self.id,
            if n == 1 { "" } else { "s" },
            self.fields.iter().map(Field::len).sum::<usize>()
        );
        for (k, keys) in self.created.iter().enumerate() {
            match (self.per_payer[k], keys.first()) {
                (false, Some(key)) => words.push_str(&format!("; shared account {key}")),
                _ => words.push_str(&format!("; {} accounts, one a payer", keys.len())),
            }
        }
        words
    }

    /// Distinct when the data carries the sequence number.
    fn repeats(&self) -> bool {
        !self.fields.iter().any(Field::distinct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Solana;
    use chainmeter_core::{
        plugin::Chain,
        scenario::{self, Overrides},
    };

    /// The error of a program scenario whose `[workload.program]` is
    /// `settings`, its files relative to `dir` ("" when it parses).
    fn error(dir: &std::path::Path, settings: &str) -> String {
        let text = format!(
            "name = \"t\"\n[load]\nrate = 1\ncount = 1\n[workload]\nkind = \"program\"\n\
             [workload.program]\n{settings}\n[solana]\n"
        );
        let source = dir.join("s.toml");
        std::fs::write(&source, &text).unwrap();
        scenario::parse(
            &text,
            source.to_str().unwrap(),
            &Overrides::default(),
            &[&Solana as &dyn Chain],
        )
        .map(|_| String::new())
        .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn programs_accounts_and_fields_are_checked_with_their_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.so"), b"\x7fELF....").unwrap();
        std::fs::write(dir.path().join("text.so"), b"not a program").unwrap();
        std::fs::write(dir.path().join("bad.json"), b"[1, 2]").unwrap();
        let id = "id = \"34Gcfy6VAQBLVmNJtvzEiEqMt5bbL4wQc1Fr4sJn9P2K\"";
        assert_eq!(error(dir.path(), "file = \"p.so\""), "");
        assert_eq!(error(dir.path(), id), "");
        for (settings, says) in [
            (
                "file = \"missing.so\"".to_owned(),
                "s.toml:8:8: workload.program.file: cannot read",
            ),
            (
                "file = \"text.so\"".into(),
                "is not a program: a Solana program is an ELF",
            ),
            ("accounts = []".into(), "workload.program: give `file`"),
            (
                "id = \"xyz\"".into(),
                "workload.program.id: xyz is not a public key",
            ),
            (
                "keypair = \"bad.json\"".into(),
                "workload.program.keypair: ",
            ),
            (
                format!("{id}\nkeypair = \"bad.json\""),
                "give `id` or `keypair`, not both",
            ),
            (
                format!("{id}\ndata = [{{ u64 = 1 }}, {{ i32 = 5 }}]"),
                "s.toml:9:22: workload.program.data[1]: unknown field `i32`",
            ),
            (
                format!("{id}\ndata = [{{ u8 = 300 }}]"),
                "workload.program.data[0]: 300 does not fit in a u8",
            ),
            (
                format!("{id}\naccounts = [{{ payer = true, sysvar = \"clock\" }}]"),
                "s.toml:9:13: workload.program.accounts[0]: give exactly one of",
            ),
            (
                format!("{id}\naccounts = [{{ sysvar = \"clocks\" }}]"),
                "unknown sysvar clocks; use clock,",
            ),
            (
                format!("{id}\naccounts = [{{ create = \"shared\" }}]"),
                "create needs size",
            ),
            (
                format!("{id}\naccounts = [{{ create = \"shared\", size = 8, signer = true }}]"),
                "only the payer signs",
            ),
            (
                format!(
                    "{id}\naccounts = [{{ pubkey = \"11111111111111111111111111111111\", size = 3 }}]"
                ),
                "size applies only to an account chainmeter creates",
            ),
            (
                format!("{id}\naccounts = [{{ created = \"shared\" }}]"),
                "unknown field `created`",
            ),
            (
                format!("{id}\ndata = [{{ hex = \"{}\" }}]", "00".repeat(1200)),
                "workload.program.data: a transaction of 0 accounts and 1200 bytes of data is",
            ),
            (
                format!(
                    "{id}\naccounts = [{}]",
                    vec!["{ create = \"per_payer\", size = 8 }"; 40].join(", ")
                ),
                "workload.program.accounts: a transaction of 40 accounts",
            ),
        ] {
            let e = error(dir.path(), &settings);
            assert!(e.contains(says), "{settings}: {e}");
        }
    }

    #[test]
    fn a_program_file_without_an_id_gets_one_from_its_bytes() {
        assert_eq!(keys::program(b"\x7fELF a"), keys::program(b"\x7fELF a"));
        assert_ne!(keys::program(b"\x7fELF a"), keys::program(b"\x7fELF b"));
    }

    #[test]
    fn a_batch_of_creates_fits_a_packet() {
        let base = Pubkey::new_unique();
        let (seed, _) = Derived::new(base, "s")
            .account("http://x", "9.99999.", &Pubkey::new_unique())
            .unwrap();
        assert!(seed.len() <= 32, "{seed}");
        let ixs: Vec<_> = (0..CREATES_PER_TX)
            .map(|_| {
                solana_system_interface::instruction::create_account_with_seed(
                    &base,
                    &Pubkey::new_unique(),
                    &base,
                    &seed,
                    1,
                    8,
                    &Pubkey::new_unique(),
                )
            })
            .collect();
        let n = tx_bytes(&ixs, &base);
        assert!(n <= MAX_TX_BYTES, "{n}");
    }
}
