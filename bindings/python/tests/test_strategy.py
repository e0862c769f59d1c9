"""Strategies written in Python: the vtable path, exact equality with the built-in rsi,
exceptions, garbage collection during a run, wrong types."""

import gc
import traceback

import numpy as np
import pytest

import cryptota as ct


class PyRsi(ct.Strategy):
    """The built-in rsi rules (DESIGN.md section 6) written in Python."""

    name = "py_rsi"
    params = {"rsi_period": ct.Param(14, min=2, max=1000, step=1),
              "oversold": 30.0, "overbought": 70.0, "fraction": 1.0}

    def on_start(self, ctx):
        self.rsi = ctx.declare("rsi", self.params["rsi_period"])

    def on_bar(self, ctx):
        r = ctx.indicator(self.rsi)
        if ctx.position == 0 and r < self.params["oversold"]:
            ctx.order_target(self.params["fraction"])
        elif ctx.position > 0 and r > self.params["overbought"]:
            ctx.close_position()


@pytest.mark.parametrize("params", [{}, {"rsi_period": 21, "oversold": 25.0, "overbought": 75.0}])
def test_python_rsi_equals_builtin(eth, params):
    a = ct.backtest(eth, "rsi", params=params)
    b = ct.backtest(eth, PyRsi, params=params)
    assert b.strategy == "py_rsi"
    assert np.array_equal(a.equity, b.equity)
    assert a.trades == b.trades
    assert len(a.trades) > 20
    ma, mb = a.metrics, b.metrics
    for k in ma:
        assert ma[k] == mb[k] or (np.isnan(ma[k]) and np.isnan(mb[k])), k


class Boom(ct.Strategy):
    name = "py_boom"

    def on_bar(self, ctx):
        if ctx.bar == 100:
            raise KeyError("boom at bar 100")


def test_exception_in_callback_is_reraised_with_traceback(eth):
    with pytest.raises(KeyError) as e:
        ct.backtest(eth, Boom)
    tb = "".join(traceback.format_exception(e.type, e.value, e.tb))
    assert "boom at bar 100" in tb and "in on_bar" in tb
    # The library is usable afterwards.
    assert len(ct.backtest(eth, "rsi").trades) > 0


class BadStart(ct.Strategy):
    name = "py_bad_start"

    def on_start(self, ctx):
        ctx.declare("no_such_indicator", 3)

    def on_bar(self, ctx):
        pass


def test_library_error_inside_callback(eth):
    with pytest.raises(ct.NotFoundError) as e:
        ct.backtest(eth, BadStart)
    assert "no_such_indicator" in str(e.value)


class Collector(ct.Strategy):
    """Forces garbage collection on every 1000th bar and counts callbacks and fills."""

    name = "py_gc"

    def __init__(self):
        self.bars = 0
        self.fills = []

    def on_bar(self, ctx):
        self.bars += 1
        if ctx.bar % 1000 == 0:
            gc.collect()
            _ = [object() for _ in range(1000)]
        if ctx.bar % 500 == 0:
            ctx.order_target(0.5 if ctx.position == 0 else 0.0)

    def on_fill(self, ctx):
        self.fills.append(ctx.last_fill())

    def on_finish(self, ctx):
        Collector.last = self


def test_gc_during_run_and_fill_callbacks(eth):
    res = ct.backtest(eth, Collector)
    inst = Collector.last
    assert inst.bars == len(eth)
    assert len(inst.fills) == 2 * len(res.trades) + (1 if res.open_position else 0)
    assert inst.fills[0]["price"] == res.trades[0]["entry_price"]


class Reads(ct.Strategy):
    name = "py_reads"

    def on_bar(self, ctx):
        if ctx.bar == 10:
            s = ctx.series("close")
            Reads.seen = (ctx.close, ctx.price("close", 1), ctx.time(), len(s), s[-1], ctx.equity)
            with pytest.raises(ct.RangeError):
                ctx.price("close", -1)           # the future is unreachable
            with pytest.raises(TypeError):
                ctx.price("closing")


def test_context_reads(eth):
    ct.backtest(eth, Reads)
    close, prev, t, n, last, equity = Reads.seen
    assert close == eth.close[10] and prev == eth.close[9] and t == eth.time[10]
    assert n == 11 and last == close and equity == 10000.0


class Picky(ct.Strategy):
    name = "py_picky"
    params = {"fast": 5, "slow": 20}

    def __init__(self):
        if self.params["fast"] >= self.params["slow"]:
            raise ValueError("fast must be below slow")

    def on_bar(self, ctx):
        pass


def test_refusing_parameters(eth):
    with pytest.raises(ct.RangeError) as e:
        ct.backtest(eth, Picky, params={"fast": 30})
    assert "fast must be below slow" in str(e.value)
    opt = ct.optimize(eth, Picky, grid={"fast": [5, 30], "slow": [20]})
    assert opt.skipped == 1 and opt.evaluated == 1


def test_wrong_strategy_definitions():
    class NoBar(ct.Strategy):
        name = "py_nobar"
    with pytest.raises(TypeError):
        ct.register(NoBar)
    with pytest.raises(TypeError):
        ct.register(object)

    class BadName(ct.Strategy):
        name = "Bad Name!"

        def on_bar(self, ctx):
            pass
    with pytest.raises(ValueError):
        ct.register(BadName)


class WrongType(ct.Strategy):
    name = "py_wrong_type"

    def on_bar(self, ctx):
        if ctx.bar == 5:
            ctx.order_market("one")


def test_wrong_type_inside_a_callback_is_a_type_error(eth):
    with pytest.raises(TypeError) as e:
        ct.backtest(eth, WrongType)
    assert "Context" in str(e.value)
    res = ct.backtest(eth, "rsi")
    with pytest.raises(TypeError):
        res.to_json("all")


class KeepsContext(ct.Strategy):
    name = "py_keeps_context"
    kept = []

    def on_bar(self, ctx):
        if ctx.bar == 3:
            KeepsContext.kept.append(ctx)
            KeepsContext.inside = (repr(ctx), ctx.series("close")[-1])
            with pytest.raises(TypeError, match="field must be one of"):
                ctx.series("nope")


def test_context_kept_past_its_callback_raises(eth):
    # The Context pointed at the engine's ct_ctx after the run had ended: ctx.close read freed
    # memory (a segfault), ctx.bar and ctx.position returned garbage.
    ct.backtest(eth, KeepsContext)
    assert KeepsContext.inside == ("<Context bar 3>", eth.close[3])
    ctx = KeepsContext.kept[0]
    assert repr(ctx) == "<Context (outside a callback)>"
    for use in (lambda: ctx.bar, lambda: ctx.position, lambda: ctx.close, lambda: ctx.buy(1),
                lambda: ctx.series(), lambda: ctx.open_orders, lambda: ctx.time()):
        with pytest.raises(ct.StateError, match="used outside the callback that received it"):
            use()


class HugeInts(ct.Strategy):
    name = "py_huge_ints"
    seen = []

    def on_start(self, ctx):
        self.h = ctx.declare("sma", 3)

    def on_bar(self, ctx):
        if ctx.bar != 5:
            return
        oid = ctx.order_limit(1, 1.0)
        # Each of these wrapped in ctypes: lag 2**64 read lag 0 (this bar), handle 2**32 read
        # indicator 0, order id 2**64 + oid cancelled order oid.
        for use, what in ((lambda: ctx.price("close", 2**64), "lag 18446744073709551616"),
                          (lambda: ctx.time(-2**63 - 1), "lag -9223372036854775809"),
                          (lambda: ctx.indicator(self.h + 2**32), "handle 4294967296"),
                          (lambda: ctx.indicator(self.h, 2**32), "output 4294967296"),
                          (lambda: ctx.indicator(self.h, 0, 2**64 + 1), "lag 18446744073709551617"),
                          (lambda: ctx.cancel(2**64 + oid), f"order_id {2**64 + oid}")):
            with pytest.raises(ct.RangeError, match=what + " does not fit"):
                use()
        with pytest.raises(TypeError, match="lag must be an int"):
            ctx.price("close", "1")
        with pytest.raises(TypeError, match="handle must be an int"):
            ctx.indicator("sma")
        HugeInts.seen.append((len(ctx.open_orders), ctx.price("close", 1), ctx.indicator(self.h, 0, 1)))


def test_context_integers_that_do_not_fit_are_range_errors(eth):
    ct.backtest(eth, HugeInts)
    pending, prev_close, prev_sma = HugeInts.seen[0]
    assert pending == 1  # the limit order was not cancelled through a wrapped id
    assert prev_close == eth.close[4]
    assert prev_sma == pytest.approx((eth.close[2] + eth.close[3] + eth.close[4]) / 3, rel=1e-12)
