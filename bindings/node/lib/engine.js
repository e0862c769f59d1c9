'use strict';
// backtest() and Result (DESIGN.md sections 7, 8, 10, 13).
const { koffi, F, check, raise, takeString, view } = require('./lib');
const { StateError } = require('./errors');
const { asFeed } = require('./feed');
const strategy = require('./strategy');
const u = require('./util');

const TRADE_SIZE = 128;
const resultReg = new FinalizationRegistry((h) => F.ct_result_destroy(h));

/** Registry name of a class name or a Strategy subclass (registering the latter). */
function strategyName(s) {
  if (typeof s === 'string') return s;
  if (typeof s === 'function' && s.prototype instanceof strategy.Strategy) return strategy.register(s);
  throw new TypeError(`strategy must be a class name (e.g. "rsi") or a Strategy subclass, not ${u.typeName(s)}`);
}

function makeStrategy(s, params) {
  const name = strategyName(s);
  const json = u.settingsJson(params, 'params');
  const out = [null];
  check(F.ct_strategy_create_by_name(name, out));
  const h = out[0];
  if (json !== '{}') {
    const st = F.ct_strategy_set_json(h, json);
    if (st !== 0) { const m = F.ct_strategy_errmsg(h); F.ct_strategy_destroy(h); raise(st, m); }
  }
  return h;
}

const SHORTCUTS = ['capital', 'commission', 'slippage_bps', 'fill', 'close_at_end', 'allow_short', 'leverage'];
const CAMEL = { slippageBps: 'slippage_bps', closeAtEnd: 'close_at_end', allowShort: 'allow_short' };
const BACKTEST_OPTIONS = ['params', 'config', ...SHORTCUTS, ...Object.keys(CAMEL)];

function configOf(opts) {
  const cfg = { ...u.expectObject(opts.config, 'config') };
  for (const [k, v] of Object.entries(opts)) {
    const key = CAMEL[k] || k;
    if (SHORTCUTS.includes(key) && v !== undefined) cfg[key] = v;
  }
  return cfg;
}

function makeEngine(cfg) {
  const json = u.settingsJson(cfg, 'config');
  const out = [null];
  check(F.ct_engine_create(out));
  const h = out[0];
  if (json !== '{}') {
    const st = F.ct_engine_configure_json(h, json);
    if (st !== 0) { const m = F.ct_engine_errmsg(h); F.ct_engine_destroy(h); raise(st, m); }
  }
  return h;
}

const TRADE_FIELDS = [
  ['side', 'i32', 4], ['entryTimeMs', 'i64', 8], ['exitTimeMs', 'i64', 16], ['entryBar', 'i64', 24],
  ['exitBar', 'i64', 32], ['barsHeld', 'i64', 40], ['qty', 'f64', 48], ['entryPrice', 'f64', 56],
  ['exitPrice', 'f64', 64], ['entryCommission', 'f64', 72], ['exitCommission', 'f64', 80],
  ['pnlGross', 'f64', 88], ['pnlNet', 'f64', 96], ['ret', 'f64', 104], ['mae', 'f64', 112], ['mfe', 'f64', 120],
];

let METRIC_NAMES = null;
/** Every metric name of the registry. */
function metricNames() {
  if (!METRIC_NAMES) METRIC_NAMES = Array.from({ length: F.ct_metric_count() }, (_, i) => F.ct_metric_name(i));
  return METRIC_NAMES;
}

class Result {
  constructor(handle) {
    this._h = handle;
    this._metrics = null;
    this._trades = null;
    resultReg.register(this, handle, this);
  }

  get handle() {
    if (!this._h) throw new StateError('this Result was disposed', 4);
    return this._h;
  }
  _msg() { return F.ct_result_errmsg(this._h); }
  /**
   * Release the result now (optional; garbage collection does it otherwise). If curve views were
   * handed out, the memory is released only when they are all unreachable, so a view never dangles.
   * The result is unusable after dispose(): its methods and properties throw StateError.
   */
  dispose() {
    if (this._h) {
      if (!this._viewed) { resultReg.unregister(this); F.ct_result_destroy(this._h); }
      this._h = null;
    }
  }

  _view(ptr, Type) { this._viewed = true; return view(ptr, this.length, Type, this); }

  get length() { return Number(F.ct_result_len(this.handle)); }
  get strategy() { return F.ct_result_strategy(this.handle); }
  get symbol() { return F.ct_result_symbol(this.handle); }
  get intervalMs() { return Number(F.ct_result_interval_ms(this.handle)); }
  get params() { return JSON.parse(F.ct_result_params_json(this.handle) || '{}'); }
  get config() { return JSON.parse(F.ct_result_config_json(this.handle) || '{}'); }

  /** E[t], zero-copy over the result's memory. */
  get equity() { return this._view(F.ct_result_equity_ptr(this.handle), Float64Array); }
  get time() { return this._view(F.ct_result_time_ptr(this.handle), BigInt64Array); }
  get position() { return this._view(F.ct_result_position_ptr(this.handle), Float64Array); }
  get finalEquity() { return F.ct_result_final_equity(this.handle); }
  get finalCash() { return F.ct_result_final_cash(this.handle); }
  get pendingAtEnd() { return Number(F.ct_result_pending_at_end(this.handle)); }
  get rejectedOrders() { return Number(F.ct_result_rejected_orders(this.handle)); }

  get openPosition() {
    const has = [0]; const qty = [0]; const px = [0]; const t = [0]; const b = [0];
    check(F.ct_result_open_position(this.handle, has, qty, px, t, b), () => this._msg());
    return has[0] ? { qty: qty[0], entryPrice: px[0], entryTimeMs: Number(t[0]), entryBar: Number(b[0]) } : null;
  }

  get tradeCount() { return Number(F.ct_result_trade_count(this.handle)); }

  /** Round trips as objects (fields of DESIGN.md section 7, camelCase). */
  get trades() {
    void this.handle; // StateError once disposed, cached or not
    if (!this._trades) {
      const n = this.tradeCount;
      const buf = Buffer.alloc(Math.max(n, 1) * TRADE_SIZE);
      for (let i = 0; i < n; i++) buf.writeUInt32LE(TRADE_SIZE, i * TRADE_SIZE);
      const tot = [0];
      check(F.ct_result_trades(this.handle, n ? buf : null, n, tot), () => this._msg());
      const out = [];
      for (let i = 0; i < n; i++) {
        const o = i * TRADE_SIZE; const t = {};
        for (const [k, ty, off] of TRADE_FIELDS) {
          t[k] = ty === 'f64' ? buf.readDoubleLE(o + off) : ty === 'i32' ? buf.readInt32LE(o + off) : Number(buf.readBigInt64LE(o + off));
        }
        out.push(t);
      }
      this._trades = out;
    }
    return this._trades;
  }

  /** Every metric by name (NaN when undefined). */
  get metrics() {
    void this.handle;
    if (!this._metrics) {
      const names = metricNames();
      const vals = new Float64Array(Math.max(names.length, 1));
      const tot = [0];
      check(F.ct_result_metrics_all(this.handle, vals, names.length, tot), () => this._msg());
      const m = {};
      names.forEach((nm, i) => { m[nm] = vals[i]; });
      this._metrics = m;
    }
    return { ...this._metrics };
  }

  metric(name) {
    const v = [0];
    check(F.ct_result_metric(this.handle, u.expectString(name, 'name'), v), () => this._msg());
    return v[0];
  }

  /** The JSON document of DESIGN.md section 10, as a string. */
  toJson(maxEquityPoints = 0) {
    const p = [null];
    const points = u.expectInt(maxEquityPoints, 'maxEquityPoints');
    check(F.ct_result_json(this.handle, points, p), () => this._msg());
    return takeString(p[0]);
  }

  /** Write the self-contained HTML report. */
  reportHtml(path) {
    check(F.ct_result_report_html(this.handle, u.expectString(path, 'path')), () => this._msg());
    return path;
  }

  cacheKey() {
    const buf = Buffer.alloc(72);
    check(F.ct_result_cache_key(this.handle, buf, buf.length), () => this._msg());
    return buf.toString('latin1', 0, buf.indexOf(0));
  }

  toString() { return this._h ? `Result(${this.strategy} ${this.symbol} ${this.length} bars, ${this.tradeCount} trades)` : 'Result(disposed)'; }
}

/**
 * Run `strat` (a class name or a Strategy subclass) over `feed`. options: { params, config,
 * capital, commission, slippageBps, fill, closeAtEnd, allowShort, leverage }.
 */
function backtest(feed, strat = 'rsi', options = {}) {
  const f = asFeed(feed);
  const o = u.expectOptions(options, 'options', BACKTEST_OPTIONS);
  const s = makeStrategy(strat, o.params);
  let e;
  try { e = makeEngine(configOf(o)); } catch (err) { F.ct_strategy_destroy(s); throw err; }
  const out = [null];
  let fh;
  try {
    fh = f._borrow(); // a JavaScript callback that disposes the feed cannot free it under the run
    strategy.clearPending();
    const st = strategy.withFeed(f, () => F.ct_engine_run(e, fh, s, out));
    const pending = strategy.takePending();
    if (pending) { if (out[0]) F.ct_result_destroy(out[0]); throw pending; }
    if (st !== 0) raise(st, F.ct_engine_errmsg(e));
  } finally {
    if (fh) f._release();
    F.ct_engine_destroy(e);
    F.ct_strategy_destroy(s);
  }
  return new Result(out[0]);
}

/** Registered strategy classes with their schemas. */
function strategies() {
  const p = [null];
  check(F.ct_strategy_classes_json(p));
  return JSON.parse(takeString(p[0]));
}

void koffi;
module.exports = { backtest, Result, strategies, strategyName, metricNames, configOf };
