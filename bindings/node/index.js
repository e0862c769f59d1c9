'use strict';
/**
 * cryptota: Node binding of libcryptota (koffi).
 *
 *   const ct = require('cryptota');
 *   const feed = ct.Feed.load('BTCUSDT_1h.csv.zst');
 *   const res = ct.backtest(feed, 'rsi', { params: { rsi_period: 14 }, config: { commission: 0.001 } });
 *   res.metrics.sharpe_ratio, res.equity[res.equity.length - 1], res.trades.length;
 */
const { F, libPath, ABI_VERSION } = require('./lib/lib');
const errors = require('./lib/errors');
const { Feed } = require('./lib/feed');
const ta = require('./lib/ta');
const { Strategy, Context, param, register } = require('./lib/strategy');
const { backtest, Result, strategies, metricNames } = require('./lib/engine');
const { optimize, optimizeSync, walkForward, OptimizeResult, WalkForwardResult } = require('./lib/optimize');
const { fetch } = require('./lib/fetch');
const { setLogLevel, logLevel, setLogHandler } = require('./lib/log');

module.exports = {
  ABI_VERSION,
  libPath,
  version: () => F.ct_version_string(),
  versionNumber: () => F.ct_version_number(),
  abiVersion: () => F.ct_abi_version(),
  setLogLevel,
  logLevel,
  setLogHandler,
  Feed,
  ta,
  Strategy,
  Context,
  param,
  register,
  backtest,
  Result,
  strategies,
  metricNames,
  optimize,
  optimizeSync,
  walkForward,
  OptimizeResult,
  WalkForwardResult,
  fetch,
  ...errors,
};
