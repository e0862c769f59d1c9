'use strict';
// Every ```js block of docs/node.md runs, in order, as one async function; and the
// examples/node quick start runs to completion.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { dataPath, ETH_1H } = require('./helpers');

const ROOT = path.join(__dirname, '..', '..', '..');

test('docs/node.md examples run', async () => {
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
});

test('examples/node/quickstart.js runs', () => {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'examples', 'node', 'quickstart.js'), dataPath(ETH_1H)]).toString();
  assert.match(out, /rsi: sharpe -?\d/);
  assert.match(out, /best of 6/);
});
