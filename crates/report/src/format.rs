//! Human formatting of microseconds and native amounts.

use chainmeter_core::ChainKind;

/// Microseconds as seconds or milliseconds, three significant figures or so.
pub fn micros(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{:.3} s", us as f64 / 1e6)
    } else if us >= 1_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{us} µs")
    }
}

/// An amount in the chain's smallest unit, with a readable larger unit beside it.
pub fn native(amount: f64, chain: ChainKind) -> String {
    match chain {
        ChainKind::Evm => {
            let gwei = amount / 1e9;
            if gwei >= 1e6 {
                format!("{:.6} ETH", amount / 1e18)
            } else {
                format!("{gwei:.0} gwei")
            }
        }
        ChainKind::Solana => {
            if amount >= 1e7 {
                format!("{:.6} SOL", amount / 1e9)
            } else {
                format!("{amount:.0} lamports")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(micros(512), "512 µs");
        assert_eq!(micros(51_234), "51.2 ms");
        assert_eq!(micros(1_234_567), "1.235 s");
        assert_eq!(native(21_000e9, ChainKind::Evm), "21000 gwei");
        assert_eq!(native(5_000.0, ChainKind::Solana), "5000 lamports");
        assert_eq!(native(2.5e18, ChainKind::Evm), "2.500000 ETH");
    }
}
