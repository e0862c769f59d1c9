'use strict';
const test = require('node:test');
const assert = require('node:assert');
const ct = require('..');
const { ETH_1H, dataPath, collectGarbage } = require('./helpers');
const { F } = require('../lib/lib');

const H = 3600000;
const eth = ct.Feed.load(dataPath(ETH_1H));

test('load reports symbol, interval, rows', () => {
  // binance_ETHUSDT_1h_...: first open time 2017-08-17T04:00Z = 1502942400000 ms.
  assert.strictEqual(eth.symbol, 'ETHUSDT');
  assert.strictEqual(eth.interval, '1h');
  assert.strictEqual(eth.time[0], 1502942400000n);
  assert.strictEqual(eth.close.length, eth.length);
});

test('columns are zero-copy views of the library memory', () => {
  const c = eth.close;
  assert.ok(c instanceof Float64Array);
  const koffi = require('koffi');
  // Same bytes as the C pointer: read row 5 through koffi.decode of ct_feed_close.
  const viaC = koffi.decode(F.ct_feed_close(eth.handle), 'double', 6)[5];
  assert.strictEqual(c[5], viaC);
});

test('a view keeps its feed alive through garbage collection', () => {
  let f = ct.Feed.fromArrays({ time: [0, H, 2 * H], open: [1, 2, 3], high: [2, 3, 4], low: [1, 1, 2], close: [1.5, 2.5, 3.5], volume: [1, 1, 1] });
  const close = f.close;
  f = null;
  collectGarbage();
  const junk = Array.from({ length: 1000 }, () => new Float64Array(100));
  assert.ok(junk.length);
  assert.deepStrictEqual(Array.from(close), [1.5, 2.5, 3.5]);
});

test('fromArrays validates and names the row', () => {
  assert.throws(() => ct.Feed.fromArrays({ time: [0, H], open: [1, 2], high: [2, 3], low: [1, 1], close: [1.5, -2], volume: [1, 1] }),
    (e) => e instanceof ct.DataError && /row 1/.test(e.message) && e.statusName === 'CT_E_DATA');
});

test('wrong argument types are TypeErrors', () => {
  assert.throws(() => ct.Feed.load(42), TypeError);
  assert.throws(() => ct.Feed.fromArrays({ time: 'x', open: [], high: [], low: [], close: [], volume: [] }), TypeError);
  assert.throws(() => ct.Feed.fromArrays({ time: [0], open: ['a'], high: [1], low: [1], close: [1], volume: [1] }), TypeError);
  assert.throws(() => new ct.Feed(1), TypeError);
  assert.throws(() => eth.resample({}), TypeError);
});

test('resample to 4h matches a hand aggregation of the first complete bucket', () => {
  const r = eth.resample('4h');
  assert.strictEqual(r.interval, '4h');
  const t0 = Number(r.time[0]);
  const i = eth.time.findIndex((t) => Number(t) === t0);
  assert.strictEqual(r.open[0], eth.open[i]);
  assert.strictEqual(r.close[0], eth.close[i + 3]);
  assert.strictEqual(r.high[0], Math.max(...eth.high.slice(i, i + 4)));
  assert.strictEqual(r.low[0], Math.min(...eth.low.slice(i, i + 4)));
});

test('slice, gaps, save/load round trip', (t) => {
  const day = eth.slice('2020-01-01', '2020-01-02');
  assert.strictEqual(day.length, 24);
  assert.strictEqual(day.time[0], 1577836800000n);
  const g = ct.Feed.fromArrays({ time: [0, H, 4 * H], open: [1, 1, 1], high: [1, 1, 1], low: [1, 1, 1], close: [1, 1, 1], volume: [1, 1, 1] }, { interval: '1h' });
  assert.deepStrictEqual(g.gaps(), [{ afterMs: H, beforeMs: 4 * H, missing: 2 }]);
  const os = require('os'); const path = require('path'); const fs = require('fs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-node-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const p = path.join(dir, 'ETHUSDT_1h.ctz');
  day.save(p);
  const back = ct.Feed.load(p);
  assert.deepStrictEqual(Array.from(back.close), Array.from(day.close));
  const fromBytes = ct.Feed.fromCtz(fs.readFileSync(p));
  assert.strictEqual(fromBytes.length, 24);
});

test('indicators from the table', () => {
  const names = ct.ta.indicators().map((i) => i.name);
  for (const n of ['sma', 'rsi', 'macd', 'bbands', 'atr']) assert.ok(names.includes(n) && typeof ct.ta[n] === 'function');
  const sma = ct.ta.sma([1, 2, 3, 4], 2);
  assert.ok(Number.isNaN(sma[0]));
  assert.deepStrictEqual(Array.from(sma.slice(1)), [1.5, 2.5, 3.5]); // hand: (1+2)/2, (2+3)/2, (3+4)/2
  const m = ct.ta.macd(eth, { fast: 12, slow: 26, signal: 9 });
  assert.deepStrictEqual(Object.keys(m), ['macd', 'signal', 'hist']);
  assert.strictEqual(ct.ta.lookback('macd'), 33); // TA-Lib MACD(12,26,9) lookback (reference/README.md)
  assert.throws(() => ct.ta.rsi('abc'), TypeError);
  assert.throws(() => ct.ta.rsi([1, 2, 3], 0), ct.RangeError);
  const s = new ct.ta.Stream('rsi', 14);
  const batch = ct.ta.rsi(eth.close.slice(0, 200), 14);
  const streamed = Array.from(eth.close.slice(0, 200), (c) => s.update(c));
  assert.deepStrictEqual(streamed, Array.from(batch));
});

test('dispose() never leaves a view dangling', () => {
  const f = ct.Feed.fromArrays({ time: [0, H], open: [1, 2], high: [2, 3], low: [1, 1], close: [1.5, 2.5], volume: [1, 1] });
  const close = f.close;
  f.dispose();
  collectGarbage();
  assert.deepStrictEqual(Array.from(close), [1.5, 2.5]);   // still the feed's memory, kept alive
  assert.throws(() => ct.backtest(f, 'rsi'), ct.StateError);
  const g = ct.Feed.fromArrays({ time: [0, H], open: [1, 2], high: [2, 3], low: [1, 1], close: [1.5, 2.5], volume: [1, 1] });
  g.dispose();                                              // no views: freed at once
  assert.throws(() => g.length, ct.StateError);            // not a silent 0
});

test('versions and log level', () => {
  assert.strictEqual(ct.abiVersion(), ct.ABI_VERSION);
  const [maj, min, pat] = ct.version().split('.').map(Number);
  assert.strictEqual(ct.versionNumber(), maj * 10000 + min * 100 + pat);
  const old = ct.logLevel();
  ct.setLogLevel('error');
  assert.strictEqual(ct.logLevel(), 'error');
  ct.setLogLevel(old);
  assert.throws(() => ct.setLogLevel('loud'), TypeError);
});

test('a library with another ABI, or none, is refused with a clear error', (t) => {
  const { spawnSync, execFileSync } = require('child_process');
  const fs = require('fs'); const os = require('os'); const path = require('path');
  const load = (lib) => spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(__dirname, '..'))})`], { env: { ...process.env, CRYPTOTA_LIB: lib } });
  const bad = load('/nonexistent/libcryptota.so');
  assert.notStrictEqual(bad.status, 0);
  assert.match(bad.stderr.toString(), /CRYPTOTA_LIB/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-abi-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'fake.c'), 'int ct_abi_version(void) { return 99; }\n');
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-o', path.join(dir, 'libcryptota.so'), path.join(dir, 'fake.c')]);
  } catch (e) {
    t.skip('no C compiler');
    return;
  }
  const r = load(path.join(dir, 'libcryptota.so'));
  assert.notStrictEqual(r.status, 0);
  assert.match(r.stderr.toString(), /ABI 99.*needs ABI 1/);
});
