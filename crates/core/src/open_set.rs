//! The transactions a tracker looks for, registered by message.
//!
//! The submitter tells the tracker which transactions it is sending and
//! which of them the node refused; the tracker owns the set. Nothing is
//! shared under a lock between the send path and the tracker.
//!
//! A batch is registered just before its request goes out, and withdrawn
//! once its answer says the node refused it. Registering only after the
//! answer would race the chain: a node can put a transaction in a block, and
//! the tracker read that block, before the answer to its send is back. The
//! tracker takes in every message before it matches a block
//! ([`OpenSet::sync`]), so a transaction found in a block was always
//! registered in time.

use std::{collections::HashMap, hash::Hash};
use tokio::sync::mpsc;

enum Message<K, V> {
    Sending(Vec<(K, V)>),
    Refused(Vec<K>),
}

/// The submitter's end: registers and withdraws transactions.
#[derive(Debug)]
pub struct Registrar<K, V>(mpsc::UnboundedSender<Message<K, V>>);

impl<K, V> Clone for Registrar<K, V> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<K, V> Registrar<K, V> {
    /// These transactions are about to be sent: look for them. Call before
    /// the request goes out.
    pub fn sending(&self, txs: Vec<(K, V)>) {
        // A tracker that has stopped needs no registrations.
        let _ = self.0.send(Message::Sending(txs));
    }

    /// The node refused these: they will never be in a block.
    pub fn refused(&self, keys: Vec<K>) {
        if !keys.is_empty() {
            let _ = self.0.send(Message::Refused(keys));
        }
    }
}

/// The tracker's end: the transactions sent and not yet found, by key
/// (hash, signature), each with what the tracker needs of it.
#[derive(Debug)]
pub struct OpenSet<K, V> {
    inbox: mpsc::UnboundedReceiver<Message<K, V>>,
    open: HashMap<K, V>,
}

impl<K: Hash + Eq, V> OpenSet<K, V> {
    /// The open transactions, after taking in every registration sent so
    /// far. Call it before matching a block, and use what it returns.
    pub fn sync(&mut self) -> &mut HashMap<K, V> {
        while let Ok(message) = self.inbox.try_recv() {
            match message {
                Message::Sending(txs) => self.open.extend(txs),
                Message::Refused(keys) => {
                    for k in keys {
                        self.open.remove(&k);
                    }
                }
            }
        }
        &mut self.open
    }
}

/// A registrar and the open set it feeds.
pub fn open_set<K, V>() -> (Registrar<K, V>, OpenSet<K, V>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        Registrar(tx),
        OpenSet {
            inbox: rx,
            open: HashMap::new(),
        },
    )
}

impl<K, V> std::fmt::Debug for Message<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sending(t) => write!(f, "Sending({})", t.len()),
            Self::Refused(k) => write!(f, "Refused({})", k.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_arrive_in_order_and_refusals_withdraw() {
        let (registrar, mut open) = open_set::<u8, u64>();
        registrar.sending(vec![(1, 10), (2, 20)]);
        registrar.refused(vec![2]);
        registrar.sending(vec![(3, 30)]);
        let set = open.sync();
        assert_eq!(set.len(), 2);
        assert_eq!(set.remove(&1), Some(10));
        assert!(!set.contains_key(&2));
        // Refusing what is no longer open (found in a block) changes nothing.
        registrar.refused(vec![1]);
        assert_eq!(open.sync().keys().collect::<Vec<_>>(), [&3]);
    }
}
