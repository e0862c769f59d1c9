"""The one module of the service that calls libcryptota.

Everything the service computes goes through :class:`Engine`: the strategy and indicator
tables, loading candles, backtests (result document, HTML report, cache key), optimization
shards and their merge, walk-forward, and Binance fetches into the library's ``.ctz`` cache.

It uses the Python binding (package ``cryptota``, ctypes) when the binding provides the call,
and otherwise runs the ``cryptota`` command (path from CRYPTOTA_CLI / CT_CLI) with ``--json``
output: both end in the same C functions, and the rest of the service never sees which path
was taken. Errors become :class:`EngineError` (with ``user_error`` set when the request, not the
service, is at fault, so the API can answer 422 instead of failing the job).
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

try:  # the binding; optional until it is importable (then the CLI does the work)
    import cryptota as _ct  # type: ignore
except Exception as _e:  # noqa: BLE001 - a missing library is reported by /health, not at import
    _ct = None
    _CT_IMPORT_ERROR: Optional[str] = f"{type(_e).__name__}: {_e}"
else:
    _CT_IMPORT_ERROR = None

INTERVALS_MS = {
    "1s": 1000, "1m": 60000, "3m": 180000, "5m": 300000, "15m": 900000, "30m": 1800000,
    "1h": 3600000, "2h": 7200000, "4h": 14400000, "6h": 21600000, "8h": 28800000,
    "12h": 43200000, "1d": 86400000, "3d": 259200000, "1w": 604800000, "1M": 2592000000,
}
HEADLINE = ("total_return", "sharpe_ratio", "max_drawdown", "win_rate", "total_trades")
SYMBOL_RE = re.compile(r"[A-Z0-9]{2,20}")  # use fullmatch ($ would let a trailing newline in)


class EngineError(Exception):
    """A library call failed. ``user_error``: caused by the request (bad parameter, no data)."""

    def __init__(self, message: str, user_error: bool = False, cancelled: bool = False,
                 where: Optional[List[str]] = None) -> None:
        super().__init__(message)
        self.user_error = user_error
        self.cancelled = cancelled
        self.where = where  # the request field at fault (its path in the body), when known


class Cancelled(EngineError):
    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message, cancelled=True)


def _finite(v: Any) -> Optional[float]:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)):
        return float(v)
    return None


def headline(metrics: Dict[str, Any]) -> Dict[str, Any]:
    """The headline metric columns of a result (None where the library says undefined)."""
    out: Dict[str, Any] = {k: _finite(metrics.get(k)) for k in HEADLINE}
    if out["total_trades"] is not None:
        out["total_trades"] = int(out["total_trades"])
    return out


def _user_status(exc: BaseException) -> bool:
    """Library errors caused by the input. The binding's InvalidArgumentError, RangeError,
    DataError and FormatError derive from ValueError, NotFoundError from LookupError."""
    return isinstance(exc, (ValueError, TypeError, LookupError))


class Engine:
    """Library access for one process. Thread-safe (feeds are immutable and shared)."""

    def __init__(self, data_dir: str, candle_dirs: Sequence[str] = (), cli_path: Optional[str] = None,
                 binance_url: Optional[str] = None, opt_threads: int = 0, max_equity_points: int = 0,
                 feed_cache_size: int = 8) -> None:
        self.data_dir = data_dir
        # the fetcher's cache layout (<dir>/spot/BTCUSDT_1h.ctz) directly in the data directory, so
        # the default (~/.cache/cryptota) is the cache `cryptota fetch` and `cryptota demo` use
        self.cache_dir = data_dir
        self.candle_dirs = list(candle_dirs)
        self.cli_path = cli_path
        self.binance_url = binance_url
        self.opt_threads = opt_threads
        self.max_equity_points = max_equity_points
        self._feeds: "OrderedDict[Tuple[str, int, int], Any]" = OrderedDict()
        self._feed_cap = feed_cache_size
        self._lock = threading.Lock()
        self._tables: Dict[str, Any] = {}

    # ---- status ------------------------------------------------------------------------------
    def describe(self) -> Dict[str, Any]:
        """Which path is in use, for /health."""
        out: Dict[str, Any] = {"binding": _ct is not None, "cli": self._cli() is not None}
        if _ct is None:
            out["binding_error"] = _CT_IMPORT_ERROR
        else:
            out["version"] = getattr(_ct, "__version__", None)
        return out

    def _cli(self) -> Optional[str]:
        p = self.cli_path or os.environ.get("CRYPTOTA_CLI") or os.environ.get("CT_CLI")
        if p and os.access(p, os.X_OK):
            return p
        return shutil.which("cryptota")

    def _run_cli(self, args: List[str], timeout: float = 3600.0) -> str:
        cli = self._cli()
        if cli is None:
            raise EngineError("libcryptota is not usable: the Python binding did not load "
                              f"({_CT_IMPORT_ERROR}) and no cryptota command was found (set CRYPTOTA_CLI)")
        try:
            p = subprocess.run([cli, *args], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EngineError(f"cryptota {args[0]} timed out after {timeout:.0f} s") from None
        if p.returncode != 0:
            msg = (p.stderr or p.stdout).strip().splitlines()
            text = msg[-1] if msg else f"exit status {p.returncode}"
            raise EngineError(f"cryptota {args[0]}: {text}", user_error=p.returncode == 2 or "invalid" in text.lower())
        return p.stdout

    # ---- tables ------------------------------------------------------------------------------
    def strategies(self) -> List[Dict[str, Any]]:
        """[{name, description, builtin, parameters: [{name, kind, default, min, max, step, description}]}]."""
        if "strategies" not in self._tables:
            doc: Any = None
            if _ct is not None and hasattr(_ct, "strategies"):
                try:
                    doc = _ct.strategies()
                except Exception as e:  # noqa: BLE001 - e.g. a library without the table
                    raise EngineError(f"strategy table: {e}") from None
            else:
                doc = json.loads(self._run_cli(["strategies", "--json"]))
            self._tables["strategies"] = _normalize_strategies(doc)
        return self._tables["strategies"]

    def strategy(self, name: str) -> Optional[Dict[str, Any]]:
        for s in self.strategies():
            if s["name"] == name:
                return s
        return None

    def indicators(self) -> List[Dict[str, Any]]:
        """The library's indicator table: name, full name, group, inputs, options, outputs."""
        if "indicators" not in self._tables:
            if _ct is not None and hasattr(getattr(_ct, "ta", None), "indicators"):
                try:
                    doc = _ct.ta.indicators()
                except Exception as e:  # noqa: BLE001
                    raise EngineError(f"indicator table: {e}") from None
            else:
                doc = json.loads(self._run_cli(["indicators", "--json"]))
            if isinstance(doc, dict):
                doc = doc.get("indicators", list(doc.values()))
            self._tables["indicators"] = [_plain(d) for d in doc]
        return self._tables["indicators"]

    # ---- candles -----------------------------------------------------------------------------
    def data_files(self, symbol: str, timeframe: str) -> List[str]:
        """Candle files for symbol/timeframe: the library's .ctz cache first, then CRYPTOTA_CANDLE_DIRS."""
        found: List[str] = []
        cached = self.cache_path(symbol, timeframe)
        if cached and os.path.isfile(cached):
            found.append(cached)
        pats = [f"{symbol}_{timeframe}.ctz", f"*_{symbol}_{timeframe}_*.csv.zst", f"*_{symbol}_{timeframe}_*.csv",
                f"{symbol}_{timeframe}.csv.zst", f"{symbol}_{timeframe}.csv", f"*_{symbol}_{timeframe}.ctz"]
        for d in self.candle_dirs:
            for pat in pats:
                for p in sorted(glob.glob(os.path.join(d, pat))):
                    if p not in found:
                        found.append(p)
        return found

    def cache_path(self, symbol: str, timeframe: str) -> Optional[str]:
        """Where the library's fetcher keeps symbol/timeframe (spot) in the cache directory
        (ct_fetcher_cache_path; the binding has no Python wrapper for it, so the raw call)."""
        if _ct is not None and hasattr(_ct, "fetch"):
            try:
                import ctypes
                from cryptota._lib import F, check  # type: ignore
                h = ctypes.c_void_p()
                check(F.ct_fetcher_create(ctypes.byref(h)))
                try:
                    msg = lambda: F.ct_fetcher_errmsg(h.value)  # noqa: E731
                    check(F.ct_fetcher_configure_json(h.value, json.dumps({"cache_dir": self.cache_dir}).encode()), msg)
                    buf = ctypes.create_string_buffer(4096)
                    n = ctypes.c_size_t()
                    check(F.ct_fetcher_cache_path(h.value, 0, symbol.encode(), timeframe.encode(), buf,
                                                  len(buf), ctypes.byref(n)), msg)
                    return buf.value.decode()
                finally:
                    F.ct_fetcher_destroy(h.value)
            except Exception:  # noqa: BLE001 - a library without the fetcher: the CLI layout
                pass
        return os.path.join(self.cache_dir, f"{symbol}_{timeframe}.ctz")

    def metric_names(self) -> Optional[List[str]]:
        """The library's metric names (objectives of an optimization); None if unknown."""
        if "metrics" not in self._tables:
            names = None
            if _ct is not None and hasattr(_ct, "metric_names"):
                try:
                    names = list(_ct.metric_names())
                except Exception:  # noqa: BLE001
                    names = None
            self._tables["metrics"] = names
        return self._tables["metrics"]

    def _load(self, path: str, symbol: str = "") -> Any:
        """The feed of a file, shared (LRU of loaded feeds keyed by path, mtime and size).
        A file without a symbol (a bare CSV) gets `symbol` before it is shared."""
        try:
            st = os.stat(path)
        except OSError as e:  # removed since it was listed
            raise EngineError(f"cannot read {os.path.basename(path)}: {e.strerror}", user_error=True) from None
        key = (path, st.st_mtime_ns, st.st_size)
        with self._lock:
            f = self._feeds.get(key)
            if f is not None:
                self._feeds.move_to_end(key)
                return f
        if _ct is None:
            raise EngineError(f"loading candles needs the cryptota binding ({_CT_IMPORT_ERROR})")
        try:
            f = _ct.Feed.load(path)
        except Exception as e:  # noqa: BLE001
            raise EngineError(f"cannot load {os.path.basename(path)}: {e}") from None
        if symbol and not f.symbol:
            f.symbol = symbol
        with self._lock:
            self._feeds[key] = f
            while len(self._feeds) > self._feed_cap:
                self._feeds.popitem(last=False)
        return f

    def data_signature(self, symbol: str, timeframe: str) -> Optional[str]:
        """Identity of the data a request would read (file, size, mtime); None when there is none."""
        files = self.data_files(symbol, timeframe)
        if not files:
            return None
        st = os.stat(files[0])
        return f"{files[0]}:{st.st_size}:{st.st_mtime_ns}"

    def feed(self, symbol: str, timeframe: str, start_ms: Optional[int], end_ms: Optional[int]) -> Any:
        """The candles of [start_ms, end_ms) from the first file that has symbol/timeframe."""
        files = self.data_files(symbol, timeframe)
        if not files:
            raise EngineError(f"no candles for {symbol} {timeframe}: fetch them first with POST /data/fetch",
                              user_error=True)
        feed = self._load(files[0], symbol)
        if start_ms is None and end_ms is None:
            part = feed
        else:
            try:
                part = feed.slice(start_ms, end_ms)
            except Exception as e:  # noqa: BLE001
                raise EngineError(f"cannot slice {symbol} {timeframe}: {e}", user_error=True) from None
        if len(part) == 0:
            raise EngineError(f"no candles for {symbol} {timeframe} in the requested date range "
                              f"(the data covers {_fmt_range(feed)})", user_error=True)
        return part

    def coverage(self, symbol: str, timeframe: str) -> Dict[str, Any]:
        files = self.data_files(symbol, timeframe)
        if not files:
            raise EngineError(f"no candles for {symbol} {timeframe}", user_error=True)
        feed = self._load(files[0])
        t = feed.time
        gaps = feed.gaps() if hasattr(feed, "gaps") else []
        return {
            "symbol": symbol, "timeframe": timeframe, "rows": len(feed),
            "first_time_ms": int(t[0]) if len(feed) else None,
            "last_time_ms": int(t[len(feed) - 1]) if len(feed) else None,
            "missing_bars": int(feed.missing_bars) if hasattr(feed, "missing_bars") else None,
            "gaps": len(gaps),
            "source": os.path.basename(files[0]),
            "in_cache": files[0].startswith(self.cache_dir + os.sep),
            "bytes": os.path.getsize(files[0]),
        }

    def validate(self, strategy: str, params: Dict[str, Any], config: Dict[str, Any]) -> None:
        """Let the library check parameters (ct_strategy_set_json + ct_strategy_validate, e.g.
        "oversold must be below overbought") and the engine config (ct_engine_configure_json)
        without running anything; raises EngineError(user_error=True) with its message and
        `where` naming the field ("parameters" or "config").

        The binding has no public call for this, so its helpers that build the handles for
        backtest() are used; without them the check happens when the job runs."""
        try:
            from cryptota import engine as _be  # type: ignore
            from cryptota._lib import F, check  # type: ignore
        except Exception:  # noqa: BLE001
            return
        if not (hasattr(_be, "make_strategy") and hasattr(_be, "make_engine")):
            return
        try:
            e = _be.make_engine(config, {})
            F.ct_engine_destroy(e)
        except Exception as e:  # noqa: BLE001
            raise EngineError(str(e), user_error=True, where=["config"]) from None
        try:
            s = _be.make_strategy(strategy, params)
        except Exception as e:  # noqa: BLE001
            raise EngineError(str(e), user_error=True, where=["parameters"]) from None
        try:
            check(F.ct_strategy_validate(s), lambda: F.ct_strategy_errmsg(s))
        except Exception as e:  # noqa: BLE001
            raise EngineError(str(e), user_error=True, where=["parameters"]) from None
        finally:
            F.ct_strategy_destroy(s)

    def check_range(self, symbol: str, timeframe: str, start_ms: Optional[int], end_ms: Optional[int]) -> int:
        """The number of bars in the range; EngineError(user_error) when there are none."""
        return len(self.feed(symbol, timeframe, start_ms, end_ms))

    def check_search(self, symbol: str, timeframe: str, start_ms: Optional[int], end_ms: Optional[int],
                     strategy: str, grid: Dict[str, Any], config: Dict[str, Any], metric: str,
                     maximize: bool, min_trades: int) -> int:
        """The number of combinations of `grid`, as the library counts them, after the library
        has parsed the grid, the objective, min_trades and the config without running anything
        (ct_optimizer_set_grid_json and friends). EngineError(user_error=True) with the library's
        message and `where` naming the field otherwise.

        The library's parse is the one the job will use: a range's values are the library's
        (0.1..0.3 step 0.1 has 3 values, the last clamped to "to"), an integer parameter
        refuses fractional values or steps, and nothing is expanded in Python."""
        try:  # the module (the package's `optimize` attribute is the function)
            import importlib
            _bo = importlib.import_module("cryptota.optimize")
            from cryptota._lib import F, check  # type: ignore
        except Exception:  # noqa: BLE001
            _bo = None
        if _bo is None or not (hasattr(_bo, "_Opt") and hasattr(_bo, "_space_json")):
            try:  # the CLI checks the rest when the job runs
                return self.grid_size(grid)
            except ValueError as e:
                raise EngineError(str(e), user_error=True, where=["parameter_grid"]) from None
        import ctypes
        feed = self.feed(symbol, timeframe, start_ms, end_ms)
        try:
            opt = _bo._Opt(feed, strategy, config, metric, maximize, min_trades, 1)
        except Exception as e:  # noqa: BLE001
            msg = str(e)
            where = ["optimization_metric"] if "metric" in msg else ["min_trades"] if "min_trades" in msg \
                else ["config"]
            raise EngineError(msg, user_error=_user_status(e), where=where) from None
        try:
            check(F.ct_optimizer_set_grid_json(opt.h, _bo._space_json(grid, "parameter_grid")), opt.msg)
            total = ctypes.c_int64()
            check(F.ct_optimizer_counts(opt.h, ctypes.byref(total), None, None), opt.msg)
        except Exception as e:  # noqa: BLE001
            msg = str(e)
            m = re.search(r"parameter(?:_grid\[| )'([^']*)'", msg)
            where = ["parameter_grid"] + ([m.group(1)] if m and m.group(1) in grid else [])
            raise EngineError(msg, user_error=_user_status(e), where=where) from None
        return int(total.value)

    # ---- backtests ---------------------------------------------------------------------------
    def backtest(self, symbol: str, timeframe: str, start_ms: Optional[int], end_ms: Optional[int],
                 strategy: str, params: Dict[str, Any], config: Dict[str, Any],
                 want_report: bool = True) -> Dict[str, Any]:
        """Run one backtest: {"result": doc, "report_html": str|None, "cache_key": str, "headline": {...}}."""
        feed = self.feed(symbol, timeframe, start_ms, end_ms)
        if _ct is not None and hasattr(_ct, "backtest"):
            try:
                res = _ct.backtest(feed, strategy, params=params, config=config)
            except Exception as e:  # noqa: BLE001
                raise EngineError(str(e), user_error=_user_status(e)) from None
            doc = _result_doc(res, self.max_equity_points)
            key = _result_key(res)
            report = None
            if want_report:
                with tempfile.TemporaryDirectory() as td:
                    p = os.path.join(td, "report.html")
                    res.report_html(p)
                    with open(p, encoding="utf-8") as fh:
                        report = fh.read()
        else:
            with tempfile.TemporaryDirectory() as td:
                src = os.path.join(td, f"{symbol}_{timeframe}.ctz")
                feed.save(src)
                out = os.path.join(td, "result.json")
                args = ["backtest", src, "--strategy", strategy, "--params", json.dumps(params),
                        "--config", json.dumps(config), "--json", out]
                if want_report:
                    args += ["--report", os.path.join(td, "report.html")]
                self._run_cli(args)
                with open(out, encoding="utf-8") as fh:
                    doc = json.load(fh)
                report = None
                if want_report:
                    with open(os.path.join(td, "report.html"), encoding="utf-8") as fh:
                        report = fh.read()
            key = doc.get("cache_key") or _fallback_key(feed, strategy, params, config)
        doc.setdefault("symbol", symbol)
        doc.setdefault("timeframe", timeframe)
        return {"result": doc, "report_html": report, "cache_key": key,
                "headline": headline(doc.get("metrics") or {})}

    # ---- optimization ------------------------------------------------------------------------
    def grid_size(self, grid: Dict[str, Any]) -> int:
        """Number of combinations of a grid (lists or {from, to, step}), before invalid ones are skipped."""
        n = 1
        for name, spec in grid.items():
            n *= axis_size(name, spec)
        return n

    def optimize(self, symbol: str, timeframe: str, start_ms: Optional[int], end_ms: Optional[int],
                 strategy: str, grid: Dict[str, Any], config: Dict[str, Any], metric: str, maximize: bool,
                 min_trades: int = 0, top: int = 0, shard: Optional[Tuple[int, int]] = None,
                 progress: Optional[Callable[[int, int], None]] = None,
                 cancel: Optional[Callable[[], bool]] = None) -> Dict[str, Any]:
        """Grid search (or one shard `k of n` of it): the library's optimization document."""
        feed = self.feed(symbol, timeframe, start_ms, end_ms)
        if _ct is not None and hasattr(_ct, "optimize"):
            kw: Dict[str, Any] = {"grid": grid, "config": config, "metric": metric, "maximize": maximize}
            if min_trades:
                kw["min_trades"] = min_trades
            if self.opt_threads:
                kw["threads"] = self.opt_threads
            if shard is not None:
                kw["shard"] = shard
            return _opt_doc(_hooked(_ct.optimize, (feed, strategy), kw, progress, cancel))
        with tempfile.TemporaryDirectory() as td:
            src = os.path.join(td, f"{symbol}_{timeframe}.ctz")
            feed.save(src)
            out = os.path.join(td, "opt.json")
            args = ["optimize", src, "--strategy", strategy, "--grid", json.dumps(grid),
                    "--config", json.dumps(config), "--metric", metric, "--json", out]
            if not maximize:
                args.append("--minimize")
            if self.opt_threads:
                args += ["--threads", str(self.opt_threads)]
            if min_trades:
                args += ["--min-trades", str(min_trades)]
            if shard is not None:
                args += ["--shard", f"{shard[0]}/{shard[1]}"]
            self._run_cli(args)
            with open(out, encoding="utf-8") as fh:
                return json.load(fh)

    def merge(self, shard_docs: List[Dict[str, Any]]) -> Dict[str, Any]:
        """Merge shard documents into the table a single run gives (the library's merge)."""
        if _ct is not None and hasattr(_ct, "optimize"):  # ct_optimizer_merge_json (no Python wrapper yet)
            import ctypes
            from cryptota._lib import F, check, take_string  # type: ignore
            raw = [json.dumps(d).encode() for d in shard_docs]
            arr = (ctypes.c_char_p * len(raw))(*raw)
            h = ctypes.c_void_p()
            try:
                check(F.ct_optimizer_merge_json(ctypes.cast(arr, ctypes.POINTER(ctypes.c_void_p)),
                                                len(raw), ctypes.byref(h)))
            except Exception as e:  # noqa: BLE001
                raise EngineError(f"merging {len(raw)} shards: {e}") from None
            try:
                p = ctypes.c_void_p()
                check(F.ct_optimizer_json(h.value, 0, ctypes.byref(p)), lambda: F.ct_optimizer_errmsg(h.value))
                return json.loads(take_string(p))
            finally:
                F.ct_optimizer_destroy(h.value)
        with tempfile.TemporaryDirectory() as td:
            paths = []
            for i, d in enumerate(shard_docs):
                p = os.path.join(td, f"shard{i}.json")
                with open(p, "w", encoding="utf-8") as fh:
                    json.dump(d, fh)
                paths.append(p)
            out = os.path.join(td, "merged.json")
            self._run_cli(["merge", *paths, "--json", out])
            with open(out, encoding="utf-8") as fh:
                return json.load(fh)

    def walk_forward(self, symbol: str, timeframe: str, start_ms: Optional[int], end_ms: Optional[int],
                     strategy: str, grid: Dict[str, Any], config: Dict[str, Any], metric: str,
                     maximize: bool, wf: Dict[str, Any], min_trades: int = 0,
                     progress: Optional[Callable[[int, int], None]] = None,
                     cancel: Optional[Callable[[], bool]] = None) -> Dict[str, Any]:
        """Walk-forward optimization: per-window parameters, stitched out-of-sample metrics, efficiency.

        The HTML report of the out-of-sample run, when the library makes one, comes back under
        the key "__report_html" (the caller removes it from the document)."""
        feed = self.feed(symbol, timeframe, start_ms, end_ms)
        if _ct is not None and hasattr(_ct, "walk_forward"):
            kw = {"grid": grid, "config": config, "metric": metric, "maximize": maximize,
                  "train": int(wf["train_bars"]), "test": int(wf["test_bars"]),
                  "anchored": bool(wf.get("anchored", False)), "purge": int(wf.get("purge_bars", 0))}
            if self.opt_threads:
                kw["threads"] = self.opt_threads
            if min_trades:
                kw["min_trades"] = min_trades
            res = _hooked(_ct.walk_forward, (feed, strategy), kw, progress, cancel)
            doc = _opt_doc(res)
            if hasattr(res, "report_html"):  # the stitched out-of-sample report
                with tempfile.TemporaryDirectory() as td:
                    p = os.path.join(td, "report.html")
                    res.report_html(p)
                    with open(p, encoding="utf-8") as fh:
                        doc["__report_html"] = fh.read()
            return doc
        with tempfile.TemporaryDirectory() as td:
            src = os.path.join(td, f"{symbol}_{timeframe}.ctz")
            feed.save(src)
            out = os.path.join(td, "wf.json")
            rep = os.path.join(td, "report.html")
            args = ["walkforward", src, "--strategy", strategy, "--grid", json.dumps(grid),
                    "--train", str(wf["train_bars"]), "--test", str(wf["test_bars"]),
                    "--purge", str(wf.get("purge_bars", 0)), "--metric", metric,
                    "--config", json.dumps(config), "--json", out, "--report", rep]
            if wf.get("anchored"):
                args.append("--anchored")
            if not maximize:
                args.append("--minimize")
            if self.opt_threads:
                args += ["--threads", str(self.opt_threads)]
            if min_trades:
                args += ["--min-trades", str(min_trades)]
            self._run_cli(args)
            with open(out, encoding="utf-8") as fh:
                doc = json.load(fh)
            with open(rep, encoding="utf-8") as fh:
                doc["__report_html"] = fh.read()
            return doc

    # ---- fetching ----------------------------------------------------------------------------
    def fetch(self, symbol: str, timeframe: str, start_ms: int, end_ms: int,
              progress: Optional[Callable[[int, int], None]] = None,
              cancel: Optional[Callable[[], bool]] = None) -> Dict[str, Any]:
        """Download the missing candles into the library's .ctz cache; returns the coverage.

        ``progress(done, total)`` gets the fetcher's bar counts (total is the library's estimate
        of the missing bars); ``cancel()`` is probed at each of those calls, and True stops the
        download (the library keeps the pages it has in the cache) with :class:`Cancelled`.
        The CLI fallback reports no progress and is only cancelled once the command is done."""
        os.makedirs(self.cache_dir, exist_ok=True)
        dest = self.cache_path(symbol, timeframe)
        assert dest is not None
        if _ct is not None and hasattr(_ct, "fetch"):
            kw: Dict[str, Any] = {"start": start_ms, "end": end_ms, "cache": self.cache_dir}
            if self.binance_url:
                kw["base_url"] = self.binance_url
            start, end = kw.pop("start"), kw.pop("end")
            feed = _hooked(_ct.fetch, (symbol, timeframe, start, end), kw, progress, cancel)
            if not os.path.isfile(dest):  # the cache layout differs: keep a copy where we read
                feed.save(dest)
        else:
            args = ["fetch", symbol, "--interval", timeframe, "--start", str(start_ms), "--end", str(end_ms),
                    "--cache", self.cache_dir, "--out", dest]
            if self.binance_url:
                args += ["--base-url", self.binance_url]
            self._run_cli(args)
            if cancel is not None and cancel():
                raise Cancelled()
        with self._lock:
            self._feeds.clear()
        return self.coverage(symbol, timeframe)


# ---- document helpers ------------------------------------------------------------------------
def axis_size(name: str, spec: Any) -> int:
    """Values on one grid axis (a list, a number, or {"from", "to", "step"} with the library's
    inclusive end), counted without expanding it. Used only without the binding (the CLI
    fallback); with it, Engine.check_search asks the library's own parse."""
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"parameter_grid.{name}: empty list")
        for v in spec:
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise ValueError(f"parameter_grid.{name}: {v!r} is not a number")
        return len(spec)
    if isinstance(spec, dict):
        vals = [spec.get(k, 1) if k == "step" else spec.get(k) for k in ("from", "to", "step")]
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in vals):
            raise ValueError(f"parameter_grid.{name}: expected {{\"from\", \"to\", \"step\"}} numbers")
        a, b, s = (float(v) for v in vals)
        if s <= 0 or b < a or not all(map(math.isfinite, (a, b, s))):
            raise ValueError(f"parameter_grid.{name}: need from <= to and step > 0")
        n = int(math.floor((b - a) / s + 1e-9)) + 1
        if n > 100000:  # the library's limit per parameter
            raise ValueError(f"parameter_grid.{name}: range has more than 100000 values")
        return n
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return 1
    raise ValueError(f"parameter_grid.{name}: expected a list or {{\"from\", \"to\", \"step\"}}")


def _plain(x: Any) -> Any:
    """A JSON-ready copy of a binding object (dicts, lists, dataclasses, objects with to_dict)."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if hasattr(x, "_asdict"):  # NamedTuple rows (the binding's IndicatorInfo)
        return _plain(x._asdict())
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if x is None or isinstance(x, (str, int, bool)):
        return x
    for m in ("to_dict", "_asdict"):
        if hasattr(x, m):
            return _plain(getattr(x, m)())
    if hasattr(x, "__dict__"):
        return _plain({k: v for k, v in vars(x).items() if not k.startswith("_")})
    if hasattr(x, "__slots__"):
        return _plain({k: getattr(x, k) for k in x.__slots__ if not k.startswith("_") and hasattr(x, k)})
    return str(x)


def _normalize_strategies(doc: Any) -> List[Dict[str, Any]]:
    if isinstance(doc, dict):
        doc = doc.get("strategies", doc.get("classes", list(doc.values())))
    out = []
    for s in _plain(doc):
        params = s.get("parameters", s.get("params", s.get("schema", [])))
        if isinstance(params, dict):
            params = [dict(v, name=k) for k, v in params.items()]
        s["parameters"] = params
        out.append(s)
    return out


def _result_doc(res: Any, max_points: int) -> Dict[str, Any]:
    for attempt in (lambda: res.to_json(max_equity_points=max_points), lambda: res.to_json()):
        try:
            raw = attempt()
            break
        except TypeError:
            continue
    else:  # pragma: no cover
        raise EngineError("the binding's Result has no to_json()")
    return json.loads(raw) if isinstance(raw, (str, bytes)) else _plain(raw)


def _result_key(res: Any) -> str:
    k = getattr(res, "cache_key", None)
    if callable(k):
        k = k()
    if not k:
        raise EngineError("the binding's Result has no cache_key")
    return str(k)


def _hooked(fn: Any, args: Tuple[Any, ...], kw: Dict[str, Any], progress: Any, cancel: Any) -> Any:
    """Call a long binding function (optimize, walk_forward, fetch) with the job's progress and
    cancel hooks folded into its progress callback; library errors become EngineError, and a
    cancelled job becomes Cancelled."""
    if progress is not None or cancel is not None:
        def _cb(done: int, total: int) -> bool:  # False cancels the library call
            if progress is not None:
                progress(done, total)
            return not (cancel is not None and cancel())
        kw["progress"] = _cb
    try:
        return fn(*args, **kw)
    except Exception as e:  # noqa: BLE001
        if cancel is not None and cancel():
            raise Cancelled() from None
        raise EngineError(str(e), user_error=_user_status(e)) from None



def _opt_doc(opt: Any) -> Dict[str, Any]:
    if isinstance(opt, dict):
        return _plain(opt)
    if isinstance(opt, (str, bytes)):
        return json.loads(opt)
    for m in ("to_json",):
        if hasattr(opt, m):
            raw = getattr(opt, m)()
            return json.loads(raw) if isinstance(raw, (str, bytes)) else _plain(raw)
    return _plain(opt)


def _fallback_key(feed: Any, strategy: str, params: Dict[str, Any], config: Dict[str, Any]) -> str:
    h = hashlib.sha256()
    for col in ("time", "open", "high", "low", "close", "volume"):
        h.update(repr(list(getattr(feed, col))).encode())
    h.update(json.dumps([strategy, params, config], sort_keys=True).encode())
    return h.hexdigest()


def _fmt_range(feed: Any) -> str:
    import datetime as dt
    if len(feed) == 0:
        return "no rows"
    t = feed.time
    f = lambda ms: dt.datetime.fromtimestamp(int(ms) / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    return f"{f(t[0])} to {f(t[len(feed) - 1])} UTC"
