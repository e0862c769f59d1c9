"""fetch(): Binance klines through the library's client and cache (DESIGN.md section 4)."""

from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from . import _ffi
from ._lib import F, check
from ._progress import Progress
from ._util import TimeLike, to_flag, to_ms
from .feed import adopt


def fetch(symbol: Union[str, Sequence[str]], interval: str = "1h",
          start: Optional[TimeLike] = None, end: Optional[TimeLike] = None, *,
          futures: bool = False, cache: "Optional[str | os.PathLike[str]]" = None,
          base_url: Optional[str] = None, settings: Optional[Dict[str, Any]] = None,
          progress: Union[bool, Callable[[int, int], Any], None] = None) -> Any:
    """Download candles with open time in [start, end) (end None: up to now).

    One symbol gives a :class:`Feed`; a list of symbols gives ``{symbol: Feed}`` (downloaded
    in parallel). ``cache`` is a directory of ``.ctz`` files (only missing ranges are
    downloaded). ``settings`` takes the fetcher's JSON keys (``timeout_ms``, ``max_retries``,
    ...). ``progress``: a callable ``(done, total)`` (return False to cancel), True for a tqdm
    bar (when tqdm is installed), or None.
    """
    many = not isinstance(symbol, str)
    syms: List[str] = [symbol] if isinstance(symbol, str) else list(symbol)
    for s in syms:
        if not isinstance(s, str):
            raise TypeError(f"symbol must be a str, not {type(s).__name__}")
    if not isinstance(interval, str):
        raise TypeError(f"interval must be a name like '1h', not {type(interval).__name__}")
    futures = to_flag(futures, "futures")
    s_ms = to_ms(start, "start") if start is not None else 0
    e_ms = to_ms(end, "end") if end is not None else 0
    out = ctypes.c_void_p()
    check(F.ct_fetcher_create(ctypes.byref(out)))
    h = out.value
    msg = lambda: F.ct_fetcher_errmsg(h)  # noqa: E731
    try:
        cfg: Dict[str, Any] = dict(settings or {})
        if cache is not None:
            cfg["cache_dir"] = os.path.expanduser(os.fspath(cache))
        if base_url is not None:
            cfg["base_url"] = base_url
        if cfg:
            check(F.ct_fetcher_configure_json(h, json.dumps(cfg).encode()), msg)
        with Progress(progress, f"fetch {','.join(syms)}") as prog:
            if prog.active:
                check(F.ct_fetcher_set_progress(h, prog.fetch_fn, None), msg)
            market = 1 if futures else 0
            if not many:
                f = ctypes.c_void_p()
                st = F.ct_fetcher_klines(h, market, syms[0].encode(), interval.encode(), s_ms,
                                         e_ms, ctypes.byref(f))
                prog.reraise()
                check(st, msg)
                return adopt(f.value)
            arr = (ctypes.c_char_p * len(syms))(*[s.encode() for s in syms])
            feeds = (ctypes.c_void_p * len(syms))()
            st = F.ct_fetcher_klines_many(h, market, ctypes.cast(arr, _ffi.PP), len(syms),
                                          interval.encode(), s_ms, e_ms,
                                          ctypes.cast(feeds, _ffi.PP))
            prog.reraise()
            check(st, msg)
            return {s: adopt(feeds[i]) for i, s in enumerate(syms)}
    finally:
        F.ct_fetcher_destroy(h)
