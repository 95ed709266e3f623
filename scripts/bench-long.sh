#!/usr/bin/env bash
# Long runs: does the harness's memory stay flat as a run grows longer?
# Runs 30 minutes (DURATION) at a moderate rate (RATE) on each chain and
# prints the harness's peak RSS at 3 minutes and at the end, from the
# result's harness.peak_rss_by_minute. Goal: the 30-minute figure under
# 1.2x the 3-minute one. A benchmark, not a test: an idle machine, an hour.
#
#   scripts/bench-long.sh                          # both chains, 30 min each
#   CHAINS=solana DURATION=10m scripts/bench-long.sh
#   CHAINMETER=/tmp/chainmeter scripts/bench-long.sh  # a copy, so rebuilding meanwhile is safe
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

chains="${CHAINS:-evm solana}"
rate="${RATE:-500}"
duration="${DURATION:-30m}"
out="${OUT:-results/bench-long-$(date -u +%Y%m%dT%H%M%SZ)}"

scripts/install-anvil.sh >/dev/null
scripts/install-solana-test-validator.sh >/dev/null
cargo build --release --locked -p chainmeter-cli
mkdir -p "$out"

table="$out/memory.md"
{
  echo "| chain | tx/s | duration | peak RSS at 3 min | at end | ratio | landed |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
} >"$table"
for chain in $chains; do
  case "$chain" in
    evm) scenario=scenarios/evm-long.toml ;;
    solana) scenario=scenarios/solana-throughput.toml ;;
    *) echo "unknown chain $chain (evm, solana)" >&2; exit 2 ;;
  esac
  dir="$out/$chain"
  echo "== $chain at $rate tx/s for $duration -> $dir" >&2
  "${CHAINMETER:-target/release/chainmeter}" run "$scenario" --rate "$rate" --duration "$duration" --out "$dir" -q >/dev/null || true
  node -e '
    const [chain, rate, duration, path] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(path, "utf8"));
    const m = r.harness.peak_rss_by_minute || [];
    const mib = (b) => (b / 1048576).toFixed(1) + " MiB";
    const at3 = m[2], last = m[m.length - 1];
    console.log(`| ${chain} | ${rate} | ${duration} | ${at3 ? mib(at3) : "-"} | ` +
      `${last ? mib(last) + " (" + m.length + " min)" : "-"} | ` +
      `${at3 ? (last / at3).toFixed(2) + "x" : "-"} | ${r.outcomes.landed_ok}/${r.outcomes.sent} |`);
  ' "$chain" "$rate" "$duration" "$dir/result.json" >>"$table"
done
cat "$table"
echo "table: $table" >&2
