#!/usr/bin/env bash
# The knee of every shipped EVM workload on anvil (1 s blocks, 30M gas): a
# saturation search per workload (the objective of scenarios/evm-saturate.toml:
# at least 99% landed, included p99 within 2 s), then one line per workload:
# the knee (landed tx/s at >= 99% landed), included p50 / p99 at the knee's
# probe, gas (mean, from receipts) and fee per transaction, and the gas
# bound 30M / gas beside it.
# About three minutes per workload; run it on an otherwise idle machine.
#
#   scripts/bench-workloads.sh                # every workload
#   scripts/bench-workloads.sh swap-hot mix   # some of them
#
# Results go to results/bench-workloads/<workload>/ (override with OUT=...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out="${OUT:-results/bench-workloads}"
# name | [workload] tables | the search's first rate
workloads=(
  "transfer|kind = \"transfer\"|400"
  "token|kind = \"token\"|200"
  "swap-hot|kind = \"swap\"\nwrites = \"hot\"|150"
  "swap-disjoint|kind = \"swap\"\nwrites = \"disjoint\"|150"
  "storage-1x0|kind = \"storage\"\n[workload.storage]\nslots = 1\nloops = 0|250"
  "storage-4x100|kind = \"storage\"\n[workload.storage]\nslots = 4\nloops = 100|100"
  "deploy|kind = \"deploy\"|120"
  "mix|[[workload.mix]]\nkind = \"transfer\"\nshare = 0.6\n[[workload.mix]]\nkind = \"token\"\nshare = 0.3\n[[workload.mix]]\nkind = \"swap\"\nshare = 0.1|300"
)
wanted=("$@")

scripts/install-anvil.sh >/dev/null
cargo build --release --locked -p chainmeter-cli >&2
mkdir -p "$out"
rows=()
for entry in "${workloads[@]}"; do
  IFS='|' read -r name tables from <<<"$entry"
  if [[ ${#wanted[@]} -gt 0 && ! " ${wanted[*]} " =~ " $name " ]]; then continue; fi
  file="$out/$name.toml"
  printf '%b\n' "name = \"bench-$name\"
[accounts]
count = 64
[workload]
$tables
[load]
profile = \"saturate\"
[load.saturate]
from = $from
to = 3000
factor = 1.5
resolution = 0.04
probe = \"15s\"
probe_warmup = \"3s\"
[load.objective]
landed = 0.99
level = \"included\"
percentile = 99
latency = \"2s\"
[evm]
levels = [\"included\"]
block_time = \"1s\"
gas_limit = 30000000" >"$file"
  echo "== $name: $(grep -c . "$file") lines of scenario, searching from $from tx/s" >&2
  target/release/chainmeter run "$file" --out "$out/$name" -q >&2 || true
  rows+=("$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1] + "/result.json"));
    const k = r.knee, at = k ? r.steps[k.step] : null;
    const inc = at ? at.levels.find(l => l.level === "included") : null;
    const gas = Math.round(at ? at.fees.compute_per_tx.mean : r.fees.compute_per_tx.mean);
    const gwei = at ? (at.fees.mean / 1e9).toFixed(0) : "-";
    const ok = r.verification && r.verification.checks.every(c => c.chain === c.recorded) && !r.verification.error;
    console.log(`| ${process.argv[2]} | ${k ? k.landed_per_s.toFixed(0) : "none held"} | ${inc ? (inc.latency_us.p50 / 1e3).toFixed(0) : "-"} / ${inc ? (inc.latency_us.p99 / 1e3).toFixed(0) : "-"} ms | ${gas} | ${Math.floor(30e6 / gas)} | ${gwei} gwei | ${ok ? "yes" : "NO"} |`);
  ' "$out/$name" "$name")")
done
echo
echo "| workload | knee, landed tx/s | included p50 / p99 at the knee | gas mean | bound 30M / gas | fee mean | verified |"
echo "|---|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
