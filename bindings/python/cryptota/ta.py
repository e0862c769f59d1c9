"""Technical indicators, one function per row of the library's indicator table.

The functions are made at import time from ``ct_indicator_count/at`` (no generated files):
``ta.rsi(close, 14)``, ``ta.macd(close, fast=12, slow=26, signal=9)``,
``ta.atr(high, low, close, 14)``. Inputs are numpy arrays, sequences of numbers or a
:class:`Feed` (its columns are used). Outputs are aligned, full-length float64 arrays (numpy
when installed, lists otherwise) with NaN for the first ``lookback`` rows; several outputs come
as a named tuple (``ta.macd(close).signal``).

``ta.indicators()`` lists the table; ``ta.run(name, *inputs, **options)`` calls any indicator
by name; ``ta.Stream(name, **options)`` is the streaming form (one bar at a time).
"""

from __future__ import annotations

import collections
import ctypes
import inspect
import numbers
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from . import _arrays
from ._lib import F, check, raise_status, refuse_copy
from .feed import Feed

__all__ = ["indicators", "info", "run", "lookback", "Stream"]


def _s(b: Optional[bytes]) -> str:
    return b.decode() if b else ""


class IndicatorInfo(NamedTuple):
    """One row of the indicator table."""
    name: str
    full_name: str
    group: str
    inputs: Tuple[str, ...]
    options: Tuple[Dict[str, Any], ...]   # name, default, min, max, step, integer
    outputs: Tuple[str, ...]


def _read_table() -> Dict[str, Tuple[int, IndicatorInfo]]:
    out: Dict[str, Tuple[int, IndicatorInfo]] = {}
    for i in range(int(F.ct_indicator_count())):
        p = F.ct_indicator_at(i)
        if not p:
            continue
        opts = []
        for j in range(F.ct_indicator_n_options(p)):
            integer = bool(F.ct_indicator_option_is_integer(p, j))
            d = F.ct_indicator_option_default(p, j)
            opts.append({"name": _s(F.ct_indicator_option_name(p, j)),
                         "default": int(d) if integer else d,
                         "min": F.ct_indicator_option_min(p, j),
                         "max": F.ct_indicator_option_max(p, j),
                         "step": F.ct_indicator_option_step(p, j),
                         "integer": integer})
        info_ = IndicatorInfo(
            name=_s(F.ct_indicator_name(p)), full_name=_s(F.ct_indicator_full_name(p)),
            group=_s(F.ct_indicator_group(p)),
            inputs=tuple(_s(F.ct_indicator_input_name(p, j)) for j in range(F.ct_indicator_n_inputs(p))),
            options=tuple(opts),
            outputs=tuple(_s(F.ct_indicator_output_name(p, j)) for j in range(F.ct_indicator_n_outputs(p))))
        out[info_.name] = (p, info_)
    return out


try:
    _TABLE = _read_table()
except NotImplementedError:  # a library without the indicator table: no ta functions
    _TABLE = {}
_TUPLES: Dict[str, Any] = {}


def indicators() -> List[IndicatorInfo]:
    """Every indicator of the table, in table order."""
    return [v[1] for v in _TABLE.values()]


def info(name: str) -> IndicatorInfo:
    """The table row of one indicator (KeyError if unknown)."""
    return _entry(name)[1]


def _entry(name: str) -> Tuple[int, IndicatorInfo]:
    if not isinstance(name, str):
        raise TypeError(f"indicator name must be a str, not {type(name).__name__}")
    try:
        return _TABLE[name.lower()]
    except KeyError:
        raise KeyError(f"no indicator {name!r}; known: {', '.join(_TABLE)}") from None


def _options(inf: IndicatorInfo, args: Sequence[Any], kwargs: Dict[str, Any]) -> Any:
    n = len(inf.options)
    if len(args) > n:
        raise TypeError(f"{inf.name}() takes at most {n} option(s) "
                        f"({', '.join(o['name'] for o in inf.options)}), got {len(args)}")
    vals: List[float] = [o["default"] for o in inf.options]
    for j, v in enumerate(args):
        vals[j] = v
    names = [o["name"] for o in inf.options]
    for k, v in kwargs.items():
        if k not in names:
            raise TypeError(f"{inf.name}() got an unexpected option {k!r} "
                            f"(options: {', '.join(names) or 'none'})")
        if names.index(k) < len(args):
            raise TypeError(f"{inf.name}() got multiple values for option {k!r}")
        vals[names.index(k)] = v
    for j, v in enumerate(vals):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{inf.name}() option {names[j]} must be a number, "
                            f"not {type(v).__name__}")
    return (ctypes.c_double * max(n, 1))(*[float(v) for v in vals])


def _inputs(inf: IndicatorInfo, data: Sequence[Any]) -> Tuple[Any, List[Any], int]:
    k = len(inf.inputs)
    if len(data) == 1 and isinstance(data[0], Feed):
        feed = data[0]
        data = [feed.column(nm) for nm in inf.inputs]
    if len(data) != k:
        raise TypeError(f"{inf.name}() needs {k} input series ({', '.join(inf.inputs)}) "
                        f"or a Feed, got {len(data)}")
    ptrs = (ctypes.c_void_p * max(k, 1))()
    keep: List[Any] = []
    n = -1
    for j, x in enumerate(data):
        p, kp, m = _arrays.f64_in(x, inf.inputs[j])
        if n >= 0 and m != n:
            raise ValueError(f"{inf.name}(): input {inf.inputs[j]} has {m} rows, expected {n}")
        n = m
        ptrs[j] = ctypes.cast(p, ctypes.c_void_p)
        keep.append(kp)
    return ptrs, keep, max(n, 0)


def _result_type(inf: IndicatorInfo) -> Any:
    t = _TUPLES.get(inf.name)
    if t is None:
        t = collections.namedtuple(inf.name.upper(), list(inf.outputs))  # type: ignore[misc]
        _TUPLES[inf.name] = t
    return t


def run(name: str, *args: Any, **options: Any) -> Any:
    """Run indicator ``name``: inputs first (series, or one Feed), then options positionally
    or by keyword. One output: an array; several: a named tuple of arrays."""
    p, inf = _entry(name)
    k = len(inf.inputs)
    if args and isinstance(args[0], Feed):
        series, opt_args = args[:1], args[1:]
    else:
        series, opt_args = args[:k], args[k:]
    ptrs, keep, n = _inputs(inf, series)
    opts = _options(inf, opt_args, options)
    outs = [_arrays.new_f64(n) for _ in inf.outputs]
    optrs = (ctypes.c_void_p * max(len(outs), 1))(*[ctypes.cast(o[0], ctypes.c_void_p) for o in outs])
    st = F.ct_indicator_run(p, n, ptrs, opts, optrs)
    if st:
        raise_status(st)
    res = [_arrays.out_f64(o[1]) for o in outs]
    if len(res) == 1:
        return res[0]
    return _result_type(inf)(*res)


def lookback(name: str, *args: Any, **options: Any) -> int:
    """Rows of NaN at the start of the output for these options."""
    p, inf = _entry(name)
    opts = _options(inf, args, options)
    lb = int(F.ct_indicator_lookback(p, opts))
    if lb < 0:
        st = F.ct_indicator_check_options(p, opts)
        raise_status(st or 3)
    return lb


class Stream:
    """Streaming form of an indicator: ``s = ta.Stream("rsi", period=14); s.update(close)``
    returns the outputs for that bar (NaN during warm-up), equal to the batch output row."""

    def __init__(self, name: str, *args: Any, **options: Any) -> None:
        self._p, self.info = _entry(name)
        opts = _options(self.info, args, options)
        out = ctypes.c_void_p()
        self._h = None
        check(F.ct_ind_stream_new(self._p, opts, ctypes.byref(out)))
        self._h = out.value
        self._in = (ctypes.c_double * max(len(self.info.inputs), 1))()
        self._out = (ctypes.c_double * max(len(self.info.outputs), 1))()

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            F.ct_ind_stream_free(h)

    __reduce__ = refuse_copy

    def update(self, *values: float) -> Any:
        """Feed one bar (one value per input); returns the output (a float or a tuple)."""
        if len(values) != len(self.info.inputs):
            raise TypeError(f"update() needs {len(self.info.inputs)} value(s) "
                            f"({', '.join(self.info.inputs)}), got {len(values)}")
        for j, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"{self.info.inputs[j]} must be a number, not {type(v).__name__}")
            self._in[j] = v
        st = F.ct_ind_stream_step(self._h, self._in, self._out)
        if st:
            raise_status(st, (F.ct_ind_stream_errmsg(self._h) or b"").decode())
        if len(self.info.outputs) == 1:
            return self._out[0]
        return _result_type(self.info)(*self._out[:len(self.info.outputs)])

    def __len__(self) -> int:
        return int(F.ct_ind_stream_count(self._h))


def _make(name: str, inf: IndicatorInfo) -> Callable[..., Any]:
    def fn(*args: Any, **options: Any) -> Any:
        return run(name, *args, **options)

    params = [inspect.Parameter(i, inspect.Parameter.POSITIONAL_OR_KEYWORD) for i in inf.inputs]
    params += [inspect.Parameter(o["name"], inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                 default=o["default"]) for o in inf.options]
    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    opts = "\n".join(f"    {o['name']}: default {o['default']}, range [{o['min']:g}, {o['max']:g}]"
                     + (" (integer)" if o["integer"] else "") for o in inf.options)
    outs = ", ".join(inf.outputs)
    fn.__doc__ = (f"{inf.full_name} ({inf.group}).\n\nInputs: {', '.join(inf.inputs)} "
                  f"(series, or one Feed).\nOptions:\n{opts or '    none'}\n"
                  f"Returns: {outs} (aligned, NaN for the first lookback rows).")
    fn.__module__ = __name__
    return fn


def _install() -> None:
    for name, (_p, inf) in _TABLE.items():
        globals()[name] = _make(name, inf)
        __all__.append(name)


_install()


def __getattr__(name: str) -> Any:
    raise AttributeError(f"cryptota.ta has no indicator {name!r}; known: {', '.join(_TABLE)}")
