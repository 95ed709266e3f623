//! The connection transactions go out on, whose answers are read when the
//! harness is awake anyway.
//!
//! On the virtual machines this runs on, one sleep and wake-up of the
//! harness costs 37 to 59 µs of CPU, more than a signature. A socket the
//! async runtime watches for reading wakes the harness for every answer,
//! half a millisecond after each send: two wake-ups a transaction where the
//! schedule asks for one. This socket is registered with the runtime for
//! writability only (to wait when the kernel's send buffer is full); the
//! answers that have come are read before each send, and a batch waiting
//! for its answer reads the socket itself only after [`READ_AFTER`] with no
//! send, which at any rate above 1 / [`READ_AFTER`] never happens. An
//! answer is only ever needed late: a tracker finds a transaction in its
//! block, and what an answer tells (a refusal, a hole in a sender's nonces)
//! waits for at most the gap to the next send.
//!
//! One connection carries every request: JSON-RPC batches as WebSocket
//! messages (`ws://`), or HTTP/1.1 requests pipelined on one keep-alive
//! connection (`http://`), whose answers come in order. The calls of all
//! requests are numbered from one counter, so an answer finds its batch by
//! its id on either. Its TCP socket sends each request at once
//! (`TCP_NODELAY`): with Nagle's algorithm, a request written while the
//! last one is unacknowledged waits for the node's answer to it.
//!
//! A WebSocket that closes stays closed (on a local node it means the node
//! is gone); an HTTP connection that closes is opened again by the next
//! send, as any HTTP client does, since servers close idle ones.

mod http;
mod websocket;

use serde::Deserialize;
use serde_json::value::RawValue;
use std::{
    collections::BTreeMap,
    fmt::{self, Write as _},
    io,
    net::TcpStream,
    os::fd::{AsRawFd, RawFd},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};
use tokio::{
    io::{unix::AsyncFd, Interest},
    sync::oneshot,
};
use url::Url;

/// How long a batch waits for a send to read its answer before it reads
/// the socket itself.
pub const READ_AFTER: Duration = Duration::from_millis(20);

/// How long after a failed attempt to open a connection the next is made;
/// sends in between fail at once.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Why a call has no answer from the node.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The node answered the call with a JSON-RPC error.
    Node(NodeError),
    /// The request never reached the node (the connection could not be
    /// opened, or had closed), or the node refused it as a whole (an HTTP
    /// status).
    Transport(String),
    /// The connection failed or closed after the request went out and
    /// before its answer came, or the answer made no sense: the node may
    /// have taken it.
    Cut(String),
    /// No answer within the patience given.
    Timeout(Duration),
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, Deserialize)]
pub struct NodeError {
    /// Its code.
    pub code: i64,
    /// Its message.
    #[serde(default)]
    pub message: String,
    /// Whatever else the node said.
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
}

/// What the node answered to each call of a batch, in the batch's order.
pub type Answers = Vec<Result<(), Failure>>;

/// A JSON-RPC connection read lazily; see the crate's documentation.
#[derive(Debug, Clone)]
pub struct SendSocket {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    endpoint: Endpoint,
    /// How long opening a connection may take.
    patience: Duration,
    conn: Mutex<Conn>,
}

/// Where the socket connects, and how it frames requests there.
#[derive(Debug, Clone)]
struct Endpoint {
    url: Url,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    WebSocket,
    Http,
}

/// How requests and answers travel on an open connection.
trait Framing: Send + fmt::Debug {
    /// Puts one JSON-RPC request into the write buffer.
    fn queue(&mut self, request: String) -> Result<(), String>;
    /// Writes out what the kernel takes: true once nothing waits.
    fn flush(&mut self) -> Result<bool, String>;
    /// The next whole answer that has come, without waiting; an error once
    /// the connection can no longer be used.
    fn read(&mut self) -> Result<Option<Reply>, String>;
    /// Whether a connection that closed is opened again by the next send.
    fn reconnects(&self) -> bool {
        false
    }
}

/// An answer to one request.
#[derive(Debug, PartialEq)]
enum Reply {
    /// The JSON-RPC answer.
    Answer(Vec<u8>),
    /// The request refused as a whole, and why (an HTTP status).
    Refused(String),
}

#[derive(Debug)]
struct Conn {
    link: Link,
    next_id: u64,
    /// Batches sent and not yet answered, by their first call's id (a
    /// batch's ids are consecutive; requests go out in this order).
    waiting: BTreeMap<u64, Waiting>,
}

#[derive(Debug)]
enum Link {
    Open(Open),
    /// Being opened by a task of its own: these requests go out once it is.
    Connecting(Vec<String>),
    /// Closed, and why; sends try to open it again from `retry_at`, or never.
    Down {
        why: String,
        retry_at: Option<Instant>,
    },
}

#[derive(Debug)]
struct Open {
    framing: Box<dyn Framing>,
    /// The socket's registration with the runtime, for writability only.
    writable: Arc<AsyncFd<Fd>>,
}

/// The socket's descriptor, for the runtime's registration.
#[derive(Debug)]
struct Fd(Arc<TcpStream>);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

#[derive(Debug)]
struct Waiting {
    answers: Vec<Option<Result<(), Failure>>>,
    left: usize,
    done: oneshot::Sender<Answers>,
}

/// What a send has still to do once its request is handed on.
enum After {
    Nothing,
    /// Wait for room in the kernel's buffer to write the rest.
    Flush,
    /// Open the connection (the request goes out when it is open).
    Connect,
}

impl SendSocket {
    /// Connects to `url` (`ws://` or `http://`) within `patience`.
    pub async fn connect(url: &str, patience: Duration) -> Result<Self, String> {
        let endpoint = Endpoint::parse(url)?;
        let open = endpoint.open(patience).await?;
        Ok(Self {
            shared: Arc::new(Shared {
                endpoint,
                patience,
                conn: Mutex::new(Conn {
                    link: Link::Open(open),
                    next_id: 1,
                    waiting: BTreeMap::new(),
                }),
            }),
        })
    }

    /// Whether a socket can be opened to `url`: `ws://` and `http://`
    /// without credentials (a `wss://` or `https://` node, or one asking
    /// for a password, is for a full client).
    pub fn serves(url: &str) -> bool {
        Endpoint::parse(url)
            .is_ok_and(|e| e.url.username().is_empty() && e.url.password().is_none())
    }

    /// Sends `method` once per item of `params` (each written as the text
    /// inside a call's `params` array), as a batch, reading first whatever
    /// answers have come. The request is written before this returns, unless the
    /// kernel's buffer is full or the connection is being opened. The
    /// future resolves when the node has answered every call, or the
    /// connection failed, or `patience` ran out.
    pub fn send(
        &self,
        method: &str,
        params: &[&dyn fmt::Display],
        patience: Duration,
    ) -> impl std::future::Future<Output = Answers> + Send + 'static {
        let n = params.len();
        let (done, answered) = oneshot::channel();
        let mut conn = self.shared.lock();
        conn.read_answers();
        let first = conn.next_id;
        conn.next_id += n as u64;
        conn.waiting.insert(
            first,
            Waiting {
                answers: vec![None; n],
                left: n,
                done,
            },
        );
        let after = conn.hand_on(request(method, first, params));
        drop(conn);
        let shared = self.shared.clone();
        async move {
            let deadline = Instant::now() + patience;
            match after {
                After::Nothing => {}
                After::Flush => shared.flush().await,
                // In a task of its own: the connection serves every batch,
                // whether or not this one is still awaited.
                After::Connect => drop(tokio::spawn(shared.clone().reconnect())),
            }
            let mut answered = answered;
            loop {
                let wait = READ_AFTER.min(deadline.saturating_duration_since(Instant::now()));
                match tokio::time::timeout(wait, &mut answered).await {
                    Ok(Ok(answers)) => return answers,
                    Ok(Err(_)) => {
                        return vec![Err(Failure::Cut("the connection was dropped".into())); n]
                    }
                    Err(_) => {
                        let mut conn = shared.lock();
                        conn.read_answers();
                        if Instant::now() >= deadline {
                            if let Some(w) = conn.waiting.remove(&first) {
                                return w.finish(Failure::Timeout(patience));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Reads whatever answers have come, resolving their batches.
    #[cfg(test)]
    fn read_answers(&self) {
        self.shared.lock().read_answers();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Conn> {
        // Nothing panics while holding it; a poisoned lock's state is still whole.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes out what the kernel's buffer had no room for, waiting for room.
    async fn flush(&self) {
        loop {
            let fd = match &self.lock().link {
                Link::Open(open) => open.writable.clone(),
                _ => return,
            };
            let Ok(mut ready) = fd.writable().await else {
                self.lock()
                    .break_off("the socket's registration failed".into());
                return;
            };
            let mut conn = self.lock();
            match &conn.link {
                // The connection this waited on is gone, and its batches with it.
                Link::Open(open) if Arc::ptr_eq(&open.writable, &fd) => {}
                _ => return,
            }
            if conn.flush() {
                return;
            }
            ready.clear_ready();
        }
    }

    /// Opens the connection again and writes out what waited for it.
    async fn reconnect(self: Arc<Self>) {
        let opened = self.endpoint.open(self.patience).await;
        if !self.lock().connected(opened) {
            self.flush().await;
        }
    }
}

impl Conn {
    /// Takes the connection a reconnect opened, or its failure, and writes
    /// out what waited for it: true once all is written (as [`write`](Self::write)).
    fn connected(&mut self, opened: Result<Open, String>) -> bool {
        let queued = match std::mem::replace(&mut self.link, Link::Connecting(Vec::new())) {
            Link::Connecting(queued) => queued,
            other => {
                // Nothing else opens it while it is being opened.
                self.link = other;
                return true;
            }
        };
        match opened {
            Ok(open) => {
                self.link = Link::Open(open);
                queued
                    .into_iter()
                    .fold(true, |_, request| self.write(request))
            }
            Err(why) => {
                self.link = Link::Down {
                    why: why.clone(),
                    retry_at: Some(Instant::now() + RETRY_AFTER),
                };
                // What waited for this connection never went out.
                self.fail_all(Failure::Transport(why));
                true
            }
        }
    }

    /// Sends `request` as the connection allows; what is left to do after.
    fn hand_on(&mut self, request: String) -> After {
        match &mut self.link {
            Link::Open(_) => {
                if self.write(request) {
                    After::Nothing
                } else {
                    After::Flush
                }
            }
            Link::Connecting(queued) => {
                queued.push(request);
                After::Nothing
            }
            Link::Down { retry_at, .. } if retry_at.is_some_and(|at| Instant::now() >= at) => {
                self.link = Link::Connecting(vec![request]);
                After::Connect
            }
            Link::Down { why, .. } => {
                let failure = Failure::Transport(why.clone());
                self.fail_all(failure);
                After::Nothing
            }
        }
    }

    /// Queues a request and writes out what the kernel takes: true once
    /// all is written (or the connection failed), false if some waits.
    fn write(&mut self, request: String) -> bool {
        let Link::Open(open) = &mut self.link else {
            return true;
        };
        match open.framing.queue(request) {
            Ok(()) => self.flush(),
            Err(why) => {
                self.break_off(format!("cannot send: {why}"));
                true
            }
        }
    }

    /// As [`write`](Self::write), for what is already queued.
    fn flush(&mut self) -> bool {
        let Link::Open(open) = &mut self.link else {
            return true;
        };
        match open.framing.flush() {
            Ok(done) => done,
            Err(why) => {
                self.break_off(format!("cannot send: {why}"));
                true
            }
        }
    }

    /// Reads every answer that has come, without waiting.
    fn read_answers(&mut self) {
        loop {
            let Link::Open(open) = &mut self.link else {
                return;
            };
            match open.framing.read() {
                Ok(Some(Reply::Answer(text))) => self.answer(&text),
                Ok(Some(Reply::Refused(why))) => {
                    // Answers come in order: it is the oldest request's.
                    if let Some((_, w)) = self.waiting.pop_first() {
                        let _ = w.finish(Failure::Transport(why));
                    }
                }
                Ok(None) => return,
                Err(why) => self.break_off(why),
            }
        }
    }

    /// Books one answer's results to their batches.
    fn answer(&mut self, text: &[u8]) {
        let parsed = match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => serde_json::from_slice::<Vec<Response>>(text),
            _ => serde_json::from_slice::<Response>(text).map(|r| vec![r]),
        };
        let responses = match parsed {
            Ok(responses) => responses,
            Err(e) => {
                return self.break_off(format!("the node's answer is not JSON-RPC ({e})"));
            }
        };
        for Response { id, error } in responses {
            let result = error.map_or(Ok(()), |e| Err(Failure::Node(e)));
            let Some(id) = id.as_u64() else {
                // An error about the request as a whole (it could not be
                // parsed): answers come in order, so it is the oldest's.
                if let Some((_, w)) = self.waiting.pop_first() {
                    let failure = result
                        .err()
                        .unwrap_or(Failure::Transport("the node answered without an id".into()));
                    let _ = w.finish(failure);
                }
                continue;
            };
            let Some((&first, w)) = self.waiting.range_mut(..=id).next_back() else {
                continue; // a batch that timed out
            };
            let Some(slot) = w.answers.get_mut((id - first) as usize) else {
                continue;
            };
            if slot.replace(result).is_none() {
                w.left -= 1;
            }
            if w.left == 0 {
                if let Some(w) = self.waiting.remove(&first) {
                    let answers = w.answers.into_iter().flatten().collect();
                    let _ = w.done.send(answers);
                }
            }
        }
    }

    /// Closes the connection for `why`, failing every waiting batch: an
    /// HTTP connection is opened again by the next send.
    fn break_off(&mut self, why: String) {
        let retry_at = match &self.link {
            Link::Open(open) if open.framing.reconnects() => Some(Instant::now()),
            _ => None,
        };
        self.fail_all(Failure::Cut(why.clone()));
        self.link = Link::Down { why, retry_at };
    }

    /// Fails every waiting batch with `failure`.
    fn fail_all(&mut self, failure: Failure) {
        for (_, w) in std::mem::take(&mut self.waiting) {
            let _ = w.finish(failure.clone());
        }
    }
}

/// One JSON-RPC response, as far as a send needs it: a success's result is
/// not looked at.
#[derive(Debug, Deserialize)]
struct Response {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default)]
    error: Option<NodeError>,
}

impl Waiting {
    /// The answers so far, `failure` for the rest; also sent to the waiter.
    fn finish(self, failure: Failure) -> Answers {
        let answers: Answers = self
            .answers
            .into_iter()
            .map(|a| a.unwrap_or_else(|| Err(failure.clone())))
            .collect();
        let _ = self.done.send(answers.clone());
        answers
    }
}

/// The JSON-RPC request: one call, or a batch of calls with ids from `first`.
fn request(method: &str, first: u64, params: &[&dyn fmt::Display]) -> String {
    let mut body = String::with_capacity(params.len() * 256 + 2);
    let batch = params.len() != 1;
    if batch {
        body.push('[');
    }
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        let id = first + i as u64;
        // Writing to a String cannot fail.
        let _ = write!(
            body,
            r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":[{p}]}}"#
        );
    }
    if batch {
        body.push(']');
    }
    body
}

impl Endpoint {
    fn parse(url: &str) -> Result<Self, String> {
        let url = Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
        let kind = match url.scheme() {
            "ws" => Kind::WebSocket,
            "http" => Kind::Http,
            other => return Err(format!("{other}:// is not ws:// or http://")),
        };
        Ok(Self { url, kind })
    }

    /// Opens a connection, blocking a thread of its own, and registers it.
    async fn open(&self, patience: Duration) -> Result<Open, String> {
        let endpoint = self.clone();
        let opening = tokio::task::spawn_blocking(move || {
            let stream = Arc::new(endpoint.tcp(patience)?);
            let framing: Box<dyn Framing> = match endpoint.kind {
                Kind::WebSocket => Box::new(websocket::WebSocket::open(
                    endpoint.url.as_str(),
                    stream.clone(),
                )?),
                Kind::Http => Box::new(http::Http::open(&endpoint.url, stream.clone())),
            };
            setup(stream.set_nonblocking(true))?;
            Ok::<_, String>((framing, stream))
        });
        let (framing, stream) = match opening.await {
            Ok(opened) => opened?,
            Err(e) => return Err(format!("the connecting task failed: {e}")),
        };
        // SAFETY: `Fd` holds the stream, so the descriptor stays open and
        // the same for as long as the registration lives.
        let writable = unsafe { AsyncFd::register_with_interest(Fd(stream), Interest::WRITABLE) }
            .map_err(|e| format!("cannot register the socket: {e}"))?;
        Ok(Open {
            framing,
            writable: Arc::new(writable),
        })
    }

    /// Connects a TCP socket within `patience`, each write sent at once.
    fn tcp(&self, patience: Duration) -> Result<TcpStream, String> {
        let addrs = self
            .url
            .socket_addrs(|| Some(80))
            .map_err(|e| format!("cannot resolve the host: {e}"))?;
        let mut last = None;
        let stream = addrs
            .iter()
            .find_map(|a| {
                TcpStream::connect_timeout(a, patience)
                    .map_err(|e| last = Some(e))
                    .ok()
            })
            .ok_or_else(|| match last {
                Some(e) => format!("cannot connect: {e}"),
                None => "the host has no address".to_owned(),
            })?;
        setup(stream.set_nodelay(true))?;
        // For a blocking handshake, before the socket turns non-blocking.
        setup(stream.set_read_timeout(Some(patience)))?;
        setup(stream.set_write_timeout(Some(patience)))?;
        Ok(stream)
    }
}

fn setup(r: io::Result<()>) -> Result<(), String> {
    r.map_err(|e| format!("cannot set up the socket: {e}"))
}

#[cfg(test)]
mod tests;
