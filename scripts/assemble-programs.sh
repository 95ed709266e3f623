#!/usr/bin/env bash
# Assembles the Solana workloads' sBPF programs with sbpf from crates.io (built
# once into .tools/, offline after that; nothing is downloaded at run time) and
# writes <name>.so beside each <name>.s in crates/solana/programs/. The
# committed .so files are what chainmeter loads into solana-test-validator;
# the test script re-assembles and compares.
#
#   scripts/assemble-programs.sh            # assemble and write
#   scripts/assemble-programs.sh --check    # assemble to a temp dir and compare
set -euo pipefail

SBPF_VERSION="0.3.3"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${CHAINMETER_TOOLS:-$ROOT/.tools}"
PROGRAMS="$ROOT/crates/solana/programs"
log() { echo "assemble-programs: $*" >&2; }

PREFIX="$TOOLS/sbpf"
sbpf="$PREFIX/bin/sbpf"
installed() { [[ -x "$sbpf" ]] && "$sbpf" --version 2>/dev/null | grep -q " $SBPF_VERSION\$"; }
if ! installed; then
  mkdir -p "$PREFIX"
  exec 9>"$PREFIX/.install.lock"
  flock 9
  if ! installed; then
    log "building sbpf $SBPF_VERSION from crates.io into $PREFIX (a few minutes, once)"
    nice cargo install --quiet --locked --root "$PREFIX" sbpf --version "$SBPF_VERSION" >&2
  fi
fi

check=false
if [[ "${1:-}" == "--check" ]]; then check=true; fi
status=0
for src in "$PROGRAMS"/*.s; do
  name="$(basename "$src" .s)"
  # sbpf builds a project: src/<name>/<name>.s into deploy/<name>.so.
  work="$(mktemp -d)"
  mkdir -p "$work/src/$name"
  cp "$src" "$work/src/$name/$name.s"
  (cd "$work" && "$sbpf" build >&2) || { log "sbpf could not assemble $src"; rm -rf "$work"; exit 1; }
  built="$work/deploy/$name.so"
  if $check; then
    if cmp -s "$built" "$PROGRAMS/$name.so"; then
      log "$name.so is what $name.s assembles to"
    else
      log "$name.so differs from what $name.s assembles to: run scripts/assemble-programs.sh"
      status=1
    fi
  else
    cp "$built" "$PROGRAMS/$name.so"
    log "wrote $PROGRAMS/$name.so ($(stat -c %s "$built") bytes)"
  fi
  rm -rf "$work"
done
exit $status
