"""Strategies written in Python, registered with the library through the strategy vtable.

Subclass :class:`Strategy`, give it a ``name`` and a parameter schema, and implement
``on_bar`` (plus optionally ``on_start``, ``on_fill``, ``on_finish``)::

    class MyRsi(ct.Strategy):
        name = "my_rsi"
        params = {"rsi_period": ct.Param(14, min=2, max=500),
                  "oversold": 30.0, "overbought": 70.0}

        def on_start(self, ctx):
            self.rsi = ctx.declare("rsi", self.params["rsi_period"])

        def on_bar(self, ctx):
            r = ctx.indicator(self.rsi)
            if ctx.position == 0 and r < self.params["oversold"]:
                ctx.order_target(1.0)
            elif ctx.position > 0 and r > self.params["overbought"]:
                ctx.close_position()

    res = ct.backtest(feed, MyRsi, params={"oversold": 25})

The class is registered with the flag CT_STRATEGY_THREAD_AFFINE, so the engine and the
optimizer call it only on the thread that started the run (STYLE.md R5). Callbacks run
synchronously inside :func:`backtest`. An exception raised in a callback stops the run; the
library reports CT_E_PLUGIN and :func:`backtest` re-raises the original exception with its
traceback.
"""

from __future__ import annotations

import ctypes
import numbers
import re
import threading
from typing import Any, Dict, List, Optional, Tuple, Type

from . import _arrays, _ffi
from ._lib import F, check, raise_status, refuse_copy
from ._util import to_flag
from .errors import RangeError, StateError

_FIELD = {"open": 0, "high": 1, "low": 2, "close": 3, "volume": 4}
_KIND = {"int": 0, "real": 1, "bool": 2}
_NAME_RE = re.compile(r"^[a-z0-9_]+$")


class Param:
    """One parameter of a strategy schema: default, inclusive range, grid step, kind
    ("int", "real" or "bool"; inferred from the default when omitted) and a description."""

    def __init__(self, default: float, min: Optional[float] = None, max: Optional[float] = None,
                 step: float = 0.0, kind: Optional[str] = None, description: str = "") -> None:
        if isinstance(default, bool):
            k = "bool"
        elif isinstance(default, numbers.Integral):
            k = "int"
        elif isinstance(default, numbers.Real):
            k = "real"
        else:
            raise TypeError(f"a parameter default must be a number or bool, not {type(default).__name__}")
        self.kind = kind or k
        if self.kind not in _KIND:
            raise ValueError(f"kind must be 'int', 'real' or 'bool', not {self.kind!r}")
        self.default = float(default)
        if self.kind == "bool":
            lo, hi = 0.0, 1.0
        else:
            lo, hi = -1e300, 1e300
        self.min = float(min) if min is not None else lo
        self.max = float(max) if max is not None else hi
        self.step = float(step)
        self.description = description


class Context:
    """What a callback sees: the current bar, the portfolio, declared indicators and the order
    functions. Valid only during the callback that received it (never keep it).

    Reading: ``bar`` (index t), ``close`` / ``open`` / ``high`` / ``low`` / ``volume``
    (properties for the current bar), ``price("close", lag)``, ``time(lag)``,
    ``series("close")`` (zero-copy view of rows 0..t), ``position``, ``cash``, ``equity``,
    ``entry_price``, ``indicator(handle, output=0, lag=0)``.
    Orders (``> 0`` buys, ``< 0`` sells; each returns the order id): ``order_market(qty)``,
    ``buy(qty)``, ``sell(qty)``, ``order_notional``, ``order_limit``, ``order_stop``,
    ``order_stop_limit``, ``order_target(fraction)``, ``close_position()``, ``take_profit``,
    ``stop_loss``, ``trailing_stop``, ``cancel(id)``, ``cancel_all()``.
    """

    __slots__ = ("_p", "_d", "_i", "_i32", "_dr", "_ir", "_i32r")

    def __init__(self) -> None:
        self._p: Optional[int] = None
        # Scratch outputs and their byref() holders, made once and reused by every call.
        self._d = ctypes.c_double()
        self._i = ctypes.c_int64()
        self._i32 = ctypes.c_int32()
        self._dr = ctypes.byref(self._d)
        self._ir = ctypes.byref(self._i)
        self._i32r = ctypes.byref(self._i32)

    __reduce__ = refuse_copy

    def __repr__(self) -> str:
        if self._p is None:
            return "<Context (outside a callback)>"
        return f"<Context bar {self.bar}>"

    def _fail(self, st: int) -> None:
        self._live()
        raise_status(st)

    @staticmethod
    def _wide(what: str, v: Any, bits: int) -> None:
        # ctypes passes an int that does not fit the C type wrapped, silently: lag 2**64 read
        # lag 0, handle 2**32 indicator 0, order id 2**64 + 5 order 5.
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{what} must be an int, not {type(v).__name__}")
        raise_status(RangeError.status, f"{what} {int(v)} does not fit a {bits}-bit integer")

    def _live(self) -> None:
        # Outside its callback the ct_ctx the Context pointed at is gone (the run may have ended).
        if self._p is None:
            raise_status(StateError.status, "this Context is used outside the callback that received it "
                            "(a Context is valid only during that callback)")

    # ---- bar data ----
    @property
    def bar(self) -> int:
        """Index t of the current bar (0-based)."""
        if self._p is None:
            self._live()
        return F.ct_ctx_bar_index(self._p)

    def price(self, field: str = "close", lag: int = 0) -> float:
        """Field ("open", "high", "low", "close", "volume") of bar t - lag (lag >= 0)."""
        try:
            f = _FIELD[field]
        except (KeyError, TypeError):
            raise TypeError(f"field must be one of {', '.join(_FIELD)}, not {field!r}") from None
        try:
            if not -0x8000000000000000 <= lag <= 0x7FFFFFFFFFFFFFFF:
                self._wide("lag", lag, 64)
        except TypeError:
            self._wide("lag", lag, 64)
        st = F.ct_ctx_bar(self._p, f, lag, self._dr)
        if st:
            self._fail(st)
        return self._d.value

    @property
    def open(self) -> float:
        return self.price("open")

    @property
    def high(self) -> float:
        return self.price("high")

    @property
    def low(self) -> float:
        return self.price("low")

    @property
    def close(self) -> float:
        return self.price("close")

    @property
    def volume(self) -> float:
        return self.price("volume")

    def time(self, lag: int = 0) -> int:
        """Open time (epoch ms) of bar t - lag."""
        try:
            if not -0x8000000000000000 <= lag <= 0x7FFFFFFFFFFFFFFF:
                self._wide("lag", lag, 64)
        except TypeError:
            self._wide("lag", lag, 64)
        st = F.ct_ctx_time(self._p, lag, self._ir)
        if st:
            self._fail(st)
        return self._i.value

    def series(self, field: str = "close") -> Any:
        """Rows 0..t of a column: a zero-copy read-only numpy view (valid during this
        callback only), or a list without numpy."""
        try:
            f = _FIELD[field]
        except (KeyError, TypeError):
            raise TypeError(f"field must be one of {', '.join(_FIELD)}, not {field!r}") from None
        p = ctypes.c_void_p()
        st = F.ct_ctx_series(self._p, f, ctypes.byref(p), self._ir)
        if st:
            self._fail(st)
        return _arrays.view(p.value or 0, self._i.value, ctypes.c_double, None)

    # ---- portfolio ----
    @property
    def position(self) -> float:
        """Signed position quantity."""
        if self._p is None:
            self._live()
        return F.ct_ctx_position(self._p)

    @property
    def cash(self) -> float:
        if self._p is None:
            self._live()
        return F.ct_ctx_cash(self._p)

    @property
    def equity(self) -> float:
        """cash + position * close[t]."""
        if self._p is None:
            self._live()
        return F.ct_ctx_equity(self._p)

    @property
    def entry_price(self) -> float:
        """Average entry price of the open position (NaN when flat)."""
        if self._p is None:
            self._live()
        return F.ct_ctx_entry_price(self._p)

    # ---- indicators ----
    def declare(self, name: str, *options: float) -> int:
        """Declare an indicator (in on_start only) with its options in table order (missing
        ones take their defaults); returns a handle for :meth:`indicator`."""
        if not isinstance(name, str):
            raise TypeError(f"indicator name must be a str, not {type(name).__name__}")
        for o in options:
            if isinstance(o, bool) or not isinstance(o, numbers.Real):
                raise TypeError(f"indicator options must be numbers, not {type(o).__name__}")
        arr = (ctypes.c_double * max(len(options), 1))(*[float(o) for o in options])
        st = F.ct_ctx_declare_indicator(self._p, name.encode(), arr, len(options),
                                        self._i32r)
        if st:
            self._fail(st)
        return self._i32.value

    def indicator(self, handle: int, output: int = 0, lag: int = 0) -> float:
        """Output ``output`` of a declared indicator at bar t - lag (NaN in its lookback)."""
        try:
            if not (-0x80000000 <= handle <= 0x7FFFFFFF and -0x80000000 <= output <= 0x7FFFFFFF and -0x8000000000000000 <= lag <= 0x7FFFFFFFFFFFFFFF):
                for what, v, bits in (("handle", handle, 32), ("output", output, 32), ("lag", lag, 64)):
                    if not -(1 << (bits - 1)) <= v < 1 << (bits - 1):
                        self._wide(what, v, bits)
        except TypeError:
            for what, v in (("handle", handle), ("output", output), ("lag", lag)):
                if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                    self._wide(what, v, 64)
            raise
        st = F.ct_ctx_indicator(self._p, handle, output, lag, self._dr)
        if st:
            self._fail(st)
        return self._d.value

    # ---- orders ----
    def _order(self, st: int) -> int:
        if st:
            self._fail(st)
        return self._i.value

    def order_market(self, qty: float) -> int:
        """Market order for ``qty`` (signed base quantity)."""
        return self._order(F.ct_ctx_order_market(self._p, qty, self._ir))

    def buy(self, qty: float) -> int:
        return self.order_market(abs(qty))

    def sell(self, qty: float) -> int:
        return self.order_market(-abs(qty))

    def order_notional(self, notional: float) -> int:
        """Market order for a quote amount (> 0 buys, < 0 sells)."""
        return self._order(F.ct_ctx_order_notional(self._p, notional, self._ir))

    def order_limit(self, qty: float, limit: float) -> int:
        return self._order(F.ct_ctx_order_limit(self._p, qty, limit, self._ir))

    def order_stop(self, qty: float, stop: float) -> int:
        return self._order(F.ct_ctx_order_stop(self._p, qty, stop, self._ir))

    def order_stop_limit(self, qty: float, stop: float, limit: float) -> int:
        return self._order(F.ct_ctx_order_stop_limit(self._p, qty, stop, limit,
                                                     self._ir))

    def order_target(self, fraction: float) -> int:
        """Market order to a position worth ``fraction`` of equity (resolved at the fill)."""
        return self._order(F.ct_ctx_order_target(self._p, fraction, self._ir))

    def close_position(self) -> int:
        return self._order(F.ct_ctx_close_position(self._p, self._ir))

    def take_profit(self, price: float) -> int:
        return self._order(F.ct_ctx_take_profit(self._p, price, self._ir))

    def stop_loss(self, price: float) -> int:
        return self._order(F.ct_ctx_stop_loss(self._p, price, self._ir))

    def trailing_stop(self, amount: float, percent: bool = True) -> int:
        """Trailing stop ``amount`` below the best price (a fraction if ``percent``)."""
        if percent is not True and percent is not False:
            percent = to_flag(percent, "percent")
        return self._order(F.ct_ctx_trailing_stop(self._p, amount, 1 if percent else 0,
                                                  self._ir))

    def cancel(self, order_id: int) -> None:
        try:
            if not -0x8000000000000000 <= order_id <= 0x7FFFFFFFFFFFFFFF:
                self._wide("order_id", order_id, 64)
        except TypeError:
            self._wide("order_id", order_id, 64)
        st = F.ct_ctx_cancel(self._p, order_id)
        if st:
            self._fail(st)

    def cancel_all(self) -> None:
        st = F.ct_ctx_cancel_all(self._p)
        if st:
            self._fail(st)

    @property
    def open_orders(self) -> List[Dict[str, Any]]:
        """Pending orders: ``[{"id", "type", "qty", "price", "stop"}]``."""
        self._live()
        out = []
        for i in range(F.ct_ctx_open_orders(self._p)):
            oid, typ = ctypes.c_int64(), ctypes.c_int32()
            q, pr, sp = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
            st = F.ct_ctx_order_info(self._p, i, ctypes.byref(oid), ctypes.byref(typ),
                                     ctypes.byref(q), ctypes.byref(pr), ctypes.byref(sp))
            if st:
                self._fail(st)
            out.append({"id": oid.value, "type": typ.value, "qty": q.value, "price": pr.value,
                        "stop": sp.value})
        return out

    def last_fill(self) -> Dict[str, Any]:
        """The fill reported to on_fill: ``{"order_id", "qty", "price", "commission"}``."""
        oid = ctypes.c_int64()
        q, pr, c = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        st = F.ct_ctx_last_fill(self._p, ctypes.byref(oid), ctypes.byref(q), ctypes.byref(pr),
                                ctypes.byref(c))
        if st:
            self._fail(st)
        return {"order_id": oid.value, "qty": q.value, "price": pr.value, "commission": c.value}


class Strategy:
    """Base class of Python strategies (see the module docstring).

    Class attributes: ``name`` (registry name, ``[a-z0-9_]+``; default: the class name in
    lower case), ``description``, ``params`` (a dict of name -> default or :class:`Param`).
    Instances are created by the engine for every run with ``self.params`` set (ints for int
    parameters, bools for bool ones) before ``__init__`` runs; raise ValueError in
    ``__init__`` to refuse a combination (the optimizer skips it).
    """

    name: str = ""
    description: str = ""
    params: Dict[str, Any] = {}

    def on_start(self, ctx: Context) -> None:
        """Called once before the first bar: declare indicators here."""

    def on_bar(self, ctx: Context) -> None:
        """Called for every bar after its fills and mark-to-market."""
        raise NotImplementedError("a Strategy subclass must implement on_bar(self, ctx)")

    def on_fill(self, ctx: Context) -> None:
        """Called after each fill (``ctx.last_fill()``)."""

    def on_finish(self, ctx: Context) -> None:
        """Called once after the last bar."""


# ---- registration --------------------------------------------------------------------------

class _Instance:
    __slots__ = ("obj", "ctx", "on_start", "on_bar", "on_fill", "on_finish")


class _Registered:
    """A Python class registered with the library: its vtable and callbacks, kept alive."""

    def __init__(self, cls: Type[Strategy], name: str) -> None:
        self.cls = cls
        self.name = name
        self.schema: List[Tuple[str, Param]] = []
        for pname, spec in dict(cls.params).items():
            if not isinstance(pname, str) or not _NAME_RE.match(pname):
                raise ValueError(f"{cls.__name__}: parameter name {pname!r} must match [a-z0-9_]+")
            self.schema.append((pname, spec if isinstance(spec, Param) else Param(spec)))
        n = len(self.schema)
        self._strings: List[bytes] = []
        self.defs = (_ffi.ParamDef * max(n, 1))()
        for i, (pname, p) in enumerate(self.schema):
            d = self.defs[i]
            d.struct_size = ctypes.sizeof(_ffi.ParamDef)
            d.kind = _KIND[p.kind]
            d.name = self._keep(pname)
            d.def_, d.min, d.max, d.step = p.default, p.min, p.max, p.step
            d.description = self._keep(p.description) if p.description else None
        vt = _ffi.StrategyVtable()
        vt.struct_size = ctypes.sizeof(_ffi.StrategyVtable)
        vt.flags = 1  # CT_STRATEGY_THREAD_AFFINE
        vt.name = self._keep(name)
        vt.description = self._keep(cls.description or (cls.__doc__ or "").strip().split("\n")[0])
        vt.params = ctypes.cast(self.defs, ctypes.POINTER(_ffi.ParamDef)) if n else None
        vt.n_params = n
        vt.class_user = None
        # The callback objects live as long as this registration (STYLE.md 1.9).
        self.c_create = _ffi.CREATE_FN(self._create)
        self.c_destroy = _ffi.DESTROY_FN(_destroy)
        vt.create = self.c_create
        vt.destroy = self.c_destroy
        vt.on_bar = _C_ON_BAR
        vt.on_start = _C_ON_START if _overrides(cls, "on_start") else _ffi.CB_FN()
        vt.on_fill = _C_ON_FILL if _overrides(cls, "on_fill") else _ffi.CB_FN()
        vt.on_finish = _C_ON_FINISH if _overrides(cls, "on_finish") else _ffi.CB_FN()
        self.vt = vt

    def _keep(self, s: str) -> bytes:
        b = s.encode("utf-8")
        self._strings.append(b)
        return b

    def _create(self, _cls_user: Any, values: Any, n: int, instance: Any, err: Any,
                err_cap: int) -> int:
        try:
            obj = self.cls.__new__(self.cls)
            params: Dict[str, Any] = {}
            for i, (pname, p) in enumerate(self.schema):
                v = values[i] if i < n else p.default
                params[pname] = int(v) if p.kind == "int" else bool(v) if p.kind == "bool" else v
            obj.params = params
            obj.__init__()
            inst = _Instance()
            inst.obj = obj
            inst.ctx = Context()
            inst.on_start, inst.on_bar = obj.on_start, obj.on_bar
            inst.on_fill, inst.on_finish = obj.on_fill, obj.on_finish
            key = _new_key(inst)
            instance[0] = key
            return 0
        except BaseException as e:  # noqa: BLE001 - reported through the status, re-raised later
            msg = f"{type(e).__name__}: {e}".encode("utf-8", "replace")[: max(err_cap - 1, 0)]
            if err and err_cap > 0:
                ctypes.memmove(err, msg + b"\0", len(msg) + 1)
            if not isinstance(e, (ValueError, ArithmeticError)):
                _state.pending = e
            return 3 if isinstance(e, ValueError) else 30


def _overrides(cls: type, meth: str) -> bool:
    return getattr(cls, meth) is not getattr(Strategy, meth)


_state = threading.local()
_instances: Dict[int, _Instance] = {}
_next_key = [0]
_lock = threading.Lock()


def _new_key(inst: _Instance) -> int:
    with _lock:
        _next_key[0] += 1
        k = _next_key[0]
        _instances[k] = inst
    return k


def _destroy(user: Any) -> None:
    if user:
        _instances.pop(user, None)


def _fail(ctx: int, e: BaseException) -> int:
    # Keep the first exception of the run; the caller re-raises it after ct_engine_run returns.
    if isinstance(e, ctypes.ArgumentError):
        # A value of the wrong type passed to a Context method: report it as the TypeError it is.
        te = TypeError(f"wrong argument type in a Context call: {e}")
        te.__cause__ = e
        e = te.with_traceback(e.__traceback__)
    if getattr(_state, "pending", None) is None:
        _state.pending = e
    F.ct_ctx_set_error(ctx, f"{type(e).__name__}: {e}".encode("utf-8", "replace"))
    return 30  # CT_E_PLUGIN


def _dispatcher(method: str) -> Any:
    """The C callback that runs ``method`` of the instance ``user`` with its Context pointed at
    ``ctx`` for the call only (a Context kept past its callback raises StateError)."""
    def call(user: int, ctx: int) -> int:
        try:
            inst = _instances[user]
            c = inst.ctx
            prev, c._p = c._p, ctx
            try:
                getattr(inst, method)(c)
            finally:
                c._p = prev
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(ctx, e)
    call.__name__ = "_" + method
    return call


_on_start, _on_bar, _on_fill, _on_finish = (_dispatcher(m) for m in ("on_start", "on_bar", "on_fill", "on_finish"))

_C_ON_START = _ffi.CB_FN(_on_start)
_C_ON_BAR = _ffi.CB_FN(_on_bar)
_C_ON_FILL = _ffi.CB_FN(_on_fill)
_C_ON_FINISH = _ffi.CB_FN(_on_finish)

_registry: Dict[str, _Registered] = {}


def class_name(cls: Type[Strategy]) -> str:
    """Registry name of a Strategy subclass."""
    name = cls.__dict__.get("name") or cls.__name__.lower()
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(f"{cls.__name__}.name must match [a-z0-9_]+, got {name!r}")
    return name


def register(cls: Type[Strategy]) -> str:
    """Register a Strategy subclass with the library (done for you by backtest/optimize);
    returns its registry name. Registering another class under a taken name replaces the
    earlier Python class."""
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise TypeError(f"expected a cryptota.Strategy subclass, not {cls!r}")
    if not _overrides(cls, "on_bar"):
        raise TypeError(f"{cls.__name__} must implement on_bar(self, ctx)")
    name = class_name(cls)
    reg = _registry.get(name)
    if reg is not None and reg.cls is cls:
        return name
    if reg is not None:
        check(F.ct_strategy_unregister(name.encode()))
        del _registry[name]
    reg = _Registered(cls, name)
    check(F.ct_strategy_register(ctypes.byref(reg.vt)))
    _registry[name] = reg
    return name


def take_pending() -> Optional[BaseException]:
    """The exception a callback raised during the last run on this thread (and forget it)."""
    e = getattr(_state, "pending", None)
    _state.pending = None
    return e


def clear_pending() -> None:
    _state.pending = None
