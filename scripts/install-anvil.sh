#!/usr/bin/env bash
# Installs anvil (foundry, pinned) from the npm registry into the project-local
# tools directory, once, and prints the path of the native binary.
#
# Order of preference, first hit wins:
#   1. $ANVIL, if it names an executable;
#   2. `anvil` on PATH;
#   3. @foundry-rs/anvil from npm, into $CHAINMETER_TOOLS (default: <repo>/.tools).
#
# The path printed is the native binary, not the npm package's Node.js shim:
# killing the shim would leave anvil running (see DESIGN.md).
set -euo pipefail

VERSION="1.7.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${CHAINMETER_TOOLS:-$ROOT/.tools}"
log() { echo "install-anvil: $*" >&2; }

if [[ -n "${ANVIL:-}" ]]; then
  if [[ -x "$ANVIL" ]]; then echo "$ANVIL"; exit 0; fi
  log "ANVIL=$ANVIL is not an executable file"; exit 1
fi
if bin=$(command -v anvil 2>/dev/null); then echo "$bin"; exit 0; fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-amd64 ;;
  Linux-aarch64) platform=linux-arm64 ;;
  Darwin-x86_64) platform=darwin-amd64 ;;
  Darwin-arm64) platform=darwin-arm64 ;;
  *) log "no @foundry-rs/anvil package for $(uname -s)-$(uname -m)"; exit 1 ;;
esac
native="$TOOLS/node_modules/@foundry-rs/anvil-$platform/bin/anvil"

installed() { [[ -x "$native" ]] && "$native" --version 2>/dev/null | grep -q "$VERSION"; }
if installed; then echo "$native"; exit 0; fi

command -v npm >/dev/null || { log "npm not found: install Node.js, or put anvil on PATH"; exit 1; }
mkdir -p "$TOOLS"
exec 9>"$TOOLS/.anvil.install.lock"
flock 9
if ! installed; then
  log "installing @foundry-rs/anvil@$VERSION from npm into $TOOLS"
  npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error \
    "@foundry-rs/anvil@$VERSION" "@foundry-rs/anvil-$platform@$VERSION" >&2
fi
installed || { log "npm finished but $native is missing or not version $VERSION"; exit 1; }
echo "$native"
