'use strict';
// fetch() (on a koffi worker thread) against the local Binance mock serving CT_DATA_DIR.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ct = require('..');
const { ETH_1H, dataPath, startMock } = require('./helpers');

let mock;
test.before(async () => { mock = await startMock(); });
test.after(() => mock.p.kill());

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-node-fetch-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every call must come in order, with done <= total. */
function checkCalls(calls) {
  for (const [i, [d, t]] of calls.entries()) {
    assert.ok(Number.isInteger(d) && Number.isInteger(t) && d >= 0 && d <= t, `call ${i}: ${d} of ${t}`);
    if (i > 0) assert.ok(d >= calls[i - 1][0], `call ${i}: done went back (${calls[i - 1][0]} -> ${d})`);
  }
}

test('fetch equals the file; several symbols; errors', async () => {
  const url = mock.url;
  const f = await ct.fetch('ETHUSDT', { interval: '1h', start: '2020-01-01', end: '2020-01-11', baseUrl: url });
  const ref = ct.Feed.load(dataPath(ETH_1H)).slice('2020-01-01', '2020-01-11');
  assert.strictEqual(f.length, 240); // ten days of 1h bars
  assert.deepStrictEqual(Array.from(f.close), Array.from(ref.close));
  assert.deepStrictEqual(Array.from(f.time), Array.from(ref.time));
  const many = await ct.fetch(['ETHUSDT', 'BTCUSDT'], { interval: '1h', start: '2020-01-01', end: '2020-01-02', baseUrl: url });
  assert.deepStrictEqual(Object.keys(many).sort(), ['BTCUSDT', 'ETHUSDT']);
  assert.strictEqual(many.BTCUSDT.length, 24);
  await assert.rejects(ct.fetch('NOSUCHCOIN', { start: '2020-01-01', end: '2020-01-02', baseUrl: url, settings: { max_retries: 0 } }),
    (e) => e instanceof ct.NotFoundError && /NOSUCHCOIN/.test(e.message));
  await assert.rejects(ct.fetch(123), TypeError);
  await assert.rejects(ct.fetch('ETHUSDT', { onProgress: 'yes' }), TypeError);
});

test('onProgress reports in order up to done === total', async (t) => {
  const cache = tmpDir(t);
  const calls = [];
  const opts = { interval: '1h', start: '2020-01-01', end: '2020-01-11', baseUrl: mock.url, cache };
  const f = await ct.fetch('ETHUSDT', { ...opts, onProgress: (d, n) => { calls.push([d, n]); } });
  const ref = ct.Feed.load(dataPath(ETH_1H)).slice('2020-01-01', '2020-01-11');
  assert.deepStrictEqual(Array.from(f.close), Array.from(ref.close));
  assert.ok(calls.length >= 2);
  checkCalls(calls);
  const last = calls[calls.length - 1];
  assert.strictEqual(last[0], last[1]);
  assert.strictEqual(last[0], 240);
  // From the cache: nothing to download, and still a last call with done === total.
  const again = [];
  const g = await ct.fetch('ETHUSDT', { ...opts, onProgress: (d, n) => { again.push([d, n]); } });
  assert.deepStrictEqual(Array.from(g.close), Array.from(f.close));
  assert.ok(again.length > 0);
  checkCalls(again);
  assert.strictEqual(again[again.length - 1][0], again[again.length - 1][1]);
  // Several symbols share one progress.
  const both = [];
  await ct.fetch(['ETHUSDT', 'BTCUSDT'], { interval: '1h', start: '2020-01-01', end: '2020-01-03', baseUrl: mock.url, onProgress: (d, n) => { both.push([d, n]); } });
  checkCalls(both);
  assert.deepStrictEqual(both[both.length - 1], [96, 96]);
});

test('returning false cancels: CancelledError, no feed, no partial garbage', async (t) => {
  const cache = tmpDir(t);
  const ref = ct.Feed.load(dataPath(ETH_1H)).slice('2020-01-01', '2020-03-01');
  // 100 rows a request, one request at a time: several progress calls before the end.
  const opts = { interval: '1h', start: '2020-01-01', end: '2020-03-01', baseUrl: mock.url, settings: { page_limit: 100, max_parallel: 1 } };

  // Without a cache.
  let calls = [];
  await assert.rejects(ct.fetch('ETHUSDT', { ...opts, onProgress: (d, n) => { calls.push([d, n]); return d < 200; } }),
    (e) => e instanceof ct.CancelledError && e.statusName === 'CT_E_CANCELLED' && /cancelled/.test(e.message));
  checkCalls(calls);
  assert.ok(calls[calls.length - 1][0] >= 200 && calls[calls.length - 1][0] < calls[calls.length - 1][1], JSON.stringify(calls));
  assert.strictEqual(calls.filter(([d]) => d >= 200).length, 1, 'called again after it returned false');
  // Before anything is downloaded.
  calls = [];
  await assert.rejects(ct.fetch('ETHUSDT', { ...opts, onProgress: (d, n) => { calls.push([d, n]); return false; } }), ct.CancelledError);
  assert.strictEqual(calls.length, 1);

  // With a cache: it keeps the pages completed before the cancel, in whole valid files (no
  // temporary file left), and the next fetch downloads only the rest and equals the file.
  calls = [];
  await assert.rejects(ct.fetch('ETHUSDT', { ...opts, cache, onProgress: (d, n) => { calls.push([d, n]); return d < 300; } }), ct.CancelledError);
  const full = calls[0][1];
  const spot = path.join(cache, 'spot');
  const files = fs.readdirSync(spot).sort();
  assert.ok(files.every((n) => n.startsWith('ETHUSDT_1h.') && !n.includes('.tmp')), files.join(', '));
  const kept = ct.Feed.load(path.join(spot, 'ETHUSDT_1h.ctz'));
  assert.deepStrictEqual(Array.from(kept.close), Array.from(ref.close.subarray(0, kept.length)));
  calls = [];
  const f = await ct.fetch('ETHUSDT', { ...opts, cache, onProgress: (d, n) => { calls.push([d, n]); } });
  assert.deepStrictEqual(Array.from(f.time), Array.from(ref.time));
  assert.deepStrictEqual(Array.from(f.close), Array.from(ref.close));
  checkCalls(calls);
  assert.ok(calls[calls.length - 1][1] < full, `downloaded ${calls[calls.length - 1][1]} of ${full} bars again`);
});

test('an exception in onProgress cancels and rejects with it', async () => {
  const boom = new Error('boom');
  await assert.rejects(ct.fetch('ETHUSDT', { interval: '1h', start: '2020-01-01', end: '2020-01-11', baseUrl: mock.url, onProgress: () => { throw boom; } }),
    (e) => e === boom);
});

test('log lines of the download thread reach a log handler before the Promise settles', async () => {
  // One 500 on the first kline request: the fetcher logs a warning on its thread and retries.
  const r = await globalThis.fetch(`${mock.url}/__fault`, { method: 'POST', body: JSON.stringify({ faults: [{ kind: '500' }] }) });
  assert.strictEqual(r.status, 200);
  const seen = [];
  ct.setLogHandler((rec) => seen.push(rec));
  try {
    const f = await ct.fetch('ETHUSDT', { interval: '1h', start: '2020-01-01', end: '2020-01-02', baseUrl: mock.url, settings: { retry_base_ms: 0 } });
    assert.strictEqual(f.length, 24);
    const warn = seen.find((rec) => rec.module === 'fetch' && rec.level === 'warn' && /retry/.test(rec.msg));
    assert.ok(warn, JSON.stringify(seen));
  } finally {
    ct.setLogHandler(null);
  }
});
