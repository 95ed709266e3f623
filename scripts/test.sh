#!/usr/bin/env bash
# Runs the whole test suite: installs the validators it needs (once per machine,
# cached), builds the chainmeter binary, then runs unit and end-to-end tests.
# Works on a fresh machine with only the Rust toolchain and Node.js.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== installing validators (cached after the first time)" >&2
scripts/install-anvil.sh >/dev/null
# About 24 minutes on 2 cores the first time (cargo install); instant after.
scripts/install-solana-test-validator.sh >/dev/null

echo "== building chainmeter" >&2
cargo build --release --locked -p chainmeter-cli

echo "== running tests" >&2
cargo test --release --locked --workspace "$@"
