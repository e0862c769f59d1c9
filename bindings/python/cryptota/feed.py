"""Feed: one symbol's OHLCV candles as columns (DESIGN.md section 3)."""

from __future__ import annotations

import ctypes
import os
from typing import Any, Dict, List, Optional

from . import _arrays
from ._lib import F, check, refuse_copy, to_bytes
from ._util import TimeLike, interval_ms, interval_name, to_flag, to_ms

_GAPS = {"keep": 0, "fill": 1, "error": 2}
_FIELDS = ("open", "high", "low", "close", "volume")
_TOKEN = object()  # only this module (and adopt()) may wrap raw handles


def _gap_policy(gaps: Any) -> int:
    if not isinstance(gaps, str) or gaps not in _GAPS:
        raise TypeError(f"gaps must be one of 'keep', 'fill', 'error', not {gaps!r}")
    return _GAPS[gaps]


class Feed:
    """Candles of one symbol: ``time`` (int64 epoch ms, bar open time, UTC) and ``open high
    low close volume`` (float64), validated on load.

    Columns are zero-copy read-only numpy views over the library's memory when numpy is
    installed (lists otherwise); a view keeps the feed alive.

    >>> feed = Feed.load("BTCUSDT_1h.csv.zst")        # .csv, .csv.zst or .ctz
    >>> feed.close[-1], len(feed), feed.interval        # doctest: +SKIP
    """

    __slots__ = ("_h", "_keep", "__weakref__")

    def __init__(self, handle: int, keep: Any = None, *, _token: object = None) -> None:
        """Internal: use the ``Feed.load`` / ``from_*`` constructors."""
        if _token is not _TOKEN or not isinstance(handle, int) or not handle:
            raise TypeError("Feed() is not called directly: use Feed.load(), Feed.from_csv(), "
                            "Feed.from_ctz(), Feed.from_arrays() or Feed.from_pandas()")
        self._h = handle
        self._keep = keep  # host arrays a borrowed feed points into

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            F.ct_feed_destroy(h)

    __reduce__ = refuse_copy  # use clone(), or save() and load()

    @property
    def handle(self) -> int:
        """The ct_feed pointer (an int), for calling the C API directly."""
        return self._h

    def _msg(self) -> bytes:
        return F.ct_feed_errmsg(self._h)

    # ---- constructors ----------------------------------------------------------------------
    @classmethod
    def _wrap(cls, st: int, out: ctypes.c_void_p, keep: Any = None) -> "Feed":
        check(st)
        return cls(out.value, keep, _token=_TOKEN)

    @classmethod
    def load(cls, path: "str | os.PathLike[str]", gaps: str = "keep") -> "Feed":
        """Load a candle file; the format is picked by extension (``.csv``, ``.csv.zst``,
        ``.ctz``). ``gaps``: ``"keep"`` (report them with :meth:`gaps`), ``"fill"`` (flat bars
        at the previous close, volume 0) or ``"error"``.

        Raises IOFailure, FormatError (naming the file line), DataError, CorruptError."""
        p = to_bytes(path, "path")
        out = ctypes.c_void_p()
        return cls._wrap(F.ct_feed_load(p, _gap_policy(gaps), ctypes.byref(out)), out)

    @classmethod
    def from_csv(cls, source: "str | os.PathLike[str] | bytes", symbol: str = "",
                 interval: Any = 0, gaps: str = "keep") -> "Feed":
        """A feed from a CSV file path (``.csv`` / ``.csv.zst``) or from CSV text (``bytes``,
        or a ``str`` containing a newline). Layouts: ``open_time,open,high,low,close,volume``
        with or without header, or Binance's 12-column dump."""
        if isinstance(source, (bytes, bytearray)) or (isinstance(source, str) and "\n" in source):
            text = bytes(source) if not isinstance(source, str) else source.encode()
            out = ctypes.c_void_p()
            st = F.ct_feed_parse_csv(text, len(text), to_bytes(symbol, "symbol"),
                                     interval_ms(interval) if interval else 0,
                                     _gap_policy(gaps), ctypes.byref(out))
            return cls._wrap(st, out)
        feed = cls.load(source, gaps)
        if symbol:
            feed.symbol = symbol
        return feed

    @classmethod
    def from_ctz(cls, source: "str | os.PathLike[str] | bytes") -> "Feed":
        """A feed from a ``.ctz`` file path or a ``.ctz`` image in memory (``bytes``)."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
            out = ctypes.c_void_p()
            return cls._wrap(F.ct_feed_parse_ctz(data, len(data), ctypes.byref(out)), out)
        return cls.load(source)

    @classmethod
    def from_arrays(cls, time: Any, open: Any, high: Any, low: Any, close: Any, volume: Any,
                    symbol: str = "", interval: Any = 0, copy: bool = True) -> "Feed":
        """A feed from host columns (validated: the error names the row and the rule).

        ``time`` is epoch ms (int64; datetime64 arrays are converted), the others float64.
        ``interval`` is a name ("1h") or ms; 0 infers it. With ``copy=False`` and numpy float64
        / int64 contiguous arrays the feed borrows them (zero-copy) and keeps them alive."""
        if not isinstance(symbol, str):
            raise TypeError(f"symbol must be a str, not {type(symbol).__name__}")
        copy = to_flag(copy, "copy")
        tp, tk, n = _arrays.i64_in(time, "time")
        cols = []
        keep: List[Any] = [tk]
        for name, col in zip(_FIELDS, (open, high, low, close, volume)):
            p, k, m = _arrays.f64_in(col, name)
            if m != n:
                raise ValueError(f"{name} has {m} rows but time has {n}")
            cols.append(p)
            keep.append(k)
        out = ctypes.c_void_p()
        flags = 0 if copy else 1
        st = F.ct_feed_from_arrays(symbol.encode(), interval_ms(interval) if interval else 0,
                                   tp, *cols, n, flags, ctypes.byref(out))
        return cls._wrap(st, out, None if copy else keep)

    @classmethod
    def from_pandas(cls, df: Any, symbol: str = "", interval: Any = 0) -> "Feed":
        """A feed from a DataFrame with ``open high low close volume`` columns and the time
        either in a ``time`` / ``open_time`` / ``time_ms`` column (epoch ms or datetime64) or as
        a DatetimeIndex."""
        if not hasattr(df, "columns"):
            raise TypeError(f"from_pandas needs a pandas DataFrame, not {type(df).__name__}")
        cols = {str(c).lower(): c for c in df.columns}
        for tname in ("time", "open_time", "time_ms", "timestamp", "date"):
            if tname in cols:
                tcol = df[cols[tname]]
                if getattr(getattr(tcol, "dt", None), "tz", None) is not None:
                    tcol = tcol.dt.tz_convert("UTC").dt.tz_localize(None)
                time = tcol.to_numpy()
                break
        else:
            idx = df.index
            if getattr(idx, "tz", None) is not None:
                idx = idx.tz_convert("UTC").tz_localize(None)
            time = idx.to_numpy()
        missing = [c for c in _FIELDS if c not in cols]
        if missing:
            raise ValueError(f"DataFrame lacks column(s) {', '.join(missing)}")
        return cls.from_arrays(time, *(df[cols[c]].to_numpy() for c in _FIELDS),
                               symbol=symbol, interval=interval)

    # ---- metadata ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(F.ct_feed_len(self._h))

    def __repr__(self) -> str:
        n = len(self)
        span = ""
        if n:
            t = self.time
            span = f", {t[0]}..{t[n - 1]}"
        return f"<Feed {self.symbol or '?'} {self.interval} {n} bars{span}>"

    @property
    def symbol(self) -> str:
        """Symbol ("" if none)."""
        s = F.ct_feed_symbol(self._h)
        return s.decode() if s else ""

    @symbol.setter
    def symbol(self, value: str) -> None:
        check(F.ct_feed_set_symbol(self._h, to_bytes(value, "symbol")), self._msg)

    @property
    def interval_ms(self) -> int:
        """Bar interval in milliseconds."""
        return int(F.ct_feed_interval_ms(self._h))

    @property
    def interval(self) -> str:
        """Bar interval as a Binance name ("1h")."""
        return interval_name(self.interval_ms)

    # ---- zero-copy columns -----------------------------------------------------------------
    def _col(self, fn: Any, ctype: Any) -> Any:
        return _arrays.view(fn(self._h) or 0, len(self), ctype, self)

    @property
    def time(self) -> Any:
        """Bar open times, epoch ms UTC (int64)."""
        return self._col(F.ct_feed_time, ctypes.c_int64)

    @property
    def open(self) -> Any:
        return self._col(F.ct_feed_open, ctypes.c_double)

    @property
    def high(self) -> Any:
        return self._col(F.ct_feed_high, ctypes.c_double)

    @property
    def low(self) -> Any:
        return self._col(F.ct_feed_low, ctypes.c_double)

    @property
    def close(self) -> Any:
        return self._col(F.ct_feed_close, ctypes.c_double)

    @property
    def volume(self) -> Any:
        return self._col(F.ct_feed_volume, ctypes.c_double)

    def column(self, name: str) -> Any:
        """A column by name: "time", "open", "high", "low", "close" or "volume"."""
        if name == "time":
            return self.time
        if name not in _FIELDS:
            raise KeyError(f"no column {name!r}; expected time, {', '.join(_FIELDS)}")
        return getattr(self, name)

    def __getitem__(self, name: str) -> Any:
        return self.column(name)

    # ---- transforms ------------------------------------------------------------------------
    def resample(self, interval: Any, partial: bool = False) -> "Feed":
        """Resample to a multiple of the interval, buckets aligned to the UTC epoch
        (open first, high max, low min, close last, volume sum). Only complete buckets unless
        ``partial``."""
        out = ctypes.c_void_p()
        st = F.ct_feed_resample(self._h, interval_ms(interval), 1 if to_flag(partial, "partial") else 0,
                                ctypes.byref(out))
        check(st, self._msg)
        return Feed(out.value, _token=_TOKEN)

    def slice(self, start: Optional[TimeLike] = None, end: Optional[TimeLike] = None) -> "Feed":
        """Rows with ``start <= time < end`` (copied); either bound may be None."""
        s = to_ms(start, "start") if start is not None else -(2 ** 63)
        e = to_ms(end, "end") if end is not None else 2 ** 63 - 1
        out = ctypes.c_void_p()
        check(F.ct_feed_slice(self._h, s, e, ctypes.byref(out)), self._msg)
        return Feed(out.value, _token=_TOKEN)

    def clone(self) -> "Feed":
        """A deep copy owning its columns."""
        out = ctypes.c_void_p()
        check(F.ct_feed_clone(self._h, ctypes.byref(out)), self._msg)
        return Feed(out.value, _token=_TOKEN)

    def fill_gaps(self) -> "Feed":
        """A copy with every gap filled by flat bars at the previous close (volume 0)."""
        out = ctypes.c_void_p()
        check(F.ct_feed_apply_gaps(self._h, 1, ctypes.byref(out)), self._msg)
        return Feed(out.value, _token=_TOKEN)

    @property
    def missing_bars(self) -> int:
        """Number of missing bars over all gaps."""
        return int(F.ct_feed_missing_bars(self._h))

    def gaps(self) -> List[Dict[str, int]]:
        """Gaps as ``[{"after_ms", "before_ms", "missing"}]`` (DESIGN.md section 13, info)."""
        n = ctypes.c_int64()
        check(F.ct_feed_gaps(self._h, None, None, None, 0, ctypes.byref(n)), self._msg)
        k = n.value
        if k == 0:
            return []
        a, b, m = (ctypes.c_int64 * k)(), (ctypes.c_int64 * k)(), (ctypes.c_int64 * k)()
        check(F.ct_feed_gaps(self._h, a, b, m, k, ctypes.byref(n)), self._msg)
        return [{"after_ms": a[i], "before_ms": b[i], "missing": m[i]} for i in range(k)]

    def save(self, path: "str | os.PathLike[str]") -> None:
        """Write the feed; the format is picked by extension (.csv, .csv.zst, .ctz)."""
        check(F.ct_feed_save(self._h, to_bytes(path, "path")), self._msg)

    def to_pandas(self) -> Any:
        """A DataFrame with a UTC DatetimeIndex ``time`` and the five price columns (copied)."""
        import pandas as pd
        idx = pd.to_datetime(_np_or_list(self.time), unit="ms", utc=True)
        idx.name = "time"
        return pd.DataFrame({c: _np_or_list(getattr(self, c)) for c in _FIELDS}, index=idx)

    def to_dict(self) -> Dict[str, Any]:
        """The columns as a dict of arrays (views) or lists."""
        return {"time": self.time, **{c: getattr(self, c) for c in _FIELDS}}


def adopt(handle: int) -> Feed:
    """Wrap a ct_feed pointer the caller owns (e.g. from fetch)."""
    return Feed(handle, _token=_TOKEN)


def _np_or_list(x: Any) -> Any:
    return x.copy() if hasattr(x, "copy") else list(x)


def as_feed(x: Any, what: str = "feed") -> Feed:
    """``x`` if it is a Feed, a loaded Feed if it is a path, else TypeError."""
    if isinstance(x, Feed):
        return x
    if isinstance(x, (str, os.PathLike)):
        return Feed.load(x)
    raise TypeError(f"{what} must be a cryptota.Feed or a path to a candle file, "
                    f"not {type(x).__name__}")
