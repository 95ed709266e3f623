#!/usr/bin/env bash
# Runs the whole test suite: installs the validators it needs (once per machine,
# cached), builds the chainmeter binary, then runs unit and end-to-end tests.
# Works on a fresh machine with only the Rust toolchain and Node.js.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== installing validators (cached after the first time)" >&2
scripts/install-anvil.sh >/dev/null
# A second, independent EVM node for the tests (npm, Node 20).
scripts/install-hardhat.sh >/dev/null
# About 24 minutes on 2 cores the first time (cargo install); instant after.
scripts/install-solana-test-validator.sh >/dev/null

# The HTML report is checked in a real headless browser: Debian's chromium.
if [[ -z "${CHROMIUM:-}" ]] && ! command -v chromium >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing chromium (Debian package)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "chromium not found: install it (Debian: apt-get install chromium) or set CHROMIUM" >&2
    exit 1
  fi
fi

echo "== checking that the shipped contract bytecode is the compiler's (solc from npm, offline)" >&2
scripts/compile-contracts.sh --check
echo "== checking that the shipped Solana programs are what their assembly gives (sbpf from crates.io)" >&2
scripts/assemble-programs.sh --check

echo "== checking format and lints" >&2
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "== building chainmeter" >&2
cargo build --release --locked -p chainmeter-cli

echo "== running tests" >&2
cargo test --release --locked --workspace "$@"
