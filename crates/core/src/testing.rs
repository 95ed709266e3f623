//! Levels shaped like a real chain's, for core's own tests.

use chainmeter_result::level::Level;

pub(crate) const INCLUDED: Level = Level::new("included");
pub(crate) const SAFE: Level = Level::new("safe");
pub(crate) const FINALIZED: Level = Level::new("finalized");
/// An EVM-like chain's levels, weakest first.
pub(crate) const CHAIN: &[Level] = &[INCLUDED, SAFE, FINALIZED];
