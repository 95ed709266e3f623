//! JSON-RPC requests as HTTP/1.1 POSTs pipelined on one keep-alive
//! connection: the server answers them in the order they came.

use crate::{Framing, Reply};
use std::{
    io::{self, Read, Write},
    net::TcpStream,
    sync::Arc,
};
use url::{Position, Url};

/// How much is read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;
/// Most headers an answer may have.
const MAX_HEADERS: usize = 64;
/// How much of a refusal's body its message quotes.
const QUOTED: usize = 200;

#[derive(Debug)]
pub(crate) struct Http {
    stream: Arc<TcpStream>,
    /// Every request's head up to its length.
    head: String,
    /// Requests not yet written, from `written` on.
    out: Vec<u8>,
    written: usize,
    /// Answers read and not yet whole.
    input: Vec<u8>,
    /// What the socket is read into: zeroed once, not on every read.
    chunk: Box<[u8]>,
}

impl Http {
    pub(crate) fn open(url: &Url, stream: Arc<TcpStream>) -> Self {
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: ",
            &url[Position::BeforePath..],
            &url[Position::BeforeHost..Position::AfterPort],
        );
        Self {
            stream,
            head,
            out: Vec::new(),
            written: 0,
            input: Vec::new(),
            chunk: vec![0; READ_CHUNK].into_boxed_slice(),
        }
    }
}

impl Framing for Http {
    fn queue(&mut self, request: String) -> Result<(), String> {
        if self.written == self.out.len() {
            self.out.clear();
            self.written = 0;
        }
        self.out.extend_from_slice(self.head.as_bytes());
        // Writing to a Vec cannot fail.
        let _ = write!(self.out, "{}\r\n\r\n", request.len());
        self.out.extend_from_slice(request.as_bytes());
        Ok(())
    }

    fn flush(&mut self) -> Result<bool, String> {
        while self.written < self.out.len() {
            match (&*self.stream).write(&self.out[self.written..]) {
                Ok(0) => return Err("the connection is closed".into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(true)
    }

    fn read(&mut self) -> Result<Option<Reply>, String> {
        loop {
            match parse(&self.input)? {
                Parsed::Whole(reply, used) => {
                    self.input.drain(..used);
                    return Ok(Some(reply));
                }
                Parsed::Skip(used) => {
                    self.input.drain(..used);
                    continue;
                }
                Parsed::Partial => {}
            }
            match (&*self.stream).read(&mut self.chunk) {
                Ok(0) => return Err("the node closed the connection".into()),
                Ok(n) => self.input.extend_from_slice(&self.chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("the connection failed: {e}")),
            }
        }
    }

    fn reconnects(&self) -> bool {
        true
    }
}

/// What the start of the input holds.
#[derive(Debug, PartialEq)]
enum Parsed {
    /// A whole answer, and the bytes it took.
    Whole(Reply, usize),
    /// An interim answer (1xx) to pass over, and its bytes.
    Skip(usize),
    /// Not yet a whole answer.
    Partial,
}

/// Parses the first answer of `input`.
fn parse(input: &[u8]) -> Result<Parsed, String> {
    if input.is_empty() {
        return Ok(Parsed::Partial);
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut answer = httparse::Response::new(&mut headers);
    let head = match answer.parse(input) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(e) => return Err(format!("the node's answer is not HTTP ({e})")),
    };
    let code = answer.code.unwrap_or_default();
    if (100..200).contains(&code) {
        return Ok(Parsed::Skip(head));
    }
    let (mut length, mut chunked) = (None, false);
    for h in answer.headers.iter() {
        let value = String::from_utf8_lossy(h.value);
        if h.name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| format!("the node's answer has a bad length ({value})"))?,
            );
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let (body, used) = if chunked {
        match dechunk(&input[head..])? {
            Some((body, n)) => (body, head + n),
            None => return Ok(Parsed::Partial),
        }
    } else if let Some(length) = length {
        match input.get(head..head + length) {
            Some(body) => (body.to_vec(), head + length),
            None => return Ok(Parsed::Partial),
        }
    } else {
        return Err("the node's answer has no length".into());
    };
    let reply = if (200..300).contains(&code) {
        Reply::Answer(body)
    } else {
        let text = String::from_utf8_lossy(&body);
        let quoted: String = text.chars().take(QUOTED).collect();
        Reply::Refused(format!(
            "HTTP {code} {}: {}",
            answer.reason.unwrap_or_default(),
            quoted.trim()
        ))
    };
    Ok(Parsed::Whole(reply, used))
}

/// A chunked body's bytes and the input it took, once it is all there.
fn dechunk(input: &[u8]) -> Result<Option<(Vec<u8>, usize)>, String> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (n, size) = match httparse::parse_chunk_size(&input[at..]) {
            Ok(httparse::Status::Complete(c)) => c,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err("the node's answer has a bad chunk size".into()),
        };
        at += n;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            let rest = &input[at..];
            if rest.starts_with(b"\r\n") {
                return Ok(Some((body, at + 2)));
            }
            return Ok(rest
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|i| (body, at + i + 4)));
        }
        let size = usize::try_from(size).map_err(|_| "the node's answer is too large")?;
        let Some(chunk) = input.get(at..at + size) else {
            return Ok(None);
        };
        if input.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(chunk);
        at += size + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(input: &[u8]) -> (Reply, usize) {
        match parse(input).expect("HTTP") {
            Parsed::Whole(reply, used) => (reply, used),
            other => panic!("not whole: {other:?}"),
        }
    }

    #[test]
    fn an_answer_is_whole_once_its_length_has_come() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n[{}]HTTP/1.1";
        for end in 0..answer.len() - 8 - 4 {
            assert_eq!(parse(&answer[..end]), Ok(Parsed::Partial), "{end}");
        }
        let (reply, used) = whole(answer);
        assert_eq!(reply, Reply::Answer(b"[{}]".to_vec()));
        assert_eq!(&answer[used..], b"HTTP/1.1");
    }

    #[test]
    fn a_chunked_answer_is_joined_and_an_interim_one_passed_over() {
        let answer =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[{\r\n2\r\n}]\r\n0\r\n\r\n";
        assert_eq!(parse(&answer[..answer.len() - 1]), Ok(Parsed::Partial));
        assert_eq!(
            whole(answer),
            (Reply::Answer(b"[{}]".to_vec()), answer.len())
        );
        assert_eq!(
            parse(b"HTTP/1.1 100 Continue\r\n\r\nHTTP"),
            Ok(Parsed::Skip(25))
        );
    }

    #[test]
    fn a_refusal_says_its_status_and_an_answer_without_a_length_is_an_error() {
        let (reply, _) =
            whole(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n\r\ntoo large");
        assert_eq!(
            reply,
            Reply::Refused("HTTP 413 Payload Too Large: too large".into())
        );
        assert!(parse(b"HTTP/1.1 200 OK\r\n\r\n[]").is_err());
        assert!(parse(b"SMTP ready\r\n\r\n").is_err());
    }
}
