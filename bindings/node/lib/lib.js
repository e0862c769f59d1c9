'use strict';
// Finding and loading libcryptota, the ABI check, and status -> exception conversion.
// Lookup: CRYPTOTA_LIB (a path), a copy next to the package (native/libcryptota.so*), then the
// system loader (libcryptota.so.<ABI>). A library with another ct_abi_version() is refused.
const fs = require('fs');
const path = require('path');
const ffi = require('./ffi');
const errors = require('./errors');

const koffi = ffi.koffi;
/** The ABI this binding was written for (CT_ABI_VERSION in version.h). */
const ABI_VERSION = 1;

function candidates() {
  const out = [];
  if (process.env.CRYPTOTA_LIB) out.push(process.env.CRYPTOTA_LIB);
  const here = path.join(__dirname, '..', 'native');
  try {
    for (const f of fs.readdirSync(here).sort()) {
      if (/^libcryptota\.(so|dylib)|^(lib)?cryptota.*\.dll$/.test(f)) out.push(path.join(here, f));
    }
  } catch (_) { /* no bundled copy */ }
  if (process.platform === 'darwin') out.push(`libcryptota.${ABI_VERSION}.dylib`);
  else if (process.platform === 'win32') out.push('cryptota.dll');
  else out.push(`libcryptota.so.${ABI_VERSION}`, 'libcryptota.so');
  return out;
}

function load() {
  const errs = [];
  for (const cand of candidates()) {
    let lib;
    try {
      lib = koffi.load(cand);
    } catch (e) {
      errs.push(`${cand}: ${e.message}`);
      if (cand === process.env.CRYPTOTA_LIB) break;
      continue;
    }
    let abi;
    try {
      abi = lib.func('int32_t ct_abi_version(void)')();
    } catch (e) {
      errs.push(`${cand}: not libcryptota (${e.message})`);
      continue;
    }
    if (abi !== ABI_VERSION) {
      throw new Error(`libcryptota at ${cand} has ABI ${abi}, but this cryptota package needs ABI ` +
        `${ABI_VERSION}; install a matching library or point CRYPTOTA_LIB at one`);
    }
    return { lib, libPath: cand };
  }
  throw new Error('cannot load libcryptota: set CRYPTOTA_LIB to the path of libcryptota.so, ' +
    `put it in the package's native/ folder, or install it system-wide (${errs.join('; ') || 'no candidate'})`);
}

const { lib, libPath } = load();
const F = ffi.bind(lib, errors.UnsupportedError);

/** Throw the CryptotaError subclass of `st` with `msg` (or the thread's last error). */
function raise(st, msg) {
  if (!msg) msg = F.ct_last_error() || F.ct_status_str(st);
  const C = errors.errorClass(st);
  const e = new C(msg, st);
  if (C === errors.CryptotaError) e.statusName = F.ct_status_name(st);
  throw e;
}

/** Throw on a non-zero status; `msgFn` returns the handle's message. */
function check(st, msgFn) {
  if (st !== 0) raise(st, msgFn ? msgFn() : '');
}

/** Copy a library-allocated string (char * out) and release it with ct_free. */
function takeString(ptr) {
  if (!ptr) return '';
  try {
    return koffi.decode(ptr, 'char', -1);
  } finally {
    F.ct_free(ptr);
  }
}

/** A read-only-by-convention Float64Array / BigInt64Array view over library memory that keeps `owner` alive. */
function view(ptr, n, Type, owner) {
  if (!ptr || n <= 0) return new Type(0);
  const ab = koffi.view(ptr, n * Type.BYTES_PER_ELEMENT);
  const arr = new Type(ab);
  // Expando references: as long as the view (or its buffer) is reachable, so is the owner.
  Object.defineProperty(arr, '_owner', { value: owner });
  Object.defineProperty(ab, '_owner', { value: owner });
  return arr;
}

module.exports = { koffi, lib, libPath, F, ABI_VERSION, raise, check, takeString, view };
