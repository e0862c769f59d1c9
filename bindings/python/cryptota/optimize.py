"""optimize() and walk_forward(): parameter search over one feed (DESIGN.md section 9)."""

from __future__ import annotations

import ctypes
import datetime as _dt
import json
import numbers
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from . import _arrays
from ._lib import F, check, raise_status, refuse_copy, take_string, to_bytes
from ._progress import Progress
from ._util import I32, in_range, to_flag, to_int
from .engine import _json_num, _mapping, strategy_name
from .feed import Feed, as_feed
from .strategy import clear_pending, take_pending

ProgressArg = Union[bool, Callable[[int, int], Any], None]


def _space_value(v: Any, what: str) -> Any:
    # numpy scalars become Python numbers and NaN is refused here (json.dumps would write
    # NaN, which the library then reports as malformed JSON).
    if isinstance(v, Mapping):
        return {k: _json_num(x, f"{what}[{k!r}]") for k, x in v.items()}
    if isinstance(v, numbers.Real):
        return _json_num(v, what)
    return [_json_num(x, what) for x in v]


def _space_json(space: Any, what: str) -> bytes:
    if not isinstance(space, Mapping):
        raise TypeError(f"{what} must be a dict of parameter -> list or "
                        f"{{'from', 'to', 'step'}}, not {type(space).__name__}")
    arrays = (_arrays.np.ndarray,) if _arrays.HAVE_NUMPY else ()
    for k, v in space.items():
        if not isinstance(k, str):
            raise TypeError(f"{what} keys must be parameter names (str)")
        if isinstance(v, (str, bytes)) or not isinstance(
                v, (list, tuple, range, Mapping, numbers.Real) + arrays):
            raise TypeError(f"{what}[{k!r}] must be a list, a range, a number or "
                            f"{{'from', 'to', 'step'}}, not {type(v).__name__}")
    conv = {k: _space_value(v, f"{what}[{k!r}]") for k, v in space.items()}
    return json.dumps(conv).encode()


class _Opt:
    """Owns a ct_optimizer handle and the feed it borrows."""

    def __init__(self, feed: Feed, strategy: Any, config: Any, metric: str, maximize: bool,
                 min_trades: int, threads: int) -> None:
        self.feed = feed
        self.h: Optional[int] = None
        name = strategy_name(strategy)
        cls = F.ct_strategy_class_find(name.encode())
        if not cls:
            raise_status(5)
        min_trades = to_int(min_trades, "min_trades")
        threads = to_int(threads, "threads", I32)
        if not isinstance(metric, str):
            raise TypeError(f"metric must be a metric name, not {type(metric).__name__}")
        out = ctypes.c_void_p()
        check(F.ct_optimizer_create(feed._h, cls, ctypes.byref(out)))
        self.h = out.value
        cfg = _mapping(config, "config")
        if cfg:
            check(F.ct_optimizer_configure_engine_json(self.h, json.dumps(cfg).encode()), self.msg)
        check(F.ct_optimizer_set_objective(self.h, metric.encode(), 1 if maximize else 0), self.msg)
        check(F.ct_optimizer_set_min_trades(self.h, min_trades), self.msg)
        check(F.ct_optimizer_set_threads(self.h, threads), self.msg)

    def msg(self) -> bytes:
        return F.ct_optimizer_errmsg(self.h)

    def __del__(self) -> None:
        h = getattr(self, "h", None)
        if h:
            self.h = None
            F.ct_optimizer_destroy(h)

    __reduce__ = refuse_copy

    def run_with(self, progress: ProgressArg, desc: str, fn: Callable[[], int]) -> None:
        with Progress(progress, desc) as prog:
            if prog.active:
                check(F.ct_optimizer_set_progress(self.h, prog.opt_fn, None), self.msg)
            clear_pending()
            try:
                st = fn()
            finally:
                if prog.active:
                    F.ct_optimizer_set_progress(self.h, ctypes.cast(None, type(prog.opt_fn)), None)
            pending = take_pending()
            if pending is not None:
                raise pending
            prog.reraise()
            check(st, self.msg)

    def params(self) -> List[str]:
        return [(F.ct_optimizer_param_name(self.h, i) or b"").decode()
                for i in range(F.ct_optimizer_param_count(self.h))]


def _params_dict(names: List[str], vals: Any, n: int, cls_kinds: Dict[str, str]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for i in range(n):
        v = vals[i]
        k = cls_kinds.get(names[i], "real")
        out[names[i]] = int(v) if k == "int" else bool(v) if k == "bool" else v
    return out


def _kinds(strategy: Any) -> Dict[str, str]:
    name = strategy_name(strategy)
    c = F.ct_strategy_class_find(name.encode())
    kinds: Dict[str, str] = {}
    kind = ctypes.c_int32()
    pname = ctypes.c_void_p()
    for i in range(max(F.ct_strategy_class_n_params(c), 0)):
        if F.ct_strategy_class_param(c, i, ctypes.byref(pname), ctypes.byref(kind), None, None,
                                     None, None, None) == 0 and pname.value:
            kinds[ctypes.string_at(pname.value).decode()] = (
                (F.ct_param_kind_name(kind.value) or b"real").decode())
    return kinds


class OptimizeResult:
    """The ranked table of a search: ``rows`` (best first; each ``{"rank", "index",
    "params", "objective", "metrics"}``), ``best``, ``total`` / ``evaluated`` / ``skipped``,
    ``dsr`` and ``pbo`` (overfitting statistics), ``to_json()``, ``to_csv()``,
    ``to_pandas()``."""

    def __init__(self, opt: _Opt, kinds: Dict[str, str], objective: str, maximize: bool) -> None:
        self._opt = opt
        self.objective = objective
        self.maximize = maximize
        h = opt.h
        t, e, s = ctypes.c_int64(), ctypes.c_int64(), ctypes.c_int64()
        check(F.ct_optimizer_counts(h, ctypes.byref(t), ctypes.byref(e), ctypes.byref(s)), opt.msg)
        self.total, self.evaluated, self.skipped = t.value, e.value, s.value
        d, p = ctypes.c_double(), ctypes.c_double()
        check(F.ct_optimizer_overfit(h, ctypes.byref(d), ctypes.byref(p)), opt.msg)
        self.dsr, self.pbo = d.value, p.value
        names = opt.params()
        mnames = [(F.ct_optimizer_metric_name(h, i) or b"").decode()
                  for i in range(F.ct_optimizer_metric_count(h))]
        pv = (ctypes.c_double * max(len(names), 1))()
        mv = (ctypes.c_double * max(len(mnames), 1))()
        cnt = ctypes.c_int32()
        idx, obj = ctypes.c_int64(), ctypes.c_double()
        rows = []
        for r in range(F.ct_optimizer_row_count(h)):
            check(F.ct_optimizer_row(h, r, ctypes.byref(idx), ctypes.byref(obj)), opt.msg)
            check(F.ct_optimizer_row_params(h, r, pv, len(names), ctypes.byref(cnt)), opt.msg)
            params = _params_dict(names, pv, min(cnt.value, len(names)), kinds)
            check(F.ct_optimizer_row_metrics(h, r, mv, len(mnames), ctypes.byref(cnt)), opt.msg)
            rows.append({"rank": r, "index": idx.value, "params": params,
                         "objective": obj.value,
                         "metrics": {mnames[i]: mv[i] for i in range(min(cnt.value, len(mnames)))}})
        self.rows: List[Dict[str, Any]] = rows

    __reduce__ = refuse_copy

    @property
    def best(self) -> Optional[Dict[str, Any]]:
        """The best row (None if no row)."""
        return self.rows[0] if self.rows else None

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        b = self.best
        return (f"<OptimizeResult {self.evaluated}/{self.total} evaluated, {self.skipped} "
                f"skipped; best {self.objective}={b['objective'] if b else float('nan'):.4g} "
                f"{b['params'] if b else {}}>")

    def to_json(self, top_k: int = 0) -> str:
        """The table document of DESIGN.md section 13 (``cryptota optimize --json``)."""
        k = to_int(top_k, "top_k")
        p = ctypes.c_void_p()
        check(F.ct_optimizer_json(self._opt.h, k, ctypes.byref(p)), self._opt.msg)
        return take_string(p)

    def to_csv(self) -> str:
        p = ctypes.c_void_p()
        check(F.ct_optimizer_csv(self._opt.h, ctypes.byref(p)), self._opt.msg)
        return take_string(p)

    def to_pandas(self) -> Any:
        """One row per combination: rank, index, the parameters, objective, then the metrics."""
        import pandas as pd
        return pd.DataFrame([{"rank": r["rank"], "index": r["index"], **r["params"],
                              "objective": r["objective"], **r["metrics"]} for r in self.rows])


def optimize(feed: Any, strategy: Any = "rsi", grid: Optional[Mapping[str, Any]] = None, *,
             random: Optional[Mapping[str, Any]] = None, samples: int = 100, seed: int = 1,
             metric: str = "sharpe_ratio", maximize: bool = True, min_trades: int = 0,
             threads: int = 0, config: Optional[Mapping[str, Any]] = None,
             shard: Optional[Tuple[int, int]] = None,
             progress: ProgressArg = None) -> OptimizeResult:
    """Grid search (``grid={"rsi_period": [10, 14], "oversold": {"from": 20, "to": 35,
    "step": 5}}``) or random search (``random=<space>, samples=N, seed=S``) of ``strategy``
    on ``feed``, ranked by ``metric``. Built-in classes run on ``threads`` worker threads (0 =
    cores) with the GIL released; Python Strategy classes run on this thread. ``progress``:
    a callable ``(done, total)`` (return False to cancel), or True for a tqdm bar."""
    f = as_feed(feed)
    if (grid is None) == (random is None):
        raise TypeError("give exactly one of grid=... or random=...")
    maximize = to_flag(maximize, "maximize")
    opt = _Opt(f, strategy, config, metric, maximize, min_trades, threads)
    if grid is not None:
        check(F.ct_optimizer_set_grid_json(opt.h, _space_json(grid, "grid")), opt.msg)
    else:
        n_samples = to_int(samples, "samples")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be an int, not {type(seed).__name__}")
        check(F.ct_optimizer_set_random_json(opt.h, _space_json(random, "random"), n_samples,
                                             int(seed) & 0xFFFFFFFFFFFFFFFF), opt.msg)
    if shard is not None:
        if not isinstance(shard, (tuple, list)) or len(shard) != 2:
            raise TypeError(f"shard must be a pair (k, n) of ints, not {shard!r}")
        check(F.ct_optimizer_set_shard(opt.h, to_int(shard[0], "shard k"),
                                       to_int(shard[1], "shard n")), opt.msg)
    opt.run_with(progress, "optimize", lambda: F.ct_optimizer_run(opt.h))
    return OptimizeResult(opt, _kinds(strategy), metric, maximize)


def _length(x: Any, what: str) -> Tuple[int, int]:
    """(value, unit) of a window length: int bars, or a timedelta / interval name in ms."""
    if isinstance(x, bool):
        raise TypeError(f"{what} must be a number of bars or a duration")
    if isinstance(x, numbers.Integral):
        return in_range(int(x), what), 0
    if isinstance(x, _dt.timedelta):
        return in_range(int(x.total_seconds() * 1000), what), 1
    raise TypeError(f"{what} must be a number of bars (int) or a datetime.timedelta, "
                    f"not {type(x).__name__}")


class WalkForwardResult:
    """Walk-forward outcome: ``windows`` (train/test bar ranges, best params, in- and
    out-of-sample objective), ``equity`` / ``time`` (stitched out-of-sample curve),
    ``metrics`` (of that curve), ``efficiency``, ``to_json()``, ``report_html(path)``."""

    def __init__(self, handle: int, opt: _Opt, kinds: Dict[str, str]) -> None:
        self._h = handle
        self._opt = opt
        names = opt.params()
        wins = []
        a, b, c, d, bi = (ctypes.c_int64() for _ in range(5))
        iso, oos = ctypes.c_double(), ctypes.c_double()
        pv = (ctypes.c_double * max(len(names), 1))()
        cnt = ctypes.c_int32()
        for i in range(F.ct_walkforward_window_count(handle)):
            check(F.ct_walkforward_window(handle, i, *(ctypes.byref(v) for v in (a, b, c, d, bi)),
                                          ctypes.byref(iso), ctypes.byref(oos)))
            check(F.ct_walkforward_window_params(handle, i, pv, len(names), ctypes.byref(cnt)))
            wins.append({"train": (a.value, b.value), "test": (c.value, d.value),
                         "index": bi.value, "params": _params_dict(names, pv, min(cnt.value, len(names)), kinds),
                         "is_objective": iso.value, "oos_objective": oos.value})
        self.windows: List[Dict[str, Any]] = wins
        n = ctypes.c_int64()
        check(F.ct_walkforward_equity(handle, None, None, 0, ctypes.byref(n)))
        tp, self._t = (ctypes.c_int64 * max(n.value, 1))(), None
        ep, self._e = _arrays.new_f64(max(n.value, 1))
        check(F.ct_walkforward_equity(handle, tp, ep, n.value, ctypes.byref(n)))
        self._t = tp
        self._n = n.value
        self.efficiency = float(F.ct_walkforward_efficiency(handle))

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            F.ct_walkforward_destroy(h)

    __reduce__ = refuse_copy

    @property
    def equity(self) -> Any:
        e = self._e[:self._n]
        return e if _arrays.HAVE_NUMPY else list(e)

    @property
    def time(self) -> Any:
        if _arrays.HAVE_NUMPY:
            return _arrays.np.frombuffer(self._t, dtype=_arrays.np.int64, count=self._n)
        return list(self._t[:self._n])

    @property
    def metrics(self) -> Dict[str, float]:
        from .result import metric_names
        out = {}
        v = ctypes.c_double()
        for nm in metric_names():
            check(F.ct_walkforward_metric(self._h, nm.encode(), ctypes.byref(v)))
            out[nm] = v.value
        return out

    def to_json(self) -> str:
        p = ctypes.c_void_p()
        check(F.ct_walkforward_json(self._h, ctypes.byref(p)))
        return take_string(p)

    def report_html(self, path: "str | os.PathLike[str]") -> str:
        check(F.ct_walkforward_report_html(self._h, to_bytes(path, "path")))
        return os.fspath(path)

    def __repr__(self) -> str:
        return f"<WalkForwardResult {len(self.windows)} windows, efficiency {self.efficiency:.3g}>"


def walk_forward(feed: Any, strategy: Any = "rsi", grid: Optional[Mapping[str, Any]] = None, *,
                 train: Any, test: Any, purge: Any = 0, anchored: bool = False,
                 metric: str = "sharpe_ratio", maximize: bool = True, min_trades: int = 0,
                 threads: int = 0, config: Optional[Mapping[str, Any]] = None,
                 progress: ProgressArg = None) -> WalkForwardResult:
    """Walk-forward analysis: optimize ``grid`` on each train window, run the best on the
    following test window (indicators warmed on earlier bars), stitch the out-of-sample
    equity. ``train`` / ``test`` / ``purge`` are numbers of bars or ``timedelta`` durations."""
    f = as_feed(feed)
    if grid is None:
        raise TypeError("walk_forward needs grid=...")
    anchored = to_flag(anchored, "anchored")
    tr, u1 = _length(train, "train")
    te, u2 = _length(test, "test")
    pu, u3 = _length(purge, "purge")
    unit = max(u1, u2, u3 if purge else 0)
    if unit and not (u1 and u2 and (u3 or not purge)):
        raise TypeError("train, test and purge must all be bars (int) or all durations")
    maximize = to_flag(maximize, "maximize")
    opt = _Opt(f, strategy, config, metric, maximize, min_trades, threads)
    check(F.ct_optimizer_set_grid_json(opt.h, _space_json(grid, "grid")), opt.msg)
    out = ctypes.c_void_p()
    opt.run_with(progress, "walk-forward",
                 lambda: F.ct_optimizer_walkforward(opt.h, tr, te, pu, 1 if anchored else 0,
                                                    unit, ctypes.byref(out)))
    return WalkForwardResult(out.value, opt, _kinds(strategy))
