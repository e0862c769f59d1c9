"""cryptota: Python binding of libcryptota (ctypes; numpy and pandas optional).

>>> import cryptota as ct
>>> feed = ct.Feed.load("binance_BTCUSDT_1h.csv.zst")                     # doctest: +SKIP
>>> res = ct.backtest(feed, "rsi", params={"rsi_period": 14}, config={"commission": 0.001})
>>> res.metrics["sharpe_ratio"], res.equity[-1], len(res.trades)          # doctest: +SKIP

Main names: :class:`Feed`, :mod:`ta` (every indicator of the library's table),
:func:`backtest` -> :class:`Result`, :func:`optimize`, :func:`walk_forward`, :class:`Strategy`
(strategies in Python), :func:`fetch`, and :class:`CryptotaError` with one subclass per status.
"""

from __future__ import annotations

from ._lib import ABI_VERSION, LIB_PATH, LibraryNotFoundError, F as _F
from .errors import (CancelledError, CorruptError, CryptotaError, DataError, FormatError,
                     HTTPError, InternalError, InvalidArgumentError, IOFailure, NetworkError,
                     NotFoundError, OutOfMemoryError, PluginError, RangeError, RateLimitError,
                     StateError, UnsupportedError, error_class)
from .feed import Feed
from . import ta
from .strategy import Context, Param, Strategy, register
from .result import Result, metric_names
from .engine import backtest, engine_defaults, strategies
from .fetch import fetch
from .log import log_level, set_log_handler, set_log_level
from .optimize import OptimizeResult, WalkForwardResult, optimize, walk_forward

__version__ = "0.1.0"


def version() -> str:
    """Release version of the loaded libcryptota ("0.1.0")."""
    return (_F.ct_version_string() or b"").decode()


def version_number() -> int:
    """CT_VERSION_NUMBER of the loaded library (MAJOR*10000 + MINOR*100 + PATCH)."""
    return int(_F.ct_version_number())


def abi_version() -> int:
    """ABI number of the loaded library (equal to ABI_VERSION, or import would have failed)."""
    return int(_F.ct_abi_version())


__all__ = [
    "ABI_VERSION", "LIB_PATH", "LibraryNotFoundError", "version", "version_number", "abi_version",
    "Feed", "ta", "Strategy", "Param", "Context", "register", "Result", "metric_names",
    "backtest", "strategies", "engine_defaults", "fetch", "optimize", "walk_forward",
    "OptimizeResult", "WalkForwardResult", "error_class", "set_log_level", "log_level",
    "set_log_handler",
    "CryptotaError", "InvalidArgumentError", "OutOfMemoryError", "RangeError", "StateError",
    "NotFoundError", "IOFailure", "NetworkError", "FormatError", "CorruptError", "DataError",
    "HTTPError", "RateLimitError", "UnsupportedError", "PluginError", "CancelledError",
    "InternalError",
]
