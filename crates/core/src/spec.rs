//! What core knows of a chain: what its crate tells it in a [`ChainSpec`].

use chainmeter_result::level::Level;
pub use chainmeter_result::FeeUnit;

/// A chain's name, levels and fee unit, declared by its crate.
#[derive(Debug)]
pub struct ChainSpec {
    /// The scenario-file section and the result's `chain`: `evm`, `solana`.
    pub name: &'static str,
    /// Its levels, weakest first.
    pub levels: &'static [Level],
    /// How its fees are counted.
    pub fee_unit: FeeUnit,
}

impl ChainSpec {
    /// Where `level` stands among the chain's levels (0 is the weakest), if it is one of them.
    pub fn rank(&self, level: Level) -> Option<usize> {
        self.levels.iter().position(|l| *l == level)
    }
}
