//! The published result schema (schemas/result.schema.json): every result
//! the end-to-end tests write is checked against it as it is read
//! (`support::result`); here, the published reference results, and that
//! the check can fail.

use crate::support::{assert_matches_schema, repo_root, schema_errors};

/// Every result.json under results/reference/ matches the schema.
#[test]
fn every_reference_result_matches_the_schema() {
    let mut checked = 0;
    let mut dirs = vec![repo_root().join("results/reference")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n == "result.json") {
                assert_matches_schema(&path);
                checked += 1;
            }
        }
    }
    assert!(checked >= 2, "{checked} reference results");
}

/// A result with a field of the wrong type, or without a required one, does
/// not match.
#[test]
fn a_malformed_result_does_not_match() {
    let path = repo_root().join("crates/report/tests/fixtures/evm-steps/result.json");
    let mut r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(schema_errors(&r).is_empty(), "{:?}", schema_errors(&r));
    r["outcomes"]["sent"] = "many".into();
    r.as_object_mut().unwrap().remove("levels");
    let errors = schema_errors(&r).join("\n");
    assert!(errors.contains("/outcomes/sent"), "{errors}");
    assert!(errors.contains("levels"), "{errors}");
}
