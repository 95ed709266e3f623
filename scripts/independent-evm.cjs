// An independent EVM client, to check chainmeter's inclusion latency against:
// pre-signed ETH transfers (micro-eth-signer, from Hardhat's dependencies)
// from anvil's ten dev accounts, sent open loop at RATE tx/s in JSON-RPC
// batches over a WebSocket (TCP_NODELAY, as Node sets by default), each
// transaction timed from its intended send time to the arrival of the
// newHeads of the block that holds it, read on a second WebSocket. Only
// what was sent after WARMUP seconds counts, as in a chainmeter run.
//
// Run by scripts/bench-independent-evm.sh, which starts the node; not a test.
// WRITES=disjoint sends each transfer to a new receiver (chainmeter's
// default), WRITES=hot (the default here) all to one.
//
//   node scripts/independent-evm.cjs WS_URL RATE SECONDS WARMUP
"use strict";
const path = require("path");
const modules = path.join(__dirname, "..", ".tools", "hardhat", "node_modules");
const { Transaction } = require(path.join(modules, "micro-eth-signer"));
const WebSocket = require(path.join(modules, "ws"));

const [url, rate, seconds, warmup] = [
  process.argv[2],
  Number(process.argv[3] || 1000),
  Number(process.argv[4] || 25),
  Number(process.argv[5] || 5),
];
// anvil's well-known dev keys (mnemonic "test test ... junk"), public by design.
const KEYS = [
  "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];
const total = Math.round(rate * seconds);
const disjoint = process.env.WRITES === "disjoint";
const receiver = (i) =>
  disjoint ? "0x" + (0x1000000n + BigInt(i)).toString(16).padStart(40, "0") : "0x000000000000000000000000000000000000dEaD";
const signed = [];
const nonces = KEYS.map(() => 0n);
for (let i = 0; i < total; i++) {
  const k = i % KEYS.length;
  const tx = Transaction.prepare({
    to: receiver(i),
    value: 1n,
    nonce: nonces[k]++,
    chainId: 31337n,
    maxFeePerGas: 20_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
    gasLimit: 21000n,
  }).signBy(KEYS[k]);
  signed.push(tx);
}
const txs = signed.map((tx) => ({ raw: tx.toHex(true), hash: "0x" + tx.hash }));
// Sending starts a second after signing ends, once both sockets are open.
const start = performance.now() + 1000;

const intended = new Map(); // hash -> intended ms
const latencies = [];
let id = 0;
const send = new WebSocket(url);
const heads = new WebSocket(url);
const reads = new Map();
send.on("message", (data) => {
  const m = JSON.parse(data);
  for (const r of Array.isArray(m) ? m : [m]) {
    if (r.error) console.error("refused:", r.error.message);
    const cb = reads.get(r.id);
    if (cb) {
      reads.delete(r.id);
      cb(r.result);
    }
  }
});
heads.on("message", (data) => {
  const at = performance.now();
  const m = JSON.parse(data);
  if (!m.params) return;
  const number = m.params.result.number;
  const rid = ++id;
  reads.set(rid, (block) => {
    for (const h of block.transactions) {
      const t = intended.get(h);
      if (t !== undefined) {
        intended.delete(h);
        if (t >= start + warmup * 1000) latencies.push(at - t);
      }
    }
  });
  send.send(JSON.stringify({ jsonrpc: "2.0", id: rid, method: "eth_getBlockByNumber", params: [number, false] }));
});
let opened = 0;
const ready = () => {
  if (++opened < 2) return;
  heads.send(JSON.stringify({ jsonrpc: "2.0", id: 0, method: "eth_subscribe", params: ["newHeads"] }));
  let next = 0;
  const tick = () => {
    const now = performance.now();
    const batch = [];
    while (next < total && start + (next * 1000) / rate <= now) {
      const t = txs[next];
      intended.set(t.hash, start + (next * 1000) / rate);
      batch.push({ jsonrpc: "2.0", id: ++id, method: "eth_sendRawTransaction", params: [t.raw] });
      next++;
    }
    if (batch.length) send.send(JSON.stringify(batch.length === 1 ? batch[0] : batch));
    if (next < total) setTimeout(tick, Math.max(0, start + (next * 1000) / rate - performance.now()));
    else setTimeout(finish, 5000);
  };
  setTimeout(tick, Math.max(0, start - performance.now()));
};
send.on("open", ready);
heads.on("open", ready);
function finish() {
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const measured = total - Math.ceil(warmup * rate);
  console.log(
    `independent client: ${rate} tx/s, ${disjoint ? "disjoint" : "hot"} writes, ${latencies.length} of ${measured} measured included; ` +
      `included p50 ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms`
  );
  process.exit(0);
}
