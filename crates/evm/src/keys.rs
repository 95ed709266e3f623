//! Deterministic keys and addresses from the scenario seed.
//!
//! The same seed gives the same senders on every run and machine, so a run can
//! be repeated and audited; a different seed gives unrelated keys.

use alloy::{
    primitives::{keccak256, Address, B256},
    signers::local::PrivateKeySigner,
};

fn derive(domain: &str, seed: &str, index: u64) -> B256 {
    let mut input = Vec::with_capacity(domain.len() + seed.len() + 9);
    input.extend_from_slice(domain.as_bytes());
    input.extend_from_slice(seed.as_bytes());
    input.push(0);
    input.extend_from_slice(&index.to_be_bytes());
    keccak256(input)
}

/// Sender `index`'s key. `None` only if the hash is not a valid secp256k1 scalar.
pub(crate) fn sender(seed: &str, index: u32) -> Option<PrivateKeySigner> {
    PrivateKeySigner::from_bytes(&derive("chainmeter/evm/sender", seed, index.into())).ok()
}

/// The key that deploys and mints for a workload, apart from the senders.
pub(crate) fn deployer(seed: &str) -> Option<PrivateKeySigner> {
    PrivateKeySigner::from_bytes(&derive("chainmeter/evm/deployer", seed, 0)).ok()
}

/// The receiver of transaction `seq`: an address nobody holds a key for, new per transaction.
pub(crate) fn receiver(seed: &str, seq: u64) -> Address {
    Address::from_word(derive("chainmeter/evm/receiver", seed, seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_is_deterministic_and_distinct() {
        let a = sender("s", 0).unwrap().address();
        assert_eq!(a, sender("s", 0).unwrap().address());
        assert_ne!(a, sender("s", 1).unwrap().address());
        assert_ne!(a, sender("t", 0).unwrap().address());
        assert_ne!(receiver("s", 0), receiver("s", 1));
        assert_eq!(receiver("s", 5), receiver("s", 5));
    }
}
