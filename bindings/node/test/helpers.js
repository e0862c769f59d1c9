'use strict';
// Shared helpers: data paths from CT_DATA_DIR / CT_REF_DIR, the C reference runner
// (CT_BIND_REF, built in tests/bindings) for C-vs-Node equality, and the local Binance mock.
const path = require('path');
const { execFileSync, spawn } = require('child_process');

const ETH_1H = 'binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst';

function dataPath(name) {
  if (!process.env.CT_DATA_DIR) throw new Error('CT_DATA_DIR is not set (run through ctest)');
  return path.join(process.env.CT_DATA_DIR, name);
}

function refPath(...parts) {
  if (!process.env.CT_REF_DIR) throw new Error('CT_REF_DIR is not set (run through ctest)');
  return path.join(process.env.CT_REF_DIR, ...parts);
}

/** The same backtest through the C API, as the result document. */
function cBacktest(file, strategy, params, config) {
  const out = execFileSync(process.env.CT_BIND_REF, ['json', file, strategy, JSON.stringify(params), JSON.stringify(config)], { maxBuffer: 1 << 28 });
  return JSON.parse(out.toString());
}

/** Bit-equal numbers, NaN (C) equal to null (JSON). */
function same(a, b) {
  if (b === null) return Number.isNaN(a);
  return a === b;
}

/** A forced garbage collection, without --expose-gc on the command line. */
function collectGarbage() {
  const v8 = require('v8');
  const vm = require('vm');
  v8.setFlagsFromString('--expose-gc');
  vm.runInNewContext('gc')();
}

const MOCK = path.join(__dirname, '..', '..', '..', 'tests', 'mock', 'binance_mock.py');

/**
 * Start tests/mock/binance_mock.py serving CT_DATA_DIR on a free local port; resolves to
 * { p, url } once it listens (kill p when done). Nothing reaches the real Binance. Its stderr
 * is kept for the error of a failed start only: a cancelled fetch drops connections on
 * purpose, and the mock prints a traceback for each.
 */
function startMock() {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', [MOCK, '--data', dataPath(''), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ p, url: `http://127.0.0.1:${m[1]}` });
    });
    p.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
    p.on('error', reject);
    p.on('exit', (code) => reject(new Error(`the Binance mock exited (${code}) before listening: ${err}`)));
  });
}

module.exports = { ETH_1H, dataPath, refPath, cBacktest, same, collectGarbage, startMock };
