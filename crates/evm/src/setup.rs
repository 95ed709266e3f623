//! Transactions sent while preparing a run (deploying, minting), one at a
//! time and waited for: none of this is measured.

use crate::{
    error::{EvmError, FundingError, PrepareError},
    keys,
};
use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::{eip2718::Encodable2718, BlockNumberOrTag},
    network::TxSignerSync,
    primitives::{Address, Bytes, TxKind, B256, U256, U64},
    rpc::{client::RpcClient, types::TransactionReceipt},
    signers::local::PrivateKeySigner,
    transports::TransportError,
};
use serde::Deserialize;
use serde_json::json;
use std::{
    future::Future,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// How long a preparation transaction may take to be included.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);
const RECEIPT_POLL: Duration = Duration::from_millis(100);
/// Tip for preparation transactions, wei per gas.
const SETUP_TIP: u128 = 1_000_000_000;

/// The account that deploys and mints: not a sender, so the senders'
/// nonces and balances before the run are the run's alone.
#[derive(Debug)]
pub(crate) struct Deployer {
    signer: PrivateKeySigner,
    chain_id: u64,
    nonce: AtomicU64,
}

#[derive(Debug, Deserialize)]
struct HeadFee {
    #[serde(rename = "baseFeePerGas")]
    base_fee_per_gas: Option<U64>,
    #[serde(rename = "gasLimit")]
    gas_limit: Option<U64>,
}

pub(crate) fn rpc<'a>(
    call: &'static str,
    url: &'a str,
) -> impl Fn(TransportError) -> EvmError + 'a {
    move |source| EvmError::Rpc {
        call,
        url: url.to_owned(),
        source,
    }
}

impl Deployer {
    /// The seed's deployer, with its nonce read from the node.
    pub(crate) async fn new(
        client: &RpcClient,
        url: &str,
        seed: &str,
        chain_id: u64,
    ) -> Result<Self, EvmError> {
        let signer = keys::deployer(seed).ok_or(EvmError::Key { index: u32::MAX })?;
        Self::with(client, url, signer, chain_id).await
    }

    /// Sender `index` of the seed, sending its setup transactions (before
    /// the senders' state is read as the run's start).
    pub(crate) async fn sender(
        client: &RpcClient,
        url: &str,
        seed: &str,
        index: u32,
        chain_id: u64,
    ) -> Result<Self, EvmError> {
        let signer = keys::sender(seed, index).ok_or(EvmError::Key { index })?;
        Self::with(client, url, signer, chain_id).await
    }

    /// The account of `signer` (a funder's key), with its nonce read from the node.
    pub(crate) async fn from_signer(
        client: &RpcClient,
        url: &str,
        signer: PrivateKeySigner,
        chain_id: u64,
    ) -> Result<Self, EvmError> {
        Self::with(client, url, signer, chain_id).await
    }

    async fn with(
        client: &RpcClient,
        url: &str,
        signer: PrivateKeySigner,
        chain_id: u64,
    ) -> Result<Self, EvmError> {
        let nonce: U64 = client
            .request(
                "eth_getTransactionCount",
                (signer.address(), BlockNumberOrTag::Pending),
            )
            .await
            .map_err(rpc("eth_getTransactionCount", url))?;
        Ok(Self {
            signer,
            chain_id,
            nonce: AtomicU64::new(nonce.to::<u64>()),
        })
    }

    /// The deployer's address (funded with the senders).
    pub(crate) fn address(&self) -> Address {
        self.signer.address()
    }

    /// Sends `input` to `to` and waits for its receipt; an error unless it succeeded.
    pub(crate) async fn execute(
        &self,
        client: &RpcClient,
        url: &str,
        to: TxKind,
        input: Bytes,
    ) -> Result<TransactionReceipt, EvmError> {
        let hash = self.send(client, url, to, input).await?;
        receipt(client, url, hash).await
    }

    /// Signs and sends `input` to `to`, not waiting for it.
    async fn send(
        &self,
        client: &RpcClient,
        url: &str,
        to: TxKind,
        input: Bytes,
    ) -> Result<B256, EvmError> {
        let gas = estimate_gas(client, url, self.address(), to, input.clone()).await?;
        let base_fee = u128::from(
            latest_base_fee(client)
                .await
                .map_err(rpc("eth_getBlockByNumber", url))?,
        );
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: self.nonce.fetch_add(1, Ordering::Relaxed),
            gas_limit: gas * 5 / 4,
            max_fee_per_gas: base_fee * 2 + SETUP_TIP,
            max_priority_fee_per_gas: SETUP_TIP,
            to,
            value: U256::ZERO,
            access_list: Default::default(),
            input,
        };
        let raw = self.sign(tx)?;
        client
            .request("eth_sendRawTransaction", (raw,))
            .await
            .map_err(rpc("eth_sendRawTransaction", url))
    }
}

impl Deployer {
    /// `signer`'s account at `nonce`, known already (read in one batch for many).
    pub(crate) fn at_nonce(signer: PrivateKeySigner, chain_id: u64, nonce: u64) -> Self {
        Self {
            signer,
            chain_id,
            nonce: AtomicU64::new(nonce),
        }
    }

    /// A transfer of `value` to `to` bidding exactly `price` a gas (its fee
    /// cap and its tip alike), signed: it costs 21,000 x `price`, to the
    /// wei, whenever the base fee is at most `price`.
    pub(crate) fn transfer_at(
        &self,
        to: Address,
        value: U256,
        price: u128,
    ) -> Result<Bytes, EvmError> {
        self.sign(TxEip1559 {
            chain_id: self.chain_id,
            nonce: self.nonce.fetch_add(1, Ordering::Relaxed),
            gas_limit: TRANSFER_GAS,
            max_fee_per_gas: price,
            max_priority_fee_per_gas: price,
            to: TxKind::Call(to),
            value,
            access_list: Default::default(),
            input: Bytes::new(),
        })
    }

    /// `tx` signed, in its wire form.
    fn sign(&self, mut tx: TxEip1559) -> Result<Bytes, EvmError> {
        let signature = self
            .signer
            .sign_transaction_sync(&mut tx)
            .map_err(|source| PrepareError::Sign { source })?;
        Ok(TxEnvelope::from(tx.into_signed(signature))
            .encoded_2718()
            .into())
    }

    /// The most `gas` of this account's transactions can cost in fees at
    /// `base_fee`, wei: what it bids (twice the base fee and its tip).
    pub(crate) fn fee_bound(&self, gas: u64, base_fee: u64) -> u128 {
        u128::from(gas) * (u128::from(base_fee) * 2 + SETUP_TIP)
    }

    /// The most a plain transfer from this account can cost in fees at
    /// `base_fee`, wei: what [`transfer_all`](Self::transfer_all) bids.
    pub(crate) fn transfer_fee_bound(&self, base_fee: u64) -> u128 {
        self.fee_bound(TRANSFER_GAS, base_fee)
    }

    /// Transfers each `(to, value)` at once (one JSON-RPC batch), bidding
    /// for `base_fee`, then waits for every receipt; an error unless all
    /// succeeded.
    pub(crate) async fn transfer_all(
        &self,
        client: &RpcClient,
        url: &str,
        transfers: &[(Address, U256)],
        base_fee: u64,
    ) -> Result<Vec<TransactionReceipt>, EvmError> {
        let mut raws = Vec::with_capacity(transfers.len());
        for &(to, value) in transfers {
            let tx = TxEip1559 {
                chain_id: self.chain_id,
                nonce: self.nonce.fetch_add(1, Ordering::Relaxed),
                gas_limit: TRANSFER_GAS,
                max_fee_per_gas: u128::from(base_fee) * 2 + SETUP_TIP,
                max_priority_fee_per_gas: SETUP_TIP,
                to: TxKind::Call(to),
                value,
                access_list: Default::default(),
                input: Bytes::new(),
            };
            raws.push(self.sign(tx)?);
        }
        send_all(client, url, raws).await
    }
}

/// Gas of a plain transfer of ether to an account without code.
pub(crate) const TRANSFER_GAS: u64 = 21_000;

/// One setup transaction: who sends it, where to, with what input.
pub(crate) type SetupTx<'a> = (&'a Deployer, TxKind, Bytes);

/// Sends every transaction of `txs` first, then waits for all their
/// receipts: a block's wait for the lot, where one at a time waits a block
/// each. Transactions of one sender go in the order given; none of `txs`
/// may depend on another landing first.
pub(crate) async fn execute_all(
    client: &RpcClient,
    url: &str,
    txs: Vec<SetupTx<'_>>,
) -> Result<Vec<TransactionReceipt>, EvmError> {
    let mut hashes = Vec::with_capacity(txs.len());
    for (from, to, input) in txs {
        hashes.push(from.send(client, url, to, input).await?);
    }
    let mut receipts = Vec::with_capacity(hashes.len());
    for hash in hashes {
        receipts.push(receipt(client, url, hash).await?);
    }
    Ok(receipts)
}

/// Sends signed transactions `raws` in one JSON-RPC batch, then waits for
/// every receipt; an error unless all succeeded.
pub(crate) async fn send_all(
    client: &RpcClient,
    url: &str,
    raws: Vec<Bytes>,
) -> Result<Vec<TransactionReceipt>, EvmError> {
    let mut batch = client.new_batch();
    let mut waiters = Vec::with_capacity(raws.len());
    for raw in raws {
        waiters.push(
            batch
                .add_call::<_, B256>("eth_sendRawTransaction", &(raw,))
                .map_err(rpc("eth_sendRawTransaction", url))?,
        );
    }
    timed("eth_sendRawTransaction", url, batch.send()).await?;
    let mut hashes = Vec::with_capacity(waiters.len());
    for w in waiters {
        hashes.push(w.await.map_err(rpc("eth_sendRawTransaction", url))?);
    }
    let mut receipts = Vec::with_capacity(hashes.len());
    for hash in hashes {
        receipts.push(receipt(client, url, hash).await?);
    }
    Ok(receipts)
}

/// Waits for setup transaction `hash`'s receipt; an error unless it succeeded.
async fn receipt(
    client: &RpcClient,
    url: &str,
    hash: B256,
) -> Result<TransactionReceipt, EvmError> {
    let deadline = Instant::now() + INCLUSION_TIMEOUT;
    loop {
        let receipt: Option<TransactionReceipt> = client
            .request("eth_getTransactionReceipt", (hash,))
            .await
            .map_err(rpc("eth_getTransactionReceipt", url))?;
        match receipt {
            Some(r) if r.status() => return Ok(r),
            Some(_) => return Err(PrepareError::Reverted { hash }.into()),
            None if Instant::now() > deadline => {
                return Err(PrepareError::NotIncluded {
                    hash,
                    patience: INCLUSION_TIMEOUT,
                }
                .into())
            }
            None => tokio::time::sleep(RECEIPT_POLL).await,
        }
    }
}

/// The gas `from` calling (or creating, for `TxKind::Create`) `to` with
/// `input` uses now, as the node estimates it.
pub(crate) async fn estimate_gas(
    client: &RpcClient,
    url: &str,
    from: Address,
    to: TxKind,
    input: Bytes,
) -> Result<u64, EvmError> {
    let mut call = json!({"from": from, "data": input});
    if let TxKind::Call(to) = to {
        call["to"] = json!(to);
    }
    let gas: U64 = client
        .request("eth_estimateGas", (call,))
        .await
        .map_err(rpc("eth_estimateGas", url))?;
    Ok(gas.to::<u64>())
}

/// The base fee of the latest block (0 where the chain has none).
pub(crate) async fn latest_base_fee(client: &RpcClient) -> Result<u64, TransportError> {
    Ok(latest_head(client).await?.0)
}

/// The latest block's base fee and gas limit (0 and `None` where the
/// node gives none).
pub(crate) async fn latest_head(client: &RpcClient) -> Result<(u64, Option<u64>), TransportError> {
    let head: Option<HeadFee> = client
        .request("eth_getBlockByNumber", (BlockNumberOrTag::Latest, false))
        .await?;
    Ok((
        head.as_ref()
            .and_then(|h| h.base_fee_per_gas)
            .map_or(0, |b| b.to::<u64>()),
        head.and_then(|h| h.gas_limit).map(|g| g.to::<u64>()),
    ))
}

/// Where the chain's block tags stood at connect, and how often it made blocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tags {
    pub(crate) latest: u64,
    pub(crate) safe: Option<u64>,
    pub(crate) finalized: Option<u64>,
    /// Mean interval over the last (up to) ten blocks' timestamps, ms.
    pub(crate) interval_ms: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Stamp {
    number: U64,
    timestamp: U64,
}

/// Reads `latest`, `safe` and `finalized` in one batch, then the block ten
/// before latest for the interval. A tag the node does not know (an error,
/// or null) is absent, not an error: older nodes have neither.
pub(crate) async fn tags(client: &RpcClient) -> Result<Tags, TransportError> {
    let mut batch = client.new_batch();
    let mut calls = Vec::new();
    for tag in [
        BlockNumberOrTag::Latest,
        BlockNumberOrTag::Safe,
        BlockNumberOrTag::Finalized,
    ] {
        calls.push(batch.add_call::<_, Option<Stamp>>("eth_getBlockByNumber", &(tag, false))?);
    }
    batch.send().await?;
    let mut read = Vec::new();
    for call in calls {
        read.push(call.await.ok().flatten());
    }
    let latest = read[0].as_ref().map_or(0, |b| b.number.to::<u64>());
    let back = latest.min(10);
    let interval_ms = match (&read[0], back) {
        (Some(head), 1..) => {
            let earlier: Option<Stamp> = client
                .request(
                    "eth_getBlockByNumber",
                    (BlockNumberOrTag::Number(latest - back), false),
                )
                .await?;
            earlier.and_then(|e| {
                let span = head
                    .timestamp
                    .to::<u64>()
                    .checked_sub(e.timestamp.to::<u64>())?;
                (span > 0).then(|| span as f64 * 1e3 / back as f64)
            })
        }
        _ => None,
    };
    Ok(Tags {
        latest,
        safe: read[1].as_ref().map(|b| b.number.to::<u64>()),
        finalized: read[2].as_ref().map(|b| b.number.to::<u64>()),
        interval_ms,
    })
}

/// Balance every sender is set to on anvil: far more than any run spends, so
/// funding never limits a run and the starting balance is known exactly.
pub(crate) const FUNDING_WEI: u128 = 1_000_000 * 10u128.pow(18);
/// How long one setup call may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Awaits the setup call `f`, naming it and the node in its error.
pub(crate) async fn timed<T>(
    call: &'static str,
    url: &str,
    f: impl Future<Output = Result<T, TransportError>>,
) -> Result<T, EvmError> {
    match tokio::time::timeout(SETUP_TIMEOUT, f).await {
        Ok(r) => r.map_err(|source| EvmError::Rpc {
            call,
            url: url.to_owned(),
            source,
        }),
        Err(_) => Err(EvmError::Timeout {
            call,
            url: url.to_owned(),
            seconds: SETUP_TIMEOUT.as_secs(),
        }),
    }
}

/// Sets the balance of `addresses` to [`FUNDING_WEI`] with `anvil_setBalance`, in one batch.
pub(crate) async fn set_balances(
    client: &RpcClient,
    url: &str,
    addresses: &[Address],
) -> Result<(), EvmError> {
    let mut batch = client.new_batch();
    let mut waiters = Vec::new();
    for a in addresses {
        waiters.push(
            batch
                .add_call::<_, serde_json::Value>("anvil_setBalance", &(a, U256::from(FUNDING_WEI)))
                .map_err(|source| EvmError::Rpc {
                    call: "anvil_setBalance",
                    url: url.to_owned(),
                    source,
                })?,
        );
    }
    timed("anvil_setBalance", url, batch.send()).await?;
    for w in waiters {
        w.await
            .map_err(|source| FundingError::SetBalance { source })?;
    }
    Ok(())
}

/// Balances and pending nonces of `addresses`, in one batch.
pub(crate) async fn account_state(
    client: &RpcClient,
    url: &str,
    addresses: &[Address],
) -> Result<(Vec<U256>, Vec<u64>), EvmError> {
    let rpc = |source| EvmError::Rpc {
        call: "eth_getBalance/eth_getTransactionCount",
        url: url.to_owned(),
        source,
    };
    let mut batch = client.new_batch();
    let mut balances = Vec::new();
    let mut nonces = Vec::new();
    for a in addresses {
        balances.push(
            batch
                .add_call::<_, U256>("eth_getBalance", &(a, BlockNumberOrTag::Pending))
                .map_err(rpc)?,
        );
        nonces.push(
            batch
                .add_call::<_, U64>("eth_getTransactionCount", &(a, BlockNumberOrTag::Pending))
                .map_err(rpc)?,
        );
    }
    timed("eth_getBalance/eth_getTransactionCount", url, batch.send()).await?;
    let mut b = Vec::new();
    for w in balances {
        b.push(w.await.map_err(rpc)?);
    }
    let mut n = Vec::new();
    for w in nonces {
        n.push(w.await.map_err(rpc)?.to::<u64>());
    }
    Ok((b, n))
}
