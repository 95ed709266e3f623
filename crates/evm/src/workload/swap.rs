//! `swap`: each transaction swaps `amount` units of one of chainmeter's
//! ERC-20s for the other against a constant-product pool of chainmeter's
//! own (`Pool.sol`: Uniswap V2's arithmetic with its 0.3% fee), each sender
//! alternating direction. With hot writes every sender swaps against one
//! pool; with disjoint writes each sender has a pool of its own.
//!
//! Before the clock: two tokens and the pools are deployed, the pools and
//! the senders minted to, the pools synced and both tokens approved by
//! every sender. After the run the verifier replays the constant-product
//! arithmetic, in integers, over the pools' `Swap` events in chain order
//! and compares it with the reserves and the senders' balances on chain.
//!
//! ```toml
//! [workload]
//! kind = "swap"
//! writes = "hot"
//! [workload.swap]
//! amount = 1_000_000_000_000_000   # token units in per swap
//! liquidity = 1_000_000            # each reserve, in swaps' amounts
//! ```

use super::{
    balance_of_call, bytecode, selector, token, word_address, Call, Checking, Effects, Kind, Plan,
    Prepare, Preparing, Workload,
};
use crate::{
    error::PrepareError,
    reads::call_words,
    setup::{execute_all, Deployer, SetupTx},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{keccak256, Address, Bytes, TxKind, B256, U256},
    rpc::types::TransactionReceipt,
};
use chainmeter_core::{
    chain::VerifyError,
    scenario::{ScenarioError, Section},
};
use chainmeter_result::run::Check;
use serde::Deserialize;
use serde_json::json;
use std::{collections::HashMap, sync::Arc};
use toml::Spanned;

pub(super) const KIND: Kind = Kind {
    name: "swap",
    check,
};

/// chainmeter's pool, compiled by `scripts/compile-contracts.sh`.
const POOL_BYTECODE: &str = include_str!("../../contracts/Pool.bin");
const DEFAULT_AMOUNT: u64 = 1_000_000_000_000_000;
/// Below this a swap's output rounds to zero (and the pool reverts).
const MIN_AMOUNT: u64 = 1_000;
const DEFAULT_LIQUIDITY: u64 = 1_000_000;
/// A shallower pool moves its price by more than 1% a swap.
const MIN_LIQUIDITY: u64 = 100;
const MAX_LIQUIDITY: u64 = 1_000_000_000_000;
/// What each sender holds of each token, in swaps' amounts: far more than
/// any run moves (a sender alternates direction, so its holdings barely drift).
const HELD_SWAPS: u64 = 1_000_000_000;

/// `[workload.swap]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SwapFile {
    /// Token units in per swap (default 10^15).
    amount: Option<Spanned<u64>>,
    /// Each of a pool's two reserves, in swaps' amounts (default 10^6).
    liquidity: Option<Spanned<u64>>,
}

fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    section.no_value("each transaction swaps [workload.swap] amount and sends no wei")?;
    let f: Option<SwapFile> = section.workload_settings()?;
    let (amount, liquidity) = f.map_or((None, None), |f| (f.amount, f.liquidity));
    let bounded = |v: Option<Spanned<u64>>, field: &str, default: u64, lo: u64, hi: u64| match v {
        Some(v) if !(lo..=hi).contains(v.get_ref()) => {
            Err(section.workload_error(v.span(), field, format!("must be {lo} to {hi}")))
        }
        Some(v) => Ok(*v.get_ref()),
        None => Ok(default),
    };
    Ok(Arc::new(SwapPlan {
        amount: bounded(amount, "amount", DEFAULT_AMOUNT, MIN_AMOUNT, u64::MAX)?,
        liquidity: bounded(
            liquidity,
            "liquidity",
            DEFAULT_LIQUIDITY,
            MIN_LIQUIDITY,
            MAX_LIQUIDITY,
        )?,
    }))
}

#[derive(Debug)]
struct SwapPlan {
    amount: u64,
    liquidity: u64,
}

fn created(
    receipts: &[TransactionReceipt],
    contract: &'static str,
) -> Result<Vec<Address>, PrepareError> {
    receipts
        .iter()
        .map(|r| {
            r.contract_address.ok_or_else(|| PrepareError::NoAddress {
                contract: contract.to_owned(),
            })
        })
        .collect()
}

impl Plan for SwapPlan {
    /// Four rounds of setup, each sent at once and waited for as one.
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            let deployer = p.deployer().await?;
            let token_code: Bytes = bytecode(token::TOKEN_BYTECODE, "the token")?.into();
            let tokens = execute_all(
                p.client,
                p.url,
                vec![
                    (&deployer, TxKind::Create, token_code.clone()),
                    (&deployer, TxKind::Create, token_code),
                ],
            )
            .await?;
            let tokens = created(&tokens, "a token")?;
            let (a, b) = (tokens[0], tokens[1]);

            let mut pool_code = bytecode(POOL_BYTECODE, "the pool")?;
            pool_code.extend_from_slice(&word_address(a));
            pool_code.extend_from_slice(&word_address(b));
            let pool_code: Bytes = pool_code.into();
            let n_pools = if p.hot.is_some() { 1 } else { p.senders.len() };
            let creates = (0..n_pools)
                .map(|_| (&deployer, TxKind::Create, pool_code.clone()))
                .collect();
            let pools = created(&execute_all(p.client, p.url, creates).await?, "a pool")?;

            let amount = U256::from(self.amount);
            let reserve = amount * U256::from(self.liquidity);
            let held = amount * U256::from(HELD_SWAPS);
            let mut mints: Vec<SetupTx<'_>> = Vec::new();
            for t in [a, b] {
                for chunk in p.senders.chunks(token::MINTED_PER_TX) {
                    let input = token::mint_each_call(chunk, held);
                    mints.push((&deployer, TxKind::Call(t), input));
                }
                for chunk in pools.chunks(token::MINTED_PER_TX) {
                    let input = token::mint_each_call(chunk, reserve);
                    mints.push((&deployer, TxKind::Call(t), input));
                }
            }
            execute_all(p.client, p.url, mints).await?;

            let mut approvers = Vec::with_capacity(p.senders.len());
            for i in 0..p.senders.len() {
                approvers
                    .push(Deployer::sender(p.client, p.url, p.seed, i as u32, p.chain_id).await?);
            }
            let sync: Bytes = selector("sync()").to_vec().into();
            let mut txs: Vec<SetupTx<'_>> = pools
                .iter()
                .map(|pool| (&deployer, TxKind::Call(*pool), sync.clone()))
                .collect();
            for (i, approver) in approvers.iter().enumerate() {
                let spender = pools[i % pools.len()];
                for t in [a, b] {
                    txs.push((approver, TxKind::Call(t), approve_call(spender, U256::MAX)));
                }
            }
            execute_all(p.client, p.url, txs).await?;

            let start = p.block_number().await?;
            let gas_limit = p
                .gas_limit(TxKind::Call(pools[0]), swap_call(true, amount))
                .await?;
            Ok(Arc::new(Swap {
                tokens: [a, b],
                pools,
                senders: p.senders.len() as u64,
                amount,
                reserve,
                held,
                start,
                gas_limit,
            }) as Arc<dyn Workload>)
        })
    }
}

/// Swaps of a fixed amount, alternating direction, against the pools.
#[derive(Debug, Clone)]
struct Swap {
    /// Token a, token b.
    tokens: [Address; 2],
    /// One for all senders (hot), or sender `i`'s at `i`.
    pools: Vec<Address>,
    senders: u64,
    amount: U256,
    /// Each reserve of every pool before the run.
    reserve: U256,
    /// Each token every sender held before the run.
    held: U256,
    /// The last block of the setup: the run's swaps come after it.
    start: u64,
    gas_limit: u64,
}

impl Swap {
    /// The pool transaction `seq`'s sender swaps against, and its direction
    /// when it is the sender's `nth` swap (a for b on its even-numbered
    /// swaps).
    fn route(&self, seq: u64, nth: u64) -> (Address, bool) {
        let sender = seq % self.senders;
        let pool = self.pools[(sender % self.pools.len() as u64) as usize];
        (pool, nth.is_multiple_of(2))
    }
}

impl Workload for Swap {
    fn build(&self, seq: u64) -> Call {
        // Alone, a sender's swaps are every `senders`-th transaction.
        self.build_nth(seq, seq / self.senders)
    }

    fn build_nth(&self, seq: u64, nth: u64) -> Call {
        let (pool, a_to_b) = self.route(seq, nth);
        Call {
            to: TxKind::Call(pool),
            value: U256::ZERO,
            input: swap_call(a_to_b, self.amount),
            gas_limit: self.gas_limit,
        }
    }

    fn describe(&self) -> String {
        let pools = match self.pools.len() {
            1 => "one pool for every sender (hot writes)".to_owned(),
            n => format!("a pool of its own for each of {n} senders (disjoint writes)"),
        };
        format!(
            "swap, {} token units in per transaction, each sender alternating direction, \
             against {pools}; each reserve {} units",
            self.amount, self.reserve
        )
    }

    fn is_own(&self, to: Option<Address>, _: &[u8]) -> bool {
        to.is_some_and(|to| self.pools.contains(&to))
    }

    fn effects<'a>(&'a self, e: Effects<'a>) -> Checking<'a> {
        Box::pin(async move {
            let swaps = self.swaps(&e).await?;
            let replay = Replay::run(self, &swaps);
            let mut calls: Vec<(Address, Bytes)> = self
                .pools
                .iter()
                .flat_map(|p| {
                    [
                        (*p, Bytes::from(selector("reserveA()").to_vec())),
                        (*p, Bytes::from(selector("reserveB()").to_vec())),
                    ]
                })
                .collect();
            for s in e.senders {
                for t in self.tokens {
                    calls.push((t, balance_of_call(*s)));
                }
            }
            let words = call_words(e.client, e.at, &calls).await?;
            let (reserves, balances) = words.split_at(2 * self.pools.len());
            let pair_sums = |w: &[U256]| {
                w.chunks(2)
                    .fold([U256::ZERO; 2], |s, p| [s[0] + p[0], s[1] + p[1]])
            };
            let pair = |p: [U256; 2]| format!("a {}, b {}", p[0], p[1]);
            let pools = if self.pools.len() == 1 {
                format!("pool {}", self.pools[0])
            } else {
                format!("the {} pools", self.pools.len())
            };
            Ok(vec![
                Check {
                    name: "swaps".into(),
                    recorded: e.claimed.landed_ok.to_string(),
                    chain: swaps.len().to_string(),
                    how: format!("Swap events of {pools} after block {}", self.start),
                    entry: None,
                },
                Check {
                    name: "swap outputs".into(),
                    recorded: replay.out.to_string(),
                    chain: swaps
                        .iter()
                        .fold(U256::ZERO, |s, x| s + x.amount_out)
                        .to_string(),
                    how: "sum of the Swap events' amountOut, beside the constant-product \
                          arithmetic replayed over them in chain order"
                        .into(),
                    entry: None,
                },
                Check {
                    name: "pool reserves".into(),
                    recorded: pair(replay.reserves()),
                    chain: pair(pair_sums(reserves)),
                    how: format!("sum of reserveA and reserveB of {pools}"),
                    entry: None,
                },
                Check {
                    name: "sender tokens".into(),
                    recorded: pair(replay.held(self, e.senders.len())),
                    chain: pair(pair_sums(balances)),
                    how: format!(
                        "sum of the senders' balanceOf at tokens {} and {}",
                        self.tokens[0], self.tokens[1]
                    ),
                    entry: None,
                },
            ])
        })
    }
}

/// One landed swap, as its event tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Swapped {
    pool: Address,
    a_to_b: bool,
    amount_out: U256,
}

#[derive(Debug, Deserialize)]
struct RawLog {
    address: Address,
    data: Bytes,
}

impl Swap {
    /// The pools' Swap events from the setup's end to block `e.block`, in chain order.
    async fn swaps(&self, e: &Effects<'_>) -> Result<Vec<Swapped>, VerifyError> {
        crate::reads::first_blocks_kept(e.client, self.start, e.at).await?;
        let topic = keccak256("Swap(address,bool,uint256,uint256)");
        let filter = json!({
            "fromBlock": BlockNumberOrTag::Number(self.start + 1),
            "toBlock": e.at,
            "address": self.pools,
            "topics": [B256::from(topic)],
        });
        let what = format!("eth_getLogs of the pools' Swap events to {}", e.at);
        let logs: Vec<RawLog> = e
            .client
            .request("eth_getLogs", (filter,))
            .await
            .map_err(|err| VerifyError::call(what.clone(), crate::error::classify(err).message))?;
        logs.into_iter()
            .map(|l| {
                // Data: aToB, amountIn, amountOut, a word each.
                if l.data.len() != 96 {
                    return Err(VerifyError::answer(
                        what.clone(),
                        format!("a Swap event of {} bytes of data, not 96", l.data.len()),
                    ));
                }
                Ok(Swapped {
                    pool: l.address,
                    a_to_b: l.data[31] == 1,
                    amount_out: U256::from_be_slice(&l.data[64..96]),
                })
            })
            .collect()
    }
}

/// The constant-product arithmetic replayed over the landed swaps.
#[derive(Debug)]
struct Replay {
    /// Every pool's reserves a and b after the swaps.
    pools: HashMap<Address, [U256; 2]>,
    /// What the senders put in and took out, token a and b.
    paid: [U256; 2],
    got: [U256; 2],
    /// The sum of the outputs the arithmetic gives.
    out: U256,
}

impl Replay {
    fn run(swap: &Swap, swaps: &[Swapped]) -> Self {
        let mut r = Self {
            pools: swap.pools.iter().map(|p| (*p, [swap.reserve; 2])).collect(),
            paid: [U256::ZERO; 2],
            got: [U256::ZERO; 2],
            out: U256::ZERO,
        };
        for s in swaps {
            let Some(reserves) = r.pools.get_mut(&s.pool) else {
                continue;
            };
            let (i, o) = if s.a_to_b { (0, 1) } else { (1, 0) };
            let out = amount_out(swap.amount, reserves[i], reserves[o]);
            reserves[i] += swap.amount;
            reserves[o] -= out;
            r.paid[i] += swap.amount;
            r.got[o] += out;
            r.out += out;
        }
        r
    }

    fn reserves(&self) -> [U256; 2] {
        self.pools
            .values()
            .fold([U256::ZERO; 2], |s, p| [s[0] + p[0], s[1] + p[1]])
    }

    /// The senders' holdings of a and b, summed.
    fn held(&self, swap: &Swap, senders: usize) -> [U256; 2] {
        let start = swap.held * U256::from(senders);
        [0, 1].map(|t| start + self.got[t] - self.paid[t])
    }
}

/// Uniswap V2's output for `amount_in`, in integers, as `Pool.swap` computes it.
fn amount_out(amount_in: U256, reserve_in: U256, reserve_out: U256) -> U256 {
    let in_with_fee = amount_in * U256::from(997);
    reserve_out * in_with_fee / (reserve_in * U256::from(1000) + in_with_fee)
}

/// `swap(bool,uint256)`, ABI-encoded.
fn swap_call(a_to_b: bool, amount: U256) -> Bytes {
    let mut v = Vec::with_capacity(68);
    v.extend_from_slice(&selector("swap(bool,uint256)"));
    v.extend_from_slice(&U256::from(a_to_b as u8).to_be_bytes::<32>());
    v.extend_from_slice(&amount.to_be_bytes::<32>());
    v.into()
}

/// `approve(address,uint256)`, ABI-encoded.
fn approve_call(spender: Address, amount: U256) -> Bytes {
    let mut v = Vec::with_capacity(68);
    v.extend_from_slice(&selector("approve(address,uint256)"));
    v.extend_from_slice(&word_address(spender));
    v.extend_from_slice(&amount.to_be_bytes::<32>());
    v.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swap(pools: usize) -> Swap {
        Swap {
            tokens: [Address::repeat_byte(0xa), Address::repeat_byte(0xb)],
            pools: (0..pools)
                .map(|i| Address::repeat_byte(0x10 + i as u8))
                .collect(),
            senders: 2,
            amount: U256::from(1_000),
            reserve: U256::from(1_000_000),
            held: U256::from(10_000),
            start: 5,
            gas_limit: 100_000,
        }
    }

    #[test]
    fn each_sender_alternates_direction_against_its_pool() {
        let hot = swap(1);
        let disjoint = swap(2);
        let route = |s: &Swap| {
            (0..4)
                .map(|q| s.route(q, q / s.senders))
                .collect::<Vec<_>>()
        };
        let (p0, p1) = (disjoint.pools[0], disjoint.pools[1]);
        assert_eq!(
            route(&disjoint),
            vec![(p0, true), (p1, true), (p0, false), (p1, false)]
        );
        assert!(route(&hot).iter().all(|(p, _)| *p == hot.pools[0]));
        let call = hot.build(2);
        assert_eq!(call.input, swap_call(false, U256::from(1_000)));
        assert_eq!(call.to, TxKind::Call(hot.pools[0]));
        assert_eq!(call.input.len(), 68);
        assert_eq!(call.input[35], 0, "b for a");
    }

    #[test]
    fn the_replay_is_uniswaps_integer_arithmetic() {
        // 1000 in at 1,000,000 a side: 997,000,000,000 / 1,000,997,000.
        assert_eq!(
            amount_out(
                U256::from(1_000),
                U256::from(1_000_000),
                U256::from(1_000_000)
            ),
            U256::from(996)
        );
        let s = swap(1);
        let pool = s.pools[0];
        let swaps = [
            Swapped {
                pool,
                a_to_b: true,
                amount_out: U256::from(996),
            },
            Swapped {
                pool,
                a_to_b: false,
                amount_out: U256::from(1_001),
            },
        ];
        let r = Replay::run(&s, &swaps);
        // Second: 1000 b in at (1,001,000 a, 999,004 b).
        let second = amount_out(
            U256::from(1_000),
            U256::from(999_004),
            U256::from(1_001_000),
        );
        assert_eq!(r.out, U256::from(996) + second);
        assert_eq!(
            r.reserves(),
            [U256::from(1_001_000) - second, U256::from(1_000_004)]
        );
        assert_eq!(
            r.held(&s, 2),
            [U256::from(19_000) + second, U256::from(19_996)]
        );
    }

    #[test]
    fn the_shipped_pool_is_hex() {
        assert!(bytecode(POOL_BYTECODE, "the pool").unwrap().len() > 1_000);
    }
}
