#!/usr/bin/env bash
# Installs the Kubernetes OpenAPI models (kubernetes-models, Kubernetes 1.27
# schemas, and js-yaml) from the npm registry into the project-local tools
# directory, once, for scripts/validate-k8s.mjs; prints the directory.
set -euo pipefail

MODELS="5.1.0"
YAML="4.1.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${CHAINMETER_TOOLS:-$ROOT/.tools}/k8s"
log() { echo "install-k8s-models: $*" >&2; }

installed() {
  [[ -f "$DIR/node_modules/kubernetes-models/package.json" && -f "$DIR/node_modules/js-yaml/package.json" ]] &&
    grep -q "\"version\": \"$MODELS\"" "$DIR/node_modules/kubernetes-models/package.json"
}
if installed; then echo "$DIR"; exit 0; fi

command -v npm >/dev/null || { log "npm not found: install Node.js"; exit 1; }
mkdir -p "$DIR"
exec 9>"$DIR/.install.lock"
flock 9
if installed; then echo "$DIR"; exit 0; fi
log "installing kubernetes-models@$MODELS and js-yaml@$YAML into $DIR"
(cd "$DIR" && npm install --silent --no-audit --no-fund --prefix "$DIR" "kubernetes-models@$MODELS" "js-yaml@$YAML" >&2)
installed || { log "install failed"; exit 1; }
echo "$DIR"
