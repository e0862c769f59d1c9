'use strict';
// fetch(): Binance klines through the library's client and cache (DESIGN.md section 4). The
// download runs on a koffi worker thread; the Promise resolves to a Feed (or an object of Feeds
// for several symbols). The progress callback is called from that thread, and koffi runs it on
// the main thread while the worker waits for its answer, so calls arrive in order.
const { koffi, F, check, raise } = require('./lib');
const { Feed } = require('./feed');
const log = require('./log');
const u = require('./util');

const ProgressFn = koffi.pointer(koffi.resolve('ct_fetch_progress_fn'));

/**
 * fetch(symbol | [symbols], { interval = "1h", start, end, futures, cache, baseUrl, settings,
 * onProgress(done, total) }). onProgress gets the bars done of an estimated total (done <=
 * total; the last call has done === total); returning false cancels the download, which then
 * rejects with CancelledError, and so does a throw (rejecting with that exception).
 */
function fetch(symbol, options = {}) {
  try {
    const many = Array.isArray(symbol);
    const syms = many ? symbol : [symbol];
    if (syms.length === 0) throw new TypeError('symbols must list at least one symbol');
    syms.forEach((s) => u.expectString(s, 'symbol'));
    const o = u.expectOptions(options, 'options', ['interval', 'start', 'end', 'futures', 'settings', 'cache', 'baseUrl', 'onProgress']);
    const interval = u.expectString(o.interval ?? '1h', 'interval');
    const s = o.start === undefined ? 0 : u.toMs(o.start, 'start');
    const e = o.end === undefined ? 0 : u.toMs(o.end, 'end');
    const market = u.expectBool(o.futures, 'futures', false) ? 1 : 0;
    const cfg = { ...u.expectObject(o.settings, 'settings') };
    if (o.cache !== undefined) cfg.cache_dir = u.expectString(o.cache, 'cache');
    if (o.baseUrl !== undefined) cfg.base_url = u.expectString(o.baseUrl, 'baseUrl');
    const onProgress = o.onProgress ?? null;
    if (onProgress !== null && typeof onProgress !== 'function') throw new TypeError(`onProgress must be a function, not ${u.typeName(onProgress)}`);
    const out = [null];
    check(F.ct_fetcher_create(out));
    const h = out[0];
    let cb = null;
    let progErr = null;
    // The fetcher goes first: it holds the callback until it is destroyed.
    const done = () => {
      F.ct_fetcher_destroy(h);
      if (cb) koffi.unregister(cb);
    };
    try {
      if (Object.keys(cfg).length) check(F.ct_fetcher_configure_json(h, JSON.stringify(cfg)), () => F.ct_fetcher_errmsg(h));
      if (onProgress) {
        cb = koffi.register((_u, d, t) => {
          try { return onProgress(Number(d), Number(t)) === false ? 1 : 0; } catch (x) { progErr = x; return 1; }
        }, ProgressFn);
        check(F.ct_fetcher_set_progress(h, cb, null), () => F.ct_fetcher_errmsg(h));
      }
    } catch (err) { done(); throw err; }
    const feeds = Buffer.alloc(8 * syms.length);
    const ended = log.asyncCall();
    return new Promise((resolve, reject) => {
      const settle = (err, st) => {
        ended();
        try {
          if (err) throw err;
          const res = {};
          if (st === 0) { // adopted first: an exception below leaves them to the collector
            const ptrs = koffi.decode(feeds, koffi.array('ct_feed *', syms.length));
            syms.forEach((sym, i) => { res[sym] = Feed._adopt(ptrs[i]); });
          }
          if (progErr) throw progErr; // thrown by onProgress (which then cancelled, unless last)
          if (st !== 0) raise(st, F.ct_fetcher_errmsg(h));
          resolve(many ? res : res[syms[0]]);
        } catch (x) { reject(x); } finally { done(); }
      };
      try {
        F.ct_fetcher_klines_many.async(h, market, syms, syms.length, interval, s, e, feeds, settle);
      } catch (x) { // the call did not start (arguments koffi refused)
        ended();
        done();
        reject(x);
      }
    });
  } catch (x) {
    return Promise.reject(x);
  }
}

module.exports = { fetch };
