//! A traffic mix: each transaction is one entry's workload, as core's
//! [`Mix`] draws it from the seed and the transaction's sequence number.
//! Every entry is prepared as it would be alone; the verification counts
//! each entry's landed transactions on chain, by where they went, and
//! checks each entry's effects against its own claim.

use super::{Call, Checking, Effects, Plan, Prepare, Preparing, Workload};
use crate::error::classify;
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, Bytes, U256},
};
use chainmeter_core::{
    chain::{Claimed, VerifyError},
    result::Check,
    scenario::{ScenarioError, Section},
    workload::Mix,
};
use serde::Deserialize;
use std::{collections::HashSet, sync::Arc};

/// Blocks per JSON-RPC batch when counting the entries' transactions.
const BLOCKS_PER_BATCH: u64 = 100;

/// Checks every entry as the workload it names.
pub(super) fn check(section: &Section<'_>, mix: &Mix) -> Result<Arc<dyn Plan>, ScenarioError> {
    let plans = (0..mix.entries().len())
        .filter_map(|i| section.entry(i))
        .map(|entry| super::check(&entry))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(MixPlan {
        mix: mix.clone(),
        plans,
    }))
}

#[derive(Debug)]
struct MixPlan {
    mix: Mix,
    plans: Vec<Arc<dyn Plan>>,
}

impl Plan for MixPlan {
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            let mut entries = Vec::with_capacity(self.plans.len());
            for plan in &self.plans {
                entries.push(plan.prepare(p.clone()).await?);
            }
            let start = p.block_number().await?;
            Ok(Arc::new(Mixed {
                mix: self.mix.clone(),
                entries,
                start,
            }) as Arc<dyn Workload>)
        })
    }
}

#[derive(Debug)]
struct Mixed {
    mix: Mix,
    entries: Vec<Arc<dyn Workload>>,
    /// The last block before the run's first transaction.
    start: u64,
}

impl Mixed {
    /// Each entry's transactions from the senders in blocks after `start`
    /// up to `at`, told apart by where they went; the last count is of
    /// those no entry owns.
    async fn landed(&self, e: &Effects<'_>) -> Result<(Vec<u64>, u64), VerifyError> {
        let to = match e.at {
            BlockNumberOrTag::Number(n) => n,
            _ => {
                let n: alloy::primitives::U64 = e
                    .client
                    .request("eth_blockNumber", ())
                    .await
                    .map_err(|err| VerifyError::call("eth_blockNumber", classify(err).message))?;
                n.to::<u64>()
            }
        };
        let senders: HashSet<Address> = e.senders.iter().copied().collect();
        let mut counts = vec![0u64; self.entries.len() + 1];
        let mut from = self.start + 1;
        while from <= to {
            let last = (from + BLOCKS_PER_BATCH - 1).min(to);
            let what = format!("reading blocks {from} to {last} with their transactions");
            let err = |err| VerifyError::call(what.clone(), classify(err).message);
            let mut batch = e.client.new_batch();
            let waiters = (from..=last)
                .map(|n| {
                    batch.add_call::<_, Option<BlockTxs>>(
                        "eth_getBlockByNumber",
                        &(BlockNumberOrTag::Number(n), true),
                    )
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?;
            batch.send().await.map_err(err)?;
            for (n, waiter) in (from..=last).zip(waiters) {
                let block = waiter
                    .await
                    .map_err(err)?
                    .ok_or_else(|| VerifyError::answer(what.clone(), format!("no block {n}")))?;
                crate::reads::history_kept(
                    n,
                    block.gas_used.to::<u64>(),
                    block.transactions.len(),
                )?;
                for tx in block
                    .transactions
                    .iter()
                    .filter(|t| senders.contains(&t.from))
                {
                    let owner = self
                        .entries
                        .iter()
                        .position(|w| w.is_own(tx.to, &tx.input))
                        .unwrap_or(self.entries.len());
                    counts[owner] += 1;
                }
            }
            from = last + 1;
        }
        let unowned = counts.pop().unwrap_or(0);
        Ok((counts, unowned))
    }
}

/// A block's transactions, as much of them as the count needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockTxs {
    gas_used: alloy::primitives::U64,
    transactions: Vec<TxTo>,
}

#[derive(Debug, Deserialize)]
struct TxTo {
    from: Address,
    to: Option<Address>,
    input: Bytes,
}

impl Workload for Mixed {
    fn build(&self, seq: u64) -> Call {
        self.entries[self.mix.entry(seq)].build(seq)
    }

    fn describe(&self) -> String {
        let entries: Vec<String> = self
            .mix
            .entries()
            .iter()
            .zip(&self.entries)
            .map(|(m, w)| format!("{}% {}", m.share * 100.0, w.describe()))
            .collect();
        format!("mix of {}", entries.join("; "))
    }

    fn moved(&self, claimed: &Claimed) -> U256 {
        self.entries
            .iter()
            .zip(&claimed.entries)
            .map(|(w, c)| w.value() * U256::from(c.landed_ok))
            .fold(U256::ZERO, |sum, v| sum + v)
    }

    fn is_own(&self, to: Option<Address>, input: &[u8]) -> bool {
        self.entries.iter().any(|w| w.is_own(to, input))
    }

    fn revert_reason(&self, data: &[u8]) -> Option<String> {
        self.entries.iter().find_map(|w| w.revert_reason(data))
    }

    fn effects<'a>(&'a self, e: Effects<'a>) -> Checking<'a> {
        Box::pin(async move {
            let (landed, unowned) = self.landed(&e).await?;
            let mut checks = Vec::new();
            for (i, (m, w)) in self.mix.entries().iter().zip(&self.entries).enumerate() {
                let claim = e.claimed.entries.get(i).copied().unwrap_or_default();
                let entry = Some(m.kind.as_str().to_owned());
                checks.push(Check {
                    name: "landed".into(),
                    recorded: (claim.landed_ok + claim.landed_failed).to_string(),
                    chain: landed[i].to_string(),
                    how: format!(
                        "the senders' transactions in blocks {} to {} that are {}'s, by where they went",
                        self.start + 1,
                        e.at,
                        m.kind
                    ),
                    entry: entry.clone(),
                });
                let claimed = claim.as_claimed(w.value().to::<u128>());
                let own = w
                    .effects(Effects {
                        client: e.client,
                        at: e.at,
                        senders: e.senders,
                        claimed: &claimed,
                    })
                    .await?;
                checks.extend(own.into_iter().map(|c| Check {
                    entry: entry.clone(),
                    ..c
                }));
            }
            if unowned > 0 {
                checks.push(Check {
                    name: "unowned".into(),
                    recorded: "0".into(),
                    chain: unowned.to_string(),
                    how: "the senders' transactions no entry of the mix sends".into(),
                    entry: None,
                });
            }
            Ok(checks)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::transfer::Transfer;
    use alloy::primitives::TxKind;
    use chainmeter_core::{chain::EntryClaim, workload::WorkloadName};

    /// A contract call of its own: what token, storage or swap send.
    #[derive(Debug)]
    struct Called(Address);

    impl Workload for Called {
        fn build(&self, _: u64) -> Call {
            Call {
                to: TxKind::Call(self.0),
                value: U256::ZERO,
                input: Bytes::from_static(&[1, 2, 3, 4, 0, 0]),
                gas_limit: 50_000,
            }
        }
        fn describe(&self) -> String {
            "called".into()
        }
    }

    fn mixed() -> Mixed {
        let entries = ["transfer", "called"]
            .iter()
            .zip([0.6, 0.4])
            .map(|(k, s)| chainmeter_core::workload::MixEntry::new(WorkloadName::new(*k), s, 0..0))
            .collect();
        Mixed {
            mix: Mix::new(entries, 9),
            entries: vec![
                Arc::new(Transfer {
                    seed: "s".into(),
                    value: U256::from(3),
                    hot: None,
                }),
                Arc::new(Called(Address::repeat_byte(0xcc))),
            ],
            start: 0,
        }
    }

    #[test]
    fn each_transaction_is_its_entrys_and_the_chain_can_tell_which() {
        let m = mixed();
        let mut counts = [0u32; 2];
        for seq in 0..1000 {
            let entry = m.mix.entry(seq);
            counts[entry] += 1;
            let call = m.build(seq);
            assert_eq!(call, m.entries[entry].build(seq), "seq {seq}");
            // What the verification counts on chain: where the transaction went.
            let owner = m
                .entries
                .iter()
                .position(|w| w.is_own(call.to.to().copied(), &call.input));
            assert_eq!(owner, Some(entry), "seq {seq}");
        }
        assert!(counts.iter().all(|&c| c > 300), "{counts:?}");
        assert!(
            m.describe().starts_with("mix of 60% transfer, 3 wei"),
            "{}",
            m.describe()
        );
    }

    #[test]
    fn the_value_moved_is_each_entrys_own() {
        let m = mixed();
        let claimed = Claimed {
            landed_ok: 15,
            landed_failed: 0,
            fee_total: 0,
            value_per_tx: 0,
            entries: vec![
                EntryClaim {
                    landed_ok: 10,
                    ..Default::default()
                },
                EntryClaim {
                    landed_ok: 5,
                    ..Default::default()
                },
            ],
        };
        assert_eq!(m.moved(&claimed), U256::from(30));
    }
}
