//! A fault-injecting JSON-RPC proxy in front of a real node: it forwards
//! every call (single or batched) but those its [`Fault`] answers itself.

use serde_json::{json, Value};
use std::{
    collections::HashSet,
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::Duration,
};

/// What the proxy answers itself.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fault {
    /// `null` to the first `eth_getBlockReceipts` of each block, as a node
    /// that has not yet indexed a block's receipts does.
    NullFirstReceipts,
    /// A JSON-RPC error (-32000, "proxy: node unavailable") to every
    /// `sendTransaction` (Solana; the EVM submitter sends over its
    /// WebSocket) between these offsets from the proxy's start.
    RefuseSends { from: Duration, to: Duration },
}

/// The proxy; it stops accepting when dropped with the test's process.
pub(crate) struct FaultProxy {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    /// How many calls it answered itself.
    pub(crate) injected: Arc<Mutex<u64>>,
}

/// What every connection shares.
struct Shared {
    upstream: String,
    fault: Fault,
    started: std::time::Instant,
    seen: Mutex<HashSet<String>>,
    injected: Arc<Mutex<u64>>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`, but for `fault`.
    pub(crate) fn start(upstream: &str, fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let injected = Arc::new(Mutex::new(0));
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            fault,
            started: std::time::Instant::now(),
            seen: Mutex::default(),
            injected: injected.clone(),
        });
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Self { url, injected }
    }
}

/// Serves one keep-alive connection.
fn serve(stream: TcpStream, shared: &Shared) {
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
                    .map(|c| rt.block_on(answer(c, shared)))
                    .collect(),
            ),
            call => rt.block_on(answer(&call, shared)),
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

async fn answer(call: &Value, shared: &Shared) -> Value {
    let id = call["id"].clone();
    let method = call["method"].as_str().unwrap_or_default();
    let params = call.get("params").cloned().unwrap_or(json!([]));
    let injected = match shared.fault {
        Fault::NullFirstReceipts => (method == "eth_getBlockReceipts"
            && shared.seen.lock().unwrap().insert(params.to_string()))
        .then(|| json!({"jsonrpc": "2.0", "id": id, "result": null})),
        Fault::RefuseSends { from, to } => {
            let now = shared.started.elapsed();
            (method == "sendTransaction" && now >= from && now < to).then(|| {
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32000, "message": "proxy: node unavailable"}})
            })
        }
    };
    if let Some(answer) = injected {
        *shared.injected.lock().unwrap() += 1;
        return answer;
    }
    match chainmeter_localnet::rpc_call(&shared.upstream, method, params, Duration::from_secs(10))
        .await
    {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(chainmeter_localnet::RpcCallError::Node { error, .. }) => {
            json!({"jsonrpc": "2.0", "id": id, "error": error})
        }
        Err(e) => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": e.to_string()}})
        }
    }
}
