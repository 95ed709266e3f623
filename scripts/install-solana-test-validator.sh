#!/usr/bin/env bash
# Installs solana-test-validator (agave-validator, pinned) from crates.io into
# the user's cargo bin directory, once per machine, and prints its path.
#
# Order of preference, first hit wins:
#   1. $SOLANA_TEST_VALIDATOR, if it names an executable;
#   2. `solana-test-validator` on PATH at the pinned version;
#   3. a build from crates.io (about 24 minutes on 2 cores, 2.5 GB of build dir).
#
# The build needs these Debian packages, which the script installs when it runs
# as root on a Debian-like system; elsewhere install their equivalents first:
#   libudev-dev pkg-config libssl-dev clang libclang-dev protobuf-compiler cmake
set -euo pipefail

VERSION="4.2.2"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
log() { echo "install-solana-test-validator: $*" >&2; }

if [[ -n "${SOLANA_TEST_VALIDATOR:-}" ]]; then
  if [[ -x "$SOLANA_TEST_VALIDATOR" ]]; then
    echo "$SOLANA_TEST_VALIDATOR"; exit 0
  fi
  log "SOLANA_TEST_VALIDATOR=$SOLANA_TEST_VALIDATOR is not an executable file"; exit 1
fi

found_at_version() {
  local bin
  bin=$(PATH="$CARGO_BIN:$PATH" command -v solana-test-validator 2>/dev/null) || return 1
  "$bin" --version 2>/dev/null | grep -q " $VERSION " || return 1
  echo "$bin"
}

if found_at_version; then exit 0; fi

# One build at a time per machine: a second caller waits for the first.
mkdir -p "$CARGO_BIN"
exec 9>"$CARGO_BIN/.solana-test-validator.install.lock"
flock 9
if found_at_version; then exit 0; fi

packages=(libudev-dev pkg-config libssl-dev clang libclang-dev protobuf-compiler cmake)
if command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
      log "installing Debian packages: ${missing[*]}"
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    else
      log "missing Debian packages (install them as root): ${missing[*]}"; exit 1
    fi
  fi
fi

log "building agave-validator $VERSION from crates.io (tens of minutes, once per machine)"
nice -n 10 cargo install agave-validator --version "$VERSION" --locked \
  --bin solana-test-validator >&2
found_at_version || { log "build finished but solana-test-validator $VERSION is not in $CARGO_BIN"; exit 1; }
