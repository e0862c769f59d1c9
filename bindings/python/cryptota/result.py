"""Result: trades, equity curve and metrics of one backtest (DESIGN.md sections 7, 8, 10)."""

from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Dict, List, Optional

from . import _arrays, _ffi
from ._lib import F, check, refuse_copy, take_string, to_bytes
from ._util import to_int

_TOKEN = object()  # only backtest() wraps raw handles
TRADE_FIELDS = [f for f, _ in _ffi.Trade._fields_ if f != "struct_size"]


def _copy(x: Any) -> Any:
    return x.copy() if hasattr(x, "copy") else list(x)


def metric_names() -> List[str]:
    """Every metric name of the library's registry, in registry order."""
    return [F.ct_metric_name(i).decode() for i in range(F.ct_metric_count())]


class Result:
    """The outcome of one backtest. Independent of the engine and feed that made it.

    ``metrics`` (dict name -> float, NaN when undefined), ``equity`` / ``time`` / ``position``
    (zero-copy numpy views, lists without numpy), ``trades`` (list of dicts with the fields of
    DESIGN.md section 7), ``trades_array()`` (numpy structured array), ``open_position``,
    ``to_json()``, ``report_html(path)``, ``to_pandas()``.
    """

    __slots__ = ("_h", "_metrics", "_trades", "__weakref__")

    def __init__(self, handle: int, *, _token: object = None) -> None:
        if _token is not _TOKEN or not isinstance(handle, int) or not handle:
            raise TypeError("Result objects are made by cryptota.backtest()")
        self._h = handle
        self._metrics: Optional[Dict[str, float]] = None
        self._trades: Optional[Any] = None

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            F.ct_result_destroy(h)

    __reduce__ = refuse_copy

    @property
    def handle(self) -> int:
        """The ct_result pointer (an int)."""
        return self._h

    def _msg(self) -> bytes:
        return F.ct_result_errmsg(self._h)

    def __repr__(self) -> str:
        return (f"<Result {self.strategy} {self.symbol} {len(self)} bars, "
                f"{self.trade_count} trades, final equity {self.final_equity:.2f}>")

    def __len__(self) -> int:
        return int(F.ct_result_len(self._h))

    # ---- identity ----
    @property
    def strategy(self) -> str:
        return (F.ct_result_strategy(self._h) or b"").decode()

    @property
    def symbol(self) -> str:
        return (F.ct_result_symbol(self._h) or b"").decode()

    @property
    def interval_ms(self) -> int:
        return int(F.ct_result_interval_ms(self._h))

    @property
    def params(self) -> Dict[str, Any]:
        """Parameter values actually used."""
        return json.loads((F.ct_result_params_json(self._h) or b"{}").decode())

    @property
    def config(self) -> Dict[str, Any]:
        """Engine settings of the run (defaults included)."""
        return json.loads((F.ct_result_config_json(self._h) or b"{}").decode())

    # ---- curves ----
    @property
    def equity(self) -> Any:
        """E[t] for every bar (DESIGN.md section 7)."""
        return _arrays.view(F.ct_result_equity_ptr(self._h) or 0, len(self), ctypes.c_double, self)

    @property
    def time(self) -> Any:
        """Bar open times (epoch ms)."""
        return _arrays.view(F.ct_result_time_ptr(self._h) or 0, len(self), ctypes.c_int64, self)

    @property
    def position(self) -> Any:
        """Signed position held at the close of each bar."""
        return _arrays.view(F.ct_result_position_ptr(self._h) or 0, len(self), ctypes.c_double, self)

    @property
    def final_equity(self) -> float:
        return float(F.ct_result_final_equity(self._h))

    @property
    def final_cash(self) -> float:
        return float(F.ct_result_final_cash(self._h))

    @property
    def pending_at_end(self) -> int:
        return int(F.ct_result_pending_at_end(self._h))

    @property
    def rejected_orders(self) -> int:
        return int(F.ct_result_rejected_orders(self._h))

    @property
    def open_position(self) -> Optional[Dict[str, Any]]:
        """The position still open at the end (not a trade), or None."""
        has = ctypes.c_int32()
        q, px = ctypes.c_double(), ctypes.c_double()
        t, b = ctypes.c_int64(), ctypes.c_int64()
        check(F.ct_result_open_position(self._h, ctypes.byref(has), ctypes.byref(q),
                                        ctypes.byref(px), ctypes.byref(t), ctypes.byref(b)),
              self._msg)
        if not has.value:
            return None
        return {"qty": q.value, "entry_price": px.value, "entry_time_ms": t.value,
                "entry_bar": b.value}

    # ---- trades ----
    @property
    def trade_count(self) -> int:
        return int(F.ct_result_trade_count(self._h))

    def _trade_buf(self) -> Any:
        if self._trades is None:
            n = self.trade_count
            buf = (_ffi.Trade * max(n, 1))()
            for i in range(n):
                buf[i].struct_size = ctypes.sizeof(_ffi.Trade)
            got = ctypes.c_int64()
            check(F.ct_result_trades(self._h, buf if n else None, n, ctypes.byref(got)), self._msg)
            self._trades = (buf, n)
        return self._trades

    @property
    def trades(self) -> List[Dict[str, Any]]:
        """Round trips as dicts: side, entry/exit time (ms), bar and price, qty, commissions,
        pnl_gross, pnl_net, ret (return), bars_held, mae, mfe."""
        buf, n = self._trade_buf()
        return [{f: getattr(buf[i], f) for f in TRADE_FIELDS} for i in range(n)]

    def trades_array(self) -> Any:
        """Trades as a numpy structured array (no per-trade Python objects)."""
        import numpy as np
        buf, n = self._trade_buf()
        arr = np.frombuffer(buf, dtype=np.dtype(_ffi.Trade), count=n)
        return arr[[f for f in TRADE_FIELDS]] if n else arr

    # ---- metrics ----
    @property
    def metrics(self) -> Dict[str, float]:
        """Every metric of DESIGN.md section 8 by name (NaN when undefined)."""
        if self._metrics is None:
            names = metric_names()
            vals = (ctypes.c_double * max(len(names), 1))()
            tot = ctypes.c_int64()
            check(F.ct_result_metrics_all(self._h, vals, len(names), ctypes.byref(tot)), self._msg)
            self._metrics = {nm: vals[i] for i, nm in enumerate(names)}
        return dict(self._metrics)

    def metric(self, name: str) -> float:
        """One metric by name (NotFoundError if unknown)."""
        v = ctypes.c_double()
        check(F.ct_result_metric(self._h, to_bytes(name, "name"), ctypes.byref(v)), self._msg)
        return v.value

    def set_benchmark(self, time: Any, values: Any) -> None:
        """Use another level series (e.g. ETH close) as the benchmark of beta/alpha/IR."""
        tp, tk, n = _arrays.i64_in(time, "time")
        vp, vk, m = _arrays.f64_in(values, "values")
        if m != n:
            raise ValueError(f"values has {m} rows but time has {n}")
        check(F.ct_result_set_benchmark(self._h, tp, vp, n), self._msg)
        self._metrics = None

    # ---- documents ----
    def to_json(self, max_equity_points: int = 0) -> str:
        """The result document hosts serve (DESIGN.md section 10) as a JSON string."""
        n = to_int(max_equity_points, "max_equity_points")
        p = ctypes.c_void_p()
        check(F.ct_result_json(self._h, n, ctypes.byref(p)), self._msg)
        return take_string(p)

    def to_dict(self, max_equity_points: int = 0) -> Dict[str, Any]:
        """The JSON document parsed (null -> None)."""
        return json.loads(self.to_json(max_equity_points))

    def report_html(self, path: "str | os.PathLike[str]") -> str:
        """Write the self-contained HTML report; returns the path."""
        check(F.ct_result_report_html(self._h, to_bytes(path, "path")), self._msg)
        return os.fspath(path)

    def cache_key(self) -> str:
        """Hash of feed content, strategy, parameters and config."""
        buf = ctypes.create_string_buffer(72)
        check(F.ct_result_cache_key(self._h, buf, len(buf)), self._msg)
        return buf.value.decode()

    def to_pandas(self) -> Dict[str, Any]:
        """``{"equity": DataFrame(time index; equity, position), "trades": DataFrame,
        "metrics": Series}``."""
        import pandas as pd
        idx = pd.to_datetime(_copy(self.time), unit="ms", utc=True)
        idx.name = "time"
        eq = pd.DataFrame({"equity": _copy(self.equity), "position": _copy(self.position)}, index=idx)
        tr = pd.DataFrame(self.trades, columns=TRADE_FIELDS)
        for c in ("entry_time_ms", "exit_time_ms"):
            tr[c.replace("_ms", "")] = pd.to_datetime(tr[c], unit="ms", utc=True)
        return {"equity": eq, "trades": tr, "metrics": pd.Series(self.metrics, name="value")}


def adopt(handle: int) -> Result:
    """Wrap a ct_result pointer the caller owns."""
    return Result(handle, _token=_TOKEN)
