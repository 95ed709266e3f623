#!/usr/bin/env bash
# Runs the default benchmark on a fresh machine: installs the validators it
# needs (once, cached), builds chainmeter, and runs the default scenario.
# Extra arguments go to `chainmeter run` (e.g. --rate 500 --duration 1m).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scenario="${CHAINMETER_SCENARIO:-scenarios/compare.toml}"
scripts/install-anvil.sh >/dev/null
# About 24 minutes on 2 cores the first time (cargo install); instant after.
scripts/install-solana-test-validator.sh >/dev/null
cargo build --release --locked -p chainmeter-cli
exec target/release/chainmeter run "$scenario" "$@"
