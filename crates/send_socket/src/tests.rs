use super::*;
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    sync::mpsc,
};
use tungstenite::Message;

const PATIENCE: Duration = Duration::from_secs(5);

/// Answers one JSON-RPC request (a call or a batch): "0xbad" is refused
/// by the node, everything else accepted; a batch's answers come reversed,
/// as a node may order them.
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
            let mut out: Vec<_> = calls.iter().map(one).collect();
            out.reverse();
            serde_json::Value::Array(out).to_string()
        }
        call => one(call).to_string(),
    }
}

/// A WebSocket server on loopback that answers each message when told to.
fn ws_server() -> (String, mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("ws://{}", listener.local_addr().expect("an address"));
    let (go, release) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("a connection");
        let mut ws = tungstenite::accept(stream).expect("a handshake");
        while let Ok(Message::Text(t)) = ws.read() {
            if release.recv().is_err() {
                return;
            }
            ws.send(Message::text(answer_all(t.as_str())))
                .expect("answered");
        }
    });
    (url, go)
}

/// An HTTP/1.1 server on loopback: each connection answers requests in
/// order, each when told to (`true`), or closes when told `false`; it
/// counts the connections it took.
fn http_server() -> (String, mpsc::Sender<bool>, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}/rpc", listener.local_addr().expect("an address"));
    let (go, release) = mpsc::channel::<bool>();
    let connections = Arc::new(Mutex::new(0));
    let count = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            *count.lock().unwrap() += 1;
            let mut writer = stream.try_clone().expect("a clone");
            let mut reader = BufReader::new(stream);
            loop {
                let mut length = 0;
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                assert_eq!(line, "POST /rpc HTTP/1.1\r\n");
                loop {
                    line.clear();
                    reader.read_line(&mut line).expect("a header");
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().expect("a length");
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).expect("a body");
                if !release.recv().unwrap_or(false) {
                    break;
                }
                let answer = answer_all(std::str::from_utf8(&body).expect("UTF-8"));
                write!(
                    writer,
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{answer}",
                    answer.len()
                )
                .expect("answered");
            }
        }
    });
    (url, go, connections)
}

async fn connect(url: &str) -> SendSocket {
    SendSocket::connect(url, PATIENCE).await.expect("connects")
}

/// The params of a call sending `p`, and of a batch of such calls.
fn one(p: &'static str) -> [&'static dyn fmt::Display; 1] {
    [Box::leak(Box::new(format!("\"{p}\"")))]
}

fn batch(ps: &[&'static str]) -> Vec<&'static dyn fmt::Display> {
    ps.iter().map(|p| one(p)[0]).collect()
}

#[test]
fn a_request_is_one_call_or_a_batch_with_consecutive_ids() {
    assert_eq!(
        request("m", 7, &one("0xaa")),
        r#"{"jsonrpc":"2.0","id":7,"method":"m","params":["0xaa"]}"#
    );
    let request = request("m", 7, &batch(&["0xaa", "0xbb"]));
    let v: serde_json::Value = serde_json::from_str(&request).expect("JSON");
    assert_eq!(v[0]["id"], 7);
    assert_eq!(v[1]["id"], 8);
    assert_eq!(v[1]["params"][0], "0xbb");
}

#[test]
fn only_ws_and_http_urls_are_served() {
    assert!(Endpoint::parse("ws://127.0.0.1:8545").is_ok());
    assert!(Endpoint::parse("http://127.0.0.1:8899").is_ok());
    assert!(Endpoint::parse("https://example.invalid").is_err());
    assert!(!SendSocket::serves("http://user:secret@127.0.0.1:8899"));
    assert!(SendSocket::serves("http://127.0.0.1:8899/path?key=1"));
}

/// Sends one call and a batch of three, the middle one refused: each
/// answer reaches its batch and slot.
async fn answers_reach_their_batches(socket: &SendSocket, release: impl Fn()) {
    let a = socket.send("m", &one("0xaa"), PATIENCE);
    let b = socket.send("m", &batch(&["0x01", "0xbad", "0x02"]), PATIENCE);
    release();
    release();
    assert!(matches!(a.await[..], [Ok(())]));
    let b = b.await;
    assert_eq!(b.len(), 3);
    assert!(b[0].is_ok() && b[2].is_ok());
    assert!(
        matches!(&b[1], Err(Failure::Node(e)) if e.code == -32003 && e.message == "nonce too low")
    );
}

#[tokio::test(flavor = "current_thread")]
async fn answers_come_to_their_batches_in_order_whatever_order_the_node_answers_in() {
    let (url, go) = ws_server();
    let socket = connect(&url).await;
    answers_reach_their_batches(&socket, || go.send(()).expect("server up")).await;
}

#[tokio::test(flavor = "current_thread")]
async fn pipelined_http_requests_get_their_answers() {
    let (url, go, connections) = http_server();
    let socket = connect(&url).await;
    answers_reach_their_batches(&socket, || go.send(true).expect("server up")).await;
    assert_eq!(*connections.lock().unwrap(), 1, "one keep-alive connection");
}

#[tokio::test(flavor = "current_thread")]
async fn an_answer_is_read_by_the_next_send_or_after_read_after() {
    let (url, go) = ws_server();
    let socket = connect(&url).await;
    let first = socket.send("m", &one("0x01"), PATIENCE);
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
    let second = socket.send("m", &one("0x02"), PATIENCE);
    go.send(()).expect("server up");
    assert!(matches!(second.await[..], [Ok(())]));
}

#[tokio::test(flavor = "current_thread")]
async fn a_node_that_never_answers_times_out_and_a_closed_websocket_fails_every_batch() {
    let (url, go) = ws_server();
    let socket = connect(&url).await;
    let lost = socket.send("m", &one("0x01"), Duration::from_millis(50));
    let lost = lost.await;
    assert!(
        matches!(lost[..], [Err(Failure::Timeout(d))] if d == Duration::from_millis(50)),
        "{lost:?}"
    );
    // The server's thread ends when its channel closes: the socket closes.
    let pending = socket.send("m", &one("0x01"), PATIENCE);
    drop(go);
    // Sent before the close: the node may have it.
    let answers = pending.await;
    assert!(matches!(&answers[0], Err(Failure::Cut(_))), "{answers:?}");
    // Sent after it: it never went out.
    let after = socket.send("m", &one("0x01"), PATIENCE).await;
    assert!(matches!(&after[0], Err(Failure::Transport(_))), "{after:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_closed_http_connection_fails_its_batches_and_the_next_send_opens_another() {
    let (url, go, connections) = http_server();
    let socket = connect(&url).await;
    let pending = socket.send("m", &one("0x01"), PATIENCE);
    go.send(false).expect("server up");
    let answers = pending.await;
    assert!(matches!(&answers[0], Err(Failure::Cut(_))), "{answers:?}");
    let next = socket.send("m", &one("0x02"), PATIENCE);
    go.send(true).expect("server up");
    assert!(matches!(next.await[..], [Ok(())]));
    assert_eq!(*connections.lock().unwrap(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn an_http_refusal_fails_its_own_request_only() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("a connection");
        let mut seen = Vec::new();
        let mut buf = [0; 4096];
        // Two requests, then both answers at once: a refusal, an answer.
        while seen.windows(4).filter(|w| w == b"POST").count() < 2 || !seen.ends_with(b"]}") {
            let n = stream.read(&mut buf).expect("read");
            seen.extend_from_slice(&buf[..n]);
        }
        let ok = r#"{"jsonrpc":"2.0","id":2,"result":"x"}"#;
        write!(
            stream,
            "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 4\r\n\r\nslowHTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{ok}",
            ok.len()
        )
        .expect("answered");
        std::thread::sleep(Duration::from_secs(1));
    });
    let socket = connect(&url).await;
    let refused = socket.send("m", &one("0x01"), PATIENCE);
    let answered = socket.send("m", &one("0x02"), PATIENCE);
    let refused = refused.await;
    assert!(
        matches!(&refused[0], Err(Failure::Transport(why)) if why == "HTTP 429 Too Many Requests: slow"),
        "{refused:?}"
    );
    assert!(matches!(answered.await[..], [Ok(())]));
}
