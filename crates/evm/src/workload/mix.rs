//! A traffic mix: each transaction is one entry's workload, as core's
//! [`Mix`] draws it from the seed and the transaction's sequence number.
//! Every entry is prepared as it would be alone; the verification counts
//! each entry's landed transactions on chain, by where they went, and
//! checks each entry's effects against its own claim.

use super::{Call, Checking, Effects, Plan, Prepare, Preparing, Workload};
use crate::error::classify;
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, Bytes, B256, U256},
};
use chainmeter_core::{
    chain::{Claimed, VerifyError},
    scenario::{ScenarioError, Section},
    workload::Mix,
};
use chainmeter_result::run::Check;
use serde::Deserialize;
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

/// Blocks per JSON-RPC batch when counting the entries' transactions.
const BLOCKS_PER_BATCH: u64 = 100;

/// Checks every entry as the workload it names.
pub(super) fn check(section: &Section<'_>, mix: &Mix) -> Result<Arc<dyn Plan>, ScenarioError> {
    let plans = section.mix_plans(super::check)?;
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
                ordinals: Ordinals::new(p.senders.len() as u64),
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
    /// Which of its sender's transactions of its entry each one is.
    ordinals: Ordinals,
}

/// Tells a transaction which of its sender's transactions of its entry it
/// is (`build_nth`): a swap alternates direction per sender in a mix as it
/// does alone. Sender `s` sends `s, s + n, s + 2n, ...`; each sender's count
/// is kept at the last sequence number asked, so sends in order cost one
/// step each, and an earlier one (a nonce signed again) is counted afresh.
#[derive(Debug)]
struct Ordinals {
    senders: u64,
    /// Per sender: the next of its rounds not yet counted, and how many of
    /// its transactions of each entry came before that round.
    cursors: Mutex<HashMap<u64, (u64, Vec<u64>)>>,
}

impl Ordinals {
    fn new(senders: u64) -> Self {
        Self {
            senders: senders.max(1),
            cursors: Mutex::new(HashMap::new()),
        }
    }

    /// How many of `seq`'s sender's transactions before `seq` are of its
    /// entry.
    fn nth(&self, mix: &Mix, seq: u64) -> u64 {
        let (sender, round) = (seq % self.senders, seq / self.senders);
        let entry = mix.entry(seq);
        let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        let cursor = cursors
            .entry(sender)
            .or_insert_with(|| (0, vec![0; mix.entries().len()]));
        if cursor.0 > round {
            *cursor = (0, vec![0; mix.entries().len()]);
        }
        while cursor.0 < round {
            cursor.1[mix.entry(cursor.0 * self.senders + sender)] += 1;
            cursor.0 += 1;
        }
        cursor.1[entry]
    }
}

/// What the chain shows of one entry's transactions (or of those no entry
/// owns): how many landed, and the fees they paid (`gasUsed ×
/// effectiveGasPrice` of each one's receipt).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct OnChain {
    landed: u64,
    fees: u128,
}

impl Mixed {
    /// Each entry's transactions from the senders in blocks after `start`
    /// up to `at`, told apart by where they went, with their fees from the
    /// blocks' receipts; the last is of those no entry owns.
    async fn landed(&self, e: &Effects<'_>) -> Result<(Vec<OnChain>, OnChain), VerifyError> {
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
        let mut counts = vec![OnChain::default(); self.entries.len() + 1];
        let mut from = self.start + 1;
        while from <= to {
            let last = (from + BLOCKS_PER_BATCH - 1).min(to);
            let what = format!("reading blocks {from} to {last} with their transactions");
            let err = |err| VerifyError::call(what.clone(), classify(err).message);
            let mut batch = e.client.new_batch();
            let waiters = (from..=last)
                .map(|n| {
                    let block = batch.add_call::<_, Option<BlockTxs>>(
                        "eth_getBlockByNumber",
                        &(BlockNumberOrTag::Number(n), true),
                    )?;
                    let receipts = batch.add_call::<_, Option<Vec<FeeReceipt>>>(
                        "eth_getBlockReceipts",
                        &(BlockNumberOrTag::Number(n),),
                    )?;
                    Ok((block, receipts))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?;
            batch.send().await.map_err(err)?;
            for (n, (block, receipts)) in (from..=last).zip(waiters) {
                let block = block
                    .await
                    .map_err(err)?
                    .ok_or_else(|| VerifyError::answer(what.clone(), format!("no block {n}")))?;
                let fees: HashMap<B256, u128> = receipts
                    .await
                    .map_err(err)?
                    .ok_or_else(|| {
                        VerifyError::answer(what.clone(), format!("no receipts of block {n}"))
                    })?
                    .into_iter()
                    .map(|r| {
                        (
                            r.transaction_hash,
                            r.gas_used.to::<u128>() * r.effective_gas_price.to::<u128>(),
                        )
                    })
                    .collect();
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
                    let fee = fees.get(&tx.hash).copied().ok_or_else(|| {
                        VerifyError::answer(
                            what.clone(),
                            format!("block {n} holds {} but no receipt of it", tx.hash),
                        )
                    })?;
                    counts[owner].landed += 1;
                    counts[owner].fees += fee;
                }
            }
            from = last + 1;
        }
        let unowned = counts.pop().unwrap_or_default();
        Ok((counts, unowned))
    }
}

/// A receipt, as much of it as a fee needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeeReceipt {
    transaction_hash: B256,
    gas_used: alloy::primitives::U64,
    effective_gas_price: alloy::primitives::U128,
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
    hash: B256,
    from: Address,
    to: Option<Address>,
    input: Bytes,
}

impl Workload for Mixed {
    fn build(&self, seq: u64) -> Call {
        let nth = self.ordinals.nth(&self.mix, seq);
        self.entries[self.mix.entry(seq)].build_nth(seq, nth)
    }

    fn describe(&self) -> String {
        self.mix.describe(self.entries.iter().map(|w| w.describe()))
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
                    chain: landed[i].landed.to_string(),
                    how: format!(
                        "the senders' transactions in blocks {} to {} that are {}'s, by where they went",
                        self.start + 1,
                        e.at,
                        m.kind
                    ),
                    entry: entry.clone(),
                });
                checks.push(Check {
                    name: "fees".into(),
                    recorded: claim.fee_total.to_string(),
                    chain: landed[i].fees.to_string(),
                    how: format!(
                        "gasUsed x effectiveGasPrice of the receipts of {}'s transactions in those blocks",
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
            if unowned.landed > 0 {
                checks.push(Check {
                    name: "unowned".into(),
                    recorded: "0".into(),
                    chain: unowned.landed.to_string(),
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
                    gas_limit: crate::workload::TRANSFER_GAS,
                }),
                Arc::new(Called(Address::repeat_byte(0xcc))),
            ],
            start: 0,
            ordinals: Ordinals::new(4),
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
            assert_eq!(call.to, m.entries[entry].build(seq).to, "seq {seq}");
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

    #[test]
    fn each_sender_counts_its_own_transactions_of_each_entry() {
        let m = mixed();
        // Sender 1 of 4 sends 1, 5, 9, ...: its nth of an entry is how many
        // of those before it are that entry's, asked in order or not.
        let own = |seq: u64| {
            (0..seq / 4)
                .map(|r| r * 4 + 1)
                .filter(|&q| m.mix.entry(q) == m.mix.entry(seq))
                .count() as u64
        };
        for seq in (1..400).step_by(4) {
            assert_eq!(m.ordinals.nth(&m.mix, seq), own(seq), "seq {seq}");
        }
        assert_eq!(m.ordinals.nth(&m.mix, 41), own(41), "an earlier one, again");
        assert_eq!(m.ordinals.nth(&m.mix, 397), own(397));
    }
}
