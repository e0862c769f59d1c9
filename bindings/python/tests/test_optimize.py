"""optimize() and walk_forward(): tables equal to single backtests, progress, cancel."""

import math

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
