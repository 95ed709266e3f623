#!/usr/bin/env bash
# Capacity with its spread: runs each shipped saturation search twice (or
# REPEATS times) in one sitting and tabulates each run's knee, its search
# time and probes, the knees' spread (largest minus smallest, as a share of
# their mean) and the bound the chain's block limit sets at the knee. A
# benchmark, not a test: run it on an otherwise idle machine, one validator
# at a time (each search starts and stops its own). The README's knee table
# comes from it.
#
#   scripts/bench-capacity.sh                                   # every search
#   SEARCHES="solana-saturate solana-token-saturate" scripts/bench-capacity.sh
#   REPEATS=3 scripts/bench-capacity.sh
#   BIN=/path/to/older/chainmeter scripts/bench-capacity.sh     # another build, for before/after
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

searches="${SEARCHES:-evm-saturate evm-token-saturate solana-saturate solana-token-saturate solana-tpu-saturate}"
repeats="${REPEATS:-2}"
out="${OUT:-results/bench-capacity-$(date -u +%Y%m%dT%H%M%SZ)}"

scripts/install-anvil.sh >/dev/null
scripts/install-solana-test-validator.sh >/dev/null
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --locked -p chainmeter-cli
  BIN=target/release/chainmeter
fi
mkdir -p "$out"
echo "chainmeter: $("$BIN" --version)" | tee "$out/build.txt" >&2

for search in $searches; do
  scenario="scenarios/$search.toml"
  [[ -f "$scenario" ]] || { echo "no $scenario" >&2; exit 2; }
  for k in $(seq 1 "$repeats"); do
    dir="$out/$search-$k"
    echo "== $search, run $k of $repeats -> $dir" >&2
    start=$(date +%s)
    # A search that ends without a knee (or a probe's verification) still
    # writes its result; the table says what it found.
    "$BIN" run "$scenario" --out "$dir" -q >"$dir.log" 2>&1 || echo "   exit $? (see $dir.log)" >&2
    echo "   $(( $(date +%s) - start )) s wall" >&2
  done
done

# The table (Node.js: the machine has it for anvil and Hardhat).
node - "$out" "$repeats" $searches >"$out/capacity.md" <<'JS'
const fs = require("fs");
const [out, repeats, ...searches] = process.argv.slice(2);
const f0 = (x) => (x === undefined || x === null ? "–" : x.toFixed(0));
console.log(`| search | knee by run (tx/s) | knees' spread | search time by run | probes by run | block limit's bound at the knee |`);
console.log(`|---|---:|---:|---:|---:|---:|`);
for (const search of searches) {
  const runs = [];
  for (let k = 1; k <= Number(repeats); k++) {
    const file = `${out}/${search}-${k}/result.json`;
    if (!fs.existsSync(file)) { runs.push(null); continue; }
    runs.push(JSON.parse(fs.readFileSync(file, "utf8")));
  }
  const knee = (r) => r && r.knee ? r.knee : null;
  const words = (r) => {
    const k = knee(r);
    if (!k) return "none";
    if (k.at_least) return `≥ ${f0(k.rate_per_s)}`;
    if (k.broke_per_s !== undefined && k.broke_per_s !== null) return `${f0(k.rate_per_s)}–${f0(k.broke_per_s)}`;
    return f0(k.rate_per_s);
  };
  const seconds = (r) => {
    if (!r) return "–";
    const s = knee(r) ? knee(r).search_s : (Date.parse(r.ended_at) - Date.parse(r.started_at)) / 1000;
    return `${Math.floor(s / 60)} min ${(s % 60).toFixed(0)} s`;
  };
  const rates = runs.map(knee).filter((k) => k).map((k) => k.rate_per_s);
  const mean = rates.reduce((a, b) => a + b, 0) / (rates.length || 1);
  const spread = rates.length > 1
    ? `${(100 * (Math.max(...rates) - Math.min(...rates)) / mean).toFixed(1)}%`
    : "–";
  // The result's own: the block limit over the knee's mean gas (or
  // compute units) per transaction, every block interval.
  const bound = (r) => {
    const k = knee(r);
    return k && k.block_bound_per_s ? f0(k.block_bound_per_s) : "–";
  };
  const probes = (r) => (r ? String(r.steps.length) : "–");
  console.log(`| ${search} | ${runs.map(words).join(", ")} | ${spread} | ` +
    `${runs.map(seconds).join(", ")} | ${runs.map(probes).join(", ")} | ${runs.map(bound).join(", ")} |`);
}
JS
cat "$out/capacity.md"
echo "capacity: $out/capacity.md" >&2
