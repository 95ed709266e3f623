//! The signatures of the run's landed transactions, kept for the verifier
//! on disk rather than in memory.
//!
//! The verifier asks the node for the status of every landed signature
//! after the run, so all of them must be kept; at 72 bytes each (with its
//! sequence number, which tells a mix's entries apart), a 30-minute run at
//! 1,000 tx/s would hold 130 MB of them in memory and the harness's memory
//! would grow with the run's length. They go to an
//! unnamed temporary file instead (gone when the process ends, however it
//! ends), written through a buffer, and are read back in chunks.

use crate::error::LandedError;
use chainmeter_core::chain::TxSeq;
use solana_sdk::signature::Signature;
use std::{
    fs::File,
    io::{self, BufWriter, Write},
    os::unix::fs::FileExt,
    sync::{Arc, Mutex},
};

const SIGNATURE_BYTES: usize = 64;
/// A record: the signature, then the transaction's sequence number
/// (little-endian), which tells a mix's entries apart.
const RECORD_BYTES: usize = SIGNATURE_BYTES + 8;

/// The landed signatures, shared by the tracker (which appends) and the
/// verifier (which reads them back).
#[derive(Debug, Clone)]
pub(crate) struct LandedSignatures(Arc<Mutex<Log>>);

#[derive(Debug)]
struct Log {
    file: BufWriter<File>,
    count: u64,
    /// The first write error: the verifier reports it instead of a count
    /// short of what landed.
    error: Option<Arc<io::Error>>,
}

impl LandedSignatures {
    /// An empty log in a new unnamed temporary file.
    pub(crate) fn new() -> io::Result<Self> {
        let file = tempfile::tempfile()?;
        Ok(Self(Arc::new(Mutex::new(Log {
            file: BufWriter::with_capacity(64 * 1024, file),
            count: 0,
            error: None,
        }))))
    }

    /// Appends signatures, each with its transaction's sequence number.
    pub(crate) fn extend(&self, signatures: impl IntoIterator<Item = (Signature, TxSeq)>) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if log.error.is_some() {
            return;
        }
        for (s, seq) in signatures {
            let written = log
                .file
                .write_all(s.as_ref())
                .and_then(|()| log.file.write_all(&seq.to_le_bytes()));
            if let Err(e) = written {
                log.error = Some(Arc::new(e));
                return;
            }
            log.count += 1;
        }
    }

    /// How many were appended.
    pub(crate) fn len(&self) -> u64 {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).count
    }

    /// A reader of everything appended so far, in order.
    pub(crate) fn reader(&self) -> Result<LandedReader, LandedError> {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = &log.error {
            return Err(LandedError::Write(e.clone()));
        }
        log.file.flush().map_err(LandedError::Flush)?;
        let file = log
            .file
            .get_ref()
            .try_clone()
            .map_err(LandedError::Reopen)?;
        Ok(LandedReader {
            file,
            next: 0,
            count: log.count,
        })
    }
}

/// Reads landed signatures back in chunks; positioned reads, so appends
/// going on meanwhile do not disturb it.
#[derive(Debug)]
pub(crate) struct LandedReader {
    file: File,
    next: u64,
    count: u64,
}

impl LandedReader {
    /// The next at most `n` signatures with their sequence numbers; empty
    /// at the end.
    pub(crate) fn next_chunk(&mut self, n: usize) -> Result<Vec<(Signature, TxSeq)>, LandedError> {
        let take = (self.count - self.next).min(n as u64) as usize;
        let mut bytes = vec![0u8; take * RECORD_BYTES];
        self.file
            .read_exact_at(&mut bytes, self.next * RECORD_BYTES as u64)
            .map_err(LandedError::Read)?;
        self.next += take as u64;
        Ok(bytes
            .chunks_exact(RECORD_BYTES)
            .map(|b| {
                let (sig, seq) = b.split_at(SIGNATURE_BYTES);
                (
                    Signature::from(<[u8; SIGNATURE_BYTES]>::try_from(sig).expect("64 bytes")),
                    TxSeq::from_le_bytes(seq.try_into().expect("8 bytes")),
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_come_back_in_order_in_chunks_while_more_are_appended() {
        let log = LandedSignatures::new().unwrap();
        let sig = |i: u8| (Signature::from([i; 64]), u64::from(i) * 1_000);
        log.extend((0..5).map(sig));
        let mut reader = log.reader().unwrap();
        log.extend([sig(5)]);
        assert_eq!(reader.next_chunk(2).unwrap(), vec![sig(0), sig(1)]);
        assert_eq!(reader.next_chunk(10).unwrap(), vec![sig(2), sig(3), sig(4)]);
        assert!(reader.next_chunk(10).unwrap().is_empty());
        assert_eq!(log.len(), 6);
        assert_eq!(log.reader().unwrap().next_chunk(10).unwrap().len(), 6);
    }
}
