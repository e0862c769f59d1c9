'use strict';
// A small HTTP service over libcryptota on node:http (no framework), using the Node binding.
//
//   POST /backtest        {file | candles, strategy, params, config}
//                         small inputs (<= syncMaxBars bars) answer 200 with the result;
//                         larger ones answer 202 {id, status, url} and run as a job on a worker thread
//   POST /optimize        {file | candles, strategy, grid, metric, maximize, minTrades, threads}
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

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { reject(new HttpError(413, `request body over ${limit} bytes`)); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
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

// The candle source of a request: {file} under the data directory or {candles} inline.
function candleSource(body, dataDir) {
  if (body.file !== undefined && body.candles !== undefined) throw new HttpError(400, 'give either "file" or "candles", not both');
  if (typeof body.file === 'string') {
    const root = path.resolve(dataDir);
    const p = path.resolve(root, body.file);
    if (p !== root && !p.startsWith(root + path.sep)) throw new HttpError(400, `"file" must name a file under the data directory: ${body.file}`);
    if (!fs.existsSync(p)) throw new HttpError(404, `no such candle file: ${body.file}`);
    return { file: p };
  }
  if (body.candles && typeof body.candles === 'object') {
    const c = body.candles;
    for (const k of ['time', 'open', 'high', 'low', 'close', 'volume']) {
      if (!Array.isArray(c[k])) throw new HttpError(400, `"candles.${k}" must be an array of numbers`);
      if (c[k].length !== c.time.length) throw new HttpError(400, `"candles.${k}" has ${c[k].length} values, "candles.time" ${c.time.length}`);
    }
    return { candles: c };
  }
  throw new HttpError(400, 'missing "file" (a candle file under the data directory) or "candles" (inline columns)');
}

// Build the feed of a source (in whichever thread runs the work).
function loadFeed(src) {
  if (src.file) return ct.Feed.load(src.file);
  const c = src.candles;
  return ct.Feed.fromArrays(
    { time: c.time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume },
    { symbol: typeof c.symbol === 'string' ? c.symbol : '', interval: c.interval ?? 0 });
}

function runBacktest(feed, req, equityPoints) {
  const res = ct.backtest(feed, req.strategy, { params: req.params, config: req.config });
  try { return JSON.parse(res.toJson(equityPoints)); } finally { res.dispose(); }
}

function checkStrategy(body) {
  const name = body.strategy ?? 'rsi';
  if (typeof name !== 'string') throw new HttpError(400, '"strategy" must be a strategy name');
  if (!ct.strategies().some((s) => s.name === name)) throw new HttpError(400, `unknown strategy "${name}"`);
  for (const k of ['params', 'config', 'grid']) {
    if (body[k] !== undefined && (body[k] === null || typeof body[k] !== 'object' || Array.isArray(body[k])))
      throw new HttpError(400, `"${k}" must be a JSON object`);
  }
  return name;
}

// Library errors are the client's fault when they name bad input.
function libError(e) {
  if (e instanceof HttpError) return e;
  if (e instanceof ct.CryptotaError) {
    const client = [ct.InvalidArgumentError, ct.RangeError, ct.FormatError, ct.DataError, ct.NotFoundError, ct.CorruptError];
    return new HttpError(client.some((c) => e instanceof c) ? 400 : 500, e.message);
  }
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
      const he = libError(err);
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
        const Cls = m.error.status ? ct.errorClass(m.error.status) : Error;
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
    try { feed = loadFeed(src); } catch (e) { throw libError(e); }
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
    try { run = ct.optimize(feed, name, o); } catch (e) { feed.dispose(); throw libError(e); }
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
    const url = new URL(req.url, 'http://localhost');
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
      const name = checkStrategy(body);
      const src = candleSource(body, opt.dataDir);
      if (parts[0] === 'optimize') {
        if (!body.grid) throw new HttpError(400, 'missing "grid" (parameter name -> list or {from, to, step})');
        if (body.top !== undefined && !(Number.isInteger(body.top) && body.top >= 0)) throw new HttpError(400, '"top" must be an integer >= 0 (0: every row)');
        const job = optimizeJob(src, name, body);
        return sendJson(res, 202, { id: job.id, status: job.status, url: `/jobs/${job.id}`, events: `/jobs/${job.id}/events` });
      }
      const bt = { strategy: name, params: body.params, config: body.config };
      let feed;
      try { feed = loadFeed(src); } catch (e) { throw libError(e); }
      if (feed.length <= opt.syncMaxBars) {
        try { return sendJson(res, 200, runBacktest(feed, bt, opt.equityPoints)); } catch (e) { throw libError(e); } finally { feed.dispose(); }
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
