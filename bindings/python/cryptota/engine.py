"""backtest(): one run of a strategy over a feed (DESIGN.md sections 6, 7, 13)."""

from __future__ import annotations

import ctypes
import json
import numbers
import math
from typing import Any, Dict, List, Mapping, Optional, Type, Union

from ._lib import F, check, raise_status, take_string
from .feed import as_feed
from .result import Result, adopt
from .strategy import Strategy, clear_pending, register, take_pending

StrategyLike = Union[str, Type[Strategy]]


def _json_num(v: Any, what: str) -> Any:
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(f"{what} must be finite, got {f}")
        return f
    raise TypeError(f"{what} must be a number, bool or str, not {type(v).__name__}")


def _mapping(x: Any, what: str) -> Dict[str, Any]:
    if x is None:
        return {}
    if not isinstance(x, Mapping):
        raise TypeError(f"{what} must be a dict, not {type(x).__name__}")
    out = {}
    for k, v in x.items():
        if not isinstance(k, str):
            raise TypeError(f"{what} keys must be str, not {type(k).__name__}")
        out[k] = _json_num(v, f"{what}[{k!r}]")
    return out


def strategy_name(strategy: Any) -> str:
    """Registry name of a built-in name or a Strategy subclass (registering the latter)."""
    if isinstance(strategy, str):
        return strategy
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return register(strategy)
    raise TypeError("strategy must be a registered class name (e.g. 'rsi') or a "
                    f"cryptota.Strategy subclass, not {type(strategy).__name__}")


def make_strategy(strategy: Any, params: Any) -> int:
    """A new ct_strategy handle with ``params`` applied (caller destroys it)."""
    name = strategy_name(strategy)
    p = _mapping(params, "params")
    out = ctypes.c_void_p()
    check(F.ct_strategy_create_by_name(name.encode(), ctypes.byref(out)))
    h = out.value
    if p:
        st = F.ct_strategy_set_json(h, json.dumps(p).encode())
        if st:
            msg = F.ct_strategy_errmsg(h)
            F.ct_strategy_destroy(h)
            raise_status(st, (msg or b"").decode())
    return h


def make_engine(config: Any, extra: Dict[str, Any]) -> int:
    """A new ct_engine handle configured from ``config`` plus keyword settings."""
    cfg = _mapping(config, "config")
    for k, v in extra.items():
        if v is not None:
            cfg[k] = _json_num(v, k)
    out = ctypes.c_void_p()
    check(F.ct_engine_create(ctypes.byref(out)))
    h = out.value
    if cfg:
        st = F.ct_engine_configure_json(h, json.dumps(cfg).encode())
        if st:
            msg = F.ct_engine_errmsg(h)
            F.ct_engine_destroy(h)
            raise_status(st, (msg or b"").decode())
    return h


def backtest(feed: Any, strategy: StrategyLike = "rsi", params: Optional[Mapping[str, Any]] = None,
             config: Optional[Mapping[str, Any]] = None, *, capital: Optional[float] = None,
             commission: Optional[float] = None, slippage_bps: Optional[float] = None,
             fill: Optional[str] = None, close_at_end: Optional[bool] = None,
             allow_short: Optional[bool] = None, leverage: Optional[float] = None) -> Result:
    """Run ``strategy`` over ``feed`` and return a :class:`Result`.

    ``feed``: a :class:`Feed` (or a path). ``strategy``: a class name ("rsi", "sma_cross",
    ...) or a :class:`Strategy` subclass. ``params`` and ``config`` use the keys of DESIGN.md
    section 13 (``{"rsi_period": 14}``, ``{"capital": 10000, "commission": 0.001, "fill":
    "next_open"}``); the keyword settings are shortcuts for config keys.

    Raises TypeError for wrong argument types, a CryptotaError subclass for a refused
    parameter or setting (naming it), and re-raises any exception a Python callback raised.
    """
    f = as_feed(feed)
    extra = {"capital": capital, "commission": commission, "slippage_bps": slippage_bps,
             "fill": fill, "close_at_end": close_at_end, "allow_short": allow_short,
             "leverage": leverage}
    s = make_strategy(strategy, params)
    try:
        e = make_engine(config, extra)
    except BaseException:
        F.ct_strategy_destroy(s)
        raise
    out = ctypes.c_void_p()
    try:
        clear_pending()
        st = F.ct_engine_run(e, f._h, s, ctypes.byref(out))
        pending = take_pending()
        if pending is not None:
            if out.value:
                F.ct_result_destroy(out.value)
            raise pending
        if st:
            raise_status(st, (F.ct_engine_errmsg(e) or b"").decode())
    finally:
        F.ct_engine_destroy(e)
        F.ct_strategy_destroy(s)
    return adopt(out.value)


def strategies() -> List[Dict[str, Any]]:
    """Every registered strategy class with its parameter schema (built-ins first)."""
    p = ctypes.c_void_p()
    check(F.ct_strategy_classes_json(ctypes.byref(p)))
    return json.loads(take_string(p))


def engine_defaults() -> Dict[str, Any]:
    """Every engine setting with its default value."""
    e = make_engine(None, {})
    try:
        p = ctypes.c_void_p()
        check(F.ct_engine_config_json(e, ctypes.byref(p)), lambda: F.ct_engine_errmsg(e))
        return json.loads(take_string(p))
    finally:
        F.ct_engine_destroy(e)
