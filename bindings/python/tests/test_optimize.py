"""optimize() and walk_forward(): tables equal to single backtests, progress, cancel."""

import math

import numpy as np
import pytest

import cryptota as ct
from test_strategy import PyRsi

GRID = {"rsi_period": [10, 14, 21], "oversold": [25, 30]}


def test_grid_rows_equal_single_backtests(eth):
    opt = ct.optimize(eth, "rsi", grid=GRID, threads=2)
    assert opt.total == 6 and opt.evaluated == 6 and opt.skipped == 0
    objs = [r["objective"] for r in opt.rows]
    assert objs == sorted(objs, reverse=True)           # best first
    for row in opt.rows[:3]:
        res = ct.backtest(eth, "rsi", params=row["params"])
        assert row["objective"] == res.metrics["sharpe_ratio"]
        assert row["metrics"]["total_trades"] == len(res.trades)
    assert 0.0 <= opt.pbo <= 1.0 or math.isnan(opt.pbo)
    assert '"rows"' in opt.to_json() and opt.to_csv().startswith("index,")


def test_python_strategy_in_optimizer_equals_builtin(eth):
    part = eth.slice(end=eth.time[8000])
    a = ct.optimize(part, "rsi", grid=GRID, threads=1)
    b = ct.optimize(part, PyRsi, grid=GRID, threads=2)   # thread-affine: runs on this thread
    assert [r["params"] for r in a.rows] == [r["params"] for r in b.rows]
    assert [r["objective"] for r in a.rows] == [r["objective"] for r in b.rows]


def test_progress_and_cancel(eth):
    seen = []
    ct.optimize(eth, "rsi", grid=GRID, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (6, 6)
    with pytest.raises(ct.CancelledError):
        ct.optimize(eth, "rsi", grid={"rsi_period": list(range(5, 60))}, threads=1,
                    progress=lambda d, t: False)
    with pytest.raises(ZeroDivisionError):
        ct.optimize(eth, "rsi", grid=GRID, threads=1, progress=lambda d, t: 1 / 0)


def test_tqdm_bar(eth, capsys):
    pytest.importorskip("tqdm")
    opt = ct.optimize(eth, "rsi", grid=GRID, progress=True)
    assert opt.evaluated == 6


def test_random_search_is_seeded(eth):
    space = {"rsi_period": {"from": 5, "to": 30}, "oversold": {"from": 20.0, "to": 35.0}}
    a = ct.optimize(eth, "rsi", random=space, samples=5, seed=7)
    b = ct.optimize(eth, "rsi", random=space, samples=5, seed=7)
    assert [r["params"] for r in a.rows] == [r["params"] for r in b.rows]


def test_bad_grids(eth):
    with pytest.raises(ct.CryptotaError) as e:
        ct.optimize(eth, "rsi", grid={"no_such": [1]})
    assert "no_such" in str(e.value)
    with pytest.raises(TypeError):
        ct.optimize(eth, "rsi", grid="rsi_period=14")
    with pytest.raises(TypeError):
        ct.optimize(eth, "rsi")
    with pytest.raises(TypeError):
        ct.optimize(eth, "rsi", grid=GRID, threads="2")


def test_walk_forward(eth):
    try:
        wf = ct.walk_forward(eth, "rsi", grid=GRID, train=4000, test=1000)
    except ct.UnsupportedError:
        pytest.skip("the library has no walk-forward yet")
    assert len(wf.windows) == (len(eth) - 4000) // 1000
    w0 = wf.windows[0]
    assert w0["train"] == (0, 4000) and w0["test"] == (4000, 5000)
    assert wf.equity[0] == 10000.0                         # stitched curve starts at the capital
    assert len(wf.equity) == 1 + sum(w["test"][1] - w["test"][0] for w in wf.windows)
    assert isinstance(wf.efficiency, float)
    assert "sharpe_ratio" in wf.metrics


def test_integer_settings_are_checked_not_wrapped(btc_1d):
    g = {"rsi_period": [10, 14]}
    # threads=2**40 ran with 0 (all cores), samples=2**64+2 drew 2, shard (2**32, 2**32+1)
    # and train=2**64+500 reached C wrapped; seed="x" and shard="ab" gave int()'s ValueError.
    with pytest.raises(ct.RangeError, match="threads 1099511627776 does not fit a 32-bit"):
        ct.optimize(btc_1d, "rsi", grid=g, threads=2 ** 40)
    with pytest.raises(ct.RangeError, match="samples 18446744073709551618 does not fit"):
        ct.optimize(btc_1d, "rsi", random=g, samples=2 ** 64 + 2)
    with pytest.raises(TypeError, match="seed must be an int, not str"):
        ct.optimize(btc_1d, "rsi", random=g, samples=2, seed="x")
    with pytest.raises(TypeError, match="seed must be an int, not float"):
        ct.optimize(btc_1d, "rsi", random=g, samples=2, seed=1.5)
    with pytest.raises(TypeError, match="shard must be a pair"):
        ct.optimize(btc_1d, "rsi", grid=g, shard="ab")
    with pytest.raises(TypeError, match="shard k must be an int, not float"):
        ct.optimize(btc_1d, "rsi", grid=g, shard=(0.5, 2))
    with pytest.raises(ct.RangeError, match="shard n 18446744073709551617 does not fit"):
        ct.optimize(btc_1d, "rsi", grid=g, shard=(0, 2 ** 64 + 1))
    with pytest.raises(ct.RangeError, match="train 18446744073709552116 does not fit"):
        ct.walk_forward(btc_1d, "rsi", grid=g, train=2 ** 64 + 500, test=100)
    opt = ct.optimize(btc_1d, "rsi", grid=g, threads=np.int32(1), shard=(np.int64(0), 1))
    assert opt.evaluated == 2 and opt.to_json(np.int64(1)) == opt.to_json(1)
    with pytest.raises(ct.RangeError, match="top_k"):
        opt.to_json(2 ** 64 + 1)


def test_grid_values_numpy_and_nan(btc_1d):
    # numpy values gave "Object of type int64 is not JSON serializable" (or a TypeError for an
    # array), and NaN was written as bare NaN: FormatError "grid: not a JSON object".
    a = ct.optimize(btc_1d, "rsi", grid={"rsi_period": [np.int64(10), 14],
                                         "oversold": np.array([25.0, 30.0])})
    b = ct.optimize(btc_1d, "rsi", grid={"rsi_period": [10, 14], "oversold": [25.0, 30.0]})
    assert [r["params"] for r in a.rows] == [r["params"] for r in b.rows]
    with pytest.raises(ValueError, match=r"grid\['oversold'\] must be finite, got nan"):
        ct.optimize(btc_1d, "rsi", grid={"oversold": [float("nan")]})
    with pytest.raises(ValueError, match=r"grid\['oversold'\]\['to'\] must be finite, got inf"):
        ct.optimize(btc_1d, "rsi", grid={"oversold": {"from": 20, "to": math.inf, "step": 5}})


def test_yes_no_arguments_must_be_booleans(eth):
    # maximize="false" is a truthy string: the search maximized; the same for anchored, copy,
    # partial and futures
    small = eth.slice(None, "2018-06-01")
    with pytest.raises(TypeError, match="maximize must be True or False, not 'false'"):
        ct.optimize(small, "rsi", {"rsi_period": [10, 14]}, maximize="false")
    with pytest.raises(TypeError, match="anchored must be True or False, not 'no'"):
        ct.walk_forward(small, "rsi", {"rsi_period": [10]}, train=500, test=200, anchored="no")
    with pytest.raises(TypeError, match="partial must be True or False"):
        small.resample("4h", partial="yes")
    with pytest.raises(TypeError, match="copy must be True or False"):
        ct.Feed.from_arrays([0, 3600000], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1], copy="no")
    with pytest.raises(TypeError, match="futures must be True or False"):
        ct.fetch("BTCUSDT", "1h", futures="no")
    # bools, numpy's bools and 0/1 still work
    lo = ct.optimize(small, "rsi", {"rsi_period": [10, 14]}, metric="total_return", maximize=0)
    hi = ct.optimize(small, "rsi", {"rsi_period": [10, 14]}, metric="total_return", maximize=True)
    assert lo.maximize is False and hi.maximize is True
    assert lo.best["objective"] <= hi.best["objective"]
