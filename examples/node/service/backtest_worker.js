'use strict';
// Runs one backtest of server.js off the event loop (a worker thread with its own binding
// instance) and posts {result} or {error: {name, message, status, statusName}} back.
const path = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
const ct = require(path.join(__dirname, '..', '..', '..', 'bindings', 'node'));

const { src, req, equityPoints } = workerData;
try {
  const feed = src.file ? ct.Feed.load(src.file) : ct.Feed.fromArrays(src.candles, { symbol: src.candles.symbol || '', interval: src.candles.interval ?? 0 });
  try {
    const res = ct.backtest(feed, req.strategy, { params: req.params, config: req.config });
    try { parentPort.postMessage({ result: JSON.parse(res.toJson(equityPoints)) }); } finally { res.dispose(); }
  } finally { feed.dispose(); }
} catch (e) {
  parentPort.postMessage({ error: { name: e.name, message: e.message, status: e.status, statusName: e.statusName } });
}
