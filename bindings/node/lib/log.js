'use strict';
// Library logging (log.h): the level, and routing the JSON lines to a JavaScript function.
//
// Threads. The library logs on whichever thread runs its code (optimizer workers, .ctz decoder
// helpers, the koffi worker of an asynchronous call), but koffi runs a registered JavaScript
// callback on the main thread only: a call from another thread is queued to the event loop and
// that thread waits until the callback has run (koffi documentation, Callbacks > "Asynchronous
// callbacks"). Hence:
// - lines of the main thread (synchronous calls) reach the handler at once;
// - lines of the threads behind an asynchronous call (fetch, optimize, walkForward) reach it
//   when the event loop runs, as it does while their Promise is pending;
// - a synchronous call that starts library threads holds the main thread until those threads
//   end, so a line queued by one of them would deadlock. Around such calls (threaded()) the
//   library holds every line (ct_log_hold) and hands them, in order, to the handler on the main
//   thread when the call returns (ct_log_release), before the call's result or error.
// A line being emitted while the sink changes goes whole to the old or the new sink (log.h), and
// a line queued by koffi runs the registered callback later; so setLogHandler installs or
// removes the sink, and releases the registration, only while no asynchronous call is running
// (it refuses otherwise), and not while the handler is on the stack or a threaded() call runs.
// Replacing one handler by another only swaps the JavaScript function behind the same
// registration.
const { koffi, F, check } = require('./lib');
const { StateError } = require('./errors');
const u = require('./util');

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'off'];
const LogFn = koffi.pointer(koffi.resolve('ct_log_fn'));

let handler = null;    // the user's function
let registered = null; // the koffi callback the library holds while a handler is set
let running = 0;       // asynchronous calls in flight (their threads may log)
let holding = 0;       // depth of threaded() sections (the library holds the lines)
let delivering = 0;    // depth of handler calls on the stack

/** Minimum level the library logs ("trace" ... "off"); lines go to stderr or the handler. */
function setLogLevel(level) {
  const i = typeof level === 'number' ? level : LEVELS.indexOf(level);
  if (!Number.isInteger(i) || i < 0) throw new TypeError(`level must be one of ${LEVELS.join(', ')}`);
  check(F.ct_set_log_level(u.expectInt(i, 'level', 'int32')));
}

/** The current minimum level's name. */
function logLevel() {
  return F.ct_log_level_name(F.ct_log_level());
}

/** One JSON line as an object; a line that does not parse is kept whole in msg. */
function record(level, line) {
  try {
    const rec = JSON.parse(line);
    if (rec !== null && typeof rec === 'object') return rec;
  } catch (_) { /* below */ }
  return { ts_ms: Date.now(), level: LEVELS[level] || 'unknown', module: '?', msg: String(line) };
}

/** The registered callback (main thread only: koffi relays the other threads' calls). */
function sink(_user, level, line) {
  delivering++;
  try {
    if (handler) handler(record(level, line));
  } catch (_) {
    // A log sink must not unwind into C, and a failing handler must not stop the call that
    // logged: its exceptions are ignored (as in the Python binding).
  } finally {
    delivering--;
  }
}

/**
 * Route the library's log lines, parsed into objects ({ ts_ms, level, module, msg }), to `fn`;
 * null (or no argument) restores the default stderr sink and releases the callback. Setting
 * the first handler or removing the last throws a StateError while an asynchronous call
 * (fetch, optimize, walkForward) is running; replacing one handler by another does not.
 */
function setLogHandler(fn = null) {
  if (fn !== null && typeof fn !== 'function') throw new TypeError(`fn must be a function or null, not ${u.typeName(fn)}`);
  if ((fn === null) === (registered === null)) { // replacing a handler, or removing none
    handler = fn;
    return;
  }
  if (running > 0 || holding > 0) {
    throw new StateError('setLogHandler: library threads are running (a fetch, optimize or walkForward Promise is ' +
      'pending, or optimizeSync is searching); set or remove the log handler before they start or after they end');
  }
  if (fn !== null) {
    registered = koffi.register(sink, LogFn);
    handler = fn;
    F.ct_set_log_callback(registered, null);
    return;
  }
  F.ct_set_log_callback(null, null);
  const r = registered;
  handler = null;
  registered = null;
  // The handler removed itself: release its registration once the callback has returned.
  if (delivering > 0) setImmediate(() => koffi.unregister(r));
  else koffi.unregister(r);
}

/**
 * Note the start of an asynchronous call whose threads may log; returns the function to call
 * once it has ended (from its completion callback).
 */
function asyncCall() {
  running++;
  let open = true;
  return () => {
    if (open) { open = false; running--; }
  };
}

/**
 * Run fn, a synchronous call that may start library threads, with the library's lines held when
 * a handler is set (see the top of this file); the handler gets them when fn returns or throws.
 */
function threaded(fn) {
  if (registered === null) return fn();
  check(F.ct_log_hold());
  holding++;
  try {
    return fn();
  } finally {
    holding--;
    F.ct_log_release(); // cannot fail: the hold above is open
  }
}

module.exports = { LEVELS, setLogLevel, logLevel, setLogHandler, asyncCall, threaded };
