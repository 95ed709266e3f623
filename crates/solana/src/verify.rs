//! The run's figures read back from the chain: payer balances and the
//! statuses of every landed signature.

use crate::{
    landed::{LandedReader, LandedSignatures},
    rpc::{self, accounts},
    workload::{Effects, Workload},
};
use chainmeter_core::chain::{BoxFuture, Claimed, Verifier, VerifyError};
use chainmeter_result::run::{Check, Verification};
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use std::time::Duration;

/// Signatures per `getSignatureStatuses` call, and calls sent at once (in
/// requests under the RPC server's body limit: one call of 256 is ~23 KiB).
const PER_CALL: usize = 256;
const CALLS_AT_ONCE: usize = 8;
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
    /// The workload, which checks its own effects (a token run's balances).
    pub(crate) workload: std::sync::Arc<dyn Workload>,
    /// The funder's balance against its transfers, when a key funded the
    /// run (checked when funding ended, reported with the run's checks).
    pub(crate) funder: Option<Check>,
}

impl Verifier for SolanaVerifier {
    fn verify(&self, claimed: Claimed) -> BoxFuture<Result<Verification, VerifyError>> {
        let (http, url, payers) = (self.http.clone(), self.url.clone(), self.payers.clone());
        let workload = self.workload.clone();
        let funder = self.funder.clone();
        let signatures = self.landed.reader();
        let kept = self.landed.len();
        Box::pin(async move {
            let signatures = signatures.map_err(|source| VerifyError::Record {
                source: source.into(),
            })?;
            let on_chain = landed_on_chain(
                &http,
                &url,
                signatures,
                workload.as_ref(),
                claimed.entries.len(),
            )
            .await?;
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
            let value = i128::try_from(workload.moved(&claimed)).unwrap_or(i128::MAX);
            let landed = claimed.landed_ok + claimed.landed_failed;
            let effects = workload
                .effects(Effects {
                    http: &http,
                    url: &url,
                    claimed: &claimed,
                    landed: &on_chain.by_entry,
                })
                .await?;
            let mut verification = Verification {
                method: "payers' balances at confirmed commitment after the drain; \
                         getSignatureStatuses (searchTransactionHistory) of every landed signature"
                    .into(),
                checks: vec![
                    Check {
                        name: "landed".into(),
                        recorded: landed.to_string(),
                        chain: on_chain.total.to_string(),
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
            verification.checks.extend(effects);
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

/// The landed signatures the node holds a status for: all of them, and (in
/// a mix of `entries`) each entry's.
#[derive(Debug, Default)]
struct OnChain {
    total: u64,
    by_entry: Vec<u64>,
}

/// How many of the landed signatures the node holds a status for, in all
/// and by the mix entry `workload` says each one's sequence number is of.
async fn landed_on_chain(
    http: &reqwest::Client,
    url: &str,
    mut signatures: LandedReader,
    workload: &dyn Workload,
    entries: usize,
) -> Result<OnChain, VerifyError> {
    let mut found = OnChain {
        total: 0,
        by_entry: vec![0; entries],
    };
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
            let sigs: Vec<String> = chunk.iter().map(|(s, _)| s.to_string()).collect();
            (
                "getSignatureStatuses",
                json!([sigs, {"searchTransactionHistory": true}]),
            )
        });
        let answers = rpc::batches(http, url, calls, TIMEOUT)
            .await
            .map_err(|e| VerifyError::call("getSignatureStatuses", format!("{e:?}")))?;
        for (answer, chunk) in answers.into_iter().zip(read.chunks(PER_CALL)) {
            let answer =
                answer.map_err(|e| VerifyError::call("getSignatureStatuses", e.to_string()))?;
            let statuses = answer
                .get("value")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            for (status, (_, seq)) in statuses.iter().zip(chunk) {
                if status.is_null() {
                    continue;
                }
                found.total += 1;
                if let Some(n) = workload.entry(*seq).and_then(|i| found.by_entry.get_mut(i)) {
                    *n += 1;
                }
            }
        }
    }
    Ok(found)
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
