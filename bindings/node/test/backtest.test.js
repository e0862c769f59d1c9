'use strict';
// backtest(), Result, JavaScript strategies: equality with the C API and with the built-in
// rsi, exceptions in callbacks, garbage collection during a run, wrong types.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const ct = require('..');
const { ETH_1H, dataPath, refPath, cBacktest, same, collectGarbage } = require('./helpers');

const PARAMS = { rsi_period: 14, oversold: 30, overbought: 70 };
const CONFIG = { capital: 10000, commission: 0.001, fill: 'next_open' };
const eth = ct.Feed.load(dataPath(ETH_1H));

test('the smallest program matches backtrader', () => {
  const feed = ct.Feed.load(dataPath(ETH_1H));
  const res = ct.backtest(feed, 'rsi', { params: PARAMS, config: CONFIG });
  // backtrader 1.9.78, same rules (reference/backtests/bt_next_open_<ETH 1h>.json).
  const ref = JSON.parse(fs.readFileSync(refPath('backtests', `bt_next_open_${ETH_1H.replace('.csv.zst', '.json')}`)));
  assert.strictEqual(res.trades.length, ref.trades.length);
  const last = res.equity[res.equity.length - 1];
  assert.ok(Math.abs(last - ref.final_equity) <= 1e-9 * ref.final_equity);
  assert.strictEqual(typeof res.metrics.sharpe_ratio, 'number');
});

test('identical to the same backtest through C', () => {
  const doc = cBacktest(dataPath(ETH_1H), 'rsi', PARAMS, CONFIG);
  const res = ct.backtest(eth, 'rsi', { params: PARAMS, config: CONFIG });
  const m = res.metrics;
  for (const [k, v] of Object.entries(doc.metrics)) assert.ok(same(m[k], v), k);
  assert.strictEqual(res.trades.length, doc.trades.length);
  const key = { entryTimeMs: 'entry_time_ms', exitTimeMs: 'exit_time_ms', entryBar: 'entry_bar', exitBar: 'exit_bar', barsHeld: 'bars_held', entryPrice: 'entry_price', exitPrice: 'exit_price', entryCommission: 'entry_commission', exitCommission: 'exit_commission', pnlGross: 'pnl_gross', pnlNet: 'pnl_net', ret: 'return' };
  res.trades.forEach((t, i) => {
    const d = doc.trades[i];
    for (const [k, v] of Object.entries(t)) {
      if (k === 'side') assert.strictEqual(v === 1 ? 'long' : 'short', d.side);
      else assert.strictEqual(v, d[key[k] || k], `trade ${i} ${k}`);
    }
  });
  assert.strictEqual(res.equity.length, doc.equity_curve.length);
  for (let i = 0; i < res.equity.length; i++) {
    if (res.equity[i] !== doc.equity_curve[i][1]) assert.fail(`equity differs at bar ${i}`);
  }
  assert.strictEqual(res.finalEquity, doc.final_equity);
});

class JsRsi extends ct.Strategy {
  static strategyName = 'js_rsi';
  static params = {
    rsi_period: ct.param(14, { min: 2, max: 1000, step: 1 }),
    oversold: ct.param(30, { kind: 'real' }),
    overbought: ct.param(70, { kind: 'real' }),
    fraction: ct.param(1, { kind: 'real' }),
  };
  onStart(ctx) { this.rsi = ctx.declare('rsi', this.params.rsi_period); }
  onBar(ctx) {
    const r = ctx.indicator(this.rsi);
    if (ctx.position === 0 && r < this.params.oversold) ctx.orderTarget(this.params.fraction);
    else if (ctx.position > 0 && r > this.params.overbought) ctx.closePosition();
  }
}

for (const params of [{}, { rsi_period: 21, oversold: 25, overbought: 75 }]) {
  test(`a JavaScript rsi equals the built-in rsi ${JSON.stringify(params)}`, () => {
    const a = ct.backtest(eth, 'rsi', { params });
    const b = ct.backtest(eth, JsRsi, { params });
    assert.strictEqual(b.strategy, 'js_rsi');
    assert.deepStrictEqual(Array.from(b.equity), Array.from(a.equity));
    assert.deepStrictEqual(b.trades, a.trades);
    assert.ok(a.trades.length > 20);
  });
}

class Boom extends ct.Strategy {
  static strategyName = 'js_boom';
  onBar(ctx) { if (ctx.bar === 100) throw new SyntaxError('boom at bar 100'); }
}

test('an exception in a callback stops the run and is rethrown as is', () => {
  assert.throws(() => ct.backtest(eth, Boom), (e) => e instanceof SyntaxError && e.message === 'boom at bar 100' && /onBar/.test(e.stack));
  assert.ok(ct.backtest(eth, 'rsi').trades.length > 0);
});

class BadStart extends ct.Strategy {
  static strategyName = 'js_bad_start';
  onStart(ctx) { ctx.declare('no_such_indicator', 3); }
  onBar() {}
}

test('a library error inside a callback surfaces as its CryptotaError', () => {
  assert.throws(() => ct.backtest(eth, BadStart), (e) => e instanceof ct.NotFoundError && /no_such_indicator/.test(e.message));
});

class Collector extends ct.Strategy {
  static strategyName = 'js_gc';
  init() { this.bars = 0; this.fills = []; }
  onBar(ctx) {
    this.bars++;
    if (ctx.bar % 1000 === 0) collectGarbage();
    if (ctx.bar % 500 === 0) ctx.orderTarget(ctx.position === 0 ? 0.5 : 0);
  }
  onFill(ctx) { this.fills.push(ctx.lastFill()); }
  onFinish() { Collector.last = this; }
}

test('garbage collection during a run; onFill sees every fill', () => {
  const res = ct.backtest(eth, Collector);
  const inst = Collector.last;
  assert.strictEqual(inst.bars, eth.length);
  assert.strictEqual(inst.fills.length, 2 * res.trades.length + (res.openPosition ? 1 : 0));
  assert.strictEqual(inst.fills[0].price, res.trades[0].entryPrice);
});

test('errors name the culprit; wrong types are TypeErrors', () => {
  assert.throws(() => ct.backtest(eth, 'no_such_strategy'), ct.NotFoundError);
  assert.throws(() => ct.backtest(eth, 'rsi', { params: { rsi_period: 0 } }), (e) => e instanceof ct.CryptotaError && /rsi_period/.test(e.message));
  assert.throws(() => ct.backtest(eth, 'rsi', { config: { commision: 0.001 } }), (e) => e instanceof ct.CryptotaError && /commision/.test(e.message));
  assert.throws(() => ct.backtest(eth, 'rsi', { capital: -1 }), (e) => e instanceof ct.RangeError && /capital/.test(e.message));
  assert.throws(() => ct.backtest(42, 'rsi'), TypeError);
  assert.throws(() => ct.backtest(eth, 42), TypeError);
  assert.throws(() => ct.backtest(eth, 'rsi', { params: { rsi_period: [14] } }), TypeError);
  assert.throws(() => ct.backtest(eth, 'rsi', 'fast'), TypeError);
  assert.throws(() => ct.register(class NoBar extends ct.Strategy {}), TypeError);
});

test('documents: JSON and HTML report', (t) => {
  const res = ct.backtest(eth.slice(null, Number(eth.time[3000])), 'rsi');
  const doc = JSON.parse(res.toJson());
  assert.strictEqual(doc.trades.length, res.trades.length);
  const os = require('os'); const path = require('path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-node-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const html = fs.readFileSync(res.reportHtml(path.join(dir, 'r.html')), 'utf8');
  assert.ok(/<svg/.test(html));
});

class Picky extends ct.Strategy {
  static strategyName = 'js_picky';
  static params = { fast: 5, slow: 20 };
  init() { if (this.params.fast >= this.params.slow) throw new RangeError('fast must be below slow'); }
  onBar() {}
}

test('a RangeError in init() refuses the parameters; the optimizer skips them', () => {
  assert.throws(() => ct.backtest(eth, Picky, { params: { fast: 30 } }), (e) => e instanceof ct.RangeError && /fast must be below slow/.test(e.message));
  const opt = ct.optimizeSync(eth, Picky, { grid: { fast: [5, 30], slow: [20] } });
  assert.strictEqual(opt.skipped, 1);
  assert.strictEqual(opt.evaluated, 1);
});

class WrongType extends ct.Strategy {
  static strategyName = 'js_wrong_type';
  onBar(ctx) { if (ctx.bar === 5) ctx.orderMarket('one'); }
}

test('a wrong type inside a callback is a TypeError', () => {
  assert.throws(() => ct.backtest(eth, WrongType), TypeError);
  const res = ct.backtest(eth, 'rsi');
  assert.throws(() => res.toJson('all'), TypeError);
  assert.throws(() => ct.ta.rsi(eth.close, '14'), TypeError);
});

class KeepsContext extends ct.Strategy {
  static strategyName = 'js_keeps_context';
  onBar(ctx) {
    if (ctx.bar === 3) {
      KeepsContext.kept = ctx;
      KeepsContext.inside = [ctx.bar, ctx.close, ctx.series().length];
    }
  }
}

test('a Context kept past its callback throws StateError', () => {
  // It kept the engine's context pointer: after the run, ctx.close and ctx.series() read freed
  // memory (the last bar's values, by chance).
  ct.backtest(eth, KeepsContext);
  assert.deepStrictEqual(KeepsContext.inside, [3, eth.close[3], 4]);
  const ctx = KeepsContext.kept;
  for (const use of [() => ctx.bar, () => ctx.position, () => ctx.close, () => ctx.series(), () => ctx.buy(1),
    () => ctx.openOrders, () => ctx.time(), () => ctx.indicator(0), () => ctx.lastFill()]) {
    assert.throws(use, (e) => e instanceof ct.StateError && /used outside the callback that received it/.test(e.message));
  }
});

class HugeInts extends ct.Strategy {
  static strategyName = 'js_huge_ints';
  onStart(ctx) { this.h = ctx.declare('sma', 3); }
  onBar(ctx) {
    if (ctx.bar !== 5) return;
    const id = ctx.orderLimit(1, 1.0);
    // koffi truncated 1.5 to 1 and wrapped 2n ** 64n to 0 (this bar's close); 2 ** 32 as a
    // handle became -2147483648, 2 ** 64 and NaN as a lag INT64_MIN.
    const seen = [];
    for (const [f, cls, re] of [
      [() => ctx.price('close', 1.5), TypeError, /lag must be an integer, not 1.5/],
      [() => ctx.price('close', NaN), TypeError, /lag must be an integer, not NaN/],
      [() => ctx.price('close', 2n ** 64n), ct.RangeError, /lag 18446744073709551616n does not fit the C argument \(int64\)/],
      [() => ctx.price('close', 2 ** 64), ct.RangeError, /lag 18446744073709552000 does not fit the C argument/],
      [() => ctx.time('1'), TypeError, /lag must be an integer, not (a )?string/],
      [() => ctx.indicator(this.h + 2 ** 32), ct.RangeError, /handle 4294967296 does not fit the C argument \(int32\)/],
      [() => ctx.indicator(this.h, 2 ** 31), ct.RangeError, /output 2147483648 does not fit the C argument \(int32\)/],
      [() => ctx.indicator(this.h, 0, 2n ** 64n + 1n), ct.RangeError, /lag 18446744073709551617n does not fit/],
      [() => ctx.cancel(2n ** 64n + BigInt(id)), ct.RangeError, /order id .* does not fit/],
      [() => ctx.series('nope'), TypeError, /field must be one of/]]) {
      assert.throws(f, (e) => e instanceof cls && re.test(e.message));
      seen.push(true);
    }
    HugeInts.seen = [seen.length, ctx.openOrders.length, ctx.price('close', 1), ctx.price('close', 1n), ctx.indicator(this.h, 0, 1)];
  }
}

test('Context integers that are not int64 (int32 for handles) throw instead of reading another bar', () => {
  ct.backtest(eth, HugeInts);
  const [checked, pending, prev, prevBig, sma] = HugeInts.seen;
  assert.strictEqual(checked, 10);
  assert.strictEqual(pending, 1);
  assert.strictEqual(prev, eth.close[4]);
  assert.strictEqual(prevBig, eth.close[4]);
  assert.ok(Math.abs(sma - (eth.close[2] + eth.close[3] + eth.close[4]) / 3) <= 1e-12 * sma);
});
