"""backtest() and Result: the smallest program, equality with the C API, documents."""

import json
import math
import os

import numpy as np
import pytest

import cryptota as ct
from conftest import ETH_1H, c_backtest, ref_path

PARAMS = {"rsi_period": 14, "oversold": 30, "overbought": 70}
CONFIG = {"capital": 10000, "commission": 0.001, "fill": "next_open"}


def same(a, b):
    """Bit-equal floats, with NaN (C) == None (JSON null)."""
    if b is None:
        return a is None or (isinstance(a, float) and math.isnan(a))
    return a == b


def test_smallest_program(eth_path):
    feed = ct.Feed.load(eth_path)
    res = ct.backtest(feed, "rsi", params=PARAMS, config=CONFIG)
    # backtrader 1.9.78 with the same rules (reference/backtests/bt_next_open_<ETH 1h>.json).
    ref = json.load(open(ref_path("backtests", "bt_next_open_" + ETH_1H.replace(".csv.zst", ".json"))))
    assert len(res.trades) == len(ref["trades"])
    assert res.equity[-1] == pytest.approx(ref["final_equity"], rel=1e-9)
    assert isinstance(res.metrics["sharpe_ratio"], float)


def test_equal_to_c(eth_path, eth):
    doc = c_backtest(eth_path, "rsi", PARAMS, CONFIG)
    res = ct.backtest(eth, "rsi", params=PARAMS, config=CONFIG)
    m = res.metrics
    assert set(doc["metrics"]) <= set(m)
    for k, v in doc["metrics"].items():
        assert same(m[k], v), k
    assert len(res.trades) == len(doc["trades"])
    key = {"ret": "return"}
    for t, d in zip(res.trades, doc["trades"]):
        for f, v in t.items():
            if f == "side":
                assert {1: "long", -1: "short"}[v] == d["side"]
            else:
                assert v == d[key.get(f, f)], f
    eq = np.array([p[1] for p in doc["equity_curve"]])
    assert np.array_equal(res.equity, eq)
    assert res.time.tolist() == [p[0] for p in doc["equity_curve"]]
    assert res.final_equity == doc["final_equity"] and res.final_cash == doc["final_cash"]
    assert res.open_position["qty"] == doc["open_position"]["qty"]


def test_keyword_shortcuts_equal_config(eth):
    a = ct.backtest(eth, "rsi", capital=5000, commission=0.002)
    b = ct.backtest(eth, "rsi", config={"capital": 5000, "commission": 0.002})
    assert np.array_equal(a.equity, b.equity)
    assert a.config["capital"] == 5000 and a.config["commission"] == 0.002
    assert a.equity[0] == 5000   # E[0] = capital: no position before the first fill


def test_result_documents(tmp_path, eth):
    res = ct.backtest(eth.slice(end=eth.time[3000]), "rsi")
    doc = json.loads(res.to_json())
    assert doc["strategy"] == "rsi" and doc["symbol"] == "ETHUSDT"
    assert len(doc["trades"]) == len(res.trades)
    p = res.report_html(tmp_path / "r.html")
    html = open(p, encoding="utf-8").read()
    assert html.lstrip().lower().startswith("<!doctype html") and "<svg" in html
    assert len(res.cache_key()) >= 16
    arr = res.trades_array()
    assert arr.shape == (len(res.trades),) and arr["pnl_net"][0] == res.trades[0]["pnl_net"]


def test_equity_view_outlives_result(eth):
    eq = ct.backtest(eth, "rsi").equity
    import gc
    gc.collect()
    assert eq[0] == 10000.0 and len(eq) == len(eth)


def test_to_pandas(eth):
    pytest.importorskip("pandas")
    res = ct.backtest(eth, "rsi")
    d = res.to_pandas()
    assert len(d["equity"]) == len(eth) and len(d["trades"]) == len(res.trades)
    assert d["metrics"]["total_trades"] == len(res.trades)


def test_errors_name_the_culprit(eth):
    with pytest.raises(ct.NotFoundError):
        ct.backtest(eth, "no_such_strategy")
    with pytest.raises(ct.CryptotaError) as e:
        ct.backtest(eth, "rsi", params={"rsi_period": 0})
    assert "rsi_period" in str(e.value)
    with pytest.raises(ct.CryptotaError) as e:
        ct.backtest(eth, "rsi", params={"no_such_param": 1})
    assert "no_such_param" in str(e.value)
    with pytest.raises(ct.CryptotaError) as e:
        ct.backtest(eth, "rsi", config={"commision": 0.001})
    assert "commision" in str(e.value)
    with pytest.raises(ct.RangeError) as e:
        ct.backtest(eth, "rsi", capital=-1)
    assert "capital" in str(e.value)


def test_wrong_types_are_type_errors(eth):
    with pytest.raises(TypeError):
        ct.backtest(42, "rsi")
    with pytest.raises(TypeError):
        ct.backtest(eth, 42)
    with pytest.raises(TypeError):
        ct.backtest(eth, "rsi", params=[("rsi_period", 14)])
    with pytest.raises(TypeError):
        ct.backtest(eth, "rsi", params={"rsi_period": [14]})
    with pytest.raises(TypeError):
        ct.backtest(eth, "rsi", config="fast")
    with pytest.raises(TypeError):
        ct.Result(1)


def test_strategies_listing():
    names = [c["name"] for c in ct.strategies()]
    assert "rsi" in names
    rsi = next(c for c in ct.strategies() if c["name"] == "rsi")
    assert [p["name"] for p in rsi["params"]][:3] == ["rsi_period", "oversold", "overbought"]


def test_equal_to_the_cli(eth_path, eth):
    """`cryptota backtest FILE --json -` (DESIGN.md section 13) gives the same figures."""
    import subprocess
    cli = os.environ.get("CT_CLI")
    if not cli or not os.path.exists(cli):
        pytest.skip("CT_CLI is not built")
    out = subprocess.run([cli, "backtest", eth_path, "--strategy", "rsi", "--params",
                          json.dumps(PARAMS), "--config", json.dumps(CONFIG), "--json", "-"],
                         capture_output=True, text=True)
    if out.returncode != 0 and "unknown command" in out.stderr:
        pytest.skip("this cryptota CLI has no backtest command")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    res = ct.backtest(eth, "rsi", params=PARAMS, config=CONFIG)
    m = res.metrics
    for k, v in doc["metrics"].items():
        assert same(m[k], v), k
    assert [t["pnl_net"] for t in doc["trades"]] == [t["pnl_net"] for t in res.trades]


def test_to_json_takes_numpy_ints_and_refuses_overflow(btc_1d):
    res = ct.backtest(btc_1d, "rsi")
    assert res.to_json(np.int64(3)) == res.to_json(3)
    # 2**64 + 3 reached C as 3 (ctypes wraps): a 3-point curve where "all of it" was meant.
    with pytest.raises(ct.RangeError, match="max_equity_points 18446744073709551619 does not fit"):
        res.to_json(2 ** 64 + 3)
    with pytest.raises(TypeError, match="max_equity_points must be an int, not float"):
        res.to_json(3.0)
