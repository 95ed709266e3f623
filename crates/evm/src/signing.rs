//! Signing a transaction's hash for one sender. The send path signs with
//! libsecp256k1 (Bitcoin Core's C library, through the `secp256k1` crate):
//! signing is most of the harness's CPU per EVM transaction, and it signs
//! in about half k256's time (`cargo bench -p chainmeter-evm --bench
//! send_path`). alloy's local signer (k256, pure Rust) signs the same hash
//! to the same signature: both follow RFC 6979, so either can stand in for
//! the other, and the tests hold them to it.

use alloy::{
    primitives::{Address, Signature, B256},
    signers::{local::PrivateKeySigner, SignerSync},
};
use std::fmt;

/// Signs 32-byte hashes as one account.
pub trait HashSigner: fmt::Debug + Send + Sync {
    /// The account's address.
    fn address(&self) -> Address;

    /// `hash` signed, recoverable to [`HashSigner::address`].
    fn sign_hash(&self, hash: &B256) -> Result<Signature, SignError>;
}

/// A hash could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign: {0}")]
pub struct SignError(String);

/// A key signed with libsecp256k1.
pub struct Libsecp256k1 {
    key: secp256k1::SecretKey,
    address: Address,
}

impl Libsecp256k1 {
    /// The key `signer` holds, to be signed with libsecp256k1.
    pub fn new(signer: &PrivateKeySigner) -> Result<Self, SignError> {
        let key = secp256k1::SecretKey::from_byte_array(&signer.to_bytes().0)
            .map_err(|e| SignError(e.to_string()))?;
        Ok(Self {
            key,
            address: signer.address(),
        })
    }
}

impl fmt::Debug for Libsecp256k1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("Libsecp256k1")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl HashSigner for Libsecp256k1 {
    fn address(&self) -> Address {
        self.address
    }

    fn sign_hash(&self, hash: &B256) -> Result<Signature, SignError> {
        let message = secp256k1::Message::from_digest(hash.0);
        let (id, rs) = secp256k1::SECP256K1
            .sign_ecdsa_recoverable(&message, &self.key)
            .serialize_compact();
        // libsecp256k1 gives low-s signatures, as Ethereum requires.
        Ok(Signature::from_bytes_and_parity(&rs, i32::from(id) == 1))
    }
}

impl HashSigner for PrivateKeySigner {
    fn address(&self) -> Address {
        alloy::signers::Signer::address(self)
    }

    fn sign_hash(&self, hash: &B256) -> Result<Signature, SignError> {
        self.sign_hash_sync(hash)
            .map_err(|e| SignError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::keccak256;

    #[test]
    fn both_libraries_sign_a_hash_to_the_same_signature_and_it_recovers_the_sender() {
        for seed in 0u8..32 {
            let k256 = PrivateKeySigner::from_bytes(&keccak256([seed])).unwrap();
            let libsecp = Libsecp256k1::new(&k256).unwrap();
            assert_eq!(HashSigner::address(&libsecp), HashSigner::address(&k256));
            for message in 0u8..8 {
                let hash = keccak256([seed, message]);
                let a = libsecp.sign_hash(&hash).unwrap();
                let b = HashSigner::sign_hash(&k256, &hash).unwrap();
                assert_eq!(a, b, "RFC 6979 gives both the same signature");
                assert_eq!(
                    a.recover_address_from_prehash(&hash).unwrap(),
                    libsecp.address()
                );
            }
        }
    }

    #[test]
    fn a_signer_never_shows_its_key() {
        let k256 = PrivateKeySigner::from_bytes(&keccak256([7])).unwrap();
        let shown = format!("{:?}", Libsecp256k1::new(&k256).unwrap());
        let key = alloy::hex::encode(k256.to_bytes());
        assert!(
            !shown.contains(&key) && shown.contains("address"),
            "{shown}"
        );
    }
}
