'use strict';
// Argument checks and conversions shared by the modules.
const { F, check } = require('./lib');
const errors = require('./errors');

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

// Bounds of the C integer types, [lo, hi), as numbers and as BigInts.
const BOUNDS = {
  int32: [-(2 ** 31), 2 ** 31, -(2n ** 31n), 2n ** 31n],
  int64: [-(2 ** 63), 2 ** 63, -(2n ** 63n), 2n ** 63n],
  uint64: [0, 2 ** 64, 0n, 2n ** 64n],
};

function describe(x) {
  if (typeof x === 'number') return String(x);
  if (typeof x === 'bigint') return `${x}n`;
  return typeName(x);
}

/**
 * An integer argument of a C call, checked against its C type ("int32", "int64", "uint64"):
 * koffi would truncate 1.5 to 1, turn NaN and numbers outside the type into its minimum and wrap
 * BigInts (2n ** 64n to 0), passing another value without an error. A number that is not an
 * integer (or not a number) throws TypeError, a value outside the type ct.RangeError. Returns a
 * value koffi passes exactly: the number, or a BigInt (BigInts, and every uint64).
 */
function expectInt(x, what, type = 'int64') {
  const [lo, hi, blo, bhi] = BOUNDS[type];
  if (typeof x === 'number') {
    if (!Number.isInteger(x)) throw typeError(`${what} must be an integer, not ${describe(x)}`);
    if (x < lo || x >= hi) throw new errors.RangeError(`${what} ${x} does not fit the C argument (${type})`);
    return type === 'uint64' ? BigInt(x) : x;
  }
  if (typeof x === 'bigint') {
    if (x < blo || x >= bhi) throw new errors.RangeError(`${what} ${x}n does not fit the C argument (${type})`);
    return x;
  }
  throw typeError(`${what} must be an integer, not ${typeName(x)}`);
}

/**
 * An options object whose keys are all in `known` (a misspelt option, {metirc: ...}, would
 * otherwise be ignored and its default used without a word): TypeError naming the key.
 */
function expectOptions(x, what, known) {
  const o = expectObject(x, what);
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw typeError(`${what}: unknown option ${JSON.stringify(k)} (known: ${known.join(', ')})`);
  }
  return o;
}

/** A flag: undefined (the default) or a boolean (a string "false" or 0 would read as another value). */
function expectBool(x, what, def) {
  if (x === undefined) return def;
  if (typeof x !== 'boolean') throw typeError(`${what} must be true or false, not ${describe(x)}`);
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
    const out = Float64Array.from(x, (v, i) => {
      if (typeof v !== 'number' && typeof v !== 'bigint') throw typeError(`${what} must hold numbers, found ${typeName(v)} at [${i}]`);
      return Number(v);
    });
    return out;
  }
  throw typeError(`${what} must be a Float64Array or an array of numbers, not ${typeName(x)}`);
}

/**
 * BigInt64Array of epoch-ms times from numbers, BigInts, Dates or a BigInt64Array. A value
 * outside int64 throws ct.RangeError (BigInt64Array would wrap 2n ** 64n + 7200000n to 7200000).
 */
function i64(x, what) {
  if (x instanceof BigInt64Array) return x;
  if (ArrayBuffer.isView(x) || Array.isArray(x)) {
    return BigInt64Array.from(x, (v, i) => {
      if (typeof v === 'bigint') {
        if (v < -I64 || v >= I64) throw new errors.RangeError(`${what}[${i}] ${v}n does not fit int64 epoch milliseconds`);
        return v;
      }
      if (typeof v === 'number' && Number.isInteger(v)) {
        if (v < -(2 ** 63) || v >= 2 ** 63) throw new errors.RangeError(`${what}[${i}] ${v} does not fit int64 epoch milliseconds`);
        return BigInt(v);
      }
      if (v instanceof Date) {
        const ms = v.getTime();
        if (Number.isNaN(ms)) throw new RangeError(`${what}[${i}] is an invalid Date`);
        return BigInt(ms);
      }
      throw typeError(`${what} must hold integer epoch milliseconds, found ${typeof v === 'number' ? v : typeName(v)} at [${i}]`);
    });
  }
  throw typeError(`${what} must be a BigInt64Array or an array of integers, not ${typeName(x)}`);
}
const I64 = 2n ** 63n;

/**
 * Epoch ms from a number, BigInt, Date or ISO-8601 string, as an int64 argument (a number, or
 * a BigInt for a BigInt): an invalid Date throws a RangeError, a value outside int64
 * ct.RangeError (koffi would pass INT64_MIN for NaN and 2 ** 63, and wrap 2n ** 64n to 0).
 */
function toMs(t, what) {
  if (typeof t === 'number' && Number.isInteger(t)) return expectInt(t, what);
  if (typeof t === 'bigint') return expectInt(t, what);
  if (t instanceof Date) {
    const ms = t.getTime();
    if (Number.isNaN(ms)) throw new RangeError(`${what} is an invalid Date`);
    return ms;
  }
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
  if (typeof iv === 'number' && Number.isInteger(iv)) return expectInt(iv, what);
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

module.exports = { typeError, typeName, expectString, expectInt, expectBool, expectObject, expectOptions, f64, i64, toMs, intervalMs, intervalName, settingsJson };
