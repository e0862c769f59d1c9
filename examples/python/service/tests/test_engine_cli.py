"""The CLI fallback of engine.py: with a binding that only loads candles (no backtest,
optimize, walk_forward, fetch, tables), every computation goes through the `cryptota`
command (CT_CLI) with --json, and gives the same documents as the binding."""

from __future__ import annotations

import json
import os
import types

import pytest

import cryptota as ct
import support
from cryptota_service import engine as eng

T0, T1 = 1609459200000, 1640995200000  # 2021
GRID = {"rsi_period": [10, 14, 21], "oversold": {"from": 20, "to": 35, "step": 5}}
CFG = {"capital": 10000.0, "commission": 0.001}


@pytest.fixture
def cli_engine(monkeypatch, workdir):
    if not os.environ.get("CT_CLI") or not os.access(os.environ["CT_CLI"], os.X_OK):
        pytest.fail("CT_CLI must name the built cryptota command (CTest sets it)")
    monkeypatch.setattr(eng, "_ct", types.SimpleNamespace(Feed=ct.Feed))
    return eng.Engine(os.path.join(workdir, "data"), [support.data_dir()], cli_path=os.environ["CT_CLI"])


def test_tables_through_the_cli(cli_engine):
    assert [s["name"] for s in cli_engine.strategies()] == [s["name"] for s in ct.strategies()]
    rsi = cli_engine.strategy("rsi")
    assert {p["name"]: p["default"] for p in rsi["parameters"]}["rsi_period"] == 14
    assert [i["name"] for i in cli_engine.indicators()] == [i.name for i in ct.ta.indicators()]


def test_backtest_through_the_cli_equals_the_binding(cli_engine):
    cfg = dict(CFG, commission=0.002, slippage_bps=5)
    out = cli_engine.backtest("BTCUSDT", "1h", T0, T1, "rsi", {"rsi_period": 14}, cfg)
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(T0, T1)
    ref = ct.backtest(feed, "rsi", params={"rsi_period": 14}, config=cfg)
    assert out["cache_key"] == ref.cache_key()
    assert out["result"]["metrics"] == ref.to_dict()["metrics"]
    assert out["result"]["trades"] == ref.to_dict()["trades"]
    assert "<svg" in out["report_html"]
    assert out["headline"]["total_trades"] == len(ref.trades)


def test_shards_and_merge_through_the_cli_equal_one_binding_run(cli_engine):
    cfg = dict(CFG, commission=0.0005)
    docs = [cli_engine.optimize("BTCUSDT", "1h", T0, T1, "rsi", GRID, cfg, "sortino_ratio", True, shard=(k, 3))
            for k in range(3)]
    merged = cli_engine.merge(docs)
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(T0, T1)
    ref = json.loads(ct.optimize(feed, "rsi", grid=GRID, metric="sortino_ratio", config=cfg).to_json())
    assert merged["rows"] == ref["rows"] and merged["best"] == ref["best"]
    assert merged["total"] == 12 and merged["dsr"] == ref["dsr"] and merged["pbo"] == ref["pbo"]


def test_walk_forward_through_the_cli(cli_engine):
    wf = {"train_bars": 2000, "test_bars": 1000}
    cfg = dict(CFG, commission=0.002)  # not the default: the config must reach the command
    doc = cli_engine.walk_forward("BTCUSDT", "1h", T0, T1, "rsi", {"rsi_period": [10, 14]}, cfg, "sharpe_ratio",
                                  True, wf)
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(T0, T1)
    ref = json.loads(ct.walk_forward(feed, "rsi", grid={"rsi_period": [10, 14]}, train=2000, test=1000,
                                     config=cfg).to_json())
    assert doc["windows"] == ref["windows"] and doc["oos_metrics"] == ref["oos_metrics"]
    assert "<svg" in doc.pop("__report_html")


def test_fetch_through_the_cli(monkeypatch, workdir):
    monkeypatch.setattr(eng, "_ct", types.SimpleNamespace(Feed=ct.Feed))
    mock = support.BinanceMock()
    try:
        e = eng.Engine(os.path.join(workdir, "data"), [], cli_path=os.environ["CT_CLI"], binance_url=mock.url)
        # 2020-01-01 00:00 .. 2020-01-03 00:00 UTC: 2 days x 24 = 48 hourly bars
        cov = e.fetch("ETHUSDT", "1h", 1577836800000, 1578009600000)
        assert cov["rows"] == 48 and cov["first_time_ms"] == 1577836800000 and cov["in_cache"] is True
        with pytest.raises(eng.EngineError, match="NOSUCHUSDT"):
            e.fetch("NOSUCHUSDT", "1h", 1577836800000, 1578009600000)
    finally:
        mock.stop()
