//! A run's figures beside the same figures read from the chain.

use serde::{Deserialize, Serialize};

/// The run's own figures beside the same figures read from the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verification {
    /// How the chain's figures were obtained.
    pub method: String,
    /// One entry per figure checked.
    pub checks: Vec<Check>,
    /// Why the chain could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Senders (by index) whose balance after the run could not pay for
    /// one more of their transactions: they ran out of funds, so what they
    /// sent late may have failed for that, not on the chain's merits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dry_senders: Vec<u32>,
    /// Parts of the run that were never verified (a merged result's inputs
    /// that hold no verification): the whole is then unverified, which no
    /// gate reads as fit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unverified: Vec<String>,
}

impl Verification {
    /// A verification that could not read the chain.
    pub fn failed(error: String) -> Self {
        Self {
            method: String::new(),
            checks: Vec::new(),
            error: Some(error),
            dry_senders: Vec::new(),
            unverified: Vec::new(),
        }
    }

    /// True when the chain was read for every part of the run and every
    /// figure matched.
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self.unverified.is_empty()
            && self.checks.iter().all(|c| c.chain == c.recorded)
    }

    /// One line for the summary: `verified against the chain: landed N = N, fees X = X`,
    /// or what differed.
    pub fn line(&self) -> String {
        if let Some(e) = &self.error {
            return format!("not verified: cannot read the chain: {e}");
        }
        if !self.unverified.is_empty() {
            return format!(
                "UNVERIFIED: {} recorded no verification against the chain",
                self.unverified.join(", ")
            );
        }
        let figures = self
            .checks
            .iter()
            .map(|c| {
                let op = if c.chain == c.recorded { "=" } else { "≠" };
                let name = match &c.entry {
                    Some(entry) => format!("{entry} {}", c.name),
                    None => c.name.clone(),
                };
                format!("{name} {} {op} {}", c.recorded, c.chain)
            })
            .collect::<Vec<_>>()
            .join(", ");
        if self.passed() {
            format!("verified against the chain: {figures}")
        } else {
            format!("VERIFICATION FAILED (recorded vs chain): {figures}")
        }
    }

    /// The check named `name`, if it was made.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// One figure as the run recorded it and as the chain shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Check {
    /// What is compared, e.g. `landed` or `fees`.
    pub name: String,
    /// The run's own figure (decimal string: fees may exceed 2^53).
    pub recorded: String,
    /// The chain's figure.
    pub chain: String,
    /// How the chain's figure was derived.
    pub how: String,
    /// The traffic-mix entry (its workload) the check is of; none when it
    /// is of the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

/// The senders' leftover funds returned to the funder after the run (`--sweep`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sweep {
    /// The funder's address, where the funds went.
    pub to: String,
    /// What the senders' transfers returned, smallest unit (decimal string).
    pub amount: String,
    /// Transfers sent (one per sender with more than its fee left).
    pub transactions: u64,
    /// What the transfers cost the senders in fees, smallest unit (decimal string).
    pub fees: String,
    /// Seconds from the first transfer to the last landing.
    pub seconds: f64,
    /// Why the sweep failed, if it did (funds may be left with the senders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How the senders were funded before the clock started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Funding {
    /// How: `anvil_setBalance` (a cheat code), `transfers from a funder key`,
    /// `requestAirdrop`.
    pub method: String,
    /// The funder's address, when a key funded the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder: Option<String>,
    /// What the senders (and any deployer) were given, smallest unit
    /// (decimal string); for a cheat code, what their balances were set to
    /// above what they held.
    pub amount: String,
    /// Funding transactions sent (none for a cheat code).
    pub transactions: u64,
    /// How long funding took, seconds.
    pub seconds: f64,
}

impl Funding {
    /// The `method` of a run funded from the user's key, on every chain.
    pub const BY_KEY: &'static str = "transfers from a funder key";
}

/// A sender account as it was before the run's first transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SenderRecord {
    /// Address (EVM, 0x-hex) or public key (Solana, base58).
    pub address: String,
    /// Balance before the first send, smallest unit (decimal string).
    pub balance_before: String,
    /// Nonce before the first send (EVM only).
    pub nonce_before: Option<u64>,
}
