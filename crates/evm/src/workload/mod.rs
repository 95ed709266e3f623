//! What each EVM transaction does. A workload is one file in this
//! directory and one line in [`KINDS`]: its name, the check of its settings
//! (`[workload.<name>]`, before any node starts), its preparation on the
//! node (deploy, mint, measure gas, before the clock starts), and the call
//! each transaction makes, which the submitter signs and sends.

mod call;
mod deploy;
mod mix;
mod storage;
mod swap;
mod token;
mod transfer;

use crate::{
    error::{EvmError, PrepareError},
    funding::Funds,
    setup::Deployer,
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{keccak256, Address, Bytes, TxKind, U256},
    rpc::client::RpcClient,
};
use chainmeter_core::{
    chain::{Claimed, VerifyError},
    scenario::{ScenarioError, Section},
};
use chainmeter_result::run::Check;
use std::{fmt, future::Future, pin::Pin, sync::Arc};

/// Every EVM workload: the name a scenario gives it, and the check of its settings.
pub(crate) const KINDS: &[Kind] = &[
    transfer::KIND,
    token::KIND,
    call::KIND,
    storage::KIND,
    deploy::KIND,
    swap::KIND,
];

/// Gas of a plain value transfer by Ethereum's rules (a run asks the node).
#[cfg(test)]
pub(crate) const TRANSFER_GAS: u64 = 21_000;
/// Room above the gas a transaction measured when prepared.
const GAS_MARGIN: f64 = 1.25;

/// A workload the EVM offers.
pub(crate) type Kind = chainmeter_core::section::WorkloadKind<dyn Plan>;

/// The scenario's workload, checked (a mix entry by entry); a kind the EVM
/// lacks is an error naming those it has.
pub(crate) fn check(section: &Section<'_>) -> Result<Arc<dyn Plan>, ScenarioError> {
    if let Some(m) = section.mix() {
        return mix::check(section, m);
    }
    section.pick_workload(KINDS)
}

/// One transaction's call: where it goes, what it carries, its gas limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) to: TxKind,
    pub(crate) value: U256,
    pub(crate) input: Bytes,
    pub(crate) gas_limit: u64,
}

/// What preparing a workload on the node is given.
#[derive(Debug, Clone)]
pub(crate) struct Prepare<'a> {
    pub(crate) client: &'a RpcClient,
    pub(crate) url: &'a str,
    pub(crate) chain_id: u64,
    /// The seed the senders' and receivers' keys come from.
    pub(crate) seed: &'a str,
    /// The funded senders.
    pub(crate) senders: &'a [Address],
    /// The one receiver of every transaction, when writes are hot.
    pub(crate) hot: Option<Address>,
    /// Where the deployer's funds come from.
    pub(crate) funds: &'a Funds<'a>,
}

impl Prepare<'_> {
    /// A funded account to deploy and mint from, apart from the senders.
    pub(crate) async fn deployer(&self) -> Result<Deployer, EvmError> {
        let deployer = Deployer::new(self.client, self.url, self.seed, self.chain_id).await?;
        self.funds.give_deployer(deployer.address()).await?;
        Ok(deployer)
    }

    /// The gas limit of a transaction like this one from the first sender:
    /// what the node estimates now, with [`GAS_MARGIN`] of room.
    pub(crate) async fn gas_limit(&self, to: TxKind, input: Bytes) -> Result<u64, EvmError> {
        self.gas_limit_from(self.senders[0], to, input).await
    }

    /// [`gas_limit`](Self::gas_limit) of a transaction from `from`.
    pub(crate) async fn gas_limit_from(
        &self,
        from: Address,
        to: TxKind,
        input: Bytes,
    ) -> Result<u64, EvmError> {
        let gas = crate::setup::estimate_gas(self.client, self.url, from, to, input).await?;
        Ok((gas as f64 * GAS_MARGIN) as u64)
    }

    /// The node's latest block: the last before the run's first transaction,
    /// when read at the end of the preparation.
    pub(crate) async fn block_number(&self) -> Result<u64, EvmError> {
        let n: alloy::primitives::U64 =
            self.client
                .request("eth_blockNumber", ())
                .await
                .map_err(|source| EvmError::Rpc {
                    call: "eth_blockNumber",
                    url: self.url.to_owned(),
                    source,
                })?;
        Ok(n.to::<u64>())
    }

    /// Creates the contract `what` from `deployer` with `code` (creation
    /// code and constructor arguments) and returns its address.
    pub(crate) async fn create(
        &self,
        deployer: &Deployer,
        code: Bytes,
        contract: &str,
    ) -> Result<Address, EvmError> {
        let receipt = deployer
            .execute(self.client, self.url, TxKind::Create, code)
            .await?;
        Ok(receipt
            .contract_address
            .ok_or_else(|| PrepareError::NoAddress {
                contract: contract.to_owned(),
            })?)
    }
}

/// A contract's bytecode compiled into chainmeter, decoded.
pub(crate) fn bytecode(hex_code: &str, contract: &'static str) -> Result<Vec<u8>, PrepareError> {
    alloy::primitives::hex::decode(hex_code.trim())
        .map_err(|source| PrepareError::Bytecode { contract, source })
}

/// A future borrowing what it was given.
pub(crate) type Preparing<'a> =
    Pin<Box<dyn Future<Output = Result<Arc<dyn Workload>, EvmError>> + Send + 'a>>;

/// A checked workload, to be prepared on the node before the clock starts.
pub(crate) trait Plan: Send + Sync + fmt::Debug {
    /// Deploys, mints, measures: what its transactions need.
    fn prepare<'a>(&'a self, p: Prepare<'a>) -> Preparing<'a>;

    /// It prepares no state of its own, so its hot account (derived from
    /// the run's shared seed) is one across shards (see
    /// `ChainTarget::hot_across_shards`).
    fn hot_across_shards(&self) -> bool {
        false
    }
}

/// A prepared workload: builds each transaction's call on the send path,
/// so it only assembles bytes.
pub(crate) trait Workload: Send + Sync + fmt::Debug {
    /// Transaction `seq`'s call.
    fn build(&self, seq: u64) -> Call;

    /// Transaction `seq`'s call when it is the `nth` (from 0) of its
    /// sender's transactions of this workload: in a traffic mix a sender's
    /// own transactions are not every `senders`-th sequence number. By
    /// default the same as alone.
    fn build_nth(&self, seq: u64, _nth: u64) -> Call {
        self.build(seq)
    }

    /// What each transaction does, in words, for the result.
    fn describe(&self) -> String;

    /// What the user should know before the clock starts, each a warning.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// Native value a successful transaction moves from its sender.
    fn value(&self) -> U256 {
        U256::ZERO
    }

    /// Native value the successful transactions `claimed` moved from the
    /// senders, for the check of their fees.
    fn moved(&self, claimed: &Claimed) -> U256 {
        self.value() * U256::from(claimed.landed_ok)
    }

    /// What a revert's data (`data`, from replaying it) means in the
    /// workload's own terms, e.g. a custom error of the user's ABI; `None`
    /// leaves the node's words.
    fn revert_reason(&self, _data: &[u8]) -> Option<String> {
        None
    }

    /// Whether a transaction to `to` with `input` is one of this
    /// workload's: how a mix tells its entries' transactions apart on
    /// chain. By default, those that go where transaction 0 goes and call
    /// what it calls (its first four bytes of input).
    fn is_own(&self, to: Option<Address>, input: &[u8]) -> bool {
        let call = self.build(0);
        to == call.to.to().copied() && input.get(..4) == call.input.get(..4)
    }

    /// Checks of what the run did to the workload's own state (token
    /// balances, pool reserves), read from the chain after the run, beside
    /// the senders' nonces and fees that every workload has checked.
    fn effects<'a>(&'a self, _: Effects<'a>) -> Checking<'a> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// What checking a workload's effects is given.
#[derive(Debug)]
pub(crate) struct Effects<'a> {
    pub(crate) client: &'a RpcClient,
    /// The block the checks read at: the last the tracker scanned.
    pub(crate) at: BlockNumberOrTag,
    pub(crate) senders: &'a [Address],
    pub(crate) claimed: &'a Claimed,
}

/// A future of a workload's checks.
pub(crate) type Checking<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<Check>, VerifyError>> + Send + 'a>>;

/// The receiver of transaction `seq`: the hot one for all, else its own.
pub(crate) fn receiver(seed: &str, seq: u64, hot: Option<Address>) -> Address {
    hot.unwrap_or_else(|| crate::keys::receiver(seed, seq))
}

/// The hot receiver of a run whose shards share `shared_seed`.
pub(crate) fn hot_receiver(shared_seed: &str) -> Address {
    crate::keys::receiver(shared_seed, 0)
}

/// How a transaction's receiver is chosen, in the words of the result.
pub(crate) fn receivers(hot: Option<Address>) -> &'static str {
    match hot {
        Some(_) => "one receiver for all (hot writes)",
        None => "a receiver of its own (disjoint writes)",
    }
}

/// The first four bytes of the Keccak hash of a function's signature.
pub(crate) fn selector(signature: &str) -> [u8; 4] {
    let h = keccak256(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

pub(crate) fn word_address(a: Address) -> [u8; 32] {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn every_kind_has_a_name_of_its_own() {
        let mut names: Vec<_> = KINDS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
    }
}
