//! Sending straight to the leader's TPU over QUIC, with Anza's TPU client.
//!
//! `sendTransaction` makes the RPC server decode, check and forward every
//! transaction to the TPU itself; sending to the TPU spares the validator
//! that work, as agave's bench-tps does. The TPU admits an unstaked QUIC
//! connection 200 transactions a second (agave's stream throttle), so the
//! connection presents a staked identity: for a validator chainmeter
//! started, the validator's own, which holds all of its stake.
//!
//! The TPU answers nothing per transaction: a batch that reached it is
//! `sent`, and what the validator then drops never lands and is proved
//! `expired` by the tracker, as for any send.

use crate::error::{SolanaError, TpuError};
use solana_client::{
    connection_cache::ConnectionCache, nonblocking::rpc_client::RpcClient,
    nonblocking::tpu_client::TpuClient, tpu_client::TpuClientConfig,
};
use solana_quic_client::{QuicConfig, QuicConnectionManager, QuicPool};
use solana_sdk::{signer::Signer, transport::TransportError};
use solana_streamer::streamer::StakedNodes;
use std::{
    collections::HashMap,
    fmt,
    net::{IpAddr, Ipv4Addr},
    path::Path,
    sync::{Arc, RwLock},
};

/// QUIC connections kept to each leader (the client's own default).
const CONNECTIONS_PER_LEADER: usize = 4;

/// Whether the TPU client follows the cluster's slots to find the current
/// leader.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SlotFollowing<'a> {
    /// Over this WebSocket (a cluster of several validators). The client
    /// then polls its slot notifications every 10 ms, a hundred wake-ups a
    /// second whatever the load: 2.7 to 4 ms of CPU a second here.
    Follow(&'a str),
    /// Not at all: a one-validator cluster, whose only leader the client
    /// finds from the leader schedule once.
    OneLeader,
}

/// A TPU client: it follows the leader schedule and sends to the current
/// and upcoming leaders.
pub(crate) struct TpuSender {
    client: TpuClient<QuicPool, QuicConnectionManager, QuicConfig>,
    /// Who the connection presents itself as, for the result.
    pub(crate) identity: Option<String>,
}

impl fmt::Debug for TpuSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TpuSender")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl TpuSender {
    /// Connects to the cluster's leaders, with the stake of the keypair at
    /// `identity` when given.
    pub(crate) async fn connect(
        rpc_url: &str,
        slots: SlotFollowing<'_>,
        identity: Option<&Path>,
    ) -> Result<Self, SolanaError> {
        let keypair = identity
            .map(|path| {
                solana_sdk::signature::read_keypair_file(path).map_err(|e| TpuError::Identity {
                    path: path.to_owned(),
                    why: e.to_string(),
                })
            })
            .transpose()?;
        // The client limits its own streams by the stake it believes it
        // has: tell it the identity holds all of it, as the server sees.
        let staked = keypair.as_ref().map(|k| {
            let stakes = HashMap::from([(k.pubkey(), 1)]);
            (
                Arc::new(RwLock::new(StakedNodes::new(
                    Arc::new(stakes),
                    HashMap::new(),
                ))),
                k.pubkey(),
            )
        });
        let cache = ConnectionCache::new_with_client_options(
            "chainmeter-tpu",
            CONNECTIONS_PER_LEADER,
            None,
            keypair
                .as_ref()
                .map(|k| (k, IpAddr::V4(Ipv4Addr::UNSPECIFIED))),
            staked.as_ref().map(|(nodes, key)| (nodes, key)),
        );
        let ConnectionCache::Quic(cache) = cache else {
            return Err(TpuError::NotQuic.into());
        };
        let rpc = Arc::new(RpcClient::new(rpc_url.to_owned()));
        // The client follows no slots when given no WebSocket URL.
        let ws_url = match slots {
            SlotFollowing::Follow(url) => url,
            SlotFollowing::OneLeader => "",
        };
        let client =
            TpuClient::new_with_connection_cache(rpc, ws_url, TpuClientConfig::default(), cache)
                .await
                .map_err(|source| TpuError::Leaders {
                    url: rpc_url.to_owned(),
                    source,
                })?;
        Ok(Self {
            client,
            identity: keypair.map(|k| k.pubkey().to_string()),
        })
    }

    /// Sends wire transactions to the leaders; an error when no leader took them.
    pub(crate) async fn send(&self, wires: Vec<Vec<u8>>) -> Result<(), TransportError> {
        self.client.try_send_wire_transaction_batch(wires).await
    }
}
