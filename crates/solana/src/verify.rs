//! The run's figures read back from the chain: payer balances and the
//! statuses of every landed signature.

use crate::{
    landed::{LandedReader, LandedSignatures},
    rpc,
    workload::{TokenCheck, AMOUNT_OFFSET},
};
use base64::{engine::general_purpose::STANDARD, Engine};
use chainmeter_core::chain::{BoxFuture, Claimed, Verifier, VerifyError};
use chainmeter_result::run::{Check, Verification};
use serde_json::{json, Value};
use solana_sdk::{pubkey::Pubkey, signature::Signature};
use std::time::Duration;

/// Signatures per `getSignatureStatuses` call, and calls sent at once (in
/// requests under the RPC server's body limit: one call of 256 is ~23 KiB).
const PER_CALL: usize = 256;
const CALLS_AT_ONCE: usize = 8;
/// Accounts per `getMultipleAccounts` call.
const ACCOUNTS_PER_CALL: usize = 100;
const TIMEOUT: Duration = Duration::from_secs(30);

/// A payer as the verifier reads it back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Payer {
    pub(crate) key: Pubkey,
    /// Its balance before the run.
    pub(crate) before: u64,
    /// What one more of its transactions needs (its fee and value, and
    /// rent-exemption after): with less left after the run, it ran dry.
    pub(crate) one_more: u64,
}

/// Checks landed count and fees against the chain.
#[derive(Debug)]
pub(crate) struct SolanaVerifier {
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
    /// Payers, by sender index.
    pub(crate) payers: Vec<Payer>,
    pub(crate) landed: LandedSignatures,
    /// For the token workload: the payers' token balances are checked too.
    pub(crate) token: Option<TokenCheck>,
    /// The funder's balance against its transfers, when a key funded the
    /// run (checked when funding ended, reported with the run's checks).
    pub(crate) funder: Option<Check>,
}

impl Verifier for SolanaVerifier {
    fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, VerifyError>> {
        let (http, url, payers) = (self.http.clone(), self.url.clone(), self.payers.clone());
        let token = self.token.clone();
        let funder = self.funder.clone();
        let signatures = self.landed.reader();
        let kept = self.landed.len();
        Box::pin(async move {
            let signatures = signatures.map_err(|source| VerifyError::Record {
                source: source.into(),
            })?;
            let on_chain = landed_on_chain(&http, &url, signatures).await?;
            let keys: Vec<Pubkey> = payers.iter().map(|p| p.key).collect();
            let accounts = accounts(&http, &url, &keys, 0, 0).await?;
            let after: Vec<u64> = accounts
                .iter()
                .map(|a| a.get("lamports").and_then(Value::as_u64).unwrap_or(0))
                .collect();
            let spent: i128 = payers
                .iter()
                .zip(&after)
                .map(|(p, &now)| i128::from(p.before) - i128::from(now))
                .sum();
            let dry_senders = dry(&payers, &after);
            let value = i128::from(claimed.landed_ok as i64)
                * i128::try_from(claimed.value_per_tx).unwrap_or(i128::MAX);
            let landed = claimed.landed_ok + claimed.landed_failed;
            let token_check = match &token {
                Some(t) => Some(Check {
                    name: "tokens".into(),
                    recorded: (u128::from(t.amount) * u128::from(claimed.landed_ok)).to_string(),
                    chain: tokens_moved(&http, &url, t).await?.to_string(),
                    how: "decrease of the payers' source token accounts".into(),
                    entry: None,
                }),
                None => None,
            };
            let mut verification = Verification {
                method: "payers' balances at confirmed commitment after the drain; \
                         getSignatureStatuses (searchTransactionHistory) of every landed signature"
                    .into(),
                checks: vec![
                    Check {
                        name: "landed".into(),
                        recorded: landed.to_string(),
                        chain: on_chain.to_string(),
                        how: format!(
                            "landed signatures (of {}) the node holds a status for",
                            kept
                        ),
                        entry: None,
                    },
                    Check {
                        name: "fees".into(),
                        recorded: claimed.fee_total.to_string(),
                        chain: (spent - value).to_string(),
                        how: "payers' balance decrease minus the lamports the successful \
                              transfers moved"
                            .into(),
                        entry: None,
                    },
                ],
                error: None,
                dry_senders,
                unverified: Vec::new(),
            };
            verification.checks.extend(token_check);
            verification.checks.extend(funder);
            Ok(verification)
        })
    }
}

/// The senders whose balance `after` the run cannot pay one more transaction.
fn dry(payers: &[Payer], after: &[u64]) -> Vec<u32> {
    payers
        .iter()
        .zip(after)
        .enumerate()
        .filter(|(_, (p, &now))| now < p.one_more)
        .map(|(i, _)| i as u32)
        .collect()
}

/// `getMultipleAccounts` of `keys` at confirmed commitment, `length` bytes
/// of data from `offset` (base64), one JSON object (or null) per key.
async fn accounts(
    http: &reqwest::Client,
    url: &str,
    keys: &[Pubkey],
    offset: usize,
    length: usize,
) -> Result<Vec<Value>, VerifyError> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(ACCOUNTS_PER_CALL) {
        let names: Vec<String> = chunk.iter().map(Pubkey::to_string).collect();
        let mut answer = call(
            http,
            url,
            "getMultipleAccounts",
            json!([names, {"commitment": "confirmed", "encoding": "base64",
                "dataSlice": {"offset": offset, "length": length}}]),
        )
        .await?;
        match answer.get_mut("value").map(Value::take) {
            Some(Value::Array(a)) if a.len() == chunk.len() => out.extend(a),
            _ => {
                return Err(VerifyError::answer(
                    "getMultipleAccounts",
                    "unexpected answer",
                ))
            }
        }
    }
    Ok(out)
}

/// Token units the payers' source accounts hold less than they were minted.
async fn tokens_moved(
    http: &reqwest::Client,
    url: &str,
    t: &TokenCheck,
) -> Result<u128, VerifyError> {
    let mut moved = 0u128;
    for account in accounts(http, url, &t.sources, AMOUNT_OFFSET, 8).await? {
        let data = account
            .pointer("/data/0")
            .and_then(Value::as_str)
            .and_then(|b| STANDARD.decode(b).ok())
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .ok_or_else(|| {
                VerifyError::answer(
                    "getMultipleAccounts",
                    "a source token account is missing or not a token account",
                )
            })?;
        moved += u128::from(t.minted.saturating_sub(u64::from_le_bytes(data)));
    }
    Ok(moved)
}

/// How many of the landed signatures the node holds a status for.
async fn landed_on_chain(
    http: &reqwest::Client,
    url: &str,
    mut signatures: LandedReader,
) -> Result<u64, VerifyError> {
    let mut found = 0;
    loop {
        let read = signatures
            .next_chunk(PER_CALL * CALLS_AT_ONCE)
            .map_err(|source| VerifyError::Record {
                source: source.into(),
            })?;
        if read.is_empty() {
            break;
        }
        let calls = read.chunks(PER_CALL).map(|chunk| {
            let sigs: Vec<String> = chunk.iter().map(Signature::to_string).collect();
            (
                "getSignatureStatuses",
                json!([sigs, {"searchTransactionHistory": true}]),
            )
        });
        let answers = rpc::batches(http, url, calls, TIMEOUT)
            .await
            .map_err(|e| VerifyError::call("getSignatureStatuses", format!("{e:?}")))?;
        for answer in answers {
            let answer =
                answer.map_err(|e| VerifyError::call("getSignatureStatuses", e.to_string()))?;
            found += answer
                .get("value")
                .and_then(Value::as_array)
                .map_or(0, |v| v.iter().filter(|s| !s.is_null()).count())
                as u64;
        }
    }
    Ok(found)
}

async fn call(
    http: &reqwest::Client,
    url: &str,
    method: &'static str,
    params: Value,
) -> Result<Value, VerifyError> {
    rpc::batch(http, url, [(method, params)], TIMEOUT)
        .await
        .map_err(|e| VerifyError::call(method, format!("{e:?}")))?
        .pop()
        .ok_or_else(|| VerifyError::answer(method, "no answer"))?
        .map_err(|e| VerifyError::call(method, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payer_that_cannot_pay_one_more_transaction_ran_dry() {
        let payer = |one_more| Payer {
            key: Pubkey::new_unique(),
            before: 10_000_000,
            one_more,
        };
        let payers = [payer(900_000), payer(900_000), payer(4_900_000)];
        // The third bids high: 4.5 M left does not pay its next one.
        assert_eq!(dry(&payers, &[5_000_000, 899_999, 4_500_000]), vec![1, 2]);
    }
}
