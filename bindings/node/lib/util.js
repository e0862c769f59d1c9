'use strict';
// Argument checks and conversions shared by the modules.
const { F, check } = require('./lib');

function typeError(msg) {
  return new TypeError(msg);
}

function typeName(x) {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'Array';
  if (typeof x === 'object') return (x.constructor && x.constructor.name) || 'object';
  return typeof x;
}

function expectString(x, what) {
  if (typeof x !== 'string') throw typeError(`${what} must be a string, not ${typeName(x)}`);
  return x;
}

function expectInt(x, what) {
  if (typeof x === 'bigint') return Number(x);
  if (typeof x !== 'number' || !Number.isInteger(x)) throw typeError(`${what} must be an integer, not ${typeName(x)}`);
  return x;
}

function expectObject(x, what) {
  if (x === undefined || x === null) return {};
  if (typeof x !== 'object' || Array.isArray(x)) throw typeError(`${what} must be an object, not ${typeName(x)}`);
  return x;
}

/** Float64Array of a numeric column: a Float64Array as is, other arrays converted (copied). */
function f64(x, what) {
  if (x instanceof Float64Array) return x;
  if (ArrayBuffer.isView(x) || Array.isArray(x)) {
    const out = Float64Array.from(x, (v) => {
      if (typeof v !== 'number' && typeof v !== 'bigint') throw typeError(`${what} must hold numbers, found ${typeName(v)}`);
      return Number(v);
    });
    return out;
  }
  throw typeError(`${what} must be a Float64Array or an array of numbers, not ${typeName(x)}`);
}

/** BigInt64Array of epoch-ms times from numbers, BigInts, Dates or a BigInt64Array. */
function i64(x, what) {
  if (x instanceof BigInt64Array) return x;
  if (ArrayBuffer.isView(x) || Array.isArray(x)) {
    return BigInt64Array.from(x, (v) => {
      if (typeof v === 'bigint') return v;
      if (v instanceof Date) return BigInt(v.getTime());
      if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
      throw typeError(`${what} must hold integer epoch milliseconds, found ${typeName(v)}`);
    });
  }
  throw typeError(`${what} must be a BigInt64Array or an array of integers, not ${typeName(x)}`);
}

/** Epoch ms from a number, BigInt, Date or ISO-8601 string. */
function toMs(t, what) {
  if (typeof t === 'number' && Number.isInteger(t)) return t;
  if (typeof t === 'bigint') return Number(t);
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'string') {
    const s = /[zZ]|[+-]\d\d:?\d\d$/.test(t) || !/T|\d\d:\d\d/.test(t) ? t : `${t}Z`;
    const ms = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);
    if (Number.isNaN(ms)) throw new RangeError(`${what}: cannot parse ${JSON.stringify(t)} as an ISO-8601 date/time`);
    return ms;
  }
  throw typeError(`${what} must be epoch ms, a Date or an ISO-8601 string, not ${typeName(t)}`);
}

/** Milliseconds of an interval name ("1h") or a number of ms. */
function intervalMs(iv, what = 'interval') {
  if (typeof iv === 'number' && Number.isInteger(iv)) return iv;
  if (typeof iv !== 'string') throw typeError(`${what} must be a name like "1h" or milliseconds, not ${typeName(iv)}`);
  const out = [0];
  check(F.ct_interval_parse(iv, out));
  return Number(out[0]);
}

function intervalName(ms) {
  return F.ct_interval_name(ms) || `${ms}ms`;
}

/** JSON text of a settings/params object; values must be numbers, booleans or strings. */
function settingsJson(obj, what) {
  const o = expectObject(obj, what);
  for (const [k, v] of Object.entries(o)) {
    if (!['number', 'boolean', 'string'].includes(typeof v)) {
      throw typeError(`${what}.${k} must be a number, boolean or string, not ${typeName(v)}`);
    }
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`${what}.${k} must be finite`);
  }
  return JSON.stringify(o);
}

module.exports = { typeError, typeName, expectString, expectInt, expectObject, f64, i64, toMs, intervalMs, intervalName, settingsJson };
