//! What the report tests share: the result files in tests/fixtures.

use chainmeter_result::run::RunResult;
use std::path::Path;

/// The result file `tests/fixtures/<name>`.
pub(crate) fn fixture(name: &str) -> RunResult {
    RunResult::read(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}
