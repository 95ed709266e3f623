#!/usr/bin/env bash
# Compiles the EVM workloads' contracts with solc from the npm registry (the
# emscripten build: it runs offline, nothing is downloaded at compile time)
# and writes <Name>.bin (creation bytecode, hex) and <Name>.abi.json beside
# each source in crates/evm/contracts/. The committed outputs are what
# chainmeter deploys; a test recompiles and compares when solc is installed.
#
#   scripts/compile-contracts.sh            # compile and write
#   scripts/compile-contracts.sh --check    # compile to a temp dir and compare
set -euo pipefail

SOLC_VERSION="0.8.37"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${CHAINMETER_TOOLS:-$ROOT/.tools}"
CONTRACTS="$ROOT/crates/evm/contracts"
log() { echo "compile-contracts: $*" >&2; }

# A prefix of its own: npm prunes what a --no-save install did not name, so
# sharing anvil's would uninstall one with the other.
PREFIX="$TOOLS/solc"
solcjs="$PREFIX/node_modules/solc/solc.js"
installed() { [[ -f "$solcjs" ]] && node "$solcjs" --version 2>/dev/null | grep -q "^$SOLC_VERSION+"; }
if ! installed; then
  command -v npm >/dev/null || { log "npm not found: install Node.js"; exit 1; }
  mkdir -p "$PREFIX"
  exec 9>"$PREFIX/.install.lock"
  flock 9
  if ! installed; then
    log "installing solc@$SOLC_VERSION from npm into $PREFIX"
    npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error "solc@$SOLC_VERSION" >&2
  fi
fi

out="$CONTRACTS"
if [[ "${1:-}" == "--check" ]]; then out="$(mktemp -d)"; fi
for src in "$CONTRACTS"/*.sol; do
  name="$(basename "$src" .sol)"
  # The exact compilation: solc's standard JSON with the optimizer on (200
  # runs) and no metadata hash, so the bytecode depends on the source and
  # the compiler version only.
  node -e '
    const [solcjs, src, name, bin, abi] = process.argv.slice(1);
    const fs = require("fs");
    const solc = require(solcjs.replace(/solc\.js$/, "index.js"));
    const input = {
      language: "Solidity",
      sources: { [name + ".sol"]: { content: fs.readFileSync(src, "utf8") } },
      settings: {
        optimizer: { enabled: true, runs: 200 },
        metadata: { bytecodeHash: "none", appendCBOR: false },
        outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
      },
    };
    const out = JSON.parse(solc.compile(JSON.stringify(input)));
    const errors = (out.errors || []).filter((e) => e.severity === "error");
    if (errors.length) { console.error(errors.map((e) => e.formattedMessage).join("\n")); process.exit(1); }
    const c = out.contracts[name + ".sol"][name];
    fs.writeFileSync(bin, c.evm.bytecode.object + "\n");
    fs.writeFileSync(abi, JSON.stringify(c.abi, null, 2) + "\n");
  ' "$solcjs" "$src" "$name" "$out/$name.bin" "$out/$name.abi.json"
  if [[ "$out" != "$CONTRACTS" ]]; then
    cmp -s "$out/$name.bin" "$CONTRACTS/$name.bin" || { log "$name.bin differs from a fresh compile"; exit 1; }
    cmp -s "$out/$name.abi.json" "$CONTRACTS/$name.abi.json" || { log "$name.abi.json differs from a fresh compile"; exit 1; }
  fi
  log "$name: $(( $(wc -c < "$out/$name.bin") / 2 )) bytes of creation bytecode"
done
