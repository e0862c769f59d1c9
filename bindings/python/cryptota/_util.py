"""Small conversions shared by the modules: time values and intervals."""

from __future__ import annotations

import ctypes
import datetime as _dt
import numbers
from typing import Any, Union

from ._lib import F, check, raise_status, to_bytes
from .errors import RangeError

TimeLike = Union[int, str, _dt.datetime, _dt.date]
I32 = (-(2 ** 31), 2 ** 31 - 1)
I64 = (-(2 ** 63), 2 ** 63 - 1)


def to_int(v: Any, what: str, bounds: Any = I64) -> int:
    """An integer argument (numpy integers too, not bool) within the C type's ``bounds``:
    TypeError for another type, RangeError when out of range (ctypes would wrap it)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{what} must be an int, not {type(v).__name__}")
    return in_range(int(v), what, bounds)


def to_flag(v: Any, what: str) -> bool:
    """A yes/no argument: a bool (numpy's too) or the integers 0 and 1. Anything else is a
    TypeError: the string "false" is truthy, so maximize="false" used to maximize."""
    if isinstance(v, bool) or type(v).__name__ in ("bool_", "bool"):  # numpy 1 and 2
        return bool(v)
    if isinstance(v, numbers.Integral) and int(v) in (0, 1):
        return bool(v)
    raise TypeError(f"{what} must be True or False, not {v!r}")


def in_range(i: int, what: str, bounds: Any = I64) -> int:
    """``i``, or RangeError naming ``what`` when it does not fit ``bounds``."""
    if not bounds[0] <= i <= bounds[1]:
        bits = 64 if bounds is I64 else 32
        raise_status(RangeError.status, f"{what} {i} does not fit a {bits}-bit integer")
    return i


def to_ms(t: Any, what: str) -> int:
    """Epoch milliseconds (UTC) from an int (ms), an ISO-8601 string, a date or a datetime
    (naive ones are taken as UTC), a numpy datetime64 or a pandas Timestamp."""
    if isinstance(t, bool):
        raise TypeError(f"{what} must be a time, not bool")
    if isinstance(t, numbers.Integral):
        return in_range(int(t), what)
    if hasattr(t, "to_pydatetime"):  # pandas Timestamp
        t = t.to_pydatetime()
    if type(t).__name__ == "datetime64":
        import numpy as np
        return int(t.astype("datetime64[ms]").astype(np.int64))
    if isinstance(t, str):
        s = t.strip().replace("Z", "+00:00")
        try:
            t = _dt.datetime.fromisoformat(s)
        except ValueError:
            raise ValueError(f"{what}: cannot parse {t!r} as an ISO-8601 date/time") from None
    if isinstance(t, _dt.date) and not isinstance(t, _dt.datetime):
        t = _dt.datetime(t.year, t.month, t.day)
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        return in_range(int(round(t.timestamp() * 1000)), what)
    raise TypeError(f"{what} must be epoch ms (int), an ISO-8601 str or a datetime, "
                    f"not {type(t).__name__}")


def interval_ms(iv: Any, what: str = "interval") -> int:
    """Milliseconds of a Binance interval name ("1h") or an int of milliseconds."""
    if isinstance(iv, bool):
        raise TypeError(f"{what} must be an interval name or milliseconds, not bool")
    if isinstance(iv, numbers.Integral):
        return in_range(int(iv), what)
    if isinstance(iv, _dt.timedelta):
        return in_range(int(iv.total_seconds() * 1000), what)
    if not isinstance(iv, str):
        raise TypeError(f"{what} must be an interval name like '1h' or milliseconds, "
                        f"not {type(iv).__name__}")
    out = ctypes.c_int64()
    check(F.ct_interval_parse(to_bytes(iv, what), ctypes.byref(out)))
    return out.value


def interval_name(ms: int) -> str:
    """Binance name of an interval ("1h"), or "<n>ms" when it has none."""
    name = F.ct_interval_name(ms)
    return name.decode() if name else f"{ms}ms"
