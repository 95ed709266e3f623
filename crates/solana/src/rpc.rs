//! JSON-RPC batches over one HTTP client, for the hot paths that the
//! solana-client `RpcClient` serves one call at a time.

use serde_json::{json, Value};
use std::time::Duration;

/// A batch that failed as a whole.
#[derive(Debug)]
pub(crate) enum BatchError {
    /// Connection refused, reset, bad status.
    Transport(String),
    /// No answer in time.
    Timeout,
}

/// Posts `calls` (method, params) as one JSON-RPC batch; returns each call's
/// `result` or `error` object, in order.
pub(crate) async fn batch(
    http: &reqwest::Client,
    url: &str,
    calls: impl IntoIterator<Item = (&'static str, Value)>,
    timeout: Duration,
) -> Result<Vec<Result<Value, Value>>, BatchError> {
    let body: Vec<Value> = calls
        .into_iter()
        .enumerate()
        .map(|(id, (method, params))| json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
        .collect();
    let n = body.len();
    let answers: Vec<Value> = async {
        http.post(url)
            .json(&body)
            .timeout(timeout)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }
    .await
    .map_err(|e: reqwest::Error| {
        if e.is_timeout() {
            BatchError::Timeout
        } else {
            BatchError::Transport(e.to_string())
        }
    })?;
    // Answers may come in any order: place them by id.
    let mut results: Vec<Result<Value, Value>> =
        vec![Err(json!({"message": "no answer for this call"})); n];
    for mut a in answers {
        let Some(id) = a
            .get("id")
            .and_then(Value::as_u64)
            .map(|i| i as usize)
            .filter(|&i| i < n)
        else {
            continue;
        };
        results[id] = match a.get_mut("error").map(Value::take).filter(|e| !e.is_null()) {
            Some(e) => Err(e),
            None => Ok(a.get_mut("result").map(Value::take).unwrap_or(Value::Null)),
        };
    }
    Ok(results)
}
