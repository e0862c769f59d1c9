'use strict';
// A small HTTP service over libcryptota on node:http (no framework), using the Node binding.
//
//   POST /backtest        {file | candles, strategy, params, config}
//                         small inputs (<= syncMaxBars bars) answer 200 with the result;
//                         larger ones answer 202 {id, status, url} and run as a job on a worker thread
//   POST /optimize        {file | candles, strategy, grid, metric, maximize, minTrades, threads, config, top}
//                         always a job (202); runs on the libuv thread pool (the binding's async optimize)
//   GET  /jobs/:id        {id, kind, status, progress, result | error}
//   GET  /jobs/:id/events server-sent events: "progress" {done, total, best}, then "done" or "failed"
//   GET  /health          {status: "ok", version, jobs: {queued, running, done, failed}}
//
// Candles come either inline ({"candles": {"time": [...], "open": [...], ..., "symbol", "interval"}})
// or from a file name under the data directory (CRYPTOTA_DATA_DIR; no path outside it is served).
// Results are the library's result JSON (DESIGN.md section 10) with the equity curve thinned to
// `equityPoints` points. Run: CRYPTOTA_LIB=build/lib/libcryptota.so CRYPTOTA_DATA_DIR=DIR node server.js
// (PORT, default 8002; HOST, default 127.0.0.1).
const http = require('node:http');
const path = require('node:path');
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const { randomUUID } = require('node:crypto');
const ct = require(path.join(__dirname, '..', '..', '..', 'bindings', 'node'));

const DEFAULTS = {
  dataDir: process.env.CRYPTOTA_DATA_DIR || process.cwd(),
  syncMaxBars: 100000,     // backtests on more bars than this run as jobs
  maxBodyBytes: 64 << 20,  // inline candles can be large
  equityPoints: 1000,      // equity curve points in results
  keepJobs: 1000,          // finished jobs kept for GET /jobs/:id
};

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// The request's JSON object. A body over `limit` bytes is a 413, answered once the body has
// been read (and dropped), with the connection closed after it: destroying the request at once
// reset the connection before the client could read the answer. A body past 4 x limit is cut off.
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
      else if (chunks.length) chunks.length = 0;
      if (size > 4 * limit) req.destroy();
    });
    req.on('end', () => {
      if (size > limit) {
        const e = new HttpError(413, `request body over ${limit} bytes`);
        e.close = true;
        reject(e);
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        const v = JSON.parse(text);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        resolve(v);
      } catch (e) { reject(new HttpError(400, `body is not a JSON object: ${e.message}`)); }
    });
    req.on('error', reject);
  });
}

function jsonType(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

// Fields a request may have: a misspelt one ("parmas") would be ignored and the defaults run.
const FIELDS = {
  backtest: ['file', 'candles', 'strategy', 'params', 'config'],
  optimize: ['file', 'candles', 'strategy', 'config', 'grid', 'metric', 'maximize', 'minTrades', 'threads', 'top'],
};
const CANDLE_FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume', 'symbol', 'interval'];

function checkFields(obj, allowed, where) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new HttpError(400, `unknown field "${where}${k}" (expected ${allowed.join(', ')})`);
  }
}

// The candle source of a request: {file} under the data directory or {candles} inline.
function candleSource(body, dataDir) {
  if (body.file !== undefined && body.candles !== undefined) throw new HttpError(400, 'give either "file" or "candles", not both');
  if (body.file !== undefined) {
    if (typeof body.file !== 'string' || body.file === '') throw new HttpError(400, `"file" must be a file name, not ${jsonType(body.file)}`);
    const root = path.resolve(dataDir);
    const p = path.resolve(root, body.file);
    if (p !== root && !p.startsWith(root + path.sep)) throw new HttpError(400, `"file" must name a file under the data directory: ${body.file}`);
    let st = null;
    try { st = fs.statSync(p); } catch (_) { /* below */ }
    if (!st) throw new HttpError(404, `no such candle file: ${body.file}`);
    if (!st.isFile()) throw new HttpError(400, `"file" must name a file, not a directory: ${body.file}`);
    return { file: p };
  }
  if (body.candles !== undefined) {
    const c = body.candles;
    if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new HttpError(400, `"candles" must be an object of columns, not ${jsonType(c)}`);
    checkFields(c, CANDLE_FIELDS, 'candles.');
    for (const k of ['time', 'open', 'high', 'low', 'close', 'volume']) {
      if (!Array.isArray(c[k])) throw new HttpError(400, `"candles.${k}" must be an array of numbers`);
      if (c[k].length !== c.time.length) throw new HttpError(400, `"candles.${k}" has ${c[k].length} values, "candles.time" ${c.time.length}`);
      const ok = k === 'time' ? Number.isSafeInteger : (v) => typeof v === 'number';
      const i = c[k].findIndex((v) => !ok(v));
      if (i >= 0) throw new HttpError(400, `"candles.${k}[${i}]" must be ${k === 'time' ? 'an integer (epoch ms)' : 'a number'}, not ${jsonType(c[k][i])}`);
    }
    if (c.time.length === 0) throw new HttpError(400, '"candles" has no rows');
    if (c.symbol !== undefined && typeof c.symbol !== 'string') throw new HttpError(400, `"candles.symbol" must be a string, not ${jsonType(c.symbol)}`);
    if (c.interval !== undefined && typeof c.interval !== 'string' && !(Number.isSafeInteger(c.interval) && c.interval >= 0)) {
      throw new HttpError(400, `"candles.interval" must be a name like "1h" or milliseconds, not ${jsonType(c.interval)}`);
    }
    return { candles: c };
  }
  throw new HttpError(400, 'missing "file" (a candle file under the data directory) or "candles" (inline columns)');
}

// Build the feed of a source (in whichever thread runs the work).
function loadFeed(src) {
  let feed;
  if (src.file) feed = ct.Feed.load(src.file);
  else {
    const c = src.candles;
    feed = ct.Feed.fromArrays(
      { time: c.time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume },
      { symbol: typeof c.symbol === 'string' ? c.symbol : '', interval: c.interval ?? 0 });
  }
  if (feed.length === 0) { feed.dispose(); throw new HttpError(400, 'the candles have no rows'); }
  return feed;
}

function runBacktest(feed, req, equityPoints) {
  const res = ct.backtest(feed, req.strategy, { params: req.params, config: req.config });
  try { return JSON.parse(res.toJson(equityPoints)); } finally { res.dispose(); }
}

function checkStrategy(body, kind) {
  checkFields(body, FIELDS[kind], '');
  const name = body.strategy ?? 'rsi';
  if (typeof name !== 'string') throw new HttpError(400, '"strategy" must be a strategy name');
  if (!ct.strategies().some((s) => s.name === name)) throw new HttpError(400, `unknown strategy "${name}"`);
  for (const k of ['params', 'config', 'grid']) {
    if (body[k] !== undefined && (body[k] === null || typeof body[k] !== 'object' || Array.isArray(body[k])))
      throw new HttpError(400, `"${k}" must be a JSON object`);
  }
  // Values the binding takes (it would throw a TypeError: a 500 before).
  for (const k of ['params', 'config']) {
    for (const [key, v] of Object.entries(body[k] || {})) {
      if (!['number', 'boolean', 'string'].includes(typeof v)) throw new HttpError(400, `"${k}.${key}" must be a number, boolean or string, not ${jsonType(v)}`);
      if (typeof v === 'number' && !Number.isFinite(v)) throw new HttpError(400, `"${k}.${key}" must be a finite number`);
    }
  }
  for (const [key, v] of Object.entries(body.grid || {})) {
    if (!(typeof v === 'number' || Array.isArray(v) || (v !== null && typeof v === 'object'))) {
      throw new HttpError(400, `"grid.${key}" must be a list, a number or {from, to, step}, not ${jsonType(v)}`);
    }
  }
  return name;
}

// The search settings of POST /optimize, checked here so that a wrong type answers 400 at once.
function checkSearch(body) {
  if (!body.grid) throw new HttpError(400, 'missing "grid" (parameter name -> list or {from, to, step})');
  if (body.metric !== undefined && typeof body.metric !== 'string') throw new HttpError(400, `"metric" must be a metric name, not ${jsonType(body.metric)}`);
  if (body.maximize !== undefined && typeof body.maximize !== 'boolean') throw new HttpError(400, `"maximize" must be true or false, not ${jsonType(body.maximize)}`);
  for (const k of ['minTrades', 'threads', 'top']) {
    const v = body[k];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) {
      throw new HttpError(400, `"${k}" must be an integer >= 0${k === 'top' ? ' (0: every row)' : ''}, not ${jsonType(v)}`);
    }
  }
}

// Library errors are the client's fault when they name bad input; so are the binding's
// TypeError and RangeError for a value of the request (`input`: the call took request values).
function libError(e, input = false) {
  if (e instanceof HttpError) return e;
  if (e instanceof ct.CryptotaError) {
    const client = [ct.InvalidArgumentError, ct.RangeError, ct.FormatError, ct.DataError, ct.NotFoundError, ct.CorruptError];
    return new HttpError(client.some((c) => e instanceof c) ? 400 : 500, e.message);
  }
  if (input && (e instanceof TypeError || e instanceof RangeError)) return new HttpError(400, e.message);
  return new HttpError(500, e && e.message ? e.message : String(e));
}

function createService(options = {}) {
  const opt = { ...DEFAULTS, ...options };
  const jobs = new Map();

  function newJob(kind) {
    const job = { id: randomUUID(), kind, status: 'queued', created: Date.now(), progress: null, result: null, error: null, listeners: new Set() };
    jobs.set(job.id, job);
    if (jobs.size > opt.keepJobs) {
      for (const [id, j] of jobs) {
        if (jobs.size <= opt.keepJobs) break;
        if (j.status === 'done' || j.status === 'failed') jobs.delete(id);
      }
    }
    return job;
  }
  function view(job) {
    const v = { id: job.id, kind: job.kind, status: job.status, progress: job.progress };
    if (job.status === 'done') v.result = job.result;
    if (job.status === 'failed') v.error = job.error;
    return v;
  }
  function emit(job, event, data) {
    for (const res of job.listeners) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (event === 'done' || event === 'failed') {
      for (const res of job.listeners) res.end();
      job.listeners.clear();
    }
  }
  function finish(job, result, err) {
    if (err) {
      const he = libError(err, true); // a job's inputs are the request's
      job.status = 'failed';
      job.error = { status: he.status, message: he.message };
      emit(job, 'failed', job.error);
    } else {
      job.status = 'done';
      job.result = result;
      emit(job, 'done', { id: job.id, status: 'done' });
    }
  }

  // A large backtest on a worker thread: the binding's backtest is synchronous.
  function backtestJob(src, req) {
    const job = newJob('backtest');
    job.status = 'running';
    const w = new Worker(path.join(__dirname, 'backtest_worker.js'), { workerData: { src, req, equityPoints: opt.equityPoints } });
    w.once('message', (m) => {
      let err = null;
      if (m.error) {
        const Cls = m.error.status ? ct.errorClass(m.error.status) : { TypeError, RangeError }[m.error.name] || Error;
        err = new Cls(m.error.message, m.error.status, m.error.statusName);
      }
      finish(job, m.result, err);
    });
    w.once('error', (e) => { if (job.status === 'running') finish(job, null, e); });
    w.once('exit', (code) => { if (job.status === 'running') finish(job, null, new Error(`worker exited with ${code}`)); });
    return job;
  }

  // An optimization on the thread pool (ct.optimize), progress streamed to the job's listeners.
  // Bad candles answer 400 at once; the binding checks grids and settings asynchronously, so a bad
  // grid makes a failed job whose error names it (status 400 in the job's error).
  function optimizeJob(src, name, body) {
    const job = newJob('optimize');
    jobs.delete(job.id); // registered once the search has started
    let feed;
    try { feed = loadFeed(src); } catch (e) { throw libError(e, true); }
    job.status = 'running';
    const o = {
      grid: body.grid,
      metric: body.metric,
      maximize: body.maximize,
      minTrades: body.minTrades,
      threads: body.threads,
      config: body.config,
      onProgress: (p) => {
        job.progress = { done: p.done, total: p.total, best: Number.isFinite(p.best) ? p.best : null };
        emit(job, 'progress', job.progress);
      },
    };
    let run;
    try { run = ct.optimize(feed, name, o); } catch (e) { feed.dispose(); throw libError(e, true); }
    jobs.set(job.id, job);
    run.then((r) => {
      let doc;
      try {
        doc = JSON.parse(r.toJson(body.top === undefined ? 20 : body.top));
      } catch (e) { finish(job, null, e); return; }
      job.progress = { done: r.total, total: r.total, best: r.best ? r.best.objective : null };
      finish(job, doc, null);
    }, (e) => finish(job, null, e)).finally(() => feed.dispose()).catch(() => {}); // failures are in the job
    return job;
  }

  async function handle(req, res) {
    let url;
    try { url = new URL(req.url, 'http://localhost'); } catch (_) { throw new HttpError(400, `bad request target ${JSON.stringify(req.url)}`); }
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts.length === 1 && parts[0] === 'health') {
      if (req.method !== 'GET') throw new HttpError(405, 'GET only');
      const counts = { queued: 0, running: 0, done: 0, failed: 0 };
      for (const j of jobs.values()) counts[j.status]++;
      return sendJson(res, 200, { status: 'ok', version: ct.version(), jobs: counts });
    }
    if (parts.length === 1 && (parts[0] === 'backtest' || parts[0] === 'optimize')) {
      if (req.method !== 'POST') throw new HttpError(405, 'POST only');
      const body = await readBody(req, opt.maxBodyBytes);
      const name = checkStrategy(body, parts[0]);
      if (parts[0] === 'optimize') checkSearch(body);
      const src = candleSource(body, opt.dataDir);
      if (parts[0] === 'optimize') {
        const job = optimizeJob(src, name, body);
        return sendJson(res, 202, { id: job.id, status: job.status, url: `/jobs/${job.id}`, events: `/jobs/${job.id}/events` });
      }
      const bt = { strategy: name, params: body.params, config: body.config };
      let feed;
      try { feed = loadFeed(src); } catch (e) { throw libError(e, true); }
      if (feed.length <= opt.syncMaxBars) {
        try { return sendJson(res, 200, runBacktest(feed, bt, opt.equityPoints)); } catch (e) { throw libError(e, true); } finally { feed.dispose(); }
      }
      feed.dispose(); // the worker loads its own copy
      const job = backtestJob(src, bt);
      return sendJson(res, 202, { id: job.id, status: job.status, url: `/jobs/${job.id}` });
    }
    if (parts[0] === 'jobs' && (parts.length === 2 || (parts.length === 3 && parts[2] === 'events'))) {
      if (req.method !== 'GET') throw new HttpError(405, 'GET only');
      const job = jobs.get(parts[1]);
      if (!job) throw new HttpError(404, `no job ${parts[1]}`);
      if (parts.length === 2) return sendJson(res, 200, view(job));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      if (job.progress) res.write(`event: progress\ndata: ${JSON.stringify(job.progress)}\n\n`);
      if (job.status === 'done' || job.status === 'failed') {
        res.end(`event: ${job.status}\ndata: ${JSON.stringify(job.status === 'done' ? { id: job.id, status: 'done' } : job.error)}\n\n`);
        return undefined;
      }
      job.listeners.add(res);
      req.on('close', () => job.listeners.delete(res));
      return undefined;
    }
    throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      const he = libError(e);
      if (e && e.close) res.setHeader('connection', 'close');
      if (!res.headersSent) sendJson(res, he.status, { error: he.message });
      else res.end();
    });
  });
  server.jobs = jobs;
  return server;
}

module.exports = { createService, DEFAULTS };

if (require.main === module) {
  const server = createService({
    syncMaxBars: process.env.SYNC_MAX_BARS ? Number(process.env.SYNC_MAX_BARS) : DEFAULTS.syncMaxBars,
  });
  const port = process.env.PORT === undefined ? 8002 : Number(process.env.PORT);
  server.listen(port, process.env.HOST || '127.0.0.1', () => {
    const a = server.address();
    console.log(`cryptota node service listening on http://${a.address}:${a.port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
