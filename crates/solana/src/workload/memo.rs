//! `memo`: the SPL Memo program (v3, built into solana-test-validator) with
//! a payload of a given size: the simplest way to see how a transaction's
//! size moves landing and latency. The payload is the transaction's sequence
//! number in 20 digits, then dots up to the size, so every transaction is
//! distinct and of one size.
//!
//! SPL Memo is not cheap: it checks the payload is UTF-8 and logs it,
//! about 350 compute units a byte on solana-test-validator 4.2.2 (24,300
//! for 64 bytes, 72,000 for 200, 142,000 for 400), so a larger memo is a
//! heavier transaction as well as a longer one. Its transactions ask for
//! [`unit_limit`] units, which covers that with room.
//!
//! ```toml
//! [workload]
//! kind = "memo"
//!
//! [workload.memo]
//! bytes = 512   # payload size (default 64)
//! ```

use super::{largest_budget, tx_bytes, Kind, Plan, Prepare, Preparing, Workload, MAX_TX_BYTES};
use chainmeter_core::scenario::{ScenarioError, Section};
use serde::Deserialize;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey};
use std::{str::FromStr, sync::Arc};
use toml::Spanned;

pub(super) const KIND: Kind = Kind {
    name: "memo",
    check,
};

/// SPL Memo v3's program id.
const MEMO_PROGRAM: &str = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr";
const DEFAULT_BYTES: usize = 64;
/// The sequence number's digits at the payload's head.
const SEQ_DIGITS: usize = 20;

/// Compute units a memo of `bytes` is given: about 1,900 + 350 a byte
/// measured, with room (the runtime's default of 200,000 fails a memo of
/// 600 bytes).
fn unit_limit(bytes: usize) -> u32 {
    u32::try_from(3_000 + 400 * bytes).unwrap_or(u32::MAX)
}

/// `[workload.memo]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemoFile {
    /// Payload size, bytes.
    bytes: Option<Spanned<usize>>,
}

#[derive(Debug)]
struct MemoPlan {
    bytes: usize,
}

fn program() -> Pubkey {
    Pubkey::from_str(MEMO_PROGRAM).expect("SPL Memo's id is a public key")
}

fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    let f: MemoFile = section.workload_settings()?.unwrap_or_default();
    let bytes = f.bytes.as_ref().map_or(DEFAULT_BYTES, |b| *b.get_ref());
    let mut ixs = largest_budget();
    ixs.push(memo(0, SEQ_DIGITS));
    let most = MAX_TX_BYTES - tx_bytes(&ixs, &Pubkey::new_unique()) + SEQ_DIGITS;
    if !(SEQ_DIGITS..=most).contains(&bytes) {
        return Err(section.workload_error(
            f.bytes.as_ref().map_or(0..0, |b| b.span()),
            "bytes",
            format!(
                "{bytes} bytes: a memo carries {SEQ_DIGITS} to {most} (the transaction's sequence \
                 number, in a transaction of at most Solana's {MAX_TX_BYTES} bytes)"
            ),
        ));
    }
    Ok(Arc::new(MemoPlan { bytes }))
}

/// The memo of transaction `seq`, `bytes` long (at least its digits).
fn memo(seq: u64, bytes: usize) -> Instruction {
    let mut data = format!("{seq:0SEQ_DIGITS$}").into_bytes();
    data.resize(bytes.max(SEQ_DIGITS), b'.');
    Instruction {
        program_id: program(),
        accounts: Vec::new(),
        data,
    }
}

impl Plan for MemoPlan {
    fn unit_limit(&self) -> Option<u32> {
        Some(unit_limit(self.bytes))
    }

    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            p.deployed(&program()).await?;
            Ok(Arc::new(Memo { bytes: self.bytes }) as Arc<dyn Workload>)
        })
    }
}

#[derive(Debug)]
struct Memo {
    bytes: usize,
}

impl Workload for Memo {
    fn instruction(&self, seq: u64, _index: usize, _payer: &Pubkey) -> Instruction {
        memo(seq, self.bytes)
    }

    fn describe(&self) -> String {
        format!(
            "memo, a {}-byte payload per transaction (SPL Memo)",
            self.bytes
        )
    }

    fn repeats(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_has_its_size_and_its_sequence_number() {
        let m = memo(42, 64);
        assert_eq!(m.data.len(), 64);
        assert!(m.data.starts_with(b"00000000000000000042...."));
        assert_ne!(memo(43, 64).data, m.data);
    }
}
