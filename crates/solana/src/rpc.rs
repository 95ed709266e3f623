//! JSON-RPC batches over one HTTP client, for the hot paths that the
//! solana-client `RpcClient` serves one call at a time.

use chainmeter_core::chain::VerifyError;
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use std::time::Duration;

/// A batch that failed as a whole.
#[derive(Debug)]
pub(crate) enum BatchError {
    /// Connection refused, reset, bad status.
    Transport(String),
    /// No answer in time.
    Timeout,
}

/// Largest JSON-RPC request body sent: solana's RPC server refuses bodies
/// over 50 KiB (413 Payload Too Large).
pub(crate) const MAX_REQUEST_BYTES: usize = 40 * 1024;

/// Posts `calls` as JSON-RPC batches of at most [`MAX_REQUEST_BYTES`] each,
/// all at once; returns each call's `result` or `error` object, in order.
/// One failed request fails the whole.
pub(crate) async fn batches(
    http: &reqwest::Client,
    url: &str,
    calls: impl IntoIterator<Item = (&'static str, Value)>,
    timeout: Duration,
) -> Result<Vec<Result<Value, Value>>, BatchError> {
    let requests = split(calls);
    let answers =
        futures::future::join_all(requests.into_iter().map(|r| batch(http, url, r, timeout))).await;
    let mut out = Vec::new();
    for a in answers {
        out.extend(a?);
    }
    Ok(out)
}

/// `calls` in order, grouped into requests of at most [`MAX_REQUEST_BYTES`]
/// (a call larger than that goes alone).
fn split(
    calls: impl IntoIterator<Item = (&'static str, Value)>,
) -> Vec<Vec<(&'static str, Value)>> {
    let mut requests: Vec<Vec<(&'static str, Value)>> = vec![Vec::new()];
    let mut bytes = 0;
    for (method, params) in calls {
        // The call's JSON: its params plus the envelope's ~60 bytes.
        let size = params.to_string().len() + method.len() + 60;
        if bytes + size > MAX_REQUEST_BYTES && requests.last().is_some_and(|r| !r.is_empty()) {
            requests.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        requests
            .last_mut()
            .expect("one request")
            .push((method, params));
    }
    requests
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
    post(
        http,
        url,
        serde_json::to_vec(&body).expect("JSON values serialize"),
        n,
        timeout,
    )
    .await
}

/// Posts a JSON-RPC batch body of `n` calls with ids `0..n`; returns each
/// call's `result` or `error` object, in order.
pub(crate) async fn post(
    http: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    body: Vec<u8>,
    n: usize,
    timeout: Duration,
) -> Result<Vec<Result<Value, Value>>, BatchError> {
    let answers: Vec<Value> = async {
        http.post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
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

/// Accounts per `getMultipleAccounts` call.
const ACCOUNTS_PER_CALL: usize = 100;
/// How long one read of accounts may take.
const ACCOUNTS_TIMEOUT: Duration = Duration::from_secs(30);

/// `getMultipleAccounts` of `keys` at confirmed commitment, `length` bytes
/// of data from `offset` (base64), one JSON object (or null) per key.
pub(crate) async fn accounts(
    http: &reqwest::Client,
    url: &str,
    keys: &[Pubkey],
    offset: usize,
    length: usize,
) -> Result<Vec<Value>, VerifyError> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(ACCOUNTS_PER_CALL) {
        let names: Vec<String> = chunk.iter().map(Pubkey::to_string).collect();
        let mut answer = call(
            http,
            url,
            "getMultipleAccounts",
            json!([names, {"commitment": "confirmed", "encoding": "base64",
                "dataSlice": {"offset": offset, "length": length}}]),
        )
        .await?;
        match answer.get_mut("value").map(Value::take) {
            Some(Value::Array(a)) if a.len() == chunk.len() => out.extend(a),
            _ => {
                return Err(VerifyError::answer(
                    "getMultipleAccounts",
                    "unexpected answer",
                ))
            }
        }
    }
    Ok(out)
}

async fn call(
    http: &reqwest::Client,
    url: &str,
    method: &'static str,
    params: Value,
) -> Result<Value, VerifyError> {
    batch(http, url, [(method, params)], ACCOUNTS_TIMEOUT)
        .await
        .map_err(|e| VerifyError::call(method, format!("{e:?}")))?
        .pop()
        .ok_or_else(|| VerifyError::answer(method, "no answer"))?
        .map_err(|e| VerifyError::call(method, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_batches_split_under_the_body_limit_in_order() {
        // 16 calls of 256 base58 signatures: ~370 KB in one request, which
        // the RPC server refuses (413).
        let sig = "5".repeat(88);
        let calls = (0..16).map(|i| ("getSignatureStatuses", json!([vec![sig.clone(); 256], i])));
        let requests = split(calls);
        assert!(requests.len() >= 8, "{} requests", requests.len());
        let mut seen = Vec::new();
        for r in &requests {
            let body: Vec<Value> = r
                .iter()
                .map(|(m, p)| json!({"jsonrpc": "2.0", "id": 0, "method": m, "params": p}))
                .collect();
            assert!(serde_json::to_vec(&body).unwrap().len() <= MAX_REQUEST_BYTES);
            seen.extend(r.iter().map(|(_, p)| p[1].as_u64().unwrap()));
        }
        assert_eq!(seen, (0..16).collect::<Vec<_>>());
    }
}
