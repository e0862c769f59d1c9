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
const { check } = require('./lib/lib');

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'off'];

/** Minimum level the library logs ("trace" ... "off"); lines go to stderr as JSON. */
function setLogLevel(level) {
  const i = typeof level === 'number' ? level : LOG_LEVELS.indexOf(level);
  if (!Number.isInteger(i) || i < 0) throw new TypeError(`level must be one of ${LOG_LEVELS.join(', ')}`);
  check(F.ct_set_log_level(i));
}

module.exports = {
  ABI_VERSION,
  libPath,
  version: () => F.ct_version_string(),
  versionNumber: () => F.ct_version_number(),
  abiVersion: () => F.ct_abi_version(),
  setLogLevel,
  logLevel: () => F.ct_log_level_name(F.ct_log_level()),
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
