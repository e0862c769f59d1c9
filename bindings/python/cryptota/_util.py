"""Small conversions shared by the modules: time values and intervals."""

from __future__ import annotations

import ctypes
import datetime as _dt
import numbers
from typing import Any, Union

from ._lib import F, check, to_bytes

TimeLike = Union[int, str, _dt.datetime, _dt.date]


def to_ms(t: Any, what: str) -> int:
    """Epoch milliseconds (UTC) from an int (ms), an ISO-8601 string, a date or a datetime
    (naive ones are taken as UTC), a numpy datetime64 or a pandas Timestamp."""
    if isinstance(t, bool):
        raise TypeError(f"{what} must be a time, not bool")
    if isinstance(t, numbers.Integral):
        return int(t)
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
        return int(round(t.timestamp() * 1000))
    raise TypeError(f"{what} must be epoch ms (int), an ISO-8601 str or a datetime, "
                    f"not {type(t).__name__}")


def interval_ms(iv: Any, what: str = "interval") -> int:
    """Milliseconds of a Binance interval name ("1h") or an int of milliseconds."""
    if isinstance(iv, bool):
        raise TypeError(f"{what} must be an interval name or milliseconds, not bool")
    if isinstance(iv, numbers.Integral):
        return int(iv)
    if isinstance(iv, _dt.timedelta):
        return int(iv.total_seconds() * 1000)
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
