'use strict';
// optimize() on a worker thread without blocking the event loop; results equal single runs.
const test = require('node:test');
const assert = require('node:assert');
const ct = require('..');
const { ETH_1H, dataPath } = require('./helpers');

const eth = ct.Feed.load(dataPath(ETH_1H));
const GRID = { rsi_period: [10, 14, 21], oversold: [25, 30] };

test('optimize runs on a worker: the event loop keeps ticking', async () => {
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 1);
  const big = { rsi_period: { from: 5, to: 60 }, oversold: [20, 25, 30] };
  const p = ct.optimize(eth, 'rsi', { grid: big, threads: 1 });
  assert.ok(p instanceof Promise);
  const opt = await p;
  clearInterval(timer);
  assert.strictEqual(opt.evaluated, 56 * 3);
  assert.ok(ticks > 0, 'no timer tick while the search ran');
});

test('rows equal single backtests; progress reports', async () => {
  const seen = [];
  const opt = await ct.optimize(eth, 'rsi', { grid: GRID, threads: 2, onProgress: (p) => { seen.push(p.done); } });
  assert.strictEqual(opt.total, 6);
  for (const row of opt.rows.slice(0, 3)) {
    const res = ct.backtest(eth, 'rsi', { params: row.params });
    assert.strictEqual(row.objective, res.metrics.sharpe_ratio);
  }
  assert.strictEqual(seen[seen.length - 1], 6);
});

test('cancel from the progress callback; bad grids', async () => {
  await assert.rejects(ct.optimize(eth, 'rsi', { grid: { rsi_period: { from: 5, to: 60 } }, threads: 1, onProgress: () => false }), ct.CancelledError);
  await assert.rejects(ct.optimize(eth, 'rsi', { grid: { no_such: [1] } }), (e) => e instanceof ct.CryptotaError && /no_such/.test(e.message));
  await assert.rejects(ct.optimize(eth, 'rsi', { grid: 'x' }), TypeError);
  await assert.rejects(ct.optimize(eth, 'rsi', {}), TypeError);
});

test('optimizeSync gives the same table', async () => {
  const a = await ct.optimize(eth, 'rsi', { grid: GRID });
  const b = ct.optimizeSync(eth, 'rsi', { grid: GRID, threads: 1 });
  assert.deepStrictEqual(b.rows.map((r) => r.objective), a.rows.map((r) => r.objective));
});

test('walk-forward', async (t) => {
  let wf;
  try {
    wf = await ct.walkForward(eth, 'rsi', { grid: GRID, train: 4000, test: 1000 });
  } catch (e) {
    if (e instanceof ct.UnsupportedError) { t.skip('the library has no walk-forward yet'); return; }
    throw e;
  }
  assert.strictEqual(wf.windows.length, Math.floor((eth.length - 4000) / 1000));
  assert.deepStrictEqual(wf.windows[0].train, [0, 4000]);
  assert.strictEqual(wf.equity[0], 10000);
});
