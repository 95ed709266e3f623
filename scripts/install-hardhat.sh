#!/usr/bin/env bash
# Installs Hardhat 2 (pinned; it runs on Node 20, Hardhat 3 needs Node 22) from
# the npm registry into the project-local tools directory, once, and prints
# the path of its command-line entry point, to be run with `node` (never
# through npx, whose shim would outlive a killed node).
#
# The end-to-end tests start `node <that path> node --hostname 127.0.0.1
# --port P`, in the directory that path's package was installed in (Hardhat
# refuses an installation outside its project; the project's
# hardhat.config.js, written here, mines a block a second and nothing in
# between), as a second, independent EVM node beside anvil.
set -euo pipefail

VERSION="2.29.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${CHAINMETER_TOOLS:-$ROOT/.tools}"
DIR="$TOOLS/hardhat"
log() { echo "install-hardhat: $*" >&2; }

cli="$DIR/node_modules/hardhat/internal/cli/bootstrap.js"
installed() {
  [[ -f "$cli" ]] && grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/hardhat/package.json"
}
if installed && [[ -f "$DIR/hardhat.config.js" ]]; then echo "$cli"; exit 0; fi

command -v npm >/dev/null || { log "npm not found: install Node.js"; exit 1; }
mkdir -p "$DIR"
exec 9>"$DIR/.install.lock"
flock 9
if ! installed; then
  log "installing hardhat@$VERSION from npm into $DIR"
  npm install --prefix "$DIR" --no-save --no-audit --no-fund --loglevel=error "hardhat@$VERSION" >&2
fi
installed || { log "npm finished but $cli is missing or not version $VERSION"; exit 1; }
config='module.exports = { networks: { hardhat: { mining: { auto: false, interval: 1000 } } } };'
[[ "$(cat "$DIR/hardhat.config.js" 2>/dev/null)" == "$config" ]] || echo "$config" >"$DIR/hardhat.config.js"
echo "$cli"
