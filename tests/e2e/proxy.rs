//! A fault-injecting JSON-RPC proxy in front of a real node: it forwards
//! every call (single or batched) and answers `null` to the first
//! `eth_getBlockReceipts` of each block, as a node that has not yet indexed
//! a block's receipts does.

use serde_json::{json, Value};
use std::{
    collections::HashSet,
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::Duration,
};

/// The proxy; it stops accepting when dropped with the test's process.
pub(crate) struct NullReceiptsProxy {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    /// How many receipts requests it answered with `null`.
    pub(crate) nulls: Arc<Mutex<u64>>,
}

impl NullReceiptsProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub(crate) fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let nulls = Arc::new(Mutex::new(0));
        let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
        let (upstream, counter) = (upstream.to_owned(), nulls.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (upstream, seen, counter) = (upstream.clone(), seen.clone(), counter.clone());
                std::thread::spawn(move || serve(stream, &upstream, &seen, &counter));
            }
        });
        Self { url, nulls }
    }
}

/// Serves one keep-alive connection.
fn serve(stream: TcpStream, upstream: &str, seen: &Mutex<HashSet<String>>, nulls: &Mutex<u64>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l
                .to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
            {
                length = v.parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let answer = match request {
            Value::Array(calls) => Value::Array(
                calls
                    .iter()
                    .map(|c| rt.block_on(answer(c, upstream, seen, nulls)))
                    .collect(),
            ),
            call => rt.block_on(answer(&call, upstream, seen, nulls)),
        };
        let text = answer.to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

async fn answer(
    call: &Value,
    upstream: &str,
    seen: &Mutex<HashSet<String>>,
    nulls: &Mutex<u64>,
) -> Value {
    let id = call["id"].clone();
    let method = call["method"].as_str().unwrap_or_default();
    let params = call.get("params").cloned().unwrap_or(json!([]));
    if method == "eth_getBlockReceipts" && seen.lock().unwrap().insert(params.to_string()) {
        *nulls.lock().unwrap() += 1;
        return json!({"jsonrpc": "2.0", "id": id, "result": null});
    }
    match chainmeter_localnet::rpc_call(upstream, method, params, Duration::from_secs(10)).await {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(chainmeter_localnet::RpcCallError::Node { error, .. }) => {
            json!({"jsonrpc": "2.0", "id": id, "error": error})
        }
        Err(e) => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": e.to_string()}})
        }
    }
}
