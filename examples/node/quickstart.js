'use strict';
// The Node quick start: load candles, compute indicators, backtest rsi, a JavaScript strategy,
// a grid search on a worker thread and a walk-forward analysis.
//   CRYPTOTA_LIB=build/lib/libcryptota.so node examples/node/quickstart.js CANDLES.csv.zst
const path = require('path');
const ct = require(path.join(__dirname, '..', '..', 'bindings', 'node'));

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node quickstart.js CANDLES(.csv|.csv.zst|.ctz)');
    process.exit(2);
  }
  const feed = ct.Feed.load(file);
  console.log(`${feed.symbol} ${feed.interval}: ${feed.length} bars, ${feed.missingBars} missing`);

  const rsi = ct.ta.rsi(feed.close, 14);
  const { upper, lower } = ct.ta.bbands(feed, { period: 20 });
  const last = feed.length - 1;
  console.log(`last close ${feed.close[last]}, RSI ${rsi[last].toFixed(2)}, bands ${lower[last].toFixed(2)}..${upper[last].toFixed(2)}`);

  const res = ct.backtest(feed, 'rsi', { params: { rsi_period: 14 }, config: { commission: 0.001 } });
  console.log(`rsi: sharpe ${res.metrics.sharpe_ratio.toFixed(3)}, final equity ${res.equity[res.equity.length - 1].toFixed(2)}, ${res.trades.length} trades`);

  class Breakout extends ct.Strategy {
    static strategyName = 'js_breakout';
    static params = { period: ct.param(48, { min: 2, max: 1000 }) };
    onStart(ctx) { this.hi = ctx.declare('donchian', this.params.period); }
    onBar(ctx) {
      if (ctx.bar < 1) return;
      const upper = ctx.indicator(this.hi, 0, 1);           // the previous bar's channel top
      if (ctx.position === 0 && ctx.close > upper) ctx.orderTarget(1);
      else if (ctx.position > 0 && ctx.close < ctx.entryPrice * 0.95) ctx.closePosition();
    }
  }
  const br = ct.backtest(feed, Breakout);
  console.log(`js_breakout: total return ${(br.metrics.total_return * 100).toFixed(1)}%, ${br.trades.length} trades`);

  const opt = await ct.optimize(feed, 'rsi', { grid: { rsi_period: [10, 14, 21], oversold: [25, 30] } });
  console.log(`best of ${opt.evaluated}: ${JSON.stringify(opt.best.params)} sharpe ${opt.best.objective.toFixed(3)}`);

  try {
    const train = Math.floor(feed.length / 4); const test = Math.floor(feed.length / 8);
    const wf = await ct.walkForward(feed, 'rsi', { grid: { rsi_period: [10, 14, 21] }, train, test });
    console.log(`walk-forward: ${wf.windows.length} windows, efficiency ${wf.efficiency.toFixed(3)}`);
  } catch (e) {
    if (!(e instanceof ct.UnsupportedError)) throw e;
    console.log('walk-forward: not in this library build');
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
