'use strict';
// Every ```js block of docs/node.md runs, in order, as one async function (its fetch examples
// against the local Binance mock, through CRYPTOTA_BINANCE_URL); and the examples/node quick
// start runs to completion.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { dataPath, ETH_1H, startMock } = require('./helpers');

const ROOT = path.join(__dirname, '..', '..', '..');

test('docs/node.md examples run', async (t) => {
  const { p, url } = await startMock();
  const saved = process.env.CRYPTOTA_BINANCE_URL;
  process.env.CRYPTOTA_BINANCE_URL = url;
  t.after(() => {
    p.kill();
    if (saved === undefined) delete process.env.CRYPTOTA_BINANCE_URL;
    else process.env.CRYPTOTA_BINANCE_URL = saved;
  });
  const text = fs.readFileSync(path.join(ROOT, 'docs', 'node.md'), 'utf8');
  const blocks = [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 5);
  const pkg = path.join(__dirname, '..');
  const req = (name) => require(name === 'cryptota' ? pkg : name);
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const logs = [];
  const con = { log: (...a) => logs.push(a.join(' ')) };
  await new AsyncFunction('require', 'console', blocks.join('\n'))(req, con);
  assert.ok(logs.length >= 5);
  assert.ok(logs.includes('true'), 'the JS rsi matched the built-in');
  assert.ok(logs.includes('240 240/240'), 'the fetch example reported its progress');
  assert.ok(logs.some((l) => /^true fetch cancelled/.test(l)), 'the fetch example cancelled');
  assert.ok(logs.some((l) => /^debug error CT_E_IO/.test(l)), 'the log handler example got its line');
});

test('examples/node/quickstart.js runs', () => {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'examples', 'node', 'quickstart.js'), dataPath(ETH_1H)]).toString();
  assert.match(out, /rsi: sharpe -?\d/);
  assert.match(out, /best of 6/);
});
