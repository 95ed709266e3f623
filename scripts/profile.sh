#!/usr/bin/env bash
# Where the harness's own CPU goes: runs a scenario, attaches `perf record -e
# cpu-clock` (a software event: this works on virtual machines without
# hardware counters) to chainmeter once it sends, and sorts the samples into
# what they were spent on: signing, the kernel, the async runtime, the run
# loop, allocation, HTTP/WebSocket, JSON, the recorder and tracker,
# transaction building, other. A benchmark script, not a test: run it on an
# otherwise idle machine.
#
#   scripts/profile.sh SCENARIO [SECONDS]     # default: 25 s of sending sampled
#
# Needs perf (Debian: linux-perf) and python3. Writes profile-<name>.data and
# prints the table and the result's harness and validator CPU a transaction.
set -euo pipefail
scenario=${1:?usage: scripts/profile.sh SCENARIO [SECONDS]}
seconds=${2:-25}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$ROOT/target/release/chainmeter"
[[ -x "$bin" ]] || (cd "$ROOT" && cargo build --release -p chainmeter-cli >&2)
name="$(basename "$scenario" .toml)"
work="$(mktemp -d)"
log="$work/run.log"
"$bin" run "$scenario" --out "$work/out" -q --progress none >"$log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do grep -q "^sending" "$log" 2>/dev/null && break; sleep 0.5; done
sleep 5 # past the warm-up's first second
perf record -e cpu-clock -F 1000 -p "$pid" -o "profile-$name.data" -- sleep "$seconds" >/dev/null 2>&1
wait "$pid" || { cat "$log" >&2; exit 1; }
trap - EXIT
perf report -i "profile-$name.data" --stdio --sort dso,symbol --no-children 2>/dev/null >"$work/report.txt"
result="$(find "$work/out" -name result.json | head -1)"
python3 - "$work/report.txt" "$result" "$name" <<'PY'
import json, re, sys
report, result, name = sys.argv[1:]
# First match wins; the kernel is told apart by perf's [k].
cats = [
    ("signing (secp256k1/ed25519, their hashes)",
     r"k256|ecdsa|elliptic_curve|subtle::|sha2::|keccak|crypto_bigint|primeorder|hmac|rfc6979|::sign\b|ed25519|curve25519|solana_signature|Signer|signature::"),
    ("JSON (serde_json, RPC bodies)", r"serde_json|serde::|alloy_json_rpc|ryu|itoa|serde_core|base64|bs58"),
    ("HTTP / WebSocket (hyper, reqwest, tungstenite, url)", r"hyper|reqwest|h2::|tungstenite|http::|bytes::|httparse|want::|url::|idna"),
    ("run loop (pacing; select over node exit, signals)",
     r"chainmeter_orchestrate|chainmeter_localnet|stop_signal|poll_fn::PollFn|schedule::|pacer|runner::|Instrumented|future::Map|Pin<P>"),
    ("async runtime (tokio, mio, futures)", r"tokio|mio::|futures|epoll|parking_lot|atomic_waker|std::sync"),
    ("recorder, tracker, histograms", r"recorder|hdrhistogram|tracker|open_set|chain_view|interval|heads"),
    ("allocation and copies (libc)", r"malloc|free|memset|memmove|memcpy|_int_|realloc"),
    ("transaction building (alloy, solana-sdk)", r"alloy_consensus|alloy_rlp|alloy_primitives|alloy_eips|solana_|bincode|transaction"),
]
shares = {}
for line in open(report):
    m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)\s+-\s+-", line)
    if not m:
        continue
    p, kind, sym = float(m.group(1)), m.group(3), m.group(4)
    cat = "kernel (system calls, network, task switches)" if kind == "k" else next(
        (c for c, rx in cats if re.search(rx, sym)), "other")
    shares[cat] = shares.get(cat, 0.0) + p
h = json.load(open(result))["harness"]
print(f"{name}: harness {h['sending_cpu_us_per_tx']:.1f} µs/tx, "
      f"validator {h['validator']['cpu_us_per_tx']:.1f} µs/tx")
for cat, p in sorted(shares.items(), key=lambda x: -x[1]):
    print(f"  {p:5.1f}%  {cat}")
PY
rm -rf "$work"
