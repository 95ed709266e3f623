//! What the checks read back from the chain beside nonces and balances:
//! batched `eth_call`s, and whether the node still holds a run's blocks.

use crate::error::classify;
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, Bytes, U256, U64},
    rpc::client::RpcClient,
};
use chainmeter_core::chain::VerifyError;
use serde_json::json;

/// Calls per JSON-RPC batch: a few hundred keeps each request small.
pub(crate) const PER_BATCH: usize = 500;

/// The `eth_call`s `calls` (contract, input) at block `at`, each answering
/// one word, in batches.
pub(crate) async fn call_words(
    client: &RpcClient,
    at: BlockNumberOrTag,
    calls: &[(Address, Bytes)],
) -> Result<Vec<U256>, VerifyError> {
    let mut words = Vec::with_capacity(calls.len());
    for chunk in calls.chunks(PER_BATCH) {
        let err = |e| VerifyError::call(format!("eth_call at {at}"), classify(e).message);
        let mut batch = client.new_batch();
        let mut waiters = Vec::with_capacity(chunk.len());
        for (to, input) in chunk {
            let call = json!({"to": to, "data": input});
            waiters.push(
                batch
                    .add_call::<_, U256>("eth_call", &(call, at))
                    .map_err(err)?,
            );
        }
        batch.send().await.map_err(err)?;
        for w in waiters {
            words.push(w.await.map_err(err)?);
        }
    }
    Ok(words)
}

/// An error when the node no longer holds the transactions of `block`,
/// one with `gas_used` spent but `transactions` shown: anvil keeps only its
/// last blocks' (`--transaction-block-keeper`), and a check that read the
/// rest as empty would report a mismatch the chain never had.
pub(crate) fn history_kept(
    block: u64,
    gas_used: u64,
    transactions: usize,
) -> Result<(), VerifyError> {
    if gas_used > 0 && transactions == 0 {
        return Err(VerifyError::answer(
            format!("reading block {block}'s transactions"),
            "the node no longer holds them (it keeps only its last blocks'; anvil started by \
             chainmeter keeps 256, about four minutes at 1 s blocks): a shorter run, or fewer \
             levels to wait for, can be verified",
        ));
    }
    Ok(())
}

/// An error when the node no longer holds the transactions of the first
/// blocks after `start` (to `at`, three at most): those of a run's first
/// sends, the first a node prunes.
pub(crate) async fn first_blocks_kept(
    client: &RpcClient,
    start: u64,
    at: BlockNumberOrTag,
) -> Result<(), VerifyError> {
    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Header {
        gas_used: U64,
        transactions: Vec<serde_json::Value>,
    }
    let last = match at {
        BlockNumberOrTag::Number(n) => n.min(start + 3),
        _ => start + 3,
    };
    for n in start + 1..=last {
        let what = format!("reading block {n}");
        let block: Option<Header> = client
            .request("eth_getBlockByNumber", (BlockNumberOrTag::Number(n), false))
            .await
            .map_err(|e| VerifyError::call(what.clone(), classify(e).message))?;
        if let Some(b) = block {
            history_kept(n, b.gas_used.to::<u64>(), b.transactions.len())?;
        }
    }
    Ok(())
}
