'use strict';
// optimize() and walkForward(): parameter search (DESIGN.md section 9). For built-in (C)
// strategy classes the search runs on a koffi worker thread and the returned Promise settles
// when it ends, so the event loop keeps running. JavaScript Strategy classes are thread-affine:
// their search runs on the main thread (the Promise is still returned).
const { koffi, F, check, raise, takeString } = require('./lib');
const { asFeed } = require('./feed');
const { strategyName } = require('./engine');
const strategy = require('./strategy');
const ffi = require('./ffi');
const log = require('./log');
const u = require('./util');

const optReg = new FinalizationRegistry((h) => F.ct_optimizer_destroy(h));
const wfReg = new FinalizationRegistry((h) => F.ct_walkforward_destroy(h));

function spaceJson(space, what) {
  if (space === null || typeof space !== 'object' || Array.isArray(space)) throw new TypeError(`${what} must be an object of parameter -> list or {from, to, step}`);
  for (const [k, v] of Object.entries(space)) {
    if (!(typeof v === 'number' || Array.isArray(v) || (v && typeof v === 'object'))) throw new TypeError(`${what}.${k} must be a list, a number or {from, to, step}, not ${u.typeName(v)}`);
  }
  return JSON.stringify(space);
}

class Optimizer {
  constructor(feed, strat, o) {
    this.feed = feed; // borrowed by the C optimizer: keep it alive
    const name = strategyName(strat);
    this.name = name;
    const cls = F.ct_strategy_class_find(name);
    if (!cls) raise(5);
    this.affine = (F.ct_strategy_class_flags(cls) & 1) !== 0;
    const out = [null];
    check(F.ct_optimizer_create(feed.handle, cls, out));
    this.h = out[0];
    optReg.register(this, this.h, this);
    const msg = () => this.msg();
    const cfg = u.settingsJson(o.config, 'config');
    if (cfg !== '{}') check(F.ct_optimizer_configure_engine_json(this.h, cfg), msg);
    const metric = o.metric === undefined ? 'sharpe_ratio' : u.expectString(o.metric, 'metric');
    this.objective = metric;
    this.maximize = u.expectBool(o.maximize, 'maximize', true);
    check(F.ct_optimizer_set_objective(this.h, metric, this.maximize ? 1 : 0), msg);
    check(F.ct_optimizer_set_min_trades(this.h, u.expectInt(o.minTrades ?? 0, 'minTrades')), msg);
    this.threads = Number(u.expectInt(o.threads ?? 0, 'threads', 'int32'));
    check(F.ct_optimizer_set_threads(this.h, this.threads), msg);
  }

  msg() { return F.ct_optimizer_errmsg(this.h); }

  params() { return Array.from({ length: F.ct_optimizer_param_count(this.h) }, (_, i) => F.ct_optimizer_param_name(this.h, i)); }

  /**
   * Call fn (a koffi function) with args + a progress callback, sync or on a worker. The run
   * reads the feed: it is borrowed until the run ends (feed.dispose() meanwhile waits for that).
   */
  run(fnName, args, onProgress, async) {
    if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') throw new TypeError('onProgress must be a function');
    this.feed._borrow();
    let released = false;
    const release = () => { if (!released) { released = true; this.feed._release(); } };
    let cb = null;
    let progErr = null;
    if (onProgress !== undefined && onProgress !== null) {
      cb = koffi.register((_u, done, total, best, eta) => {
        try { return onProgress({ done: Number(done), total: Number(total), best, etaS: eta }) === false ? 1 : 0; } catch (e) { progErr = e; return 1; }
      }, koffi.pointer(koffi.resolve('ct_progress_fn')));
      try { check(F.ct_optimizer_set_progress(this.h, cb, null), () => this.msg()); } catch (e) { koffi.unregister(cb); release(); throw e; }
    }
    const finish = (st) => {
      release();
      if (cb) { F.ct_optimizer_set_progress(this.h, null, null); koffi.unregister(cb); }
      const pending = strategy.takePending();
      if (pending) throw pending;
      if (progErr) throw progErr;
      check(st, () => this.msg());
    };
    if (!async || this.affine) {
      strategy.clearPending();
      // A built-in class searched on a pool of library threads blocks the main thread until
      // they end: their log lines cannot reach a JavaScript handler then (see lib/log.js).
      const call = () => strategy.withFeed(this.feed, () => F[fnName](this.h, ...args));
      let st;
      try { st = this.affine || this.threads === 1 ? call() : log.threaded(call); } catch (e) { finish(0); throw e; }
      finish(st);
      return Promise.resolve();
    }
    const ended = log.asyncCall();
    return new Promise((resolve, reject) => {
      const settle = (err, st) => {
        ended();
        try {
          if (err) {
            try { finish(0); } catch (_) { /* err is the error to report */ }
            throw err;
          }
          finish(st);
          resolve();
        } catch (e) { reject(e); }
      };
      try {
        F[fnName].async(this.h, ...args, settle);
      } catch (e) { // the call did not start (arguments koffi refused)
        ended();
        try { finish(0); } catch (_) { /* e is the error to report */ }
        reject(e);
      }
    });
  }
}

function kinds(name) {
  const c = F.ct_strategy_class_find(name);
  const out = {};
  for (let i = 0; i < F.ct_strategy_class_n_params(c); i++) {
    const nm = [null]; const kind = [0];
    if (F.ct_strategy_class_param(c, i, nm, kind, null, null, null, null, null) === 0) out[nm[0]] = F.ct_param_kind_name(kind[0]);
  }
  return out;
}

function paramsOf(names, vals, n, k) {
  const out = {};
  for (let i = 0; i < n; i++) out[names[i]] = k[names[i]] === 'bool' ? vals[i] !== 0 : vals[i];
  return out;
}

class OptimizeResult {
  constructor(opt) {
    this._opt = opt;
    const h = opt.h; const msg = () => opt.msg();
    this.objective = opt.objective;
    this.maximize = opt.maximize;
    const t = [0]; const e = [0]; const s = [0];
    check(F.ct_optimizer_counts(h, t, e, s), msg);
    this.total = Number(t[0]); this.evaluated = Number(e[0]); this.skipped = Number(s[0]);
    const d = [0]; const p = [0];
    check(F.ct_optimizer_overfit(h, d, p), msg);
    this.dsr = d[0]; this.pbo = p[0];
    const names = opt.params(); const k = kinds(opt.name);
    const mnames = Array.from({ length: F.ct_optimizer_metric_count(h) }, (_, i) => F.ct_optimizer_metric_name(h, i));
    const pv = new Float64Array(Math.max(names.length, 1)); const mv = new Float64Array(Math.max(mnames.length, 1));
    const cnt = [0]; const idx = [0]; const obj = [0];
    this.rows = [];
    for (let r = 0; r < Number(F.ct_optimizer_row_count(h)); r++) {
      check(F.ct_optimizer_row(h, r, idx, obj), msg);
      check(F.ct_optimizer_row_params(h, r, pv, names.length, cnt), msg);
      const params = paramsOf(names, pv, Math.min(cnt[0], names.length), k);
      check(F.ct_optimizer_row_metrics(h, r, mv, mnames.length, cnt), msg);
      const metrics = {};
      for (let i = 0; i < Math.min(cnt[0], mnames.length); i++) metrics[mnames[i]] = mv[i];
      this.rows.push({ rank: r, index: Number(idx[0]), params, objective: obj[0], metrics });
    }
  }

  get best() { return this.rows.length ? this.rows[0] : null; }
  toJson(topK = 0) { const p = [null]; check(F.ct_optimizer_json(this._opt.h, u.expectInt(topK, 'topK'), p), () => this._opt.msg()); return takeString(p[0]); }
  toCsv() { const p = [null]; check(F.ct_optimizer_csv(this._opt.h, p), () => this._opt.msg()); return takeString(p[0]); }
}

/**
 * The uint64 seed of a random search: any integer (number or BigInt) modulo 2^64, as the Python
 * binding takes it (-1 is 2^64 - 1). A BigInt keeps every bit (a Number() of it lost those past
 * 2^53: 2n ** 60n + 1n drew the samples of 2n ** 60n, and 2n ** 64n - 1n those of 0).
 */
function seedOf(seed) {
  if (typeof seed === 'number' && !Number.isInteger(seed)) throw new TypeError(`seed must be an integer, not ${seed}`);
  if (typeof seed !== 'number' && typeof seed !== 'bigint') throw new TypeError(`seed must be an integer, not ${u.typeName(seed)}`);
  return BigInt.asUintN(64, BigInt(seed));
}

const COMMON = ['metric', 'maximize', 'minTrades', 'threads', 'config', 'onProgress'];
const SEARCH_OPTIONS = ['grid', 'random', 'samples', 'seed', 'shard', ...COMMON];
const WF_OPTIONS = ['grid', 'train', 'test', 'purge', 'anchored', ...COMMON];

function setup(feed, strat, options, known) {
  const f = asFeed(feed);
  const o = u.expectOptions(options, 'options', known);
  return { f, o, opt: new Optimizer(f, strat, o) };
}

function prepareSearch(feed, strat, options) {
  const { o, opt } = setup(feed, strat, options, SEARCH_OPTIONS);
  if ((o.grid === undefined) === (o.random === undefined)) throw new TypeError('give exactly one of grid or random');
  if (o.grid !== undefined) check(F.ct_optimizer_set_grid_json(opt.h, spaceJson(o.grid, 'grid')), () => opt.msg());
  else check(F.ct_optimizer_set_random_json(opt.h, spaceJson(o.random, 'random'), u.expectInt(o.samples ?? 100, 'samples'), seedOf(o.seed ?? 1)), () => opt.msg());
  if (o.shard !== undefined) {
    if (!Array.isArray(o.shard) || o.shard.length !== 2) throw new TypeError('shard must be [k, n]');
    check(F.ct_optimizer_set_shard(opt.h, u.expectInt(o.shard[0], 'shard[0]'), u.expectInt(o.shard[1], 'shard[1]')), () => opt.msg());
  }
  return { o, opt };
}

/**
 * Grid or random search. options: { grid | random, samples, seed, metric = "sharpe_ratio",
 * maximize = true, minTrades, threads, config, shard: [k, n], onProgress({done, total}) }.
 * Returns a Promise of an OptimizeResult (built-in classes run on a worker thread).
 */
function optimize(feed, strat = 'rsi', options = {}) {
  try {
    const { o, opt } = prepareSearch(feed, strat, options);
    return opt.run('ct_optimizer_run', [], o.onProgress, true).then(() => new OptimizeResult(opt));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** As optimize(), on the calling thread, returning the OptimizeResult. */
function optimizeSync(feed, strat = 'rsi', options = {}) {
  const { o, opt } = prepareSearch(feed, strat, options);
  opt.run('ct_optimizer_run', [], o.onProgress, false);
  return new OptimizeResult(opt);
}

class WalkForwardResult {
  constructor(handle, opt) {
    this._h = handle; this._opt = opt;
    wfReg.register(this, handle, this);
    const names = opt.params(); const k = kinds(opt.name);
    const a = [0]; const b = [0]; const c = [0]; const d = [0]; const bi = [0]; const iso = [0]; const oos = [0];
    const pv = new Float64Array(Math.max(names.length, 1)); const cnt = [0];
    this.windows = [];
    for (let i = 0; i < Number(F.ct_walkforward_window_count(handle)); i++) {
      check(F.ct_walkforward_window(handle, i, a, b, c, d, bi, iso, oos));
      check(F.ct_walkforward_window_params(handle, i, pv, names.length, cnt));
      this.windows.push({
        train: [Number(a[0]), Number(b[0])], test: [Number(c[0]), Number(d[0])], index: Number(bi[0]),
        params: paramsOf(names, pv, Math.min(cnt[0], names.length), k), isObjective: iso[0], oosObjective: oos[0],
      });
    }
    const n = [0];
    check(F.ct_walkforward_equity(handle, null, null, 0, n));
    this.time = new BigInt64Array(Number(n[0]));
    this.equity = new Float64Array(Number(n[0]));
    check(F.ct_walkforward_equity(handle, this.time, this.equity, Number(n[0]), n));
    this.efficiency = F.ct_walkforward_efficiency(handle);
  }

  get metrics() {
    const { metricNames } = require('./engine');
    const out = {}; const v = [0];
    for (const nm of metricNames()) { check(F.ct_walkforward_metric(this._h, nm, v)); out[nm] = v[0]; }
    return out;
  }

  toJson() { const p = [null]; check(F.ct_walkforward_json(this._h, p)); return takeString(p[0]); }
  reportHtml(path) { check(F.ct_walkforward_report_html(this._h, u.expectString(path, 'path'))); return path; }
}

/**
 * Walk-forward analysis. options: { grid, train, test, purge = 0 (bars), anchored = false,
 * metric, maximize, minTrades, threads, config, onProgress }. Returns a Promise.
 */
function walkForward(feed, strat = 'rsi', options = {}) {
  try {
    const { o, opt } = setup(feed, strat, options, WF_OPTIONS);
    if (o.grid === undefined) throw new TypeError('walkForward needs options.grid');
    check(F.ct_optimizer_set_grid_json(opt.h, spaceJson(o.grid, 'grid')), () => opt.msg());
    const out = [null];
    const args = [u.expectInt(o.train, 'train'), u.expectInt(o.test, 'test'), u.expectInt(o.purge ?? 0, 'purge'), u.expectBool(o.anchored, 'anchored', false) ? 1 : 0, 0, out];
    return opt.run('ct_optimizer_walkforward', args, o.onProgress, true).then(() => new WalkForwardResult(out[0], opt));
  } catch (e) {
    return Promise.reject(e);
  }
}

void ffi;
module.exports = { optimize, optimizeSync, walkForward, OptimizeResult, WalkForwardResult };
