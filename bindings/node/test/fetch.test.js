'use strict';
// fetch() (on a koffi worker thread) against the local Binance mock serving CT_DATA_DIR.
const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { spawn } = require('child_process');
const ct = require('..');
const { ETH_1H, dataPath } = require('./helpers');

const MOCK = path.join(__dirname, '..', '..', '..', 'tests', 'mock', 'binance_mock.py');

function startMock() {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', [MOCK, '--data', process.env.CT_DATA_DIR, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      const m = /PORT (\d+)/.exec(buf);
      if (m) resolve({ p, url: `http://127.0.0.1:${m[1]}` });
    });
    p.on('error', reject);
  });
}

test('fetch equals the file; several symbols; errors', async (t) => {
  const { p, url } = await startMock();
  t.after(() => p.kill());
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
});
