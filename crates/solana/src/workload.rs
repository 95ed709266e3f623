//! What each Solana transaction does: a workload builds the instruction,
//! the submitter adds the compute budget, signs and sends.
//!
//! `prepare_token` (mint, token accounts) runs before the clock starts;
//! `instruction` is called once per transaction on the send path.

use crate::{
    error::{FundingError, SolanaError},
    keys,
};
use chainmeter_core::bids::Bids;
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::{
    instruction::Instruction, pubkey::Pubkey, signature::Keypair, signature::Signature,
    signer::Signer, transaction::Transaction,
};
use std::time::{Duration, Instant};

/// Sizes of SPL Token's mint and token account (`Pack::LEN`).
const MINT_LEN: u64 = 82;
const ACCOUNT_LEN: u64 = 165;
/// Where a token account's amount lies (after mint and owner), little-endian u64.
pub(crate) const AMOUNT_OFFSET: usize = 64;
/// Token units minted to every payer's source account.
const TOKENS_PER_PAYER: u64 = 1_000_000_000_000_000;
/// Payers set up per preparation transaction (10 instructions, ~700 bytes).
const PAYERS_PER_TX: usize = 2;
const PREPARE_TIMEOUT: Duration = Duration::from_secs(60);

/// The workloads Solana offers, by the name a scenario gives them.
/// (#21 makes each a file of its own, as on the EVM.)
pub(crate) const KINDS: &[&str] = &["transfer", "token"];

/// A workload, checked: which of [`KINDS`], and its `workload.value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Lamports to a new receiver per transaction.
    Transfer,
    /// An SPL Token transfer between two accounts of the payer's.
    Token,
}

/// The scenario's workload, checked: a kind Solana lacks is an error
/// naming those it has; neither kind has settings of its own.
pub(crate) fn check(
    section: &chainmeter_core::scenario::Section<'_>,
) -> Result<Kind, chainmeter_core::scenario::ScenarioError> {
    section.no_mix()?;
    let kind = match section.workload().as_str() {
        "transfer" => Kind::Transfer,
        "token" => Kind::Token,
        _ => return Err(section.unknown_workload(KINDS)),
    };
    section.no_workload_settings()?;
    Ok(kind)
}

/// What each transaction of `kind` does, in words, for the result.
pub(crate) fn describe(kind: Kind, lamports: u64, value: u64, hot: bool) -> String {
    let writes = match hot {
        true => "one receiver for all (hot writes)",
        false => "a receiver of its own (disjoint writes)",
    };
    match kind {
        Kind::Transfer => {
            format!("transfer, {lamports} lamports per transaction, each to {writes}")
        }
        Kind::Token => format!("token, {value} token units per transaction, each to {writes}"),
    }
}

/// A prepared workload.
#[derive(Debug, Clone)]
pub(crate) enum Workload {
    /// SOL to a receiver that is new for every transaction.
    Transfer {
        /// Key derivation seed (receivers).
        seed: String,
        /// Lamports per transfer (at least the rent-exempt minimum).
        lamports: u64,
        /// The one receiver of every transaction, when hot.
        hot: Option<Pubkey>,
    },
    /// SPL Token `transfer` from payer i's token account to its own
    /// receiving token account: payers never write one another's accounts.
    Token {
        /// The token accounts the payers send from, by payer.
        sources: Vec<Pubkey>,
        /// The token accounts they send to, by payer.
        destinations: Vec<Pubkey>,
        /// Token units per transfer.
        amount: u64,
        /// Every transaction to payer 0's receiving account: one account
        /// written by all, which Solana must serialise.
        hot: bool,
    },
}

impl Workload {
    /// Transaction `seq`'s instruction, from payer `index`.
    pub(crate) fn instruction(&self, seq: u64, index: usize, payer: &Pubkey) -> Instruction {
        match self {
            Self::Transfer {
                seed,
                lamports,
                hot,
            } => solana_system_interface::instruction::transfer(
                payer,
                &hot.unwrap_or_else(|| keys::receiver(seed, seq)),
                *lamports,
            ),
            Self::Token {
                sources,
                destinations,
                amount,
                hot,
            } => spl_token_interface::instruction::transfer(
                &spl_token_interface::id(),
                &sources[index],
                &destinations[if *hot { 0 } else { index }],
                payer,
                &[],
                *amount,
            )
            .expect("the SPL Token program id is the one it checks for"),
        }
    }

    /// True when the same payer would sign the same instruction twice.
    pub(crate) fn repeats(&self) -> bool {
        match self {
            Self::Transfer { hot, .. } => hot.is_some(),
            Self::Token { .. } => true,
        }
    }

    /// Lamports a successful transaction moves from its payer.
    pub(crate) fn lamports(&self) -> u64 {
        match self {
            Self::Transfer { lamports, .. } => *lamports,
            Self::Token { .. } => 0,
        }
    }
}

/// Compute units a transaction of one non-budget instruction may use when
/// it sets no limit: the runtime's default per instruction.
const DEFAULT_UNIT_LIMIT: u32 = 200_000;
/// Most compute units the per-transaction variation takes off the limit.
const UNIQUE_SPAN: u32 = 10_000;

/// The compute-budget instructions put before every transaction.
///
/// A workload whose instruction repeats (the same payer sending the same
/// token amount to the same account, or every payer one receiver) would
/// sign identical transactions within one blockhash's life: one signature,
/// and the node drops the copies as already processed. Such workloads get
/// a compute-unit limit that differs per transaction (up to 10,000 below the
/// limit asked, or the runtime's default of 200,000), which makes every
/// transaction distinct at the cost of one compute-budget instruction; its
/// fee changes only with a priority price (price x limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Compute-unit limit asked for.
    pub(crate) limit: Option<u32>,
    /// Compute-unit price, micro-lamports.
    pub(crate) price: Option<u64>,
    /// Per-transaction prices (the fee market), in place of `price`.
    pub(crate) bids: Option<Bids>,
    /// Vary the limit per transaction.
    pub(crate) unique: bool,
}

impl Budget {
    /// The priority fee of a transaction of payer `payer` at the most,
    /// lamports: its compute-unit price times the limit (the runtime's
    /// default for one instruction when none is asked), rounded up.
    pub(crate) fn priority_lamports(&self, payer: usize) -> u64 {
        let price = match &self.bids {
            Some(b) => Some(b.for_sender(payer as u64).0),
            None => self.price,
        };
        let limit = u128::from(self.limit.unwrap_or(DEFAULT_UNIT_LIMIT));
        price.map_or(0, |p| {
            u64::try_from((u128::from(p) * limit).div_ceil(1_000_000)).unwrap_or(u64::MAX)
        })
    }

    /// The budget instructions of transaction `seq`, sent by payer `payer`.
    pub(crate) fn instructions(&self, seq: u64, payer: usize) -> Vec<Instruction> {
        use solana_compute_budget_interface::ComputeBudgetInstruction;
        let limit = if self.unique {
            let base = self.limit.unwrap_or(DEFAULT_UNIT_LIMIT);
            let span = UNIQUE_SPAN.min(base / 2).max(1);
            Some(base - (seq % u64::from(span)) as u32)
        } else {
            self.limit
        };
        let mut v = Vec::with_capacity(2);
        if let Some(limit) = limit {
            v.push(ComputeBudgetInstruction::set_compute_unit_limit(limit));
        }
        let price = match &self.bids {
            Some(b) => Some(b.for_sender(payer as u64).0),
            None => self.price,
        };
        if let Some(price) = price {
            v.push(ComputeBudgetInstruction::set_compute_unit_price(price));
        }
        v
    }
}

/// What the verifier checks of a token run.
#[derive(Debug, Clone)]
pub(crate) struct TokenCheck {
    /// The payers' source token accounts.
    pub(crate) sources: Vec<Pubkey>,
    /// What each held after minting.
    pub(crate) minted: u64,
    /// Units each successful transaction moves.
    pub(crate) amount: u64,
}

/// Creates a mint and, for every payer, a source token account (minted to)
/// and a destination token account, all paid for by `funder`; waits until
/// every preparation transaction is confirmed.
pub(crate) async fn prepare_token(
    rpc: &RpcClient,
    url: &str,
    funder: &Keypair,
    payers: &[Pubkey],
    seed: &str,
    amount: u64,
    hot: bool,
) -> Result<(Workload, TokenCheck), SolanaError> {
    let program = spl_token_interface::id();
    let base = funder.pubkey();
    // Accounts are derived from the funder with seeds of this run, so that a
    // second run against the same validator creates new ones.
    let run = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let derived = |tag: &str| -> Result<(String, Pubkey), SolanaError> {
        let s = format!("{tag}{run}");
        let key = Pubkey::create_with_seed(&base, &s, &program)
            .map_err(prepare_step(url, "deriving an account"))?;
        Ok((s, key))
    };
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
    Ok((
        Workload::Token {
            sources: sources.clone(),
            destinations,
            amount,
            hot,
        },
        TokenCheck {
            sources,
            minted: TOKENS_PER_PAYER,
            amount,
        },
    ))
}

/// Sends one transaction per batch of instructions, paid and signed by
/// `funder`, and waits until all are confirmed without error.
async fn confirm_all(
    rpc: &RpcClient,
    url: &str,
    funder: &Keypair,
    batches: &[Vec<Instruction>],
) -> Result<(), SolanaError> {
    let hash = rpc
        .get_latest_blockhash()
        .await
        .map_err(prepare_step(url, "getLatestBlockhash"))?;
    let mut signatures: Vec<Signature> = Vec::with_capacity(batches.len());
    for ixs in batches {
        let tx = Transaction::new_signed_with_payer(ixs, Some(&funder.pubkey()), &[funder], hash);
        signatures.push(
            rpc.send_transaction(&tx)
                .await
                .map_err(prepare_step(url, "sending a setup transaction"))?,
        );
    }
    let deadline = Instant::now() + PREPARE_TIMEOUT;
    let mut open = signatures;
    while !open.is_empty() {
        let mut still = Vec::new();
        for chunk in open.chunks(256) {
            let statuses = rpc
                .get_signature_statuses(chunk)
                .await
                .map_err(prepare_step(url, "getSignatureStatuses"))?
                .value;
            for (sig, status) in chunk.iter().zip(statuses) {
                match status {
                    Some(s) if s.satisfies_commitment(CommitmentConfig::confirmed()) => {
                        if let Some(source) = s.err {
                            return Err(FundingError::SetupFailed {
                                signature: sig.to_string(),
                                source,
                            }
                            .into());
                        }
                    }
                    _ => still.push(*sig),
                }
            }
        }
        open = still;
        if !open.is_empty() {
            if Instant::now() > deadline {
                return Err(FundingError::SetupUnconfirmed {
                    open: open.len(),
                    patience: PREPARE_TIMEOUT,
                }
                .into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// The error of a preparation step at `url` that failed with its cause.
fn prepare_step<'a, E>(
    url: &'a str,
    step: &'static str,
) -> impl FnOnce(E) -> SolanaError + use<'a, E>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    move |e| {
        FundingError::Prepare {
            url: url.to_owned(),
            step,
            source: e.into(),
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_payer_is_funded_for_its_own_bid() {
        let budget = Budget {
            limit: Some(1_000),
            price: None,
            bids: Some(Bids::List(vec![1_000_000_000, 4_000_000_000])),
            unique: false,
        };
        // 1e9 micro-lamports x 1,000 units = 1e6 lamports; the top bid, 4e6.
        assert_eq!(budget.priority_lamports(0), 1_000_000);
        assert_eq!(budget.priority_lamports(1), 4_000_000);
        let plain = Budget {
            limit: None,
            price: Some(3),
            bids: None,
            unique: false,
        };
        // 3 x 200,000 / 1e6 = 0.6: rounded up to a lamport.
        assert_eq!(plain.priority_lamports(7), 1);
    }

    #[test]
    fn a_repeating_workload_signs_distinct_transactions() {
        let budget = Budget {
            limit: None,
            price: Some(1_000),
            bids: None,
            unique: true,
        };
        let (a, b) = (budget.instructions(0, 0), budget.instructions(1, 0));
        assert_eq!(a.len(), 2);
        assert_ne!(a, b, "the same instructions twice");
        assert_eq!(budget.instructions(0, 0), budget.instructions(10_000, 0));
        let plain = Budget {
            unique: false,
            ..budget.clone()
        };
        assert_eq!(plain.instructions(0, 0), plain.instructions(1, 0));
        assert_eq!(
            plain.instructions(0, 0).len(),
            1,
            "no limit asked, none set"
        );
    }
}
