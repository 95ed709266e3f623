//! Setting up an EVM session: checks, funding, and the tracker.

use crate::{
    error::EvmError,
    funding::Funds,
    keys,
    nonces::NonceBooks,
    setup::{self, account_state, latest_head, timed},
    signing::Libsecp256k1,
    submitter::{EvmSubmitter, Outlet, Sender, MAX_FEE_BASE_FEES},
    sweep::EvmSweeper,
    target::EvmTarget,
    tracker::{Finality, ReceiptsBy, Tracker},
    verify::EvmVerifier,
    workload::{hot_receiver, Prepare, Workload},
};
use alloy::{
    primitives::{Address, U256, U64},
    providers::{Provider, ProviderBuilder, WsConnect},
    rpc::client::{ClientBuilder, RpcClient},
};
use chainmeter_core::{
    chain::{ChainEvent, Session, TaskSet},
    plugin::Connect,
};
use chainmeter_result::run::{ChainParameters, SenderRecord, Tracking};
use chainmeter_send_socket::SendSocket;
use futures::StreamExt;
use std::{
    sync::{atomic::AtomicU64, Arc},
    time::Instant,
};
use tokio::sync::mpsc;

/// Chain ids of public mainnets a run must not reach by accident.
const MAINNETS: &[u64] = &[
    1, 10, 56, 100, 137, 250, 324, 8453, 42161, 42220, 43114, 59144, 534352,
];

/// How long opening the send socket may take.
const SEND_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Connects to the node, funds the senders and starts the tracker.
pub async fn connect(cfg: &Connect, target: &EvmTarget) -> Result<Session<EvmSubmitter>, EvmError> {
    let url = cfg
        .rpc_url
        .parse::<alloy::transports::http::reqwest::Url>()
        .map_err(|e| EvmError::Url {
            url: cfg.rpc_url.clone(),
            reason: e.to_string(),
        })?;
    let client: RpcClient = ClientBuilder::default().http(url);
    let u = cfg.rpc_url.as_str();

    let chain_id: U64 = timed("eth_chainId", u, client.request_noparams("eth_chainId")).await?;
    let chain_id = chain_id.to::<u64>();
    if MAINNETS.contains(&chain_id) && !cfg.allow_mainnet {
        return Err(EvmError::Mainnet { chain_id });
    }
    let node_version: String = timed(
        "web3_clientVersion",
        u,
        client.request_noparams("web3_clientVersion"),
    )
    .await
    .unwrap_or_else(|_| "unknown".to_owned());

    let signers = (0..cfg.accounts)
        .map(|i| keys::sender(&cfg.seed, i).ok_or(EvmError::Key { index: i }))
        .collect::<Result<Vec<_>, _>>()?;
    let addresses: Vec<Address> = signers.iter().map(|s| s.address()).collect();
    // Kept to sign the sweep after the run; the submitter takes the originals.
    let sweep_signers = cfg.sweep.then(|| signers.clone());
    let funds = Funds::new(
        &client,
        u,
        chain_id,
        cfg.funder.as_ref(),
        cfg.started_locally,
    )
    .await?;
    let progress = Some(&cfg.funding_progress);
    if !funds.is_key() {
        // A cheat code costs nothing: every sender gets plenty before the
        // workload is prepared (which may estimate calls from them).
        let plenty: Vec<_> = addresses.iter().map(|&a| (a, U256::ZERO)).collect();
        funds.give(&plenty, progress).await?;
    }
    let workload = target
        .workload
        .prepare(Prepare {
            client: &client,
            url: u,
            chain_id,
            seed: &cfg.seed,
            senders: &addresses,
            hot: cfg.hot.as_deref().map(hot_receiver),
            funds: &funds,
        })
        .await?;
    let (base_fee, block_limit) = timed("eth_getBlockByNumber", u, latest_head(&client)).await?;
    if funds.is_key() {
        // A key gives what the plan may spend, once its transactions' gas is known.
        let needs = sender_needs(&addresses, &*workload, cfg, target, base_fee);
        funds.give(&needs, progress).await?;
    }
    let (funding, funder_check) = funds.record().await?;
    let sweeper = match (sweep_signers, funds.funder()) {
        (Some(senders), Some(funder)) => Some(Box::new(EvmSweeper {
            client: client.clone(),
            url: u.to_owned(),
            chain_id,
            senders,
            funder,
        })
            as Box<dyn chainmeter_core::chain::Sweeper>),
        _ => None,
    };
    let (balances, nonces) = account_state(&client, u, &addresses).await?;
    let base_fee_now = base_fee;
    let base_fee = Arc::new(AtomicU64::new(base_fee));

    let ws_error = |source| EvmError::Subscribe {
        url: cfg.ws_url.clone(),
        source,
    };
    // No reconnecting: on a local node a closed WebSocket means the node is
    // gone, and a reconnected subscription would have missed heads. With
    // alloy's default (10 tries, 3 s apart) a killed node went on taking
    // "sends" for 15 s; now the subscription ends, the run stops at once,
    // and sends fail as transport errors.
    let ws_connect = || WsConnect::new(cfg.ws_url.clone()).with_max_retries(0);
    // Heads are stamped in their own task the moment they arrive.
    let ws = ProviderBuilder::new()
        .connect_ws(ws_connect())
        .await
        .map_err(ws_error)?;
    let subscription = ws.subscribe_blocks().await.map_err(ws_error)?;
    // Transactions go out over a WebSocket of their own: a frame per call
    // costs the harness about 40% less CPU than an HTTP request (measured:
    // 261 vs 410 µs per transaction at 200 tx/s, signing included). On a
    // ws:// node it is the submitter's own socket, read lazily.
    let outlet = if cfg.ws_url.starts_with("ws://") && SendSocket::serves(&cfg.ws_url) {
        let socket = SendSocket::connect(&cfg.ws_url, SEND_CONNECT_TIMEOUT)
            .await
            .map_err(|why| EvmError::SendSocket {
                url: cfg.ws_url.clone(),
                why,
            })?;
        Outlet::Socket(socket)
    } else {
        Outlet::Client(
            ClientBuilder::default()
                .ws(ws_connect())
                .await
                .map_err(ws_error)?,
        )
    };
    let receipts_by = ReceiptsBy::probe(&client).await;
    let (heads_tx, heads_rx) = mpsc::unbounded_channel();
    let (registrar, open) = chainmeter_core::open_set::open_set();
    let scanned = Arc::new(AtomicU64::new(0));
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let mut tasks = TaskSet::default();
    tasks.push(tokio::spawn(async move {
        let _keep_connection = ws;
        let mut stream = subscription.into_stream();
        while let Some(header) = stream.next().await {
            if heads_tx.send((header, Instant::now())).is_err() {
                return;
            }
        }
    }));
    // Read after subscribing (a newer head comes as a notification): the
    // latest block is also the head the first sends go out at, without
    // which the sends before the next block would have no block delta.
    let tags = timed("eth_getBlockByNumber (tags)", u, setup::tags(&client)).await?;
    let _ = events_tx.send(ChainEvent::Head {
        number: tags.latest,
        at: Instant::now(),
    });
    let parameters = ChainParameters::Evm {
        chain_id,
        block_gas_limit: block_limit,
        base_fee_wei: base_fee_now,
        latest_block: tags.latest,
        safe_block: tags.safe,
        finalized_block: tags.finalized,
        block_interval_ms: tags.interval_ms,
    };
    tasks.push(tokio::spawn(
        Tracker {
            client: client.clone(),
            heads: heads_rx,
            events: events_tx,
            base_fee: base_fee.clone(),
            open,
            finality: Finality::default(),
            last_block: None,
            scanned: scanned.clone(),
            reasons_left: crate::tracker::REASONS_READ,
            no_block_timeout: target.no_block_timeout,
            workload: workload.clone(),
            receipts_by,
        }
        .run(),
    ));

    let books = Arc::new(NonceBooks::new(addresses.clone(), &nonces));
    tasks.push(tokio::spawn(books.clone().watch(client.clone())));
    let senders = signers
        .iter()
        .enumerate()
        .map(|(i, signer)| {
            let signer =
                Libsecp256k1::new(signer).map_err(|_| EvmError::Key { index: i as u32 })?;
            Ok(Sender {
                signer: Box::new(signer),
            })
        })
        .collect::<Result<_, EvmError>>()?;
    let records = addresses
        .iter()
        .zip(balances.iter().zip(&nonces))
        .map(|(a, (b, n))| SenderRecord {
            address: a.to_string(),
            balance_before: b.to_string(),
            nonce_before: Some(*n),
        })
        .collect();
    Ok(Session {
        submitter: EvmSubmitter {
            client: client.clone(),
            outlet,
            senders,
            chain_id,
            workload: workload.clone(),
            priority_fee: target.priority_fee.into(),
            bids: cfg.bids.clone(),
            base_fee,
            registrar,
            nonces: books,
        },
        events: events_rx,
        tracking: Tracking {
            method: receipts_by.method().to_owned(),
            resolution_us: 1_000,
            achieved_interval_us: None,
        },
        sending: "eth_sendRawTransaction in JSON-RPC batches over WebSocket".to_owned(),
        verifier: Some(Box::new(EvmVerifier {
            client: client.clone(),
            senders: addresses
                .iter()
                .zip(balances.iter().zip(&nonces))
                .map(|(a, (b, n))| (*a, *b, *n))
                .collect(),
            scanned,
            workload: workload.clone(),
            funder: funder_check,
        })),
        sweeper,
        senders: records,
        funding: Some(funding),
        parameters: Some(parameters),
        chain_id: chain_id.to_string(),
        node_version,
        value_per_tx: workload.value().to::<u128>(),
        workload: workload.describe(),
        block_limit,
        tx_bytes: None,
        warnings: workload.warnings(),
        tasks,
    })
}

/// What each sender may spend over the run, as a funder key gives it: its
/// share of the planned transactions, each at its largest gas limit (over
/// the first transactions of the run) and the highest fee the submitter
/// bids at today's base fee ([`MAX_FEE_BASE_FEES`] base fees and the
/// sender's tip), plus the value each moves. A node admits a transaction
/// only if its sender can pay that much for it.
fn sender_needs(
    addresses: &[Address],
    workload: &dyn Workload,
    cfg: &Connect,
    target: &EvmTarget,
    base_fee: u64,
) -> Vec<(Address, U256)> {
    let n = addresses.len() as u64;
    let sends = cfg.planned.div_ceil(n.max(1)).max(1);
    let gas = (0..cfg.planned.clamp(1, 64))
        .map(|seq| workload.build(seq).gas_limit)
        .max()
        .unwrap_or(0);
    addresses
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let tip = cfg
                .bids
                .as_ref()
                .map_or(u128::from(target.priority_fee), |b| {
                    u128::from(b.for_sender(i as u64).0)
                });
            let per_tx = U256::from(gas)
                * U256::from(u128::from(base_fee) * MAX_FEE_BASE_FEES + tip)
                + workload.value();
            (a, per_tx * U256::from(sends))
        })
        .collect()
}
