//! What each EVM transaction does: a workload builds the call, the
//! submitter signs and sends it.
//!
//! `prepare` (deploy, mint) runs before the clock starts; `build` is called
//! once per transaction on the send path, so it only assembles bytes.

use crate::{error::EvmError, keys, verify::TokenCheck};
use alloy::{
    primitives::{keccak256, Address, Bytes, TxKind, U256},
    rpc::client::RpcClient,
};

/// Gas of a plain value transfer.
pub(crate) const TRANSFER_GAS: u64 = 21_000;
/// chainmeter's ERC-20, compiled by `scripts/compile-contracts.sh`.
const TOKEN_BYTECODE: &str = include_str!("../contracts/Token.bin");
/// Token units minted to every sender: far more than any run moves.
const TOKENS_PER_SENDER: u128 = 10u128.pow(30);
/// Senders minted to per `mintEach` transaction: ~25k gas each keeps one
/// call well inside a 30M-gas block.
const MINTED_PER_TX: usize = 400;
/// Room above the gas a transfer to a new receiver measured when prepared.
const GAS_MARGIN: f64 = 1.25;

/// One transaction's call: where it goes, what it carries, its gas limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) to: TxKind,
    pub(crate) value: U256,
    pub(crate) input: Bytes,
    pub(crate) gas_limit: u64,
}

/// A prepared workload.
#[derive(Debug, Clone)]
pub(crate) enum Workload {
    /// Native value to a new receiver per transaction.
    Transfer {
        /// Key derivation seed (receivers).
        seed: String,
        /// Wei per transfer.
        value: U256,
        /// The one receiver of every transaction, when hot.
        hot: Option<Address>,
    },
    /// ERC-20 `transfer` of `amount` to a new receiver per transaction.
    Token {
        /// Key derivation seed (receivers).
        seed: String,
        /// The deployed contract.
        token: Address,
        /// Token units per transfer.
        amount: U256,
        /// Gas limit per transfer: measured when prepared, with a margin.
        gas_limit: u64,
        /// The one receiver of every transaction (one storage slot), when hot.
        hot: Option<Address>,
    },
}

/// The receiver of transaction `seq`: the hot one for all, else its own.
fn receiver(seed: &str, seq: u64, hot: Option<Address>) -> Address {
    hot.unwrap_or_else(|| keys::receiver(seed, seq))
}

/// The hot receiver of a run whose shards share `shared_seed`.
pub(crate) fn hot_receiver(shared_seed: &str) -> Address {
    keys::receiver(shared_seed, 0)
}

impl Workload {
    /// Transaction `seq`'s call.
    pub(crate) fn build(&self, seq: u64) -> Call {
        match self {
            Self::Transfer { seed, value, hot } => Call {
                to: TxKind::Call(receiver(seed, seq, *hot)),
                value: *value,
                input: Bytes::new(),
                gas_limit: TRANSFER_GAS,
            },
            Self::Token {
                seed,
                token,
                amount,
                gas_limit,
                hot,
            } => Call {
                to: TxKind::Call(*token),
                value: U256::ZERO,
                input: transfer_call(receiver(seed, seq, *hot), *amount),
                gas_limit: *gas_limit,
            },
        }
    }

    /// Native value a successful transaction moves from its sender.
    pub(crate) fn value(&self) -> U256 {
        match self {
            Self::Transfer { value, .. } => *value,
            Self::Token { .. } => U256::ZERO,
        }
    }
}

/// The first four bytes of the Keccak hash of a function's signature.
fn selector(signature: &str) -> [u8; 4] {
    let h = keccak256(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

fn word_address(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

/// `transfer(address,uint256)`, ABI-encoded.
pub(crate) fn transfer_call(to: Address, amount: U256) -> Bytes {
    let mut v = Vec::with_capacity(68);
    v.extend_from_slice(&selector("transfer(address,uint256)"));
    v.extend_from_slice(&word_address(to));
    v.extend_from_slice(&amount.to_be_bytes::<32>());
    v.into()
}

/// `balanceOf(address)`, ABI-encoded.
pub(crate) fn balance_of_call(owner: Address) -> Bytes {
    let mut v = Vec::with_capacity(36);
    v.extend_from_slice(&selector("balanceOf(address)"));
    v.extend_from_slice(&word_address(owner));
    v.into()
}

/// `mintEach(address[],uint256)`, ABI-encoded.
fn mint_each_call(to: &[Address], amount: U256) -> Bytes {
    let mut v = Vec::with_capacity(4 + 32 * (3 + to.len()));
    v.extend_from_slice(&selector("mintEach(address[],uint256)"));
    // Head: the array's offset (two words of head), then the amount.
    v.extend_from_slice(&U256::from(64).to_be_bytes::<32>());
    v.extend_from_slice(&amount.to_be_bytes::<32>());
    v.extend_from_slice(&U256::from(to.len()).to_be_bytes::<32>());
    for a in to {
        v.extend_from_slice(&word_address(*a));
    }
    v.into()
}

/// Deploys the token from `deployer`, mints to every sender, and measures
/// what a transfer to a new receiver costs; all before the clock starts.
pub(crate) async fn prepare_token(
    client: &RpcClient,
    url: &str,
    deployer: &crate::setup::Deployer,
    senders: &[Address],
    seed: &str,
    amount: u64,
    hot: Option<Address>,
) -> Result<(Workload, TokenCheck), EvmError> {
    let code: Bytes = alloy::primitives::hex::decode(TOKEN_BYTECODE.trim())
        .map_err(|e| EvmError::Workload(format!("the token's bytecode is not hex: {e}")))?
        .into();
    let deployed = deployer.execute(client, url, TxKind::Create, code).await?;
    let token = deployed.contract_address.ok_or_else(|| {
        EvmError::Workload("the token deployment's receipt names no contract address".into())
    })?;
    let minted = U256::from(TOKENS_PER_SENDER);
    for chunk in senders.chunks(MINTED_PER_TX) {
        deployer
            .execute(
                client,
                url,
                TxKind::Call(token),
                mint_each_call(chunk, minted),
            )
            .await?;
    }
    let probe = transfer_call(keys::receiver(seed, u64::MAX), U256::from(amount));
    let gas =
        crate::setup::estimate_gas(client, url, senders[0], TxKind::Call(token), probe).await?;
    let amount = U256::from(amount);
    Ok((
        Workload::Token {
            seed: seed.to_owned(),
            token,
            amount,
            gas_limit: (gas as f64 * GAS_MARGIN) as u64,
            hot,
        },
        TokenCheck {
            token,
            minted,
            amount,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shard_of_a_hot_run_writes_one_receiver() {
        let shard = |i: u32| Workload::Transfer {
            seed: format!("s/shard-{i}-of-2"),
            value: U256::from(1),
            hot: Some(hot_receiver("s")),
        };
        assert_eq!(shard(0).build(7).to, shard(1).build(3).to);
        let disjoint = |i: u32| Workload::Transfer {
            seed: format!("s/shard-{i}-of-2"),
            value: U256::from(1),
            hot: None,
        };
        assert_ne!(disjoint(0).build(7).to, disjoint(1).build(7).to);
    }

    #[test]
    fn calls_are_abi_encoded() {
        // The well-known ERC-20 selectors.
        assert_eq!(
            selector("transfer(address,uint256)"),
            [0xa9, 0x05, 0x9c, 0xbb]
        );
        assert_eq!(selector("balanceOf(address)"), [0x70, 0xa0, 0x82, 0x31]);
        let to = Address::repeat_byte(0x11);
        let t = transfer_call(to, U256::from(5));
        assert_eq!(t.len(), 68);
        assert_eq!(&t[16..36], to.as_slice());
        assert_eq!(t[67], 5);
        let m = mint_each_call(&[to, to], U256::from(7));
        assert_eq!(m.len(), 4 + 32 * 5);
        assert_eq!(m[4 + 31], 64, "offset of the array");
        assert_eq!(m[4 + 63], 7, "amount");
        assert_eq!(m[4 + 95], 2, "length");
    }

    #[test]
    fn the_shipped_bytecode_is_hex() {
        let code = alloy::primitives::hex::decode(TOKEN_BYTECODE.trim()).unwrap();
        assert!(code.len() > 1_000);
    }
}
