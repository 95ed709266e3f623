//! Funding the senders (and the deployer) before the clock starts: with
//! anvil's cheat code where the node offers it and no funder key was
//! given, or by transfers from the user's funder key, which any node takes.
//!
//! A key's transfers are signed and sent at once, then their receipts
//! awaited; what they moved and what they cost is kept, and the funder's
//! balance is read before the first and after the last, so that the run's
//! verification can check that it fell by exactly that.

use crate::{
    error::{EvmError, FundingError},
    setup::{latest_head, set_balances, timed, Deployer, FUNDING_WEI},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, U256},
    rpc::client::RpcClient,
    signers::local::PrivateKeySigner,
};
use chainmeter_core::{
    chain::FundingProgress,
    funder::{FunderKey, MalformedKey},
};
use chainmeter_result::run::{Check, Funding};
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

/// Gas the deployer is funded for from a key: deployments and mints
/// (minting to 1,000 senders takes about 30 million).
const DEPLOYER_GAS: u64 = 100_000_000;

/// Accounts whose balance one batch of `anvil_setBalance` calls sets.
const SET_BALANCES_PER_BATCH: usize = 1_000;
/// Funding transfers sent before their receipts are awaited.
const TRANSFERS_PER_ROUND: usize = 500;

/// How the run is funded.
#[derive(Debug)]
enum Source {
    /// `anvil_setBalance`: each account's balance set to [`FUNDING_WEI`].
    CheatCode {
        /// chainmeter started the node (else the node was attached and is
        /// asked whether it offers the cheat code).
        started_locally: bool,
    },
    /// Transfers from the funder's key.
    Key(Deployer),
}

/// What funding has done so far.
#[derive(Debug, Default)]
struct Ledger {
    /// What was given (or set above what the accounts held), wei.
    amount: U256,
    /// What the funder's transfers cost it in fees, wei.
    fees: U256,
    transactions: u64,
    took: Duration,
}

/// The run's funding: where the money comes from and what it did.
#[derive(Debug)]
pub(crate) struct Funds<'a> {
    client: &'a RpcClient,
    url: &'a str,
    source: Source,
    /// The funder's balance before its first transfer.
    funder_before: U256,
    ledger: Mutex<Ledger>,
}

/// The format of a funder key the EVM reads.
const KEY_FORMAT: &str = "a 32-byte private key in hex (0x optional), alone in the file";

/// Reads an EVM private key from `key`'s file.
pub(crate) fn signer(key: &FunderKey) -> Result<PrivateKeySigner, MalformedKey> {
    key.secret()
        .trim_start_matches("0x")
        .parse::<PrivateKeySigner>()
        .map_err(|_| key.malformed("evm", KEY_FORMAT))
}

impl<'a> Funds<'a> {
    /// Funds by `funder`'s key when given, else by cheat code.
    pub(crate) async fn new(
        client: &'a RpcClient,
        url: &'a str,
        chain_id: u64,
        funder: Option<&FunderKey>,
        started_locally: bool,
    ) -> Result<Self, EvmError> {
        let (source, funder_before) = match funder {
            None => (Source::CheatCode { started_locally }, U256::ZERO),
            Some(key) => {
                let signer = signer(key).map_err(FundingError::Malformed)?;
                let deployer = Deployer::from_signer(client, url, signer, chain_id).await?;
                let before = balance(client, url, deployer.address()).await?;
                (Source::Key(deployer), before)
            }
        };
        Ok(Self {
            client,
            url,
            source,
            funder_before,
            ledger: Mutex::default(),
        })
    }

    /// The funder key's account, when a key funds the run.
    pub(crate) fn funder(&self) -> Option<Address> {
        match &self.source {
            Source::Key(funder) => Some(funder.address()),
            Source::CheatCode { .. } => None,
        }
    }

    /// Whether the funder's transfers cost what the accounts will spend:
    /// then the amounts given must be worked out from the run's plan.
    pub(crate) fn is_key(&self) -> bool {
        matches!(self.source, Source::Key(_))
    }

    /// Gives each of `accounts` its amount (ignored by the cheat code,
    /// which sets every balance to [`FUNDING_WEI`]), telling `progress`.
    pub(crate) async fn give(
        &self,
        accounts: &[(Address, U256)],
        progress: Option<&FundingProgress>,
    ) -> Result<(), EvmError> {
        let started = Instant::now();
        let total = accounts.len() as u64;
        let (amount, fees, transactions) = match &self.source {
            Source::CheatCode { started_locally } => {
                let mut done = 0;
                for chunk in accounts.chunks(SET_BALANCES_PER_BATCH) {
                    let addresses: Vec<Address> = chunk.iter().map(|(a, _)| *a).collect();
                    set_balances(self.client, self.url, &addresses)
                        .await
                        .map_err(|e| match e {
                            EvmError::Funding(FundingError::SetBalance { source })
                                if !started_locally =>
                            {
                                FundingError::NoCheatCode {
                                    url: self.url.to_owned(),
                                    source,
                                }
                                .into()
                            }
                            e => e,
                        })?;
                    done += chunk.len() as u64;
                    if let Some(p) = progress {
                        p.report(done, total);
                    }
                }
                (
                    U256::from(FUNDING_WEI) * U256::from(accounts.len()),
                    U256::ZERO,
                    0,
                )
            }
            Source::Key(funder) => {
                let needed: U256 = accounts.iter().map(|(_, v)| *v).sum();
                let (base_fee, _) =
                    timed("eth_getBlockByNumber", self.url, latest_head(self.client)).await?;
                let fee_bound =
                    U256::from(funder.transfer_fee_bound(base_fee)) * U256::from(accounts.len());
                let held = balance(self.client, self.url, funder.address()).await?;
                if held < needed + fee_bound {
                    return Err(FundingError::TooPoor {
                        funder: funder.address().to_string(),
                        needed: (needed + fee_bound).to_string(),
                        held: held.to_string(),
                    }
                    .into());
                }
                let (mut fees, mut done) = (U256::ZERO, 0u64);
                for round in accounts.chunks(TRANSFERS_PER_ROUND) {
                    let receipts = funder
                        .transfer_all(self.client, self.url, round, base_fee)
                        .await?;
                    for r in &receipts {
                        fees += U256::from(r.gas_used) * U256::from(r.effective_gas_price);
                    }
                    done += round.len() as u64;
                    if let Some(p) = progress {
                        p.report(done, total);
                    }
                }
                (needed, fees, total)
            }
        };
        {
            let mut ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
            ledger.amount += amount;
            ledger.fees += fees;
            ledger.transactions += transactions;
            ledger.took += started.elapsed();
        }
        Ok(())
    }

    /// Funds the deployer, which deploys and mints before the clock: by
    /// cheat code, or from the key with room for [`DEPLOYER_GAS`] at twice
    /// today's base fee.
    pub(crate) async fn give_deployer(&self, deployer: Address) -> Result<(), EvmError> {
        let amount = match &self.source {
            Source::CheatCode { .. } => U256::ZERO,
            Source::Key(funder) => {
                let (base_fee, _) =
                    timed("eth_getBlockByNumber", self.url, latest_head(self.client)).await?;
                U256::from(funder.fee_bound(DEPLOYER_GAS, base_fee))
            }
        };
        self.give(&[(deployer, amount)], None).await
    }

    /// How the run was funded, for the result, and for a key, the check of
    /// the funder's balance: it fell by exactly what it sent plus its fees.
    pub(crate) async fn record(&self) -> Result<(Funding, Option<Check>), EvmError> {
        let (amount, fees, transactions, took) = {
            let ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
            (ledger.amount, ledger.fees, ledger.transactions, ledger.took)
        };
        let (method, funder, check) = match &self.source {
            Source::CheatCode { .. } => ("anvil_setBalance", None, None),
            Source::Key(funder) => {
                let after = balance(self.client, self.url, funder.address()).await?;
                let check = Check {
                    name: "funder".into(),
                    recorded: (amount + fees).to_string(),
                    chain: self.funder_before.saturating_sub(after).to_string(),
                    how:
                        "the funder's balance decrease over funding: what its transfers moved plus \
                          their fees (gas used times the effective price, from their receipts)"
                            .into(),
                    entry: None,
                };
                (
                    Funding::BY_KEY,
                    Some(funder.address().to_string()),
                    Some(check),
                )
            }
        };
        Ok((
            Funding {
                method: method.to_owned(),
                funder,
                amount: amount.to_string(),
                transactions,
                seconds: took.as_secs_f64(),
            },
            check,
        ))
    }
}

/// `address`'s balance at the latest block.
pub(crate) async fn balance(
    client: &RpcClient,
    url: &str,
    address: Address,
) -> Result<U256, EvmError> {
    timed(
        "eth_getBalance",
        url,
        client.request("eth_getBalance", (address, BlockNumberOrTag::Latest)),
    )
    .await
}
