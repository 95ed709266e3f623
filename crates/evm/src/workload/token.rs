//! `token`: an ERC-20 `transfer` of `workload.value` units to a receiver
//! new for every transaction (or one for all, when hot). chainmeter deploys
//! its own token and mints to every sender before the clock starts.

use super::{
    balance_of_call, receiver, receivers, selector, transfer_call, word_address, Call, Checking,
    Effects, Kind, Plan, Prepare, Preparing, Workload,
};
use crate::{keys, reads::call_words};
use alloy::primitives::{Address, Bytes, TxKind, U256};
use chainmeter_core::scenario::{ScenarioError, Section};
use chainmeter_result::run::Check;
use std::sync::Arc;

pub(super) const KIND: Kind = Kind {
    name: "token",
    check,
};

/// chainmeter's ERC-20, compiled by `scripts/compile-contracts.sh`.
pub(super) const TOKEN_BYTECODE: &str = include_str!("../../contracts/Token.bin");
/// Token units minted to every sender: far more than any run moves.
pub(super) const TOKENS_PER_SENDER: u128 = 10u128.pow(30);
/// Senders minted to per `mintEach` transaction: ~25k gas each keeps one
/// call well inside a 30M-gas block.
pub(super) const MINTED_PER_TX: usize = 400;
fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    section.no_workload_settings()?;
    Ok(Arc::new(TokenPlan {
        amount: section.workload_value(),
    }))
}

#[derive(Debug)]
struct TokenPlan {
    /// Token units per transfer.
    amount: u64,
}

impl Plan for TokenPlan {
    /// Deploys the token from a deployer of its own, mints to every sender,
    /// and measures what a transfer to a new receiver costs.
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a> {
        Box::pin(async move {
            let deployer = p.deployer().await?;
            let code: Bytes = super::bytecode(TOKEN_BYTECODE, "the token")?.into();
            let token = p.create(&deployer, code, "the token").await?;
            let minted = U256::from(TOKENS_PER_SENDER);
            for chunk in p.senders.chunks(MINTED_PER_TX) {
                deployer
                    .execute(
                        p.client,
                        p.url,
                        TxKind::Call(token),
                        mint_each_call(chunk, minted),
                    )
                    .await?;
            }
            let amount = U256::from(self.amount);
            let probe = transfer_call(keys::receiver(p.seed, u64::MAX), amount);
            let gas_limit = p.gas_limit(TxKind::Call(token), probe).await?;
            Ok(Arc::new(Token {
                seed: p.seed.to_owned(),
                token,
                amount,
                minted,
                gas_limit,
                hot: p.hot,
            }) as Arc<dyn Workload>)
        })
    }
}

/// ERC-20 `transfer` of `amount` to a new receiver per transaction.
#[derive(Debug, Clone)]
struct Token {
    /// Key derivation seed (receivers).
    seed: String,
    /// The deployed contract.
    token: Address,
    /// Token units per transfer.
    amount: U256,
    /// What every sender was minted.
    minted: U256,
    /// Gas limit per transfer: measured when prepared, with a margin.
    gas_limit: u64,
    /// The one receiver of every transaction (one storage slot), when hot.
    hot: Option<Address>,
}

impl Workload for Token {
    fn build(&self, seq: u64) -> Call {
        Call {
            to: TxKind::Call(self.token),
            value: U256::ZERO,
            input: transfer_call(receiver(&self.seed, seq, self.hot), self.amount),
            gas_limit: self.gas_limit,
        }
    }

    fn describe(&self) -> String {
        format!(
            "token, {} token units per transaction, each to {}",
            self.amount,
            receivers(self.hot)
        )
    }

    /// The senders' token balances fell by what the successful transfers moved.
    fn effects<'a>(&'a self, e: Effects<'a>) -> Checking<'a> {
        Box::pin(async move {
            let calls: Vec<_> = e
                .senders
                .iter()
                .map(|s| (self.token, balance_of_call(*s)))
                .collect();
            let held = call_words(e.client, e.at, &calls).await?;
            let moved = held
                .iter()
                .fold(U256::ZERO, |sum, h| sum + self.minted.saturating_sub(*h));
            Ok(vec![Check {
                name: "tokens".into(),
                recorded: (self.amount * U256::from(e.claimed.landed_ok)).to_string(),
                chain: moved.to_string(),
                how: format!("senders' balanceOf decrease at token {}", self.token),
                entry: None,
            }])
        })
    }
}

/// `mintEach(address[],uint256)`, ABI-encoded.
pub(super) fn mint_each_call(to: &[Address], amount: U256) -> Bytes {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_transfer_calls_the_token_for_its_receiver() {
        let to = Address::repeat_byte(0x11);
        let m = mint_each_call(&[to, to], U256::from(7));
        assert_eq!(m.len(), 4 + 32 * 5);
        assert_eq!(m[4 + 31], 64, "offset of the array");
        assert_eq!(m[4 + 63], 7, "amount");
        assert_eq!(m[4 + 95], 2, "length");
        let t = Token {
            seed: "s".into(),
            token: Address::repeat_byte(0xaa),
            amount: U256::from(5),
            minted: U256::from(100),
            gas_limit: 50_000,
            hot: None,
        };
        let call = t.build(3);
        assert_eq!(call.to, TxKind::Call(t.token));
        assert_eq!(
            call.input,
            transfer_call(keys::receiver("s", 3), U256::from(5))
        );
        assert_eq!(t.value(), U256::ZERO);
        assert_eq!(
            t.describe(),
            "token, 5 token units per transaction, each to a receiver of its own (disjoint writes)"
        );
    }

    #[test]
    fn the_shipped_bytecode_is_hex() {
        let code = alloy::primitives::hex::decode(TOKEN_BYTECODE.trim()).unwrap();
        assert!(code.len() > 1_000);
    }
}
