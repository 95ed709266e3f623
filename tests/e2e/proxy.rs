//! Fault-injecting JSON-RPC proxies in front of a real node: over HTTP
//! ([`FaultProxy`]) and over WebSocket ([`WsFaultProxy`]), each forwards
//! every call (single or batched) but those its fault answers itself.

use serde_json::{json, Value};
use std::{
    collections::HashSet,
    io::{BufRead, BufReader, ErrorKind, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

/// What the proxy answers itself.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fault {
    /// `null` to the first `eth_getBlockReceipts` of each block, as a node
    /// that has not yet indexed a block's receipts does.
    NullFirstReceipts,
    /// A JSON-RPC error (-32000, "proxy: node unavailable") to every
    /// `sendTransaction` (Solana; the EVM submitter sends over its
    /// WebSocket: [`WsFaultProxy`]) between these offsets from the proxy's
    /// start.
    RefuseSends { from: Duration, to: Duration },
    /// "Method not found" to every cheat code (`anvil_*`, `hardhat_*`,
    /// `requestAirdrop`), as a geth, reth or cluster node answers.
    NoCheatCodes,
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
            (method == "sendTransaction" && now >= from && now < to).then(|| refusal(&id))
        }
        Fault::NoCheatCodes => (method.starts_with("anvil_")
            || method.starts_with("hardhat_")
            || method == "requestAirdrop")
            .then(|| json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("the method {method} does not exist/is not available")}})),
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

/// The error a refusing proxy answers a send with.
fn refusal(id: &Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32000, "message": "proxy: node unavailable"}})
}

/// A WebSocket JSON-RPC proxy in front of a real node: each connection to
/// it gets a connection of its own to the node, and every message is
/// passed on both ways (subscriptions included), but for the
/// `eth_sendRawTransaction` calls it answers itself with an error between
/// two offsets from its start.
pub(crate) struct WsFaultProxy {
    /// `ws://127.0.0.1:<port>`.
    pub(crate) url: String,
    /// How many sends it refused.
    pub(crate) injected: Arc<Mutex<u64>>,
}

impl WsFaultProxy {
    /// Listens on a free loopback port and forwards to `upstream` (a
    /// `ws://` URL), refusing sends from `from` to `to` after its start.
    pub(crate) fn start(upstream: &str, from: Duration, to: Duration) -> Self {
        let started = Instant::now();
        Self::refusing(upstream, move || (from..to).contains(&started.elapsed()))
    }

    /// Forwards to `upstream`, refusing every `k`-th message that holds
    /// sends from `from` to `to` after the first such message: single
    /// refusals among accepted sends. A window in time, not a number of
    /// refusals, bounds them: a message may hold several sends, so a count
    /// of messages says nothing about how far into the run the last refusal
    /// falls; and counted from the first send, not from the proxy's start,
    /// a slow start on a busy machine does not move the window.
    pub(crate) fn every(upstream: &str, k: u64, from: Duration, to: Duration) -> Self {
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        let first = Arc::new(std::sync::OnceLock::new());
        let seen = Arc::new(AtomicU64::new(0));
        Self::refusing(upstream, move || {
            (from..to).contains(&first.get_or_init(Instant::now).elapsed())
                && (seen.fetch_add(1, Relaxed) + 1).is_multiple_of(k)
        })
    }

    /// Forwards to `upstream`, refusing a message of sends when `refuse()`
    /// says so (asked once per such message).
    fn refusing(upstream: &str, refuse: impl Fn() -> bool + Clone + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let injected = Arc::new(Mutex::new(0));
        let (upstream, counted) = (upstream.to_owned(), injected.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (upstream, counted, refuse) =
                    (upstream.clone(), counted.clone(), refuse.clone());
                std::thread::spawn(move || pump(stream, &upstream, refuse, &counted));
            }
        });
        Self { url, injected }
    }
}

/// Passes messages between one client and its own connection to the node
/// until either side closes, answering sends itself while `refusing()`.
fn pump(stream: TcpStream, upstream: &str, refusing: impl Fn() -> bool, injected: &Mutex<u64>) {
    let Ok(mut client) = tungstenite::accept(stream) else {
        return;
    };
    let Ok((mut node, _)) = tungstenite::connect(upstream) else {
        return;
    };
    // Both sides without blocking, polled in turn: a WebSocket cannot be
    // read on one thread and written on another.
    client.get_mut().set_nonblocking(true).expect("nonblocking");
    if let MaybeTlsStream::Plain(s) = node.get_mut() {
        s.set_nonblocking(true).expect("nonblocking");
    }
    loop {
        let mut idle = true;
        match next(&mut client) {
            Step::Message(Message::Text(text)) => {
                idle = false;
                let answer = refused_sends(&text).filter(|_| refusing());
                let sent = match answer {
                    Some((answer, n)) => {
                        *injected.lock().unwrap() += n;
                        client.send(Message::text(answer.to_string()))
                    }
                    None => node.send(Message::Text(text)),
                };
                if !written(sent) {
                    return;
                }
            }
            Step::Message(m @ Message::Binary(_)) => {
                idle = false;
                if !written(node.send(m)) {
                    return;
                }
            }
            Step::Message(_) => idle = false,
            Step::Nothing => {}
            Step::Closed => return,
        }
        match next(&mut node) {
            Step::Message(m @ (Message::Text(_) | Message::Binary(_))) => {
                idle = false;
                if !written(client.send(m)) {
                    return;
                }
            }
            Step::Message(_) => idle = false,
            Step::Nothing => {}
            Step::Closed => return,
        }
        // Frames queued while a socket was full go out when it drains.
        if !written(client.flush()) || !written(node.flush()) {
            return;
        }
        if idle {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// What reading a non-blocking WebSocket gave.
enum Step {
    Message(Message),
    Nothing,
    Closed,
}

fn next<S: Read + Write>(ws: &mut WebSocket<S>) -> Step {
    match ws.read() {
        Ok(Message::Close(_)) => Step::Closed,
        Ok(m) => Step::Message(m),
        Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => Step::Nothing,
        Err(_) => Step::Closed,
    }
}

/// False when the connection is gone; a full socket keeps the frame queued.
fn written(r: tungstenite::Result<()>) -> bool {
    match r {
        Ok(()) => true,
        Err(tungstenite::Error::Io(e)) => e.kind() == ErrorKind::WouldBlock,
        Err(_) => false,
    }
}

/// The proxy's own answer to `text` when it is a send (or a batch of them)
/// and how many sends it refuses; `None` for anything else.
fn refused_sends(text: &str) -> Option<(Value, u64)> {
    let is_send = |c: &Value| c["method"] == "eth_sendRawTransaction";
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Array(calls) if !calls.is_empty() && calls.iter().all(is_send) => {
            let n = calls.len() as u64;
            Some((
                Value::Array(calls.iter().map(|c| refusal(&c["id"])).collect()),
                n,
            ))
        }
        call if is_send(&call) => Some((refusal(&call["id"]), 1)),
        _ => None,
    }
}
