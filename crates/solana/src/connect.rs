//! Setting up a Solana session: checks, readiness, funding, blockhashes, tracker.

use crate::{
    budget::Budget,
    calls::{balances, rpc_err, top_up, wait_until, FUNDING_TIMEOUT},
    error::{FundingError, SlotsClosed, SolanaError},
    keys,
    landed::LandedSignatures,
    poller::{Poller, POLL_INTERVAL},
    submitter::{RecentBlockhash, Route, SolanaSubmitter},
    sweep::SolanaSweeper,
    target::{SendPath, SolanaTarget, SolanaTracking},
    tpu::{SlotFollowing, TpuSender},
    tracker::{SlotEvent, Tracker},
    verify::{Payer, SolanaVerifier},
    workload::{tx_bytes, Prepare, Workload},
};
use chainmeter_core::{
    chain::{chained, ChainEvent, FundingProgress, Session, TaskSet},
    funder::{FunderKey, MalformedKey},
    plugin::Connect,
};
use chainmeter_result::run::{ChainParameters, Check, Funding, SenderRecord, Tracking};
use chainmeter_send_socket::SendSocket;
use futures::StreamExt;
use serde_json::json;
use solana_client::{
    nonblocking::{
        pubsub_client::{PubsubClient, PubsubClientError},
        rpc_client::RpcClient,
    },
    rpc_response::SlotUpdate,
};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::{
    message::Message, pubkey::Pubkey, signature::Keypair, signer::Signer, transaction::Transaction,
};
use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};
use tokio::sync::mpsc;

/// Solana mainnet-beta's genesis hash.
const MAINNET_GENESIS: &str = "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long opening the connection transactions are sent on may take.
const SEND_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the blockhash is refreshed: about one slot.
const BLOCKHASH_REFRESH: Duration = Duration::from_millis(400);
/// Payers funded by one transaction.
const TRANSFERS_PER_FUNDING_TX: usize = 16;
/// A lamport reserve per payer beyond what its transactions need.
const PAYER_RESERVE: u64 = 1_000_000_000;
/// Transactions whose sizes say whether the workload's are of one size.
const SIZE_SAMPLE: u64 = 64;

/// Connects, waits for a non-zero fee, funds the payers and starts the tracker.
pub async fn connect(
    cfg: &Connect,
    target: &SolanaTarget,
) -> Result<Session<SolanaSubmitter>, SolanaError> {
    let url = cfg.rpc_url.as_str();
    let rpc = RpcClient::new_with_timeout_and_commitment(
        cfg.rpc_url.clone(),
        Duration::from_secs(30),
        CommitmentConfig::confirmed(),
    );
    let genesis = rpc
        .get_genesis_hash()
        .await
        .map_err(rpc_err("getGenesisHash", url))?
        .to_string();
    if genesis == MAINNET_GENESIS && !cfg.allow_mainnet {
        return Err(SolanaError::Mainnet { genesis });
    }
    let node_version = rpc
        .get_version()
        .await
        .map(|v| match v.feature_set {
            Some(f) => format!("solana-core {} (feature set {f})", v.solana_core),
            None => format!("solana-core {}", v.solana_core),
        })
        .unwrap_or_else(|_| "unknown".into());

    let payers: Vec<Keypair> = (0..cfg.accounts)
        .map(|i| keys::payer(&cfg.seed, i))
        .collect();
    // The user's funder key pays when given; else an account of the seed's,
    // airdropped by the node's faucet.
    let funder = match &cfg.funder {
        Some(key) => funder_keypair(key).map_err(FundingError::Malformed)?,
        None => keys::funder(&cfg.seed),
    };
    let by_key = cfg.funder.is_some();
    let budget = Budget {
        limit: target.compute_unit_limit.or(target.workload.unit_limit()),
        price: target.compute_unit_price,
        bids: cfg.bids.clone(),
    };
    let fee = wait_for_fee(&rpc, url, &funder, &budget.instructions(0, 0, false)).await?;

    // A new receiver must end up rent-exempt, or the transfer fails.
    let rent = rpc
        .get_minimum_balance_for_rent_exemption(0)
        .await
        .map_err(rpc_err("getMinimumBalanceForRentExemption", url))?;
    let lamports = target.workload.lamports(rent);
    // Each payer is funded for its own bid: with a fee market the top
    // bucket's fee is a multiple of the bottom's, and a payer funded for
    // payer 0's fee ran dry and read as "the highest bid landed least".
    let base_fee = fee.saturating_sub(budget.priority_lamports(0));
    let slots_per_epoch = rpc
        .get_epoch_schedule()
        .await
        .map_err(rpc_err("getEpochSchedule", url))?
        .slots_per_epoch;
    // A node takes a sample a minute: a fresh validator has none yet.
    let slot_ms = rpc
        .get_recent_performance_samples(Some(10))
        .await
        .map_err(rpc_err("getRecentPerformanceSamples", url))?
        .iter()
        .filter(|s| s.num_slots > 0)
        .fold((0, 0), |(ms, slots), s| {
            (
                ms + u64::from(s.sample_period_secs) * 1_000,
                slots + s.num_slots,
            )
        });
    let slot_ms = (slot_ms.1 > 0).then(|| slot_ms.0 as f64 / slot_ms.1 as f64);
    let block_limit = block_compute_limit(&rpc, url).await?;
    let sends = cfg.planned.div_ceil(u64::from(cfg.accounts));
    let fees: Vec<u64> = (0..payers.len())
        .map(|i| base_fee + budget.priority_lamports(i))
        .collect();
    // What one more transaction of each payer needs: its own fee and value,
    // with the payer left rent-exempt. Below it after the run, it ran dry.
    let one_more: Vec<u64> = fees.iter().map(|fee| fee + lamports + rent).collect();
    // A faucet's lamports cost nothing, so its payers get a generous
    // reserve; a key's are the user's, so its payers keep only what leaves
    // them rent-exempt with a transaction to spare.
    let reserve = if by_key {
        rent + fees.iter().max().copied().unwrap_or(0)
    } else {
        PAYER_RESERVE
    };
    let per_payer: Vec<u64> = fees
        .iter()
        .map(|fee| sends.saturating_mul(lamports + fee).saturating_mul(2) + reserve)
        .collect();
    let funding_started = Instant::now();
    let funded = fund(
        &rpc,
        url,
        &funder,
        by_key,
        &payers,
        &per_payer,
        &cfg.funding_progress,
    )
    .await?;
    let funding = Funding {
        method: if by_key {
            Funding::BY_KEY
        } else {
            "requestAirdrop"
        }
        .to_owned(),
        funder: by_key.then(|| funder.pubkey().to_string()),
        amount: funded.given.to_string(),
        transactions: funded.transactions,
        seconds: funding_started.elapsed().as_secs_f64(),
    };
    let funder_check = by_key.then(|| Check {
        name: "funder".into(),
        recorded: (funded.given + funded.fees).to_string(),
        chain: funded
            .funder_before
            .saturating_sub(funded.funder_after)
            .to_string(),
        how: "the funder's balance decrease over funding: what its transfers moved plus \
              their fees (each funding transaction's fee for its message)"
            .into(),
        entry: None,
    });

    let pubkeys: Vec<Pubkey> = payers.iter().map(Keypair::pubkey).collect();
    let workload = target
        .workload
        .prepare(Prepare {
            rpc: &rpc,
            url,
            funder: &funder,
            by_key,
            payers: &pubkeys,
            seed: &cfg.seed,
            hot: cfg.hot.as_deref(),
            lamports,
            rent,
        })
        .await?;
    let balances = balances(&rpc, url, &pubkeys).await?;
    let records = pubkeys
        .iter()
        .zip(&balances)
        .map(|(p, b)| SenderRecord {
            address: p.to_string(),
            balance_before: b.to_string(),
            nonce_before: None,
        })
        .collect();

    let mut tasks = TaskSet::default();
    let (hash, height) = rpc
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .await
        .map_err(rpc_err("getLatestBlockhash", url))?;
    let blockhash: RecentBlockhash = Arc::new(RwLock::new((hash, height)));

    let http = reqwest::Client::new();
    let (registrar, registered) = chainmeter_core::open_set::open_set();
    let landed = LandedSignatures::new().map_err(SolanaError::Scratch)?;
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let slots = if target.tracking == SolanaTracking::Poll {
        Err(WhyPoll::Asked)
    } else {
        subscribe_slots(&cfg.ws_url, &mut tasks)
            .await
            .map_err(WhyPoll::NoSlots)
    };
    let tracking = match slots {
        Ok(updates) => {
            // Read after subscribing: blocks above this height confirm after
            // the subscription and are seen; none at or below it can hold
            // a transaction of the run, which has not sent any yet.
            let base_height = rpc
                .get_block_height_with_commitment(CommitmentConfig::confirmed())
                .await
                .map_err(rpc_err("getBlockHeight", url))?;
            // The head the first sends go out at, before the next slot is
            // frozen: without it their slot deltas would be unknown.
            let head = rpc
                .get_slot_with_commitment(CommitmentConfig::processed())
                .await
                .map_err(rpc_err("getSlot", url))?;
            let _ = events_tx.send(ChainEvent::Head {
                number: head,
                at: Instant::now(),
            });
            tasks.push(tokio::spawn(
                Tracker::new(
                    http.clone(),
                    cfg.rpc_url.clone(),
                    updates,
                    events_tx,
                    registered,
                    landed.clone(),
                    base_height,
                )
                .run(),
            ));
            Tracking {
                method: "slotsUpdatesSubscribe (frozen = processed, optimisticConfirmation = confirmed) and \
                         rootSubscribe (finalized) over WebSocket, stamped on arrival; each confirmed slot's \
                         block fetched once (getBlock) for signatures, fees and compute units"
                    .to_owned(),
                resolution_us: 1_000,
                achieved_interval_us: None,
            }
        }
        Err(why) => {
            tasks.push(tokio::spawn(
                Poller {
                    http: http.clone(),
                    url: cfg.rpc_url.clone(),
                    events: events_tx,
                    registered,
                    landed: landed.clone(),
                }
                .run(),
            ));
            Tracking {
                method: format!(
                    "getSignatureStatuses polled every {} ms (the achieved interval is measured), \
                     256 signatures a call, in batches under the RPC body limit sent at once, \
                     levels stamped at the response \
                     ({why}); each newly seen slot's block fetched once (getBlock) for fees and compute units; \
                     expired when a poll finds no status and the previous poll's confirmed block height \
                     passed the last valid height",
                    POLL_INTERVAL.as_millis()
                ),
                // Replaced by the achieved interval's p99 once the run measured it.
                resolution_us: POLL_INTERVAL.as_micros() as u64,
                achieved_interval_us: None,
            }
        }
    };

    // The refresher takes the RPC client: nothing after this needs it.
    tasks.push(tokio::spawn(refresh_blockhash(rpc, blockhash.clone())));

    let mut send_config = json!({"encoding": "base64", "skipPreflight": target.skip_preflight, "preflightCommitment": "processed"});
    if let Some(n) = target.max_retries {
        send_config["maxRetries"] = json!(n);
    }
    let route = match target.send {
        // On an http:// node, its own connection, read lazily: reqwest
        // reads every answer as it comes, a second wake-up a transaction.
        SendPath::Rpc if SendSocket::serves(&cfg.rpc_url) => Route::Socket {
            socket: SendSocket::connect(&cfg.rpc_url, SEND_CONNECT_TIMEOUT)
                .await
                .map_err(|why| SolanaError::SendSocket {
                    url: cfg.rpc_url.clone(),
                    why,
                })?,
            config: send_config.to_string(),
        },
        SendPath::Rpc => Route::Rpc {
            http: http.clone(),
            url: reqwest::Url::parse(&cfg.rpc_url).map_err(|e| SolanaError::Url {
                url: cfg.rpc_url.clone(),
                source: e.into(),
            })?,
            config: send_config.to_string(),
        },
        SendPath::Tpu => {
            // A validator chainmeter started: its own identity, in its ledger.
            let identity = target.tpu_identity.clone().or_else(|| {
                cfg.node_dir
                    .as_ref()
                    .map(|d| d.join("validator-keypair.json"))
                    .filter(|p| p.is_file())
            });
            // A validator chainmeter started is a cluster of one: its leader
            // never changes, so the client need not follow the slots.
            let slots = match cfg.node_dir {
                Some(_) => SlotFollowing::OneLeader,
                None => SlotFollowing::Follow(&cfg.ws_url),
            };
            Route::Tpu(Arc::new(
                TpuSender::connect(&cfg.rpc_url, slots, identity.as_deref()).await?,
            ))
        }
    };
    let sending = match &route {
        Route::Socket { .. } => {
            "sendTransaction in JSON-RPC batches pipelined on one HTTP connection".to_owned()
        }
        Route::Rpc { .. } => "sendTransaction in JSON-RPC batches over HTTP".to_owned(),
        Route::Tpu(tpu) => format!(
            "QUIC to the leaders' TPU ports (Anza's TPU client), {}",
            tpu.identity.as_ref().map_or_else(
                || "unstaked: the TPU admits 200 tx/s per connection".to_owned(),
                |id| format!("staked as {id}")
            )
        ),
    };
    let tx_bytes = one_size(workload.as_ref(), &budget, &pubkeys);
    let session = Session {
        submitter: SolanaSubmitter {
            route,
            payers,
            workload: workload.clone(),
            budget,
            blockhash,
            registrar,
        },
        events: events_rx,
        tracking,
        sending,
        // Recorded among the parameters, but no bound beside a knee: the
        // cost model charges a transaction its signatures, write locks and
        // loaded data besides the units it consumes, and a bound from the
        // consumed units alone would overstate the rate by several times.
        block_limit: None,
        tx_bytes,
        warnings: Vec::new(),
        sweeper: (cfg.sweep && by_key).then(|| {
            Box::new(SolanaSweeper {
                url: cfg.rpc_url.clone(),
                seed: cfg.seed.clone(),
                accounts: cfg.accounts,
                funder: funder.pubkey(),
                fee: base_fee,
            }) as Box<dyn chainmeter_core::chain::Sweeper>
        }),
        verifier: Some(Box::new(SolanaVerifier {
            http,
            url: cfg.rpc_url.clone(),
            payers: pubkeys
                .iter()
                .zip(&balances)
                .zip(&one_more)
                .map(|((&key, &before), &one_more)| Payer {
                    key,
                    before,
                    one_more,
                })
                .collect(),
            landed,
            workload: workload.clone(),
            funder: funder_check,
        })),
        senders: records,
        funding: Some(funding),
        parameters: Some(ChainParameters::Solana {
            slot_ms,
            slots_per_epoch,
            fee_per_signature: base_fee,
            block_compute_limit: Some(block_limit),
        }),
        chain_id: genesis,
        node_version,
        value_per_tx: workload.lamports().into(),
        workload: workload.describe(),
        tasks,
    };
    Ok(session)
}

/// Why a run tracks by polling signature statuses rather than by slot
/// notifications; the result's tracking method says it.
#[derive(Debug, thiserror::Error)]
enum WhyPoll {
    /// The scenario asked for it.
    #[error("polling asked for: solana.tracking = \"poll\"")]
    Asked,
    /// The node's slot notifications could not be subscribed to.
    #[error("no slot notifications: {}", chained(.0))]
    NoSlots(SolanaError),
}

/// Subscribes to slot updates and roots, and stamps each event the moment it
/// arrives, in a task of its own.
async fn subscribe_slots(
    ws_url: &str,
    tasks: &mut TaskSet,
) -> Result<mpsc::UnboundedReceiver<Result<(SlotEvent, Instant), SlotsClosed>>, SolanaError> {
    let pubsub = PubsubClient::new(ws_url)
        .await
        .map_err(|e| SolanaError::Subscribe {
            what: "the PubSub endpoint",
            url: ws_url.to_owned(),
            source: e.into(),
        })?;
    let (updates_tx, updates_rx) = mpsc::unbounded_channel();
    let closed_url = ws_url.to_owned();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    tasks.push(tokio::spawn(async move {
        let subscribed = async {
            let slots = pubsub.slot_updates_subscribe().await.map_err(|e| ("slotsUpdatesSubscribe", e))?;
            let roots = pubsub.root_subscribe().await.map_err(|e| ("rootSubscribe", e))?;
            Ok::<_, (&'static str, PubsubClientError)>((slots.0, roots.0))
        }
        .await;
        let (mut slots, mut roots) = match subscribed {
            Ok(s) => {
                let _ = ready_tx.send(Ok(()));
                s
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
                return;
            }
        };
        loop {
            let event = tokio::select! {
                u = slots.next() => match u {
                    Some(SlotUpdate::Frozen { slot, .. }) => SlotEvent::Frozen(slot),
                    Some(SlotUpdate::OptimisticConfirmation { slot, .. }) => SlotEvent::Confirmed(slot),
                    Some(SlotUpdate::Root { slot, .. }) => SlotEvent::Root(slot),
                    Some(_) => continue,
                    None => break,
                },
                r = roots.next() => match r {
                    Some(slot) => SlotEvent::Root(slot),
                    None => break,
                },
            };
            if updates_tx.send(Ok((event, Instant::now()))).is_err() {
                return;
            }
        }
        let _ = updates_tx.send(Err(SlotsClosed { url: closed_url }));
    }));
    match ready_rx.await {
        Ok(Ok(())) => {}
        Ok(Err((what, e))) => {
            return Err(SolanaError::Subscribe {
                what,
                url: ws_url.to_owned(),
                source: e.into(),
            })
        }
        Err(e) => {
            return Err(SolanaError::Subscribe {
                what: "slots",
                url: ws_url.to_owned(),
                source: e.into(),
            })
        }
    }

    Ok(updates_rx)
}

/// Waits until the node quotes a non-zero fee for a transfer like ours, and returns it.
async fn wait_for_fee(
    rpc: &RpcClient,
    url: &str,
    funder: &Keypair,
    budget: &[solana_sdk::instruction::Instruction],
) -> Result<u64, SolanaError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let hash = rpc
            .get_latest_blockhash()
            .await
            .map_err(rpc_err("getLatestBlockhash", url))?;
        let mut ixs = budget.to_vec();
        ixs.push(solana_system_interface::instruction::transfer(
            &funder.pubkey(),
            &keys::receiver("fee", 0),
            1,
        ));
        let message = Message::new_with_blockhash(&ixs, Some(&funder.pubkey()), &hash);
        match rpc.get_fee_for_message(&message).await {
            Ok(fee) if fee > 0 => return Ok(fee),
            _ if Instant::now() > deadline => {
                return Err(SolanaError::ZeroFee {
                    seconds: READY_TIMEOUT.as_secs(),
                })
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Feature gates that raised the block's compute-unit limit, newest first,
/// with the limit each sets (agave-feature-set's ids; agave's cost model,
/// `block_cost_limits`): SIMD-0286, SIMD-0256.
const BLOCK_LIMIT_FEATURES: [(&str, u64); 2] = [
    ("P1BCUMpAC7V2GRBRiJCNUgpMyWZhoqt3LKo712ePqsz", 100_000_000),
    ("6oMCUgfY6BzZ6jwB681J6ju5Bh6CjVXbd7NeWYqiXBSu", 60_000_000),
];
/// The limit before either (SIMD-0207).
const BLOCK_LIMIT_BEFORE: u64 = 50_000_000;

/// The compute units a block may hold on this cluster: the node has no
/// call that says it, so it is read from which of the gates that raised it
/// are active (a feature account whose `activated_at` is set: bincode's
/// `Some` tag, 1, in its first byte).
async fn block_compute_limit(rpc: &RpcClient, url: &str) -> Result<u64, SolanaError> {
    let ids: Vec<Pubkey> = BLOCK_LIMIT_FEATURES
        .iter()
        .map(|(id, _)| id.parse().expect("a feature id is a pubkey"))
        .collect();
    let accounts = rpc
        .get_multiple_accounts_with_commitment(&ids, CommitmentConfig::confirmed())
        .await
        .map_err(rpc_err("getMultipleAccounts", url))?
        .value;
    Ok(accounts
        .iter()
        .zip(BLOCK_LIMIT_FEATURES)
        .find(|(a, _)| a.as_ref().is_some_and(|a| a.data.first() == Some(&1)))
        .map_or(BLOCK_LIMIT_BEFORE, |(_, (_, limit))| limit))
}

/// What funding the payers did.
#[derive(Debug, Clone, Copy)]
struct Funded {
    /// Lamports moved to payers.
    given: u64,
    /// Funding transactions sent.
    transactions: u64,
    /// What they cost the funder in fees.
    fees: u64,
    /// The funder's balance before the first and after the last (confirmed).
    funder_before: u64,
    funder_after: u64,
}

/// Airdrops to the funder (or, for a funder key, checks it holds enough),
/// then tops each payer up to its `per_payer` lamports.
async fn fund(
    rpc: &RpcClient,
    url: &str,
    funder: &Keypair,
    by_key: bool,
    payers: &[Keypair],
    per_payer: &[u64],
    progress: &FundingProgress,
) -> Result<Funded, SolanaError> {
    let pubkeys: Vec<Pubkey> = payers.iter().map(Keypair::pubkey).collect();
    let have = balances(rpc, url, &pubkeys).await?;
    let short: Vec<(Pubkey, u64)> = pubkeys
        .iter()
        .zip(have.iter().zip(per_payer))
        .filter(|(_, (&b, &want))| b < want)
        .map(|(p, (&b, &want))| (*p, want - b))
        .collect();
    let given: u64 = short.iter().map(|(_, n)| n).sum();
    // Each funding transaction pays one signature's fee.
    let fee_room = short.len().div_ceil(TRANSFERS_PER_FUNDING_TX) as u64 * 5_000;
    let reserve = if by_key { fee_room } else { PAYER_RESERVE };
    if !short.is_empty() {
        top_up(rpc, url, funder, by_key, given + reserve).await?;
    }
    let funder_before = balances(rpc, url, &[funder.pubkey()]).await?[0];
    let mut funded = Funded {
        given,
        transactions: 0,
        fees: 0,
        funder_before,
        funder_after: funder_before,
    };
    if short.is_empty() {
        return Ok(funded);
    }
    let hash = rpc
        .get_latest_blockhash()
        .await
        .map_err(rpc_err("getLatestBlockhash", url))?;
    let total = short.len() as u64;
    for (i, chunk) in short.chunks(TRANSFERS_PER_FUNDING_TX).enumerate() {
        let ixs: Vec<_> = chunk
            .iter()
            .map(|(to, n)| solana_system_interface::instruction::transfer(&funder.pubkey(), to, *n))
            .collect();
        let tx = Transaction::new_signed_with_payer(&ixs, Some(&funder.pubkey()), &[funder], hash);
        funded.fees += rpc
            .get_fee_for_message(&tx.message)
            .await
            .map_err(rpc_err("getFeeForMessage", url))?;
        funded.transactions += 1;
        rpc.send_transaction(&tx)
            .await
            .map_err(FundingError::Transfer)?;
        // Sent, not yet landed: the wait below confirms them all.
        progress.report(
            ((i + 1) * TRANSFERS_PER_FUNDING_TX).min(short.len()) as u64,
            total,
        );
    }
    wait_until(FUNDING_TIMEOUT, || async {
        Ok(balances(rpc, url, &pubkeys)
            .await?
            .iter()
            .zip(per_payer)
            .all(|(&b, &want)| b >= want))
    })
    .await
    .map_err(FundingError::NotFunded)?;
    funded.funder_after = balances(rpc, url, &[funder.pubkey()]).await?[0];
    Ok(funded)
}

/// The keypair in a funder key's file.
pub(crate) fn funder_keypair(key: &FunderKey) -> Result<Keypair, MalformedKey> {
    solana_sdk::signature::read_keypair(&mut key.secret().as_bytes())
        .map_err(|_| key.malformed("solana", KEY_FORMAT))
}

/// The format of a funder key Solana reads.
const KEY_FORMAT: &str = "a keypair file as solana-keygen writes it (a JSON array of 64 bytes)";

async fn refresh_blockhash(rpc: RpcClient, blockhash: RecentBlockhash) {
    loop {
        tokio::time::sleep(BLOCKHASH_REFRESH).await;
        if let Ok(latest) = rpc
            .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
            .await
        {
            *blockhash.write().unwrap_or_else(|e| e.into_inner()) = latest;
        }
    }
}

/// The size of the workload's transactions on the wire, bytes, when the
/// first ones (by every payer, so through a mix's entries) are of one size.
fn one_size(workload: &dyn Workload, budget: &Budget, payers: &[Pubkey]) -> Option<u64> {
    let mut sizes = (0..SIZE_SAMPLE).map(|seq| {
        let index = (seq % payers.len().max(1) as u64) as usize;
        let payer = payers.get(index).copied().unwrap_or_default();
        tx_bytes(&budget.transaction(workload, seq, index, &payer), &payer)
    });
    let first = sizes.next()?;
    sizes.all(|n| n == first).then_some(first as u64)
}
