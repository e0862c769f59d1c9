'use strict';
// setLogHandler(): the library's JSON log lines routed to JavaScript, on the calling thread and
// from the library's threads (lib/log.js explains how each case is delivered).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const ct = require('..');
const { ETH_1H, dataPath } = require('./helpers');

const BIG = 'binance_BTCUSDT_5m_2024-03-01_2025-07-02.csv.zst'; // > 65536 rows: a multi-threaded .ctz

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-node-log-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the handler receives parsed lines; errors in it are ignored', (t) => {
  const dir = tmpDir(t);
  const seen = [];
  const old = ct.logLevel();
  ct.setLogLevel('debug');
  ct.setLogHandler((rec) => { seen.push(rec); throw new Error('ignored'); });
  try {
    assert.throws(() => ct.Feed.load(path.join(dir, 'missing.csv')), ct.IOError);
    // Every failure is logged at debug level by the error module, as a JSON object of log.h's shape.
    const recs = seen.filter((r) => String(r.msg).includes('missing.csv'));
    assert.ok(recs.length > 0);
    assert.strictEqual(recs[0].level, 'debug');
    assert.strictEqual(recs[0].module, 'error');
    assert.ok(recs[0].msg.startsWith('CT_E_IO'), recs[0].msg);
    assert.strictEqual(typeof recs[0].ts_ms, 'number');
    assert.strictEqual(ct.logLevel(), 'debug');
  } finally {
    ct.setLogHandler(null);
    ct.setLogLevel(old);
  }
  assert.throws(() => ct.setLogLevel('loud'), TypeError);
  assert.throws(() => ct.setLogHandler(42), TypeError);
});

test('a handler may remove itself; set and remove release the callback', (t) => {
  const dir = tmpDir(t);
  const old = ct.logLevel();
  ct.setLogLevel('debug');
  try {
    let calls = 0;
    ct.setLogHandler(() => { calls++; ct.setLogHandler(null); });
    assert.throws(() => ct.Feed.load(path.join(dir, 'a.csv')), ct.IOError);
    assert.strictEqual(calls, 1);
    const seen = [];
    ct.setLogHandler((rec) => seen.push(rec.msg));
    assert.throws(() => ct.Feed.load(path.join(dir, 'b.csv')), ct.IOError);
    assert.strictEqual(calls, 1);
    assert.ok(seen.some((m) => m.includes('b.csv')));
    ct.setLogHandler(null);
    // koffi has 8192 callback slots: without koffi.unregister this would run out of them.
    for (let i = 0; i < 9000; i++) {
      ct.setLogHandler(() => {});
      ct.setLogHandler(null);
    }
    ct.setLogHandler();
  } finally {
    ct.setLogLevel(old);
  }
});

test('without a handler the lines go to stderr again', () => {
  const code = `
    const ct = require(${JSON.stringify(path.join(__dirname, '..'))});
    ct.setLogLevel('debug');
    ct.setLogHandler(() => {});
    ct.setLogHandler(null);
    try { ct.Feed.load('no-such-dir/gone.csv'); } catch (e) { console.log(e.name); }`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60000 });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.strictEqual(r.stdout.trim(), 'IOError');
  const line = r.stderr.split('\n').find((l) => l.includes('gone.csv'));
  assert.ok(line, r.stderr);
  assert.strictEqual(JSON.parse(line).module, 'error');
});

test('lines of library threads never deadlock (optimizer pools, .ctz decoding)', (t) => {
  const dir = tmpDir(t);
  // In a child with a time limit: a deadlock would otherwise hang this test.
  const p = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'log_threads.js'), dataPath(ETH_1H), dataPath(BIG), dir],
    { encoding: 'utf8', timeout: 120000 });
  assert.strictEqual(p.signal, null, 'the child was killed: deadlocked?');
  assert.strictEqual(p.status, 0, p.stderr);
  const r = JSON.parse(p.stdout);
  // Asynchronous: the 4 refused combinations, logged on the pool's threads, all reach the
  // handler before the Promise settles.
  assert.deepStrictEqual(r.async, { evaluated: 5, skipped: 4, lines: 4 });
  assert.strictEqual(r.removeWhileRunning, 'StateError');
  assert.deepStrictEqual(r.replaced, { first: 0, second: 4 });
  // Synchronous on 2 threads: the same result; the library holds the pool's lines and the
  // handler gets them on the main thread as the call returns (none on stderr). On 1 thread too.
  assert.deepStrictEqual(r.sync2, { evaluated: 5, skipped: 4, lines: 4 });
  assert.strictEqual(p.stderr.split('\n').filter((l) => l.includes('fast must be below slow')).length, 0, p.stderr);
  assert.deepStrictEqual(r.sync1, { evaluated: 5, skipped: 4, lines: 4 });
  // The damaged .ctz is decoded on several threads: its failure lines reach the handler too.
  assert.ok(r.ctzLines >= 2, JSON.stringify(r));
  assert.deepStrictEqual(r.ctz, ['CorruptError', 'CorruptError']);
});
