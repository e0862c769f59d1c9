#!/usr/bin/env node
'use strict';
// Binding benchmarks (issue 8), Node side: a built-in rsi backtest called from Node against the
// same call in C (ct_bind_ref bench) on 130k and 1M bars, and the per-bar cost of JavaScript
// strategy callbacks (an empty onBar, and the rsi rules) as bars/s against backtrader's.
// Usage: CRYPTOTA_LIB=build/lib/libcryptota.so CT_DATA_DIR=... CT_REF_DIR=... \
//        CT_BIND_REF=build/bin/ct_bind_ref node tests/bench/bench_bindings.js
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const ct = require(path.join(__dirname, '..', '..', 'bindings', 'node'));

const M1 = 'binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst';

function bestOf(fn, repeat) {
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

/** n bars of repeated copies of feed, times continuing, each copy scaled to start where the last ended. */
function tile(feed, n) {
  const k = feed.length;
  const cols = { open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
  const time = new BigInt64Array(n);
  const src = { open: feed.open, high: feed.high, low: feed.low, close: feed.close, volume: feed.volume };
  const step = BigInt(feed.intervalMs);
  let scale = 1;
  for (let i = 0; i < n; i++) {
    const j = i % k;
    if (j === 0 && i > 0) scale *= src.close[k - 1] / src.open[0];
    for (const c of ['open', 'high', 'low', 'close']) cols[c][i] = src[c][j] * scale;
    cols.volume[i] = src.volume[j];
    time[i] = feed.time[0] + BigInt(i) * step;
  }
  return ct.Feed.fromArrays({ time, ...cols }, { symbol: 'BTCUSDT', interval: feed.intervalMs });
}

/** [best seconds, minor page faults per call] of the same call in C. */
function cSeconds(file, repeat) {
  const exe = process.env.CT_BIND_REF || path.join(__dirname, '..', '..', 'build', 'bin', 'ct_bind_ref');
  return execFileSync(exe, ['bench', file, 'rsi', String(repeat)]).toString().trim().split(/\s+/).map(Number);
}

/** Minor page faults per call (after one warm-up call). */
function faultsPerCall(fn, repeat) {
  fn();
  const f0 = process.resourceUsage().minorPageFault;
  for (let i = 0; i < repeat; i++) fn();
  return (process.resourceUsage().minorPageFault - f0) / repeat;
}

class Empty extends ct.Strategy {
  static strategyName = 'bench_js_empty';
  onBar() {}
}

class JsRsi extends ct.Strategy {
  static strategyName = 'bench_js_rsi';
  static params = { rsi_period: 14, oversold: ct.param(30, { kind: 'real' }), overbought: ct.param(70, { kind: 'real' }) };
  onStart(ctx) { this.h = ctx.declare('rsi', this.params.rsi_period); }
  onBar(ctx) {
    const r = ctx.indicator(this.h);
    if (ctx.position === 0 && r < this.params.oversold) ctx.orderTarget(1);
    else if (ctx.position > 0 && r > this.params.overbought) ctx.closePosition();
  }
}

function main() {
  const data = process.env.CT_DATA_DIR;
  const basePath = path.join(data, M1);
  const base = ct.Feed.load(basePath);
  console.log(`cryptota ${ct.version()} Node binding benchmark (node ${process.version}, koffi ${require(path.join(__dirname, '..', '..', 'bindings', 'node', 'node_modules', 'koffi')).version})`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bench-'));
  try {
    const big = tile(base, 1000000);
    const bigPath = path.join(tmp, 'BTCUSDT_1m_1M.ctz');
    big.save(bigPath);
    console.log('\n1. built-in rsi backtest: Node call vs the same call in C');
    console.log('   (best of 5 rounds x 5 calls, C and Node rounds interleaved: the machine is shared)');
    console.log(`   ${'bars'.padStart(9)} ${'C ms'.padStart(9)} ${'Node ms'.padStart(10)} ${'ratio'.padStart(6)}   minor page faults per call: C, Node`);
    for (const [feed, file] of [[base, basePath], [big, bigPath]]) {
      let c = Infinity; let js = Infinity;
      for (let r = 0; r < 5; r++) {
        c = Math.min(c, cSeconds(file, 5)[0]);
        // dispose() frees the result at once, as the C loop and Python's refcounting do; left
        // to the garbage collector, each call would touch fresh pages for its curves.
        js = Math.min(js, bestOf(() => ct.backtest(feed, 'rsi').dispose(), 5));
      }
      const cf = cSeconds(file, 5)[1];
      const jf = faultsPerCall(() => ct.backtest(feed, 'rsi').dispose(), 4);
      console.log(`   ${String(feed.length).padStart(9)} ${(c * 1e3).toFixed(3).padStart(9)} ${(js * 1e3).toFixed(3).padStart(10)} ${(js / c).toFixed(3).padStart(6)}   ${cf.toFixed(0).padStart(8)} ${jf.toFixed(0).padStart(8)}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const refDir = path.join(process.env.CT_REF_DIR || '', 'backtests');
  const bps = fs.existsSync(refDir) ? fs.readdirSync(refDir).filter((f) => f.startsWith('bt_next_open_')).map((f) => JSON.parse(fs.readFileSync(path.join(refDir, f))).bars_per_second).sort((a, b) => a - b) : [];
  const bt = bps.length ? (bps[(bps.length - 1) >> 1] + bps[bps.length >> 1]) / 2 : NaN;
  console.log(`\n2. JavaScript strategy callbacks on ${base.length} bars (best of 5); backtrader 1.9.78, same rules: ${Math.round(bt)} bars/s (median of ${bps.length} reference runs)`);
  for (const cls of [Empty, JsRsi]) {
    const s = bestOf(() => ct.backtest(base, cls), 5);
    const rate = base.length / s;
    console.log(`   ${cls.strategyName.padEnd(16)} ${Math.round(rate).toLocaleString('en').padStart(12)} bars/s  ${(s / base.length * 1e6).toFixed(2).padStart(6)} us/bar  ${(rate / bt).toFixed(1).padStart(6)}x backtrader`);
  }
  const a = ct.backtest(base, 'rsi'); const b = ct.backtest(base, JsRsi);
  console.log(`   (bench_js_rsi reproduces rsi: ${a.equity.every((v, i) => v === b.equity[i])})`);
}

main();
