//! `token`: an SPL Token transfer from each payer's token account to a
//! receiving account of its own (or, with hot writes, payer 0's for all).
//! The mint and every payer's two accounts are created before the clock;
//! after the run the payers' source accounts must have fallen by what the
//! landed transfers moved.

use super::{
    prepare::{confirm_all, prepare_step, Derived},
    writes, Checking, Effects, Kind, Plan, Prepare, Preparing, Workload,
};
use crate::{calls::top_up, error::SolanaError, keys, rpc::accounts};
use base64::{engine::general_purpose::STANDARD, Engine};
use chainmeter_core::{
    chain::VerifyError,
    scenario::{ScenarioError, Section},
};
use chainmeter_result::run::Check;
use serde_json::Value;
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair, signer::Signer};
use std::sync::Arc;

/// Sizes of SPL Token's mint and token account (`Pack::LEN`).
const MINT_LEN: u64 = 82;
const ACCOUNT_LEN: u64 = 165;
/// Where a token account's amount lies (after mint and owner), little-endian u64.
const AMOUNT_OFFSET: usize = 64;
/// Token units minted to every payer's source account.
const TOKENS_PER_PAYER: u64 = 1_000_000_000_000_000;
/// Payers set up per preparation transaction (10 instructions, ~700 bytes).
const PAYERS_PER_TX: usize = 2;
/// What one token account costs its creator: rent for 165 bytes (2,039,280
/// lamports) and a share of a setup transaction's fee.
const TOKEN_ACCOUNT_COST: u64 = 2_100_000;
/// Lamports kept beyond the accounts' cost for the setup transactions' fees.
const SETUP_RESERVE: u64 = 1_000_000_000;

pub(super) const KIND: Kind = Kind {
    name: "token",
    check,
};

fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    section.no_workload_settings()?;
    Ok(Arc::new(TokenPlan {
        amount: section.workload_value(),
    }))
}

#[derive(Debug)]
struct TokenPlan {
    /// `workload.value`: token units per transfer.
    amount: u64,
}

impl Plan for TokenPlan {
    /// A mint, and for every payer a source account (minted to) and a
    /// destination account, all paid for by the funder.
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            // Two token accounts per payer and the mint.
            let cost = (p.payers.len() as u64 * 2 + 1) * TOKEN_ACCOUNT_COST;
            top_up(p.rpc, p.url, p.funder, p.by_key, cost + SETUP_RESERVE).await?;
            let (sources, destinations) =
                create_accounts(p.rpc, p.url, p.funder, p.payers, p.seed).await?;
            Ok(Arc::new(Token {
                sources,
                destinations,
                amount: self.amount,
                hot: p.hot.is_some(),
            }) as Arc<dyn Workload>)
        })
    }
}

/// SPL Token `transfer` from payer i's token account to its own receiving
/// token account: payers never write one another's accounts.
#[derive(Debug, Clone)]
struct Token {
    /// The token accounts the payers send from, by payer.
    sources: Vec<Pubkey>,
    /// The token accounts they send to, by payer.
    destinations: Vec<Pubkey>,
    /// Token units per transfer.
    amount: u64,
    /// Every transaction to payer 0's receiving account: one account
    /// written by all, which Solana must serialise.
    hot: bool,
}

impl Workload for Token {
    fn instruction(&self, _: u64, index: usize, payer: &Pubkey) -> Instruction {
        spl_token_interface::instruction::transfer(
            &spl_token_interface::id(),
            &self.sources[index],
            &self.destinations[if self.hot { 0 } else { index }],
            payer,
            &[],
            self.amount,
        )
        .expect("the SPL Token program id is the one it checks for")
    }

    fn describe(&self) -> String {
        format!(
            "token, {} token units per transaction, each to {}",
            self.amount,
            writes(self.hot)
        )
    }

    /// The payers' source accounts fell by what the landed transfers moved.
    fn effects<'a>(&'a self, e: Effects<'a>) -> Checking<'a> {
        Box::pin(async move {
            Ok(vec![Check {
                name: "tokens".into(),
                recorded: (u128::from(self.amount) * u128::from(e.claimed.landed_ok)).to_string(),
                chain: self.moved(e.http, e.url).await?.to_string(),
                how: "decrease of the payers' source token accounts".into(),
                entry: None,
            }])
        })
    }
}

impl Token {
    /// Token units the payers' source accounts hold less than they were minted.
    async fn moved(&self, http: &reqwest::Client, url: &str) -> Result<u128, VerifyError> {
        let mut moved = 0u128;
        for account in accounts(http, url, &self.sources, AMOUNT_OFFSET, 8).await? {
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
            moved += u128::from(TOKENS_PER_PAYER.saturating_sub(u64::from_le_bytes(data)));
        }
        Ok(moved)
    }
}

/// Creates a mint and, for every payer, a source token account (minted to)
/// and a destination token account, all paid for by `funder`; waits until
/// every preparation transaction is confirmed.
async fn create_accounts(
    rpc: &RpcClient,
    url: &str,
    funder: &Keypair,
    payers: &[Pubkey],
    seed: &str,
) -> Result<(Vec<Pubkey>, Vec<Pubkey>), SolanaError> {
    let program = spl_token_interface::id();
    let base = funder.pubkey();
    let accounts = Derived::new(base, seed);
    let derived = |tag: &str| accounts.account(url, tag, &program);
    let rent = |len| async move {
        rpc.get_minimum_balance_for_rent_exemption(len as usize)
            .await
            .map_err(prepare_step(url, "getMinimumBalanceForRentExemption"))
    };
    let (mint_rent, account_rent) = (rent(MINT_LEN).await?, rent(ACCOUNT_LEN).await?);
    let create = |seed: &str, key: &Pubkey, lamports: u64, space: u64| {
        solana_system_interface::instruction::create_account_with_seed(
            &base, key, &base, seed, lamports, space, &program,
        )
    };
    let token_ix =
        |r: Result<Instruction, _>| r.map_err(prepare_step(url, "building an instruction"));

    let (mint_seed, mint) = derived("m")?;
    let mut batches = vec![vec![
        create(&mint_seed, &mint, mint_rent, MINT_LEN),
        token_ix(spl_token_interface::instruction::initialize_mint2(
            &program, &mint, &base, None, 0,
        ))?,
    ]];
    let (mut sources, mut destinations) = (Vec::new(), Vec::new());
    for (chunk_index, chunk) in payers.chunks(PAYERS_PER_TX).enumerate() {
        let mut ixs = Vec::new();
        for (j, payer) in chunk.iter().enumerate() {
            let i = chunk_index * PAYERS_PER_TX + j;
            let (src_seed, src) = derived(&format!("s{i}-"))?;
            let (dst_seed, dst) = derived(&format!("d{i}-"))?;
            let receiver = keys::receiver(seed, i as u64);
            ixs.extend([
                create(&src_seed, &src, account_rent, ACCOUNT_LEN),
                token_ix(spl_token_interface::instruction::initialize_account3(
                    &program, &src, &mint, payer,
                ))?,
                create(&dst_seed, &dst, account_rent, ACCOUNT_LEN),
                token_ix(spl_token_interface::instruction::initialize_account3(
                    &program, &dst, &mint, &receiver,
                ))?,
                token_ix(spl_token_interface::instruction::mint_to(
                    &program,
                    &mint,
                    &src,
                    &base,
                    &[],
                    TOKENS_PER_PAYER,
                ))?,
            ]);
            sources.push(src);
            destinations.push(dst);
        }
        batches.push(ixs);
    }
    // The mint first, then every payer's accounts at once.
    let (first, rest) = batches.split_first().expect("the mint's batch");
    confirm_all(rpc, url, funder, std::slice::from_ref(first)).await?;
    confirm_all(rpc, url, funder, rest).await?;
    Ok((sources, destinations))
}
