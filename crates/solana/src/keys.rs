//! Deterministic keypairs and receivers from the scenario seed.

use solana_sdk::{hash::hashv, pubkey::Pubkey, signature::Keypair};

fn derive(domain: &str, seed: &str, index: u64) -> [u8; 32] {
    hashv(&[
        domain.as_bytes(),
        seed.as_bytes(),
        &[0],
        &index.to_be_bytes(),
    ])
    .to_bytes()
}

/// Payer `index`'s keypair.
pub(crate) fn payer(seed: &str, index: u32) -> Keypair {
    Keypair::new_from_array(derive("chainmeter/solana/payer", seed, index.into()))
}

/// The funder that receives the airdrop and funds the payers.
pub(crate) fn funder(seed: &str) -> Keypair {
    Keypair::new_from_array(derive("chainmeter/solana/funder", seed, 0))
}

/// The receiver of transaction `seq`: an address nobody holds a key for, new per transaction.
pub(crate) fn receiver(seed: &str, seq: u64) -> Pubkey {
    Pubkey::new_from_array(derive("chainmeter/solana/receiver", seed, seq))
}

/// The id a program file is loaded at when its scenario names none: from
/// the file's bytes, so the same program has the same id in every run and
/// shard, and two programs never share one.
pub(crate) fn program(elf: &[u8]) -> Pubkey {
    Pubkey::new_from_array(hashv(&[b"chainmeter/solana/program", elf]).to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::signer::Signer;

    #[test]
    fn derivation_is_deterministic_and_distinct() {
        assert_eq!(payer("s", 0).pubkey(), payer("s", 0).pubkey());
        assert_ne!(payer("s", 0).pubkey(), payer("s", 1).pubkey());
        assert_ne!(payer("s", 0).pubkey(), payer("t", 0).pubkey());
        assert_ne!(funder("s").pubkey(), payer("s", 0).pubkey());
        assert_ne!(receiver("s", 0), receiver("s", 1));
    }
}
