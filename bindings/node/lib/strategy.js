'use strict';
// Strategies written in JavaScript, registered through the strategy vtable (STYLE.md R6/R7).
// They are flagged CT_STRATEGY_THREAD_AFFINE: the engine and optimizer call them only on the
// thread that started the run (the main thread), synchronously inside backtest(). An
// exception thrown in a callback stops the run (CT_E_PLUGIN) and backtest() rethrows it.
const { koffi, F, raise, view } = require('./lib');
const errors = require('./errors');
const ffi = require('./ffi');
const u = require('./util');

const FIELD = { open: 0, high: 1, low: 2, close: 3, volume: 4 };
const KIND = { int: 0, real: 1, bool: 2 };

/** A parameter schema entry: ct.param(14, { min: 2, max: 500, step: 1, kind: 'int' }). */
function param(def, opts = {}) {
  let kind = opts.kind;
  if (!kind) kind = typeof def === 'boolean' ? 'bool' : Number.isInteger(def) ? 'int' : 'real';
  if (!(kind in KIND)) throw new TypeError(`kind must be "int", "real" or "bool", not ${JSON.stringify(kind)}`);
  if (typeof def !== 'number' && typeof def !== 'boolean') throw new TypeError('a parameter default must be a number or boolean');
  const lo = kind === 'bool' ? 0 : -1e300; const hi = kind === 'bool' ? 1 : 1e300;
  return { __param: true, kind, def: Number(def), min: opts.min ?? lo, max: opts.max ?? hi, step: opts.step ?? 0, description: opts.description || '' };
}

// Integer arguments go through u.expectInt: koffi truncates 1.5 to 1, wraps the BigInt 2n ** 64n
// to 0 and saturates 2 ** 64 and NaN to INT64_MIN, so a wrong lag read another bar.
const int = (v, what, bits) => u.expectInt(v, what, bits === 32 ? 'int32' : 'int64');

/** What a callback sees; valid only during that callback. */
class Context {
  constructor() {
    this._p = null;
    // Scratch outputs reused by every call (typed arrays: koffi writes into them directly).
    this._d = new Float64Array(1);
    this._i = new BigInt64Array(1);
    this._i32 = new Int32Array(1);
  }
  _chk(st) { if (st !== 0) raise(st); }
  // Outside its callback the engine's context is gone (the run may have ended): reading it
  // read freed memory.
  get _c() {
    if (this._p === null) {
      throw new errors.StateError('this Context is used outside the callback that received it (a Context is valid only during that callback)');
    }
    return this._p;
  }
  get bar() { return Number(F.ct_ctx_bar_index(this._c)); }
  price(field = 'close', lag = 0) {
    const f = FIELD[field];
    if (f === undefined) throw new TypeError(`field must be one of ${Object.keys(FIELD).join(', ')}`);
    if (lag !== 0) int(lag, 'lag', 64);
    this._chk(F.ct_ctx_bar(this._c, f, lag, this._d));
    return this._d[0];
  }
  get open() { return this.price('open'); }
  get high() { return this.price('high'); }
  get low() { return this.price('low'); }
  get close() { return this.price('close'); }
  get volume() { return this.price('volume'); }
  time(lag = 0) {
    if (lag !== 0) int(lag, 'lag', 64);
    this._chk(F.ct_ctx_time(this._c, lag, this._i));
    return Number(this._i[0]);
  }
  /**
   * Rows 0..t of a column, zero-copy over the run's feed. The view keeps that Feed alive (as its
   * column views do), so one kept past the callback still reads the candles, not freed memory.
   */
  series(field = 'close') {
    const p = [null];
    const f = FIELD[field];
    if (f === undefined) throw new TypeError(`field must be one of ${Object.keys(FIELD).join(', ')}`);
    this._chk(F.ct_ctx_series(this._c, f, p, this._i));
    const n = Number(this._i[0]);
    if (!n || !p[0]) return new Float64Array(0);
    const feed = state.feed;
    if (feed === null) return new Float64Array(koffi.view(p[0], n * 8));
    // One view per column and run, up to the end of the feed's column (the pointer is the
    // feed's column, or a row of it for a walk-forward window); each call is a prefix of it.
    const addr = koffi.address(p[0]);
    const cache = state.series;
    let c = cache[f];
    if (c === undefined || c.feed !== feed || c.addr !== addr || n > c.cap) {
      const len = Number(F.ct_feed_len(feed._raw));
      const off = Number(addr - koffi.address(F.ct_feed_column(feed._raw, f))) / 8;
      const cap = Number.isInteger(off) && off >= 0 && off + n <= len ? len - off : n;
      feed._viewed = true; // dispose() leaves the memory to the collector, as for feed.close
      c = { feed, addr, cap, buf: view(p[0], cap, Float64Array, feed).buffer };
      cache[f] = c;
    }
    return new Float64Array(c.buf, 0, n);
  }
  get position() { return F.ct_ctx_position(this._c); }
  get cash() { return F.ct_ctx_cash(this._c); }
  get equity() { return F.ct_ctx_equity(this._c); }
  get entryPrice() { return F.ct_ctx_entry_price(this._c); }
  /** Declare an indicator in onStart; returns a handle for indicator(). */
  declare(name, ...options) {
    if (typeof name !== 'string') throw new TypeError('indicator name must be a string');
    options.forEach((o) => { if (typeof o !== 'number') throw new TypeError('indicator options must be numbers'); });
    this._chk(F.ct_ctx_declare_indicator(this._c, name, Float64Array.from(options.length ? options : [0]), options.length, this._i32));
    return this._i32[0];
  }
  indicator(handle, output = 0, lag = 0) {
    int(handle, 'handle', 32);
    if (output !== 0) int(output, 'output', 32);
    if (lag !== 0) int(lag, 'lag', 64);
    this._chk(F.ct_ctx_indicator(this._c, handle, output, lag, this._d));
    return this._d[0];
  }
  _order(st) { this._chk(st); return Number(this._i[0]); }
  orderMarket(qty) { return this._order(F.ct_ctx_order_market(this._c, qty, this._i)); }
  buy(qty) { return this.orderMarket(Math.abs(qty)); }
  sell(qty) { return this.orderMarket(-Math.abs(qty)); }
  orderNotional(notional) { return this._order(F.ct_ctx_order_notional(this._c, notional, this._i)); }
  orderLimit(qty, limit) { return this._order(F.ct_ctx_order_limit(this._c, qty, limit, this._i)); }
  orderStop(qty, stop) { return this._order(F.ct_ctx_order_stop(this._c, qty, stop, this._i)); }
  orderStopLimit(qty, stop, limit) { return this._order(F.ct_ctx_order_stop_limit(this._c, qty, stop, limit, this._i)); }
  orderTarget(fraction) { return this._order(F.ct_ctx_order_target(this._c, fraction, this._i)); }
  closePosition() { return this._order(F.ct_ctx_close_position(this._c, this._i)); }
  takeProfit(price) { return this._order(F.ct_ctx_take_profit(this._c, price, this._i)); }
  stopLoss(price) { return this._order(F.ct_ctx_stop_loss(this._c, price, this._i)); }
  trailingStop(amount, percent = true) { return this._order(F.ct_ctx_trailing_stop(this._c, amount, percent ? 1 : 0, this._i)); }
  cancel(id) {
    int(id, 'order id', 64);
    this._chk(F.ct_ctx_cancel(this._c, id));
  }
  cancelAll() { this._chk(F.ct_ctx_cancel_all(this._c)); }
  get openOrders() {
    const out = [];
    const c = this._c;
    for (let i = 0; i < Number(F.ct_ctx_open_orders(c)); i++) {
      const id = [0]; const type = [0]; const qty = [0]; const price = [0]; const stop = [0];
      this._chk(F.ct_ctx_order_info(c, i, id, type, qty, price, stop));
      out.push({ id: Number(id[0]), type: type[0], qty: qty[0], price: price[0], stop: stop[0] });
    }
    return out;
  }
  lastFill() {
    const id = [0]; const qty = [0]; const price = [0]; const comm = [0];
    this._chk(F.ct_ctx_last_fill(this._c, id, qty, price, comm));
    return { orderId: Number(id[0]), qty: qty[0], price: price[0], commission: comm[0] };
  }
}

/**
 * Base class. Static fields: strategyName ([a-z0-9_]+; default the class name in lower case),
 * description, params ({ name: default | ct.param(...) }). Methods: onStart(ctx), onBar(ctx)
 * (required), onFill(ctx), onFinish(ctx). `this.params` holds the run's values.
 */
class Strategy {
  onStart(_ctx) {}
  onBar(_ctx) { throw new Error('a Strategy subclass must implement onBar(ctx)'); }
  onFill(_ctx) {}
  onFinish(_ctx) {}
}

// pending: the first exception of a callback (backtest rethrows it); feed: the Feed whose run is
// calling the callbacks (owner of ctx.series views).
// series: the column views of ctx.series, by field (see there).
const state = { pending: null, feed: null, series: [] };

/** Run fn (a synchronous run over `feed` that may call JavaScript callbacks) with state.feed set. */
function withFeed(feed, fn) {
  const prev = state.feed;
  const prevSeries = state.series;
  state.feed = feed;
  state.series = [];
  try { return fn(); } finally { state.feed = prev; state.series = prevSeries; }
}
const instances = new Map();
let nextKey = 1;

function fail(ctx, e) {
  if (state.pending === null) state.pending = e;
  F.ct_ctx_set_error(ctx, `${(e && e.name) || 'Error'}: ${(e && e.message) || String(e)}`);
  return 30; // CT_E_PLUGIN
}

function keyOf(user) { return Number(koffi.address(user)); }

function makeCb(method) {
  return (user, ctx) => {
    try {
      const inst = instances.get(keyOf(user));
      inst.ctx._p = ctx;
      try {
        inst.obj[method](inst.ctx);
      } finally {
        inst.ctx._p = null;
      }
      return 0;
    } catch (e) {
      return fail(ctx, e);
    }
  };
}

const CB = {};
function callbacks() {
  if (!CB.onBar) {
    const t = koffi.pointer(ffi.CallbackFn);
    for (const m of ['onStart', 'onBar', 'onFill', 'onFinish']) CB[m] = koffi.register(makeCb(m), t);
    CB.destroy = koffi.register((user) => { if (user) instances.delete(keyOf(user)); }, koffi.pointer(ffi.DestroyFn));
  }
  return CB;
}

const registry = new Map(); // name -> { cls, create (registered), schema }

function className(cls) {
  const name = Object.prototype.hasOwnProperty.call(cls, 'strategyName') ? cls.strategyName : cls.name.toLowerCase();
  if (typeof name !== 'string' || !/^[a-z0-9_]+$/.test(name)) throw new TypeError(`${cls.name}.strategyName must match [a-z0-9_]+, got ${JSON.stringify(name)}`);
  return name;
}

function overrides(cls, m) { return cls.prototype[m] !== Strategy.prototype[m]; }

/** Register a Strategy subclass (backtest/optimize do it for you); returns its name. */
function register(cls) {
  if (typeof cls !== 'function' || !(cls.prototype instanceof Strategy)) throw new TypeError('expected a cryptota Strategy subclass');
  if (!overrides(cls, 'onBar')) throw new TypeError(`${cls.name} must implement onBar(ctx)`);
  const name = className(cls);
  const prev = registry.get(name);
  if (prev && prev.cls === cls) return name;
  if (prev) {
    const st = F.ct_strategy_unregister(name);
    if (st !== 0) raise(st);
    koffi.unregister(prev.create);
    registry.delete(name);
  }
  const schema = Object.entries(cls.params || {}).map(([k, v]) => {
    if (!/^[a-z0-9_]+$/.test(k)) throw new TypeError(`parameter name ${JSON.stringify(k)} must match [a-z0-9_]+`);
    return [k, v && v.__param ? v : param(v)];
  });
  const cb = callbacks();
  const create = koffi.register((_cu, values, n, instance, err, cap) => {
    try {
      const vals = n > 0 ? koffi.decode(values, 'double', n) : [];
      const params = {};
      schema.forEach(([k, p], i) => {
        const v = i < n ? vals[i] : p.def;
        params[k] = p.kind === 'bool' ? v !== 0 : v;
      });
      const obj = new cls();
      obj.params = params;
      if (typeof obj.init === 'function') obj.init();
      const key = nextKey++;
      instances.set(key, { obj, ctx: new Context() });
      koffi.encode(instance, 'int64_t', BigInt(key));
      return 0;
    } catch (e) {
      // A RangeError refuses the combination (CT_E_RANGE: the optimizer skips it); anything
      // else is a failure that backtest() rethrows.
      if (!(e instanceof RangeError)) state.pending = e;
      if (err && cap > 0) {
        const msg = Buffer.from(`${(e && e.name) || 'Error'}: ${(e && e.message) || String(e)}`).subarray(0, cap - 1);
        koffi.encode(err, koffi.array('uint8_t', msg.length + 1), [...msg, 0]);
      }
      return e instanceof RangeError ? 3 : 30;
    }
  }, koffi.pointer(ffi.CreateFn));
  const defs = schema.map(([k, p]) => ({
    struct_size: koffi.sizeof(ffi.ParamDef), kind: KIND[p.kind], name: k, def: p.def, min: p.min,
    max: p.max, step: p.step, description: p.description || null,
  }));
  const vt = {
    struct_size: koffi.sizeof(ffi.StrategyVtable), flags: 1, name,
    description: cls.description || null, params: defs.length ? defs : null, n_params: defs.length,
    reserved: 0, class_user: null, create,
    on_start: overrides(cls, 'onStart') ? cb.onStart : null, on_bar: cb.onBar,
    on_fill: overrides(cls, 'onFill') ? cb.onFill : null,
    on_finish: overrides(cls, 'onFinish') ? cb.onFinish : null, destroy: cb.destroy,
  };
  const st = F.ct_strategy_register(vt);
  if (st !== 0) { koffi.unregister(create); raise(st); }
  registry.set(name, { cls, create });
  return name;
}

function takePending() { const e = state.pending; state.pending = null; return e; }
function clearPending() { state.pending = null; }

module.exports = { Strategy, Context, param, register, takePending, clearPending, className, withFeed };
