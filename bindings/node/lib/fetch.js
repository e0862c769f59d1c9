'use strict';
// fetch(): Binance klines through the library's client and cache (DESIGN.md section 4). The
// download runs on a koffi worker thread; the Promise resolves to a Feed (or an object of Feeds
// for several symbols).
const { koffi, F, check, raise } = require('./lib');
const { Feed } = require('./feed');
const u = require('./util');

/**
 * fetch(symbol | [symbols], { interval = "1h", start, end, futures, cache, baseUrl, settings })
 */
function fetch(symbol, options = {}) {
  try {
    const many = Array.isArray(symbol);
    const syms = many ? symbol : [symbol];
    syms.forEach((s) => u.expectString(s, 'symbol'));
    const o = u.expectObject(options, 'options');
    const interval = u.expectString(o.interval ?? '1h', 'interval');
    const s = o.start === undefined ? 0 : u.toMs(o.start, 'start');
    const e = o.end === undefined ? 0 : u.toMs(o.end, 'end');
    const cfg = { ...u.expectObject(o.settings, 'settings') };
    if (o.cache !== undefined) cfg.cache_dir = u.expectString(o.cache, 'cache');
    if (o.baseUrl !== undefined) cfg.base_url = u.expectString(o.baseUrl, 'baseUrl');
    const out = [null];
    check(F.ct_fetcher_create(out));
    const h = out[0];
    const done = () => F.ct_fetcher_destroy(h);
    try {
      if (Object.keys(cfg).length) check(F.ct_fetcher_configure_json(h, JSON.stringify(cfg)), () => F.ct_fetcher_errmsg(h));
    } catch (err) { done(); throw err; }
    const market = o.futures ? 1 : 0;
    const feeds = Buffer.alloc(8 * syms.length);
    return new Promise((resolve, reject) => {
      F.ct_fetcher_klines_many.async(h, market, syms, syms.length, interval, s, e, feeds, (err, st) => {
        try {
          if (err) throw err;
          if (st !== 0) raise(st, F.ct_fetcher_errmsg(h));
          const ptrs = koffi.decode(feeds, koffi.array('ct_feed *', syms.length));
          const res = {};
          syms.forEach((sym, i) => { res[sym] = Feed._adopt(ptrs[i]); });
          resolve(many ? res : res[syms[0]]);
        } catch (x) { reject(x); } finally { done(); }
      });
    });
  } catch (x) {
    return Promise.reject(x);
  }
}

module.exports = { fetch };
