#!/usr/bin/env bash
# What the harness costs: its CPU per transaction (while sending) and peak
# RSS, beside the validator's CPU per transaction and one signature's cost
# measured in the same sitting, at 1 tx/s (the fixed cost: at 1 tx/s the
# CPU per transaction is the CPU per second), at 100, 200 and 1,000 tx/s and
# near each chain's knee; then one timer wake-up's CPU, the floor of an
# open-loop sender's cost per transaction at low rates. A benchmark, not a
# test: run it on an otherwise idle machine. Each run sends for 20 s after a
# 5 s warm-up and records the first levels only.
#
#   scripts/bench-cost.sh                       # both chains
#   CHAINS=evm scripts/bench-cost.sh            # one chain
#   CHAINS=solana-tpu scripts/bench-cost.sh     # Solana, sending to the TPU
#   EVM_RATES="100 1000" scripts/bench-cost.sh  # other rates
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

chains="${CHAINS:-evm solana}"
evm_rates="${EVM_RATES:-1 100 200 1000 1350}"
solana_rates="${SOLANA_RATES:-1 100 200 1000 5000}"
out="${OUT:-results/bench-cost-$(date -u +%Y%m%dT%H%M%SZ)}"

scripts/install-anvil.sh >/dev/null
scripts/install-solana-test-validator.sh >/dev/null
cargo build --release --locked -p chainmeter-cli
cargo bench --locked -p chainmeter-evm -p chainmeter-solana -p chainmeter-core --no-run
mkdir -p "$out"

row() { # chain rate signature-line result.json (Node.js: the machine has it for anvil)
  node -e '
    const [chain, rate, sig, path] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(path, "utf8"));
    const h = r.harness, v = h.validator || {};
    // Criterion: "time: [low estimate high]"; the estimate.
    const sigUs = parseFloat([...sig.matchAll(/([0-9.]+) µs/g)][1][1]);
    const f = (x) => (x === undefined ? "-" : x.toFixed(1));
    console.log(`| ${chain} | ${rate} | ${f(h.sending_cpu_us_per_tx)} | ${f(sigUs)} | ` +
      `${(h.sending_cpu_us_per_tx / sigUs).toFixed(1)}x | ${f(v.cpu_us_per_tx)} | ` +
      `${(h.max_rss_bytes / 1048576).toFixed(1)} MiB | ${r.outcomes.landed_ok}/${r.outcomes.sent} |`);
  ' "$@"
}

table="$out/cost.md"
{
  echo "| chain | tx/s | harness µs/tx | signature µs | ratio | validator µs/tx | harness peak RSS | landed |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
} >"$table"
for chain in $chains; do
  case "$chain" in
    evm) scenario=scenarios/evm-ceiling.toml rates="$evm_rates" crate=chainmeter-evm ;;
    solana) scenario=scenarios/solana-throughput.toml rates="$solana_rates" crate=chainmeter-solana ;;
    solana-tpu) scenario=scenarios/solana-tpu-throughput.toml rates="$solana_rates" crate=chainmeter-solana ;;
    *) echo "unknown chain $chain (evm, solana, solana-tpu)" >&2; exit 2 ;;
  esac
  # One signature's cost, in the same sitting (the criterion bench).
  sig="$(cargo bench --locked -q -p "$crate" --bench send_path -- "sign transfer" 2>/dev/null | awk '/time:/ && !seen { print; seen = 1 }')"
  echo "signature: $sig" >&2
  for rate in $rates; do
    dir="$out/$chain-$rate"
    echo "== $chain at $rate tx/s -> $dir" >&2
    target/release/chainmeter run "$scenario" --rate "$rate" --duration 20s --out "$dir" -q >/dev/null || true
    row "$chain" "$rate" "$sig" "$dir/result.json" >>"$table"
  done
done
# One sleep and wake-up's CPU: an open-loop sender's floor per transaction
# at low rates, where each send has a wake-up of its own.
wakes="$out/wake.md"
cargo bench --locked -q -p chainmeter-core --bench wake >"$wakes"
cat "$table"
echo
cat "$wakes"
echo "tables: $table $wakes" >&2
