'use strict';
// Feed: one symbol's OHLCV candles as columns (DESIGN.md section 3).
const { F, check, view } = require('./lib');
const u = require('./util');
const { StateError } = require('./errors');
const { threaded } = require('./log');

const GAPS = { keep: 0, fill: 1, error: 2 };
const FIELDS = ['open', 'high', 'low', 'close', 'volume'];
const registry = new FinalizationRegistry((h) => F.ct_feed_destroy(h));
const TOKEN = Symbol('Feed');

function gapPolicy(g) {
  if (g === undefined) return 0;
  if (!(g in GAPS)) throw new TypeError(`gaps must be "keep", "fill" or "error", not ${JSON.stringify(g)}`);
  return GAPS[g];
}

class Feed {
  /** Internal: use Feed.load / fromCsv / fromCtz / fromArrays. */
  constructor(token, handle, keep) {
    if (token !== TOKEN) throw new TypeError('use Feed.load(), Feed.fromCsv(), Feed.fromCtz() or Feed.fromArrays()');
    this._h = handle;    // null once disposed
    this._raw = handle;  // the native feed until it is destroyed
    this._borrows = 0;   // runs reading it now (see _borrow)
    this._keep = keep || null;
    registry.register(this, handle, this);
  }

  static _wrap(st, out, keep) {
    check(st);
    return new Feed(TOKEN, out[0], keep);
  }

  /** Load .csv, .csv.zst or .ctz (by extension). options.gaps: "keep" | "fill" | "error". */
  static load(path, options = {}) {
    u.expectString(path, 'path');
    const out = [null];
    const gaps = gapPolicy(u.expectOptions(options, 'options', ['gaps']).gaps);
    // A large .ctz is decoded on several library threads (see lib/log.js).
    const load = () => F.ct_feed_load(path, gaps, out);
    return Feed._wrap(/\.ctz$/i.test(path) ? threaded(load) : load(), out);
  }

  /** A feed from a CSV path, or from CSV text (a Buffer, or a string containing a newline). */
  static fromCsv(source, options = {}) {
    const o = u.expectOptions(options, 'options', ['symbol', 'interval', 'gaps']);
    if (source instanceof Uint8Array || (typeof source === 'string' && source.includes('\n'))) {
      const buf = typeof source === 'string' ? Buffer.from(source) : Buffer.from(source.buffer, source.byteOffset, source.length);
      const out = [null];
      // The bytes as they are: a string argument would be re-encoded as UTF-8 (a UTF-8 BOM or
      // any byte >= 0x80 grew, and the last bytes of the text were cut off at buf.length).
      return Feed._wrap(F.ct_feed_parse_csv(buf, buf.length, o.symbol === undefined ? '' : u.expectString(o.symbol, 'symbol'),
        o.interval ? u.intervalMs(o.interval) : 0, gapPolicy(o.gaps), out), out);
    }
    const f = Feed.load(source, { gaps: o.gaps });
    if (o.interval && u.intervalMs(o.interval) !== f.intervalMs) {
      const got = f.interval;
      f.dispose();
      throw new RangeError(`interval ${o.interval} does not match the file's ${got}`);
    }
    if (o.symbol) f.symbol = o.symbol;
    return f;
  }

  /** A feed from a .ctz path or a .ctz image in a Buffer. */
  static fromCtz(source) {
    if (source instanceof Uint8Array) {
      const out = [null];
      return Feed._wrap(threaded(() => F.ct_feed_parse_ctz(source, source.length, out)), out);
    }
    return Feed.load(source);
  }

  /**
   * A feed from columns: { time, open, high, low, close, volume } (time: epoch ms as numbers,
   * BigInts or Dates, or a BigInt64Array), options { symbol, interval, copy = true }. With
   * copy false and a BigInt64Array + Float64Arrays the feed borrows them (zero-copy).
   */
  static fromArrays(cols, options = {}) {
    u.expectObject(cols, 'columns');
    const o = u.expectOptions(options, 'options', ['symbol', 'interval', 'copy']);
    const time = u.i64(cols.time, 'time');
    const arrs = FIELDS.map((k) => u.f64(cols[k], k));
    FIELDS.forEach((k, i) => {
      if (arrs[i].length !== time.length) throw new RangeError(`${k} has ${arrs[i].length} rows but time has ${time.length}`);
    });
    const copy = u.expectBool(o.copy, 'copy', true);
    const out = [null];
    const st = F.ct_feed_from_arrays(o.symbol === undefined ? '' : u.expectString(o.symbol, 'symbol'),
      o.interval ? u.intervalMs(o.interval) : 0, time, ...arrs, time.length, copy ? 0 : 1, out);
    return Feed._wrap(st, out, copy ? null : [time, ...arrs]);
  }

  /** Internal: wrap a ct_feed pointer the caller owns. */
  static _adopt(handle) { return new Feed(TOKEN, handle); }

  get handle() {
    if (!this._h) throw new StateError('this Feed was disposed', 4);
    return this._h;
  }
  _msg() { return F.ct_feed_errmsg(this._h); }

  /**
   * Release the feed now (optional; garbage collection does it otherwise). If column views were
   * handed out, the memory is released only when they are all unreachable (they keep the feed
   * alive), so a view never dangles; while an optimize() / walkForward() Promise or a backtest
   * reads the feed, it is released when that run ends. The feed itself is unusable after
   * dispose(): its methods and properties throw StateError.
   */
  dispose() {
    if (this._h) {
      this._h = null;
      this._free();
    }
  }

  _free() {
    if (this._h === null && this._raw && !this._viewed && this._borrows === 0) {
      registry.unregister(this);
      F.ct_feed_destroy(this._raw);
      this._raw = null;
    }
  }

  /** Internal: the handle for a run that reads the feed until _release() (dispose() waits for it). */
  _borrow() {
    const h = this.handle;
    this._borrows++;
    return h;
  }

  _release() {
    this._borrows--;
    this._free();
  }

  _view(ptr, Type) {
    this._viewed = true;
    return view(ptr, this.length, Type, this);
  }

  get length() { return Number(F.ct_feed_len(this.handle)); }
  get symbol() { return F.ct_feed_symbol(this.handle) || ''; }
  set symbol(s) { check(F.ct_feed_set_symbol(this.handle, u.expectString(s, 'symbol')), () => this._msg()); }
  get intervalMs() { return Number(F.ct_feed_interval_ms(this.handle)); }
  get interval() { return u.intervalName(this.intervalMs); }

  /** Zero-copy columns over the library's memory (they keep the feed alive). */
  get time() { return this._view(F.ct_feed_time(this.handle), BigInt64Array); }
  get open() { return this._view(F.ct_feed_open(this.handle), Float64Array); }
  get high() { return this._view(F.ct_feed_high(this.handle), Float64Array); }
  get low() { return this._view(F.ct_feed_low(this.handle), Float64Array); }
  get close() { return this._view(F.ct_feed_close(this.handle), Float64Array); }
  get volume() { return this._view(F.ct_feed_volume(this.handle), Float64Array); }

  /** A column by name ("time", "open", ... "volume"). */
  column(name) {
    if (name !== 'time' && !FIELDS.includes(name)) throw new TypeError(`no column ${JSON.stringify(name)}`);
    return this[name];
  }

  /** Resample to a multiple of the interval ("4h"); only complete buckets unless partial. */
  resample(interval, options = {}) {
    const out = [null];
    const partial = u.expectBool(u.expectOptions(options, 'options', ['partial']).partial, 'partial', false);
    check(F.ct_feed_resample(this.handle, u.intervalMs(interval), partial ? 1 : 0, out), () => this._msg());
    return new Feed(TOKEN, out[0]);
  }

  /** Rows with start <= time < end (copied); bounds are ms, Dates or ISO strings, or null. */
  slice(start, end) {
    const s = start === undefined || start === null ? -(2n ** 63n) : BigInt(u.toMs(start, 'start'));
    const e = end === undefined || end === null ? 2n ** 63n - 1n : BigInt(u.toMs(end, 'end'));
    const out = [null];
    check(F.ct_feed_slice(this.handle, s, e, out), () => this._msg());
    return new Feed(TOKEN, out[0]);
  }

  clone() {
    const out = [null];
    check(F.ct_feed_clone(this.handle, out), () => this._msg());
    return new Feed(TOKEN, out[0]);
  }

  get missingBars() { return Number(F.ct_feed_missing_bars(this.handle)); }

  /** [{ afterMs, beforeMs, missing }] */
  gaps() {
    const n = [0];
    check(F.ct_feed_gaps(this.handle, null, null, null, 0, n), () => this._msg());
    const k = Number(n[0]);
    if (!k) return [];
    const a = new BigInt64Array(k); const b = new BigInt64Array(k); const m = new BigInt64Array(k);
    check(F.ct_feed_gaps(this._h, a, b, m, k, n), () => this._msg());
    return Array.from({ length: k }, (_, i) => ({ afterMs: Number(a[i]), beforeMs: Number(b[i]), missing: Number(m[i]) }));
  }

  /** Write .csv, .csv.zst or .ctz (by extension). */
  save(path) {
    check(F.ct_feed_save(this.handle, u.expectString(path, 'path')), () => this._msg());
  }

  toString() { return this._h ? `Feed(${this.symbol || '?'} ${this.interval} ${this.length} bars)` : 'Feed(disposed)'; }
}

function asFeed(x, what = 'feed') {
  if (x instanceof Feed) return x;
  if (typeof x === 'string') return Feed.load(x);
  throw new TypeError(`${what} must be a cryptota Feed or a path, not ${u.typeName(x)}`);
}

module.exports = { Feed, asFeed, FIELDS };
