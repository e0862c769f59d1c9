'use strict';
// Integer and flag arguments: koffi truncates 1.5 to 1, turns NaN and numbers outside the C
// type into its minimum and wraps BigInts (2n ** 64n to 0), so each is checked before the call;
// CSV bytes reach the parser as they are.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ct = require('..');
const { ETH_1H, dataPath } = require('./helpers');

const H = 3600000;
const eth = ct.Feed.load(dataPath(ETH_1H));
const small = eth.slice(null, '2018-06-01');
const cols = { open: [1, 2, 3], high: [2, 3, 4], low: [1, 1, 1], close: [1.5, 2.5, 3.5], volume: [1, 1, 1] };
const fits = (name) => (e) => e instanceof ct.RangeError && e.message.includes(name) && /does not fit/.test(e.message);

test('Feed.fromArrays refuses times outside int64 (BigInt64Array wrapped them)', () => {
  // 2n ** 64n + 7200000n became 7200000: a valid third bar, silently.
  assert.throws(() => ct.Feed.fromArrays({ ...cols, time: [0n, BigInt(H), 2n ** 64n + 2n * BigInt(H)] }), fits('time[2]'));
  assert.throws(() => ct.Feed.fromArrays({ ...cols, time: [0, H, 2 ** 64 + 8192] }), fits('time[2]'));
  assert.throws(() => ct.Feed.fromArrays({ ...cols, time: BigUint64Array.from([0n, BigInt(H), 2n ** 64n - 1n]) }), fits('time[2]'));
  assert.throws(() => ct.Feed.fromArrays({ ...cols, time: [new Date(0), new Date(NaN), new Date(2 * H)] }), (e) => e instanceof RangeError && /time\[1\] is an invalid Date/.test(e.message));
  assert.throws(() => ct.Feed.fromArrays({ ...cols, time: [0, 1.5, 2 * H] }), (e) => e instanceof TypeError && /found 1\.5 at \[1\]/.test(e.message));
  const f = ct.Feed.fromArrays({ ...cols, time: [-(2n ** 63n) + 1n, 0n, 2n ** 63n - 1n] }, { interval: 1 });
  assert.deepStrictEqual(Array.from(f.time), [-(2n ** 63n) + 1n, 0n, 2n ** 63n - 1n]);
  assert.throws(() => ct.Feed.fromArrays({ ...cols, time: [0, H, 2 * H] }, { copy: 'no' }), TypeError);
});

test('slice bounds outside int64 or invalid Dates are errors, not other bounds', () => {
  // slice(0, 2n ** 64n) ended at 0 (no rows); slice(0, 2 ** 63) ended at INT64_MIN.
  assert.strictEqual(eth.slice(0, 2n ** 63n - 1n).length, eth.length);
  assert.strictEqual(eth.slice(-(2n ** 63n), null).length, eth.length);
  assert.throws(() => eth.slice(0, 2n ** 64n), fits('end'));
  assert.throws(() => eth.slice(0, 2 ** 63), fits('end'));
  assert.throws(() => eth.slice(-(2n ** 64n) + 1500000000000n), fits('start'));
  assert.throws(() => eth.slice(new Date(NaN)), (e) => e instanceof RangeError && /start is an invalid Date/.test(e.message));
  assert.throws(() => eth.resample(2 ** 64), fits('interval'));
  assert.throws(() => eth.resample('4h', { partial: 'yes' }), TypeError);
});

test('toJson point counts must be integers that fit int64', async () => {
  // toJson(1.5) thinned the curve to 2 points (the least), toJson(2n ** 64n + 2n) too.
  const res = ct.backtest(small, 'rsi');
  assert.strictEqual(JSON.parse(res.toJson(10)).equity_curve.length, 10);
  assert.throws(() => res.toJson(1.5), (e) => e instanceof TypeError && /maxEquityPoints must be an integer, not 1\.5/.test(e.message));
  assert.throws(() => res.toJson(NaN), TypeError);
  assert.throws(() => res.toJson(2n ** 64n + 2n), fits('maxEquityPoints'));
  assert.throws(() => res.toJson(1e300), fits('maxEquityPoints'));
  assert.strictEqual(JSON.parse(res.toJson(10n)).equity_curve.length, 10);
  const opt = await ct.optimize(small, 'rsi', { grid: { rsi_period: [10, 14, 21] } });
  assert.strictEqual(JSON.parse(opt.toJson(2)).rows.length, 2);
  assert.throws(() => opt.toJson(1.5), TypeError);     // kept 1 row
  assert.throws(() => opt.toJson(2n ** 64n + 1n), fits('topK')); // kept 1 row
});

test('optimizer settings: integers are checked, BigInt seeds keep every bit, flags are booleans', async () => {
  const random = { rsi_period: { from: 5, to: 30 }, oversold: { from: 20, to: 35 } };
  const draw = async (seed) => (await ct.optimize(small, 'rsi', { random, samples: 4, seed })).rows.map((r) => r.params).sort((a, b) => a.rsi_period - b.rsi_period || a.oversold - b.oversold);
  // A BigInt seed went through Number(): 2n ** 64n - 1n became 2 ** 64 and then seed 0, and
  // every seed above 2 ** 53 lost its low bits. Seeds are taken modulo 2 ** 64, as in Python.
  assert.deepStrictEqual(await draw(2n ** 64n - 1n), await draw(-1));
  assert.notDeepStrictEqual(await draw(2n ** 64n - 1n), await draw(0));
  assert.deepStrictEqual(await draw(2n ** 64n + 7n), await draw(7));
  assert.notDeepStrictEqual(await draw(2n ** 60n + 1n), await draw(2n ** 60n));
  await assert.rejects(ct.optimize(small, 'rsi', { random, seed: 1.5 }), TypeError);
  const grid = { rsi_period: [10, 14] };
  // threads 2 ** 32 reached C as -2147483648, minTrades 2 ** 63 as INT64_MIN.
  await assert.rejects(ct.optimize(small, 'rsi', { grid, threads: 2 ** 32 }), fits('threads 4294967296'));
  await assert.rejects(ct.optimize(small, 'rsi', { grid, minTrades: 2 ** 63 }), fits('minTrades'));
  await assert.rejects(ct.optimize(small, 'rsi', { grid, minTrades: 2n ** 64n }), fits('minTrades'));
  await assert.rejects(ct.optimize(small, 'rsi', { random, samples: 2n ** 64n + 3n }), fits('samples'));
  await assert.rejects(ct.optimize(small, 'rsi', { grid, shard: [0, 2 ** 64 + 1] }), fits('shard[1]'));
  await assert.rejects(ct.walkForward(small, 'rsi', { grid, train: 2n ** 64n + 2000n, test: 500 }), fits('train'));
  const few = await ct.optimize(small, 'rsi', { grid, minTrades: 2n });
  assert.strictEqual(few.total, 2);
  // maximize: "no" (or 0) maximized; anchored: "false" anchored the windows.
  await assert.rejects(ct.optimize(small, 'rsi', { grid, maximize: 'no' }), (e) => e instanceof TypeError && /maximize must be true or false/.test(e.message));
  await assert.rejects(ct.optimize(small, 'rsi', { grid, maximize: 0 }), TypeError);
  assert.strictEqual((await ct.optimize(small, 'rsi', { grid, maximize: false })).maximize, false);
  await assert.rejects(ct.walkForward(small, 'rsi', { grid, train: 2000, test: 500, anchored: 'false' }), TypeError);
});

test('fetch: an invalid Date or a time outside int64 is refused before any download', async () => {
  // end: new Date(NaN) reached C as INT64_MIN, which means "up to now": a silent download of everything.
  const url = 'http://127.0.0.1:9'; // never contacted
  await assert.rejects(ct.fetch('ETHUSDT', { start: '2020-01-01', end: new Date(NaN), baseUrl: url }), (e) => e instanceof RangeError && /end is an invalid Date/.test(e.message));
  await assert.rejects(ct.fetch('ETHUSDT', { start: 2n ** 64n, baseUrl: url }), fits('start'));
  await assert.rejects(ct.fetch('ETHUSDT', { start: '2020-01-01', futures: 'false', baseUrl: url }), (e) => e instanceof TypeError && /futures must be true or false/.test(e.message));
  // An empty list reached C as a NULL output ("ct_fetcher_klines_many: out is NULL").
  await assert.rejects(ct.fetch([], { start: '2020-01-01', baseUrl: url }), (e) => e instanceof TypeError && /at least one symbol/.test(e.message));
});

test('log levels outside int32 are refused as such', () => {
  // 2 ** 32 reached C as -2147483648 ("level -2147483648 is not in 0..5").
  assert.throws(() => ct.setLogLevel(2 ** 32), fits('level 4294967296'));
});

test('Feed.fromCsv passes the bytes as they are (a UTF-8 BOM, non-ASCII text)', (t) => {
  // The text went through a latin1 string that koffi re-encoded as UTF-8: a BOM became 6 bytes
  // the parser did not recognise, and the last bytes of the text were cut off.
  const body = 'open_time,open,high,low,close,volume\n0,1,2,1,1.5,10\n3600000,1.5,2,1,1.75,12.25\n';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-node-csv-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bom.csv');
  fs.writeFileSync(file, '\uFEFF' + body);
  const ref = ct.Feed.load(file);
  assert.deepStrictEqual(Array.from(ref.volume), [10, 12.25]);
  for (const src of [fs.readFileSync(file), '\uFEFF' + body, new Uint8Array(fs.readFileSync(file))]) {
    const f = ct.Feed.fromCsv(src);
    assert.deepStrictEqual(Array.from(f.time), Array.from(ref.time));
    assert.deepStrictEqual(Array.from(f.volume), [10, 12.25]);
    assert.deepStrictEqual(Array.from(f.close), [1.5, 1.75]);
  }
  // Binance layout: non-ASCII in the ignored 12th column of the first row; the last row intact.
  const b12 = '0,1,2,1,1.5,10,3599999,15,5,2,3,\u00e9\u00e9\u00e9\u00e9\n3600000,1.5,2,1,1.75,12.25,7199999,15,5,2,3,0\n';
  const g = ct.Feed.fromCsv(b12);
  assert.deepStrictEqual(Array.from(g.volume), [10, 12.25]);
  assert.throws(() => ct.Feed.fromCsv(body, { symbol: 5 }), TypeError);
});

test('a misspelt option is a TypeError naming it (it was ignored and its default used)', async () => {
  const unknown = (key) => (e) => e instanceof TypeError && e.message.includes(`unknown option "${key}"`);
  // {metirc: 'cagr'} ranked by sharpe_ratio; {captial: 100} ran with 10000
  await assert.rejects(ct.optimize(small, 'rsi', { grid: { rsi_period: [10, 14] }, metirc: 'cagr' }), unknown('metirc'));
  assert.throws(() => ct.optimizeSync(small, 'rsi', { grid: { rsi_period: [10] }, thread: 1 }), unknown('thread'));
  await assert.rejects(ct.walkForward(small, 'rsi', { grid: { rsi_period: [10] }, train: 500, test: 200, purg: 5 }), unknown('purg'));
  assert.throws(() => ct.backtest(small, 'rsi', { captial: 100 }), unknown('captial'));
  assert.throws(() => ct.Feed.load(dataPath(ETH_1H), { gap: 'fill' }), unknown('gap'));
  assert.throws(() => ct.Feed.fromArrays({ ...cols, time: [0, H, 2 * H] }, { intervall: '1h' }), unknown('intervall'));
  assert.throws(() => small.resample('4h', { partal: true }), unknown('partal'));
  assert.throws(() => ct.Feed.fromCsv(dataPath(ETH_1H), { interval: '4h' }), (e) => e instanceof RangeError && /does not match the file's 1h/.test(e.message));
  // the known ones still work
  assert.strictEqual(ct.backtest(small, 'rsi', { capital: 100, slippageBps: 1 }).equity[0], 100);
  assert.strictEqual(ct.Feed.fromCsv(dataPath(ETH_1H), { interval: '1h', symbol: 'X' }).symbol, 'X');
});
