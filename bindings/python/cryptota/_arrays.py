"""Array helpers: zero-copy numpy views over library memory when numpy is installed, lists
otherwise, and conversion of host sequences into C arrays."""

from __future__ import annotations

import ctypes
import math
import numbers
from typing import Any, List, Tuple

from ._lib import raise_status
from .errors import CryptotaError, RangeError

try:  # numpy is optional
    import numpy as np
    HAVE_NUMPY = True
except ImportError:  # pragma: no cover - exercised only where numpy is absent
    np = None  # type: ignore[assignment]
    HAVE_NUMPY = False

PF64 = ctypes.POINTER(ctypes.c_double)
PI64 = ctypes.POINTER(ctypes.c_int64)


def view(addr: int, n: int, ctype: Any, owner: Any) -> Any:
    """A read-only array of ``n`` ``ctype`` values at ``addr`` that keeps ``owner`` alive.

    With numpy: an ndarray over the memory itself (no copy); its base is a ctypes array that
    holds a reference to ``owner`` (the Feed or Result that owns the memory). Without numpy: a
    list (a copy).
    """
    if n <= 0 or not addr:
        return np.empty(0, dtype=ctype) if HAVE_NUMPY else []
    buf = (ctype * n).from_address(addr)
    buf._owner = owner  # keeps the owning handle alive as long as any view exists
    if HAVE_NUMPY:
        arr = np.frombuffer(buf, dtype=ctype, count=n)
        arr.flags.writeable = False
        return arr
    return list(buf)


def _is_text(x: Any) -> bool:
    return isinstance(x, (str, bytes, bytearray))


def f64_in(x: Any, what: str) -> Tuple[Any, Any, int]:
    """(pointer, keep-alive, length) of a float64 input column.

    Accepts numpy arrays (any real dtype; converted to contiguous float64 only if needed), and
    any sequence of numbers (list, tuple, array.array, pandas Series). Raises TypeError naming
    ``what`` for anything else.
    """
    if x is None or _is_text(x) or isinstance(x, dict):
        raise TypeError(f"{what} must be a sequence of numbers, not {type(x).__name__}")
    if HAVE_NUMPY:
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{what} must be a sequence of numbers: {e}") from None
        if arr.ndim != 1:  # checked before ascontiguousarray, which makes a scalar 1-d
            raise TypeError(f"{what} must be one-dimensional, got shape {arr.shape}")
        arr = np.ascontiguousarray(arr)
        return arr.ctypes.data_as(PF64), arr, int(arr.shape[0])
    try:
        seq = list(x)
        buf = (ctypes.c_double * len(seq))(*[float(v) for v in seq])
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} must be a sequence of numbers: {e}") from None
    return ctypes.cast(buf, PF64), buf, len(seq)


_I64_END = 2 ** 63  # int64 holds [-_I64_END, _I64_END)


def _too_big(what: str) -> None:
    raise_status(RangeError.status, f"{what} holds a value that does not fit a 64-bit integer")


def _ints(x: Any, what: str) -> List[int]:
    """The values of an int64 column given as Python objects, with the rules of the numpy
    path: integers (bool too) and whole finite floats; TypeError for anything else and
    RangeError for a value outside int64 (ctypes would wrap it)."""
    out = []
    for v in x:
        if isinstance(v, numbers.Real) and not isinstance(v, numbers.Integral):
            f = float(v)
            if not math.isfinite(f) or f != math.floor(f):
                raise TypeError(f"{what} must hold whole milliseconds")
            v = int(f)
        elif not isinstance(v, numbers.Integral):
            raise TypeError(f"{what} must be a sequence of integers, not one holding "
                            f"{type(v).__name__}")
        v = int(v)
        if not -_I64_END <= v < _I64_END:
            _too_big(what)
        out.append(v)
    return out


def i64_in(x: Any, what: str) -> Tuple[Any, Any, int]:
    """(pointer, keep-alive, length) of an int64 input column (epoch milliseconds)."""
    if x is None or _is_text(x) or isinstance(x, dict):
        raise TypeError(f"{what} must be a sequence of integers, not {type(x).__name__}")
    if HAVE_NUMPY:
        src = x
        if hasattr(src, "dtype") and str(getattr(src, "dtype", "")).startswith("datetime64"):
            src = np.asarray(src).astype("datetime64[ms]").astype(np.int64)
        try:
            arr = np.asarray(src)
            if arr.dtype.kind == "O" and arr.ndim == 1:  # e.g. ints beyond uint64
                arr = np.array(_ints(arr, what), dtype=np.int64)
            if arr.dtype.kind == "f":
                if not np.all(np.isfinite(arr)) or not np.all(arr == np.floor(arr)):
                    raise TypeError(f"{what} must hold whole milliseconds")
                if arr.size and (arr.min() < -_I64_END or arr.max() >= _I64_END):
                    _too_big(what)
            elif arr.dtype.kind == "u":
                if arr.size and int(arr.max()) >= _I64_END:
                    _too_big(what)
            elif arr.dtype.kind not in "ib":
                raise TypeError(f"{what} must be a sequence of integers, not dtype {arr.dtype}")
            if arr.ndim != 1:
                raise TypeError(f"{what} must be one-dimensional, got shape {arr.shape}")
            arr = np.ascontiguousarray(arr, dtype=np.int64)
        except ValueError as e:
            if isinstance(e, CryptotaError):
                raise
            raise TypeError(f"{what} must be a sequence of integers: {e}") from None
        return arr.ctypes.data_as(PI64), arr, int(arr.shape[0])
    try:
        items = list(x)
    except TypeError as e:
        raise TypeError(f"{what} must be a sequence of integers: {e}") from None
    seq = _ints(items, what)
    buf = (ctypes.c_int64 * len(seq))(*seq)
    return ctypes.cast(buf, PI64), buf, len(seq)


def new_f64(n: int) -> Tuple[Any, Any]:
    """(pointer, array) of a new float64 output buffer of n values (ndarray or ctypes array)."""
    if HAVE_NUMPY:
        arr = np.empty(n, dtype=np.float64)
        return arr.ctypes.data_as(PF64), arr
    buf = (ctypes.c_double * n)()
    return ctypes.cast(buf, PF64), buf


def out_f64(arr: Any) -> Any:
    """The caller-facing form of a buffer made by new_f64: the ndarray, or a list."""
    return arr if HAVE_NUMPY else list(arr)
