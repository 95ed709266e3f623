//! How a chain's fees are counted.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The chain's native coin and the units its fees are counted in. Every
/// result file carries it, so that reports need not know the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeeUnit {
    /// The smallest unit, in which fees are recorded: `wei`, `lamports`.
    pub unit: Cow<'static, str>,
    /// The native coin: `ETH`, `SOL`.
    pub coin: Cow<'static, str>,
    /// Smallest units per coin, as a power of ten (18, 9).
    pub decimals: u8,
    /// The unit small fees read best in (`gwei`, `lamports`).
    pub small: Cow<'static, str>,
    /// Smallest units per `small` unit, as a power of ten (9, 0).
    pub small_decimals: u8,
    /// What a fee-market bid is: `tip in wei per gas`.
    pub bid: Cow<'static, str>,
}

impl FeeUnit {
    /// Smallest units per coin.
    pub fn units_per_coin(&self) -> f64 {
        10f64.powi(i32::from(self.decimals))
    }

    /// The `[prices]` key giving USD per coin: `eth_usd`.
    pub fn price_key(&self) -> String {
        format!("{}_usd", self.coin.to_lowercase())
    }

    /// An amount in the smallest unit, readable: in coins from a thousandth
    /// of a coin up, else in the small unit (`21000 gwei`, `2.500000 ETH`).
    pub fn format(&self, amount: f64) -> String {
        let coins = amount / self.units_per_coin();
        if coins >= 1e-3 {
            format!("{coins:.6} {}", self.coin)
        } else {
            let small = amount / 10f64.powi(i32::from(self.small_decimals));
            format!("{small:.0} {}", self.small)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEI: FeeUnit = FeeUnit {
        unit: Cow::Borrowed("wei"),
        coin: Cow::Borrowed("ETH"),
        decimals: 18,
        small: Cow::Borrowed("gwei"),
        small_decimals: 9,
        bid: Cow::Borrowed("tip in wei per gas"),
    };

    #[test]
    fn amounts_read_in_coins_or_the_small_unit() {
        assert_eq!(WEI.format(21_000e9), "21000 gwei");
        assert_eq!(WEI.format(2.5e18), "2.500000 ETH");
        assert_eq!(WEI.price_key(), "eth_usd");
    }
}
