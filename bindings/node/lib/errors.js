'use strict';
// Errors: one CryptotaError subclass per ct_status code (status.h). Each carries the
// library's message, `status` (number) and `statusName` ("CT_E_RANGE").

class CryptotaError extends Error {
  constructor(message, status = 99, statusName = undefined) {
    super(message);
    this.name = this.constructor.name;
    this.status = status;
    this.statusName = statusName || STATUS_NAMES[status] || 'CT_E_UNKNOWN';
  }
}

const STATUS_NAMES = {
  1: 'CT_E_INVALID_ARG', 2: 'CT_E_NOMEM', 3: 'CT_E_RANGE', 4: 'CT_E_STATE', 5: 'CT_E_NOT_FOUND',
  10: 'CT_E_IO', 11: 'CT_E_NET', 12: 'CT_E_FORMAT', 13: 'CT_E_CORRUPT', 14: 'CT_E_DATA',
  15: 'CT_E_HTTP', 16: 'CT_E_RATE_LIMIT', 20: 'CT_E_UNSUPPORTED', 30: 'CT_E_PLUGIN',
  31: 'CT_E_CANCELLED', 99: 'CT_E_INTERNAL',
};

const classes = {};
const BY_STATUS = {};
for (const [status, cname] of [
  [1, 'InvalidArgumentError'], [2, 'OutOfMemoryError'], [3, 'RangeError'], [4, 'StateError'],
  [5, 'NotFoundError'], [10, 'IOError'], [11, 'NetworkError'], [12, 'FormatError'],
  [13, 'CorruptError'], [14, 'DataError'], [15, 'HTTPError'], [16, 'RateLimitError'],
  [20, 'UnsupportedError'], [30, 'PluginError'], [31, 'CancelledError'], [99, 'InternalError']]) {
  const C = { [cname]: class extends CryptotaError {
    constructor(message, st = status) { super(message, st); }
  } }[cname];
  classes[cname] = C;
  BY_STATUS[status] = C;
}

/** The error class of a status code (CryptotaError for an unknown code). */
function errorClass(status) {
  return BY_STATUS[status] || CryptotaError;
}

module.exports = { CryptotaError, errorClass, STATUS_NAMES, ...classes };
