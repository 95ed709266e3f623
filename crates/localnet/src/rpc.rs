//! A minimal JSON-RPC call, enough to probe a node's readiness without a chain library.

use serde_json::{json, Value};
use std::time::Duration;

/// A JSON-RPC call that did not produce a result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcCallError {
    /// The request failed (connection refused, timeout, bad HTTP status).
    #[error("{method}: {error}")]
    Http {
        /// The method.
        method: String,
        /// The error, shown in the message (not a `source`): callers embed
        /// this error's text in their own.
        error: reqwest::Error,
    },
    /// The node answered with a JSON-RPC error.
    #[error("{method}: node returned error {error}")]
    Node {
        /// The method.
        method: String,
        /// The `error` object.
        error: Value,
    },
}

/// Calls `method` with `params` at `url` and returns its `result`.
pub async fn rpc_call(
    url: &str,
    method: &str,
    params: Value,
    timeout: Duration,
) -> Result<Value, RpcCallError> {
    let http = |error| RpcCallError::Http {
        method: method.to_owned(),
        error,
    };
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(http)?;
    let mut answer: Value = client
        .post(url)
        .json(&body)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(http)?
        .json()
        .await
        .map_err(http)?;
    if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
        return Err(RpcCallError::Node {
            method: method.to_owned(),
            error: error.clone(),
        });
    }
    Ok(answer["result"].take())
}
