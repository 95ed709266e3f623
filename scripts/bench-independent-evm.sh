#!/usr/bin/env bash
# chainmeter's EVM inclusion latency beside an independent client's, in one
# sitting: for each repeat, the independent client (scripts/independent-evm.cjs:
# pre-signed transfers, JSON-RPC batches over a WebSocket, timed from the
# intended send time to its block's newHeads arrival) on an anvil of its own,
# then `chainmeter run scenarios/evm-ceiling.toml --rate RATE` on the anvil
# chainmeter starts, both 5 s of warm-up and 20 s measured, 1 s blocks,
# 30,000,000 gas. A benchmark script, not a test: run it on an idle machine.
#
#   RATE=1000 REPEATS=2 WRITES=hot scripts/bench-independent-evm.sh
#
# WRITES: "hot" (every transfer to one receiver) or "disjoint" (a new
# receiver each, chainmeter's default), for both clients; default hot.
#
# Needs Node.js and Hardhat's packages (scripts/install-hardhat.sh) and anvil
# (scripts/install-anvil.sh). BIN: the chainmeter binary (default: a release
# build of this tree).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATE="${RATE:-1000}"
REPEATS="${REPEATS:-2}"
export WRITES="${WRITES:-hot}"
BIN="${BIN:-$ROOT/target/release/chainmeter}"
[[ -x "$BIN" ]] || (cd "$ROOT" && cargo build --release -p chainmeter-cli >&2)
"$ROOT/scripts/install-hardhat.sh" >/dev/null
anvil="${ANVIL:-$("$ROOT/scripts/install-anvil.sh")}"
work="$(mktemp -d)"
node_pid=""
cleanup() { [[ -n "$node_pid" ]] && kill "$node_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=18545
for i in $(seq 1 "$REPEATS"); do
  "$anvil" --host 127.0.0.1 --port "$port" --accounts 10 --block-time 1 \
    --gas-limit 30000000 --prune-history 8 --transaction-block-keeper 256 --silent &
  node_pid=$!
  for _ in $(seq 1 50); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
  node "$ROOT/scripts/independent-evm.cjs" "ws://127.0.0.1:$port" "$RATE" 25 5
  kill "$node_pid"; wait "$node_pid" 2>/dev/null || true; node_pid=""
  out="$work/run-$i"
  (cd "$ROOT" && "$BIN" run scenarios/evm-ceiling.toml --rate "$RATE" --duration 20s \
    --set "workload.writes=$WRITES" --out "$out" -q >/dev/null)
  python3 - "$out/result.json" "$RATE" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = next(x for x in r["levels"] if x["level"] == "included")["latency_us"]
print(f"chainmeter: {sys.argv[2]} tx/s, {r['workload'].get('writes', '?')} writes, {l['count']} measured included; "
      f"included p50 {l['p50']/1e3:.1f} ms, p90 {l['p90']/1e3:.1f} ms, p99 {l['p99']/1e3:.1f} ms")
PY
done
