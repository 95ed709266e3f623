//! The WebSocket transactions go out on, whose answers are read when the
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
//! answer is only ever needed late: the tracker finds a transaction in its
//! block by hash, and what an answer tells (a refusal, a hole in the
//! sender's nonces) waits for at most the gap to the next send.
//!
//! Its TCP socket sends each frame at once (`TCP_NODELAY`): with Nagle's
//! algorithm, which alloy's WebSocket leaves on, a frame written while the
//! last one is unacknowledged waits for the node's answer to it.

use alloy::rpc::json_rpc::{ErrorPayload, Id, Response, ResponsePacket, ResponsePayload};
use std::{
    collections::BTreeMap,
    fmt::Write as _,
    io::{self, Read, Write},
    net::TcpStream,
    os::fd::{AsRawFd, RawFd},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};
use tokio::{
    io::{unix::AsyncFd, Interest},
    sync::oneshot,
};
use tungstenite::{protocol::WebSocketConfig, Message, WebSocket};

/// How long a batch waits for a send to read its answer before it reads
/// the socket itself.
pub(crate) const READ_AFTER: Duration = Duration::from_millis(20);
/// The read buffer: tungstenite zeroes what it reads into on every read,
/// and an answer is about a hundred bytes.
const READ_BUFFER: usize = 16 * 1024;

/// Why a call has no answer from the node.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    /// The node answered with an error.
    Node(ErrorPayload),
    /// The connection failed or closed, or the node's answer made no sense.
    Transport(String),
    /// No answer within the patience given.
    Timeout(Duration),
}

/// What the node answered to each call of a batch, in the batch's order.
pub(crate) type Answers = Vec<Result<(), Failure>>;

/// A JSON-RPC WebSocket read lazily; see the module's documentation.
#[derive(Debug, Clone)]
pub(crate) struct SendSocket {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    conn: Mutex<Conn>,
    /// The socket's registration with the runtime, for writability only.
    writable: AsyncFd<Fd>,
}

/// The socket's descriptor, for the runtime's registration.
#[derive(Debug)]
struct Fd(Arc<TcpStream>);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// The socket, as the WebSocket reads and writes it.
#[derive(Debug)]
struct Stream(Arc<TcpStream>);

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Debug)]
struct Conn {
    ws: WebSocket<Stream>,
    next_id: u64,
    /// Batches sent and not yet answered, by their first call's id (a
    /// batch's ids are consecutive).
    waiting: BTreeMap<u64, Waiting>,
    /// Why the connection can no longer be used.
    broken: Option<String>,
}

#[derive(Debug)]
struct Waiting {
    answers: Vec<Option<Result<(), Failure>>>,
    left: usize,
    done: oneshot::Sender<Answers>,
}

impl SendSocket {
    /// Opens a WebSocket to `url` (`ws://` only) within `patience`.
    pub(crate) async fn connect(url: &str, patience: Duration) -> Result<Self, String> {
        let url = url.to_owned();
        let handshake = tokio::task::spawn_blocking(move || open(&url, patience));
        let (ws, stream) = match handshake.await {
            Ok(opened) => opened?,
            Err(e) => return Err(format!("the connecting task failed: {e}")),
        };
        // SAFETY: `Fd` holds the stream, so the descriptor stays open and
        // the same for as long as the registration lives.
        let writable = unsafe { AsyncFd::register_with_interest(Fd(stream), Interest::WRITABLE) }
            .map_err(|e| format!("cannot register the socket: {e}"))?;
        Ok(Self {
            shared: Arc::new(Shared {
                conn: Mutex::new(Conn {
                    ws,
                    next_id: 1,
                    waiting: BTreeMap::new(),
                    broken: None,
                }),
                writable,
            }),
        })
    }

    /// Sends `method` once per item of `params` (each a JSON value), as a
    /// batch when there are several, reading first whatever answers have
    /// come. The future resolves when the node has answered every call, or
    /// the connection failed, or `patience` ran out.
    pub(crate) fn send(
        &self,
        method: &str,
        params: &[String],
        patience: Duration,
    ) -> impl std::future::Future<Output = Answers> + Send + 'static {
        let n = params.len();
        let (done, answered) = oneshot::channel();
        let mut conn = self.shared.lock();
        conn.read_answers();
        let first = conn.next_id;
        conn.next_id += n as u64;
        let body = request(method, first, params);
        conn.waiting.insert(
            first,
            Waiting {
                answers: vec![None; n],
                left: n,
                done,
            },
        );
        let flushed = conn.write(body);
        drop(conn);
        let shared = self.shared.clone();
        async move {
            let deadline = Instant::now() + patience;
            if !flushed {
                shared.flush().await;
            }
            let mut answered = answered;
            loop {
                let wait = READ_AFTER.min(deadline.saturating_duration_since(Instant::now()));
                match tokio::time::timeout(wait, &mut answered).await {
                    Ok(Ok(answers)) => return answers,
                    Ok(Err(_)) => {
                        return vec![
                            Err(Failure::Transport("the connection was dropped".into()));
                            n
                        ]
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
            let Ok(mut ready) = self.writable.writable().await else {
                self.lock().fail_all("the socket's registration failed");
                return;
            };
            if self.lock().flush() {
                return;
            }
            ready.clear_ready();
        }
    }
}

impl Conn {
    /// Queues a message and writes out what the kernel takes: true once
    /// all is written (or the connection failed), false if some waits.
    fn write(&mut self, body: String) -> bool {
        if self.broken.is_some() {
            let why = self.broken.clone().unwrap_or_default();
            self.fail_all(&why);
            return true;
        }
        match self.ws.write(Message::text(body)) {
            Ok(()) => self.flush(),
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(e) => {
                self.fail_all(&format!("cannot send: {e}"));
                true
            }
        }
    }

    /// As [`write`](Self::write), for what is already queued.
    fn flush(&mut self) -> bool {
        match self.ws.flush() {
            Ok(()) => true,
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(e) => {
                self.fail_all(&format!("cannot send: {e}"));
                true
            }
        }
    }

    /// Reads every message that has come, without waiting.
    fn read_answers(&mut self) {
        while self.broken.is_none() {
            match self.ws.read() {
                Ok(Message::Text(text)) => self.answer(text.as_str()),
                Ok(Message::Binary(bytes)) => match std::str::from_utf8(&bytes) {
                    Ok(text) => self.answer(text),
                    Err(_) => self.fail_all("the node sent a binary frame that is not UTF-8"),
                },
                Ok(Message::Close(_)) => self.fail_all("the node closed the connection"),
                // Pings are answered by tungstenite on the next write.
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => self.fail_all(&format!("the connection failed: {e}")),
            }
        }
    }

    /// Books one message's answers to their batches.
    fn answer(&mut self, text: &str) {
        let responses = match serde_json::from_str::<ResponsePacket>(text) {
            Ok(ResponsePacket::Single(r)) => vec![r],
            Ok(ResponsePacket::Batch(rs)) => rs,
            Err(e) => {
                return self.fail_all(&format!("the node's answer is not JSON-RPC ({e})"));
            }
        };
        for Response { id, payload } in responses {
            let result = match payload {
                ResponsePayload::Success(_) => Ok(()),
                ResponsePayload::Failure(e) => Err(Failure::Node(e)),
            };
            let Id::Number(id) = id else {
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

    /// Fails every waiting batch, and every later send, with `why`.
    fn fail_all(&mut self, why: &str) {
        self.broken.get_or_insert_with(|| why.to_owned());
        for (_, w) in std::mem::take(&mut self.waiting) {
            let _ = w.finish(Failure::Transport(why.to_owned()));
        }
    }
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
fn request(method: &str, first: u64, params: &[String]) -> String {
    let mut body = String::with_capacity(params.iter().map(|p| p.len() + 64).sum::<usize>() + 2);
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

/// Connects and shakes hands, blocking; then makes the socket non-blocking.
fn open(url: &str, patience: Duration) -> Result<(WebSocket<Stream>, Arc<TcpStream>), String> {
    let parsed = url
        .parse::<alloy::transports::http::reqwest::Url>()
        .map_err(|e| format!("invalid URL: {e}"))?;
    if parsed.scheme() != "ws" {
        return Err(format!("{} is not a ws:// URL", parsed.scheme()));
    }
    let addrs = parsed
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
    let setup = |r: io::Result<()>| r.map_err(|e| format!("cannot set up the socket: {e}"));
    setup(stream.set_nodelay(true))?;
    setup(stream.set_read_timeout(Some(patience)))?;
    setup(stream.set_write_timeout(Some(patience)))?;
    let stream = Arc::new(stream);
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let (ws, _) =
        tungstenite::client::client_with_config(url, Stream(stream.clone()), Some(config))
            .map_err(|e| format!("the WebSocket handshake failed: {e}"))?;
    setup(stream.set_nonblocking(true))?;
    Ok((ws, stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A WebSocket server on loopback that answers each message with what
    /// `reply` makes of it, when told to.
    fn server(
        reply: impl Fn(&str) -> String + Send + 'static,
    ) -> (String, std::sync::mpsc::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("ws://{}", listener.local_addr().expect("an address"));
        let (go, release) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("a connection");
            let mut ws = tungstenite::accept(stream).expect("a handshake");
            while let Ok(Message::Text(t)) = ws.read() {
                if release.recv().is_err() {
                    return;
                }
                ws.send(Message::text(reply(t.as_str()))).expect("answered");
            }
        });
        (url, go)
    }

    async fn connect(url: &str) -> SendSocket {
        SendSocket::connect(url, Duration::from_secs(5))
            .await
            .expect("connects")
    }

    fn answer_all(request: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(request).expect("JSON");
        let one = |call: &serde_json::Value| {
            let id = call["id"].as_u64().expect("an id");
            let p = call["params"][0].as_str().expect("a param");
            if p == "0xbad" {
                serde_json::json!({"jsonrpc":"2.0","id":id,"error":{"code":-32003,"message":"nonce too low"}})
            } else {
                serde_json::json!({"jsonrpc":"2.0","id":id,"result":"0x01"})
            }
        };
        match &v {
            serde_json::Value::Array(calls) => {
                // Answered out of order, as a node may.
                let mut out: Vec<_> = calls.iter().map(one).collect();
                out.reverse();
                serde_json::Value::Array(out).to_string()
            }
            call => one(call).to_string(),
        }
    }

    #[test]
    fn a_request_is_one_call_or_a_batch_with_consecutive_ids() {
        assert_eq!(
            request("m", 7, &[r#""0xaa""#.into()]),
            r#"{"jsonrpc":"2.0","id":7,"method":"m","params":["0xaa"]}"#
        );
        let batch = request("m", 7, &[r#""0xaa""#.into(), r#""0xbb""#.into()]);
        let v: serde_json::Value = serde_json::from_str(&batch).expect("JSON");
        assert_eq!(v[0]["id"], 7);
        assert_eq!(v[1]["id"], 8);
        assert_eq!(v[1]["params"][0], "0xbb");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn answers_come_to_their_batches_in_order_whatever_order_the_node_answers_in() {
        let (url, go) = server(answer_all);
        let socket = connect(&url).await;
        let patience = Duration::from_secs(5);
        let a = socket.send("eth_sendRawTransaction", &[r#""0xaa""#.into()], patience);
        let b = socket.send(
            "eth_sendRawTransaction",
            &[r#""0x01""#.into(), r#""0xbad""#.into(), r#""0x02""#.into()],
            patience,
        );
        go.send(()).expect("server up");
        go.send(()).expect("server up");
        assert!(matches!(a.await[..], [Ok(())]));
        let b = b.await;
        assert_eq!(b.len(), 3);
        assert!(b[0].is_ok() && b[2].is_ok());
        assert!(matches!(&b[1], Err(Failure::Node(e)) if e.code == -32003));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_answer_is_read_by_the_next_send_or_after_read_after() {
        let (url, go) = server(answer_all);
        let socket = connect(&url).await;
        let first = socket.send("m", &[r#""0x01""#.into()], Duration::from_secs(5));
        go.send(()).expect("server up");
        // The answer has come (the server answers within milliseconds);
        // nothing has read it: a read finds it.
        std::thread::sleep(Duration::from_millis(100));
        socket.read_answers();
        let started = Instant::now();
        assert!(matches!(first.await[..], [Ok(())]));
        assert!(
            started.elapsed() < READ_AFTER,
            "read already, not waited for"
        );
        // Without a send, the batch reads the socket itself.
        let second = socket.send("m", &[r#""0x02""#.into()], Duration::from_secs(5));
        go.send(()).expect("server up");
        assert!(matches!(second.await[..], [Ok(())]));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_node_that_never_answers_times_out_and_one_that_closes_fails_every_batch() {
        let (url, go) = server(answer_all);
        let socket = connect(&url).await;
        let lost = socket.send("m", &[r#""0x01""#.into()], Duration::from_millis(50));
        let lost = lost.await;
        assert!(
            matches!(lost[..], [Err(Failure::Timeout(d))] if d == Duration::from_millis(50)),
            "{lost:?}"
        );
        // The server's thread ends when its channel closes: the socket closes.
        let pending = socket.send("m", &[r#""0x01""#.into()], Duration::from_secs(5));
        drop(go);
        let answers = pending.await;
        assert!(
            matches!(&answers[0], Err(Failure::Transport(_))),
            "{answers:?}"
        );
        let after = socket
            .send("m", &[r#""0x01""#.into()], Duration::from_secs(5))
            .await;
        assert!(matches!(&after[0], Err(Failure::Transport(_))), "{after:?}");
    }
}
