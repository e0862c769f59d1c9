'use strict';
// Lifetimes of native memory: a Feed disposed while a run reads it, Feed and Result used after
// dispose(), and ctx.series() views (they keep the run's Feed alive, like its column views).
const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { spawnSync } = require('child_process');
const ct = require('..');
const { ETH_1H, dataPath } = require('./helpers');

const GRID = { rsi_period: [10, 14, 21, 30], oversold: [20, 25, 30] };

test('a Feed disposed during optimize, walkForward or a backtest is freed when the run ends', async () => {
  // feed.dispose() freed the feed at once, under the optimizer's worker threads (which read
  // freed memory: a segmentation fault here), and under a running backtest; a ctx.series()
  // view kept past its callback read the freed feed too.
  const p = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'fixtures', 'dispose_during_run.js'), dataPath(ETH_1H)],
    { timeout: 240000, maxBuffer: 1 << 24 });
  assert.strictEqual(p.signal, null, `the child was killed by ${p.signal}: ${p.stderr}`);
  assert.strictEqual(p.status, 0, String(p.stderr));
  const got = JSON.parse(p.stdout.toString());
  const feed = ct.Feed.load(dataPath(ETH_1H));
  const opt = await ct.optimize(feed, 'rsi', { grid: GRID, threads: 2 });
  assert.deepStrictEqual(got.optimize, opt.rows.map((r) => r.objective));
  assert.strictEqual(got.freedAfterOptimize, true);
  assert.strictEqual(got.disposedThrows, 'StateError');
  const wf = await ct.walkForward(feed, 'rsi', { grid: GRID, train: 8000, test: 2000, threads: 2 });
  assert.deepStrictEqual(got.walkForward, { windows: wf.windows.length, last: wf.equity[wf.equity.length - 1] });
  const rsi = ct.backtest(feed, 'rsi');
  assert.ok(rsi.tradeCount > 20);
  assert.deepStrictEqual(got.disposedInCallback, { trades: rsi.tradeCount, finalEquity: rsi.finalEquity, freed: true });
  assert.deepStrictEqual(got.series, { length: 101, first: feed.close[0], last: feed.close[100] });
});

test('a disposed Feed or Result throws StateError instead of answering 0, NaN or empty', () => {
  // feed.length was 0, feed.close an empty array and ct.ta.rsi(feed) an empty result;
  // res.length 0, res.equity empty, res.finalEquity NaN, res.params {}.
  const feed = ct.Feed.load(dataPath(ETH_1H));
  const res = ct.backtest(feed, 'rsi');
  void res.metrics; void res.trades; // cached before dispose: still refused after
  res.dispose();
  res.dispose(); // twice is fine
  for (const use of [() => res.length, () => res.equity, () => res.time, () => res.finalEquity, () => res.params,
    () => res.strategy, () => res.trades, () => res.metrics, () => res.metric('sharpe_ratio'), () => res.toJson(),
    () => res.openPosition, () => res.cacheKey(), () => res.tradeCount]) {
    assert.throws(use, (e) => e instanceof ct.StateError && /Result was disposed/.test(e.message));
  }
  assert.strictEqual(String(res), 'Result(disposed)');
  feed.dispose();
  feed.dispose();
  for (const use of [() => feed.length, () => feed.close, () => feed.time, () => feed.symbol, () => feed.interval,
    () => feed.missingBars, () => ct.ta.rsi(feed, 14), () => ct.ta.atr(feed), () => feed.slice(null, null),
    () => feed.resample('4h'), () => feed.clone(), () => feed.gaps(), () => { feed.symbol = 'X'; }]) {
    assert.throws(use, (e) => e instanceof ct.StateError && /Feed was disposed/.test(e.message));
  }
  assert.strictEqual(String(feed), 'Feed(disposed)');
});

class SeriesCheck extends ct.Strategy {
  static strategyName = 'js_series_check';
  static params = { hold: 25 };
  onBar(ctx) {
    SeriesCheck.calls++;
    const close = ctx.series('close'); const open = ctx.series('open');
    if (close.length !== ctx.bar + 1 || close[ctx.bar] !== ctx.close || open[ctx.bar] !== ctx.open ||
        (ctx.bar >= 3 && close[ctx.bar - 3] !== ctx.price('close', 3))) SeriesCheck.bad++;
    if (ctx.bar % 50 === 0 && ctx.position === 0) ctx.orderTarget(1);
    else if (ctx.bar % 50 === this.params.hold && ctx.position > 0) ctx.closePosition();
  }
}

test('ctx.series() is rows 0..t of the run\'s feed, in a backtest and in walk-forward windows', async () => {
  const feed = ct.Feed.load(dataPath(ETH_1H)).slice(null, '2019-01-01');
  SeriesCheck.calls = 0; SeriesCheck.bad = 0;
  ct.backtest(feed, SeriesCheck);
  assert.strictEqual(SeriesCheck.calls, feed.length);
  assert.strictEqual(SeriesCheck.bad, 0);
  // Each window runs on rows of the feed that do not start at 0.
  SeriesCheck.calls = 0;
  const wf = await ct.walkForward(feed, SeriesCheck, { grid: { hold: [20, 30] }, train: 2000, test: 1000 });
  assert.ok(wf.windows.length >= 5);
  assert.ok(SeriesCheck.calls > feed.length);
  assert.strictEqual(SeriesCheck.bad, 0);
});
