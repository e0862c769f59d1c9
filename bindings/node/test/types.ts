// Compile-only check of index.d.ts (tsc --noEmit): the README's smallest program and the
// main entry points must type-check against the declarations.
import ct = require('cryptota');

declare const path: string;
declare function print(...x: unknown[]): void;

const feed: ct.Feed = ct.Feed.load(path);
const res: ct.Result = ct.backtest(feed, 'rsi', { params: { rsi_period: 14 }, config: { commission: 0.001 } });
const sharpe: number = res.metrics.sharpe_ratio;
const last: number = res.equity[res.equity.length - 1];
const n: number = res.trades.length;
print(sharpe, last, n, res.trades[0].pnlNet);

const close: Float64Array = feed.close;
const t: BigInt64Array = feed.time;
print(close, t, ct.ta.rsi(close, 14), ct.ta.run('macd', feed, { fast: 12 }));

class MyRsi extends ct.Strategy {
  static strategyName = 'ts_rsi';
  static params = { rsi_period: 14, oversold: ct.param(30, { kind: 'real' }) };
  h = 0;
  onStart(ctx: ct.Context): void { this.h = ctx.declare('rsi', Number(this.params.rsi_period)); }
  onBar(ctx: ct.Context): void {
    if (ctx.position === 0 && ctx.indicator(this.h) < 30) ctx.orderTarget(1);
  }
}
print(ct.backtest(feed, MyRsi).finalEquity);

async function search(): Promise<void> {
  const opt: ct.OptimizeResult = await ct.optimize(feed, 'rsi', {
    grid: { rsi_period: [10, 14], oversold: { from: 20, to: 30, step: 5 } },
    onProgress: (p: ct.Progress) => { print(p.done, p.total); },
  });
  print(opt.best?.params, opt.dsr, opt.toJson(10n));
  const rnd = await ct.optimize(feed, 'rsi', { random: { rsi_period: { from: 5, to: 30 } }, samples: 10, seed: 2n ** 64n - 1n, minTrades: 3n });
  print(rnd.rows.length, res.toJson(500n));
  const wf: ct.WalkForwardResult = await ct.walkForward(feed, 'rsi', { grid: { rsi_period: [10, 14] }, train: 1000, test: 200 });
  print(wf.efficiency, wf.windows[0].params);
  const many: Record<string, ct.Feed> = await ct.fetch(['BTCUSDT', 'ETHUSDT'], { interval: '1h', start: '2024-01-01' });
  print(many);
  const one: ct.Feed = await ct.fetch('BTCUSDT', {
    start: new Date('2024-01-01'),
    onProgress: (done: number, total: number) => (done < total / 2 ? undefined : false),
  });
  print(one.length);
}

const lines: ct.LogRecord[] = [];
ct.setLogLevel('debug');
ct.setLogHandler((rec: ct.LogRecord) => { lines.push(rec); print(rec.ts_ms, rec.level, rec.module, rec.msg); });
ct.setLogHandler(null);
ct.setLogHandler();
search().catch((e: unknown) => {
  if (e instanceof ct.CryptotaError) print(e.status, e.statusName);
});
