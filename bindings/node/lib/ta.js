'use strict';
// Technical indicators, one function per row of the library's indicator table, made at load
// time from ct_indicator_count/at (no generated files): ta.rsi(close, 14),
// ta.macd(close, { fast: 12, slow: 26, signal: 9 }), ta.atr(high, low, close, 14), or any
// indicator with a Feed as the only input: ta.atr(feed). Outputs are aligned Float64Arrays
// with NaN for the first `lookback` rows; several outputs come as an object keyed by name.
const { koffi, F, check, raise } = require('./lib');
const { Feed } = require('./feed');
const u = require('./util');

function readTable() {
  const table = new Map();
  let count = 0;
  try { count = F.ct_indicator_count(); } catch (e) { return table; }
  for (let i = 0; i < count; i++) {
    const p = F.ct_indicator_at(i);
    if (!p) continue;
    const options = [];
    for (let j = 0; j < F.ct_indicator_n_options(p); j++) {
      const integer = F.ct_indicator_option_is_integer(p, j) === 1;
      options.push({
        name: F.ct_indicator_option_name(p, j), default: F.ct_indicator_option_default(p, j),
        min: F.ct_indicator_option_min(p, j), max: F.ct_indicator_option_max(p, j),
        step: F.ct_indicator_option_step(p, j), integer,
      });
    }
    const info = {
      name: F.ct_indicator_name(p), fullName: F.ct_indicator_full_name(p), group: F.ct_indicator_group(p),
      inputs: Array.from({ length: F.ct_indicator_n_inputs(p) }, (_, j) => F.ct_indicator_input_name(p, j)),
      options,
      outputs: Array.from({ length: F.ct_indicator_n_outputs(p) }, (_, j) => F.ct_indicator_output_name(p, j)),
    };
    table.set(info.name, { p, info });
  }
  return table;
}

const TABLE = readTable();

function entry(name) {
  u.expectString(name, 'indicator name');
  const e = TABLE.get(name.toLowerCase());
  if (!e) throw new RangeError(`no indicator ${JSON.stringify(name)}; known: ${[...TABLE.keys()].join(', ')}`);
  return e;
}

function isOptionsObject(x) {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x) && !(x instanceof Feed);
}

function optionValues(info, args) {
  const vals = info.options.map((o) => o.default);
  let pos = args;
  if (args.length && isOptionsObject(args[args.length - 1])) {
    const named = args[args.length - 1];
    pos = args.slice(0, -1);
    for (const [k, v] of Object.entries(named)) {
      const j = info.options.findIndex((o) => o.name === k);
      if (j < 0) throw new TypeError(`${info.name}(): unknown option ${k} (options: ${info.options.map((o) => o.name).join(', ') || 'none'})`);
      vals[j] = v;
    }
  }
  if (pos.length > info.options.length) throw new TypeError(`${info.name}() takes at most ${info.options.length} option(s), got ${pos.length}`);
  pos.forEach((v, j) => { vals[j] = v; });
  vals.forEach((v, j) => {
    if (typeof v !== 'number') throw new TypeError(`${info.name}() option ${info.options[j].name} must be a number, not ${u.typeName(v)}`);
  });
  return Float64Array.from(vals.length ? vals : [0]);
}

/** Run indicator `name`: inputs first (arrays, or one Feed), then options. */
function run(name, ...args) {
  const { p, info } = entry(name);
  const k = info.inputs.length;
  let series; let rest;
  if (args[0] instanceof Feed) {
    series = info.inputs.map((c) => args[0].column(c));
    rest = args.slice(1);
  } else {
    series = args.slice(0, k);
    rest = args.slice(k);
    if (series.length !== k) throw new TypeError(`${info.name}() needs ${k} input series (${info.inputs.join(', ')}) or a Feed`);
    series = series.map((s, j) => u.f64(s, info.inputs[j]));
  }
  const n = series.length ? series[0].length : 0;
  series.forEach((s, j) => {
    if (s.length !== n) throw new RangeError(`${info.name}(): input ${info.inputs[j]} has ${s.length} rows, expected ${n}`);
  });
  const opts = optionValues(info, rest);
  const outs = info.outputs.map(() => new Float64Array(n));
  const st = F.ct_indicator_run(p, n, series, opts, outs);
  if (st !== 0) raise(st);
  if (outs.length === 1) return outs[0];
  const res = {};
  info.outputs.forEach((o, j) => { res[o] = outs[j]; });
  return res;
}

/** Rows of NaN at the start of the output for these options. */
function lookback(name, ...options) {
  const { p, info } = entry(name);
  const lb = F.ct_indicator_lookback(p, optionValues(info, options));
  if (lb < 0) raise(F.ct_indicator_check_options(p, optionValues(info, options)) || 3);
  return lb;
}

/** Every indicator of the table. */
function indicators() {
  return [...TABLE.values()].map((e) => e.info);
}

/** Streaming form: new ta.Stream('rsi', 14).update(close) -> output of that bar. */
class Stream {
  constructor(name, ...options) {
    const { p, info } = entry(name);
    this.info = info;
    const out = [null];
    check(F.ct_ind_stream_new(p, optionValues(info, options), out));
    this._h = out[0];
    Stream._reg.register(this, this._h);
    this._in = new Float64Array(Math.max(info.inputs.length, 1));
    this._out = new Float64Array(Math.max(info.outputs.length, 1));
  }

  update(...values) {
    if (values.length !== this.info.inputs.length) throw new TypeError(`update() needs ${this.info.inputs.length} value(s)`);
    values.forEach((v, j) => {
      if (typeof v !== 'number') throw new TypeError(`${this.info.inputs[j]} must be a number, not ${u.typeName(v)}`);
      this._in[j] = v;
    });
    const st = F.ct_ind_stream_step(this._h, this._in, this._out);
    if (st !== 0) raise(st, F.ct_ind_stream_errmsg(this._h));
    if (this.info.outputs.length === 1) return this._out[0];
    const res = {};
    this.info.outputs.forEach((o, j) => { res[o] = this._out[j]; });
    return res;
  }

  get length() { return Number(F.ct_ind_stream_count(this._h)); }
}
Stream._reg = new FinalizationRegistry((h) => F.ct_ind_stream_free(h));

const ta = { run, lookback, indicators, Stream };
for (const [name] of TABLE) {
  ta[name] = (...args) => run(name, ...args);
  Object.defineProperty(ta[name], 'name', { value: name });
}
void koffi;
module.exports = ta;
