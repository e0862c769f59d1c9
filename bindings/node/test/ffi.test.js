'use strict';
// lib/ffi.js PROTOTYPES against include/cryptota/*.h: every CT_API function declared, with
// the same argument count and basic types.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { PROTOTYPES, protoName } = require('../lib/ffi');

const INCLUDE = path.join(__dirname, '..', '..', '..', 'include', 'cryptota');
const FN_TYPES = new Set(['ct_progress_fn', 'ct_log_fn', 'ct_fetch_progress_fn', 'ct_broker_fn']);

function stripComments(t) { return t.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' '); }

function parseHeaders() {
  const out = new Map();
  for (const f of fs.readdirSync(INCLUDE).filter((x) => x.endsWith('.h')).sort()) {
    const text = stripComments(fs.readFileSync(path.join(INCLUDE, f), 'utf8'));
    for (const m of text.matchAll(/CT_API\s+([^;(]*?)\b(ct_\w+)\s*\(([^;]*?)\)\s*;/g)) {
      const args = m[3].replace(/\s+/g, ' ').trim();
      out.set(m[2], { ret: m[1].trim(), args: args === '' || args === 'void' ? [] : args.split(',').map((a) => a.trim()) });
    }
  }
  return out;
}

/** Category of a C type (with or without a parameter name): i32 i64 u32 u64 f64 str ptr void. */
function category(decl, isReturn) {
  const isConst = /\bconst\b/.test(decl);
  let t = decl.replace(/\b(const|_Out_|_In_|_Inout_)\b/g, ' ').replace(/\s+/g, ' ').trim();
  if (!isReturn) {
    const m = /^(.*?[\s*])(\w+)$/.exec(t);
    if (m && m[1].trim()) t = m[1];
  }
  t = t.replace(/\s/g, '');
  const stars = (t.match(/\*/g) || []).length;
  const base = t.replace(/\*/g, '');
  if (FN_TYPES.has(base)) return 'ptr';
  // const char * is a string; a non-const char * is a caller buffer (declared void *).
  if (stars === 1 && base === 'char') return isConst || isReturn ? 'str' : 'ptr';
  if (stars) return 'ptr';
  return { ct_status: 'i32', int32_t: 'i32', int64_t: 'i64', uint32_t: 'u32', uint64_t: 'u64', double: 'f64', size_t: 'u64', void: 'void' }[base];
}

function parseProto(p) {
  const m = /^(.*?)\b(ct_\w+)\s*\((.*)\)$/.exec(p);
  const args = m[3].trim();
  return { ret: m[1].trim(), args: args === 'void' || args === '' ? [] : args.split(',').map((a) => a.trim()) };
}

const headers = parseHeaders();
const declared = new Map(PROTOTYPES.map((p) => [protoName(p), parseProto(p)]));

test('headers were parsed', () => {
  assert.ok(headers.has('ct_abi_version') && headers.size > 100);
});

test('every header function is declared, and nothing else', () => {
  assert.deepStrictEqual([...headers.keys()].filter((n) => !declared.has(n)), []);
  assert.deepStrictEqual([...declared.keys()].filter((n) => !headers.has(n)), []);
  assert.strictEqual(declared.size, PROTOTYPES.length, 'duplicate declarations');
});

test('signatures match the headers', () => {
  for (const [name, h] of headers) {
    const d = declared.get(name);
    assert.strictEqual(category(d.ret, true), category(h.ret, true), `${name}: return type`);
    assert.strictEqual(d.args.length, h.args.length, `${name}: argument count`);
    h.args.forEach((a, i) => {
      // `void *` / `void **` in a prototype marks a caller buffer for a typed pointer: any pointer matches.
      assert.strictEqual(category(d.args[i], false), category(a, false), `${name}: argument ${i} (${a})`);
    });
  }
});
