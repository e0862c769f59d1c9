"""Exceptions: one :class:`CryptotaError` subclass per ``ct_status`` code (status.h).

Every exception carries the library's message (``str(e)``), the numeric ``status`` and its
name (``status_name``, e.g. ``"CT_E_RANGE"``). Where a Python built-in means the same thing the
class derives from it too, so ``except ValueError`` catches a bad option and ``except
MemoryError`` an allocation failure.
"""

from __future__ import annotations

from typing import Dict, Type


class CryptotaError(Exception):
    """Base class of every error libcryptota reports."""

    status: int = 99
    status_name: str = "CT_E_INTERNAL"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message


class InvalidArgumentError(CryptotaError, ValueError):
    """CT_E_INVALID_ARG: an argument is NULL, malformed or inconsistent."""
    status, status_name = 1, "CT_E_INVALID_ARG"


class OutOfMemoryError(CryptotaError, MemoryError):
    """CT_E_NOMEM: out of memory; the call had no effect."""
    status, status_name = 2, "CT_E_NOMEM"


class RangeError(CryptotaError, ValueError):
    """CT_E_RANGE: a parameter or option is out of its range."""
    status, status_name = 3, "CT_E_RANGE"


class StateError(CryptotaError):
    """CT_E_STATE: the object is not in a state that allows the call."""
    status, status_name = 4, "CT_E_STATE"


class NotFoundError(CryptotaError, LookupError):
    """CT_E_NOT_FOUND: a named indicator, strategy, metric or key does not exist."""
    status, status_name = 5, "CT_E_NOT_FOUND"


class IOFailure(CryptotaError):
    """CT_E_IO: a file could not be opened, read or written."""
    status, status_name = 10, "CT_E_IO"


class NetworkError(CryptotaError):
    """CT_E_NET: a network transfer failed (connect, timeout, dropped)."""
    status, status_name = 11, "CT_E_NET"


class FormatError(CryptotaError, ValueError):
    """CT_E_FORMAT: input is malformed or not of the expected format."""
    status, status_name = 12, "CT_E_FORMAT"


class CorruptError(CryptotaError):
    """CT_E_CORRUPT: a checksum failed or a file is truncated."""
    status, status_name = 13, "CT_E_CORRUPT"


class DataError(CryptotaError, ValueError):
    """CT_E_DATA: candles break a validation rule (order, prices, volume, gaps)."""
    status, status_name = 14, "CT_E_DATA"


class HTTPError(CryptotaError):
    """CT_E_HTTP: the server answered with an error (4xx/5xx)."""
    status, status_name = 15, "CT_E_HTTP"


class RateLimitError(CryptotaError):
    """CT_E_RATE_LIMIT: the server rate-limited or banned the client (429/418)."""
    status, status_name = 16, "CT_E_RATE_LIMIT"


class UnsupportedError(CryptotaError, NotImplementedError):
    """CT_E_UNSUPPORTED: not supported by this build or this version."""
    status, status_name = 20, "CT_E_UNSUPPORTED"


class PluginError(CryptotaError):
    """CT_E_PLUGIN: a strategy callback or plugin failed."""
    status, status_name = 30, "CT_E_PLUGIN"


class CancelledError(CryptotaError):
    """CT_E_CANCELLED: cancelled by the host (a progress callback returned False)."""
    status, status_name = 31, "CT_E_CANCELLED"


class InternalError(CryptotaError):
    """CT_E_INTERNAL: a bug in libcryptota."""
    status, status_name = 99, "CT_E_INTERNAL"


_BY_STATUS: Dict[int, Type[CryptotaError]] = {
    cls.status: cls for cls in (InvalidArgumentError, OutOfMemoryError, RangeError, StateError,
                                NotFoundError, IOFailure, NetworkError, FormatError, CorruptError,
                                DataError, HTTPError, RateLimitError, UnsupportedError,
                                PluginError, CancelledError, InternalError)}


def error_class(status: int) -> Type[CryptotaError]:
    """The exception class of a status code (CryptotaError for an unknown code)."""
    return _BY_STATUS.get(status, CryptotaError)
