//! JSON-RPC requests as WebSocket text messages.

use crate::{Framing, Reply};
use std::{
    io::{self, Read, Write},
    net::TcpStream,
    sync::Arc,
};
use tungstenite::{protocol::WebSocketConfig, Message};

/// The read buffer: tungstenite zeroes what it reads into on every read,
/// and an answer is about a hundred bytes.
const READ_BUFFER: usize = 16 * 1024;

#[derive(Debug)]
pub(crate) struct WebSocket(tungstenite::WebSocket<Stream>);

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

impl WebSocket {
    /// Shakes hands on a blocking `stream`.
    pub(crate) fn open(url: &str, stream: Arc<TcpStream>) -> Result<Self, String> {
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let (ws, _) = tungstenite::client::client_with_config(url, Stream(stream), Some(config))
            .map_err(|e| format!("the WebSocket handshake failed: {e}"))?;
        Ok(Self(ws))
    }
}

/// Whether `e` only says the kernel would have blocked.
fn would_block(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock)
}

impl Framing for WebSocket {
    fn queue(&mut self, request: String) -> Result<(), String> {
        // A message that would block is queued; the flush writes it.
        match self.0.write(Message::text(request)) {
            Err(e) if !would_block(&e) => Err(e.to_string()),
            _ => Ok(()),
        }
    }

    fn flush(&mut self) -> Result<bool, String> {
        match self.0.flush() {
            Ok(()) => Ok(true),
            Err(e) if would_block(&e) => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }

    fn read(&mut self) -> Result<Option<Reply>, String> {
        loop {
            return match self.0.read() {
                Ok(Message::Text(text)) => Ok(Some(Reply::Answer(text.as_bytes().to_vec()))),
                Ok(Message::Binary(bytes)) => Ok(Some(Reply::Answer(bytes.to_vec()))),
                Ok(Message::Close(_)) => Err("the node closed the connection".into()),
                // Pings are answered by tungstenite on the next write.
                Ok(_) => continue,
                Err(e) if would_block(&e) => Ok(None),
                Err(e) => Err(format!("the connection failed: {e}")),
            };
        }
    }
}
