"""Every endpoint through FastAPI's TestClient, against SQLite or PostgreSQL (CT_SERVICE_DB).

Expected numbers come from calling the library directly through the binding on the same
candles (the service must serve exactly what the library computes), from the candle files
themselves (row counts, first bar), or from hand-worked arithmetic shown in the comments.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

import cryptota as ct
import support
from conftest import BACKEND, wait_done

# 2021 of BTCUSDT 1h: 8,747 bars (365 days x 24 = 8,760 hours, 13 missing in Binance's history).
BT = {"strategy": "rsi", "symbol": "BTCUSDT", "timeframe": "1h", "start_date": "2021-01-01",
      "end_date": "2021-12-31", "initial_capital": 10000, "commission": 0.001,
      "parameters": {"rsi_period": 14, "oversold": 30, "overbought": 70}}
T0, T1 = 1609459200000, 1640995200000  # 2021-01-01 and 2022-01-01 00:00 UTC (end date inclusive)


def direct_backtest(params=None, config=None):
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(T0, T1)
    cfg = {"capital": 10000, "commission": 0.001}
    cfg.update(config or {})
    return ct.backtest(feed, "rsi", params=params or BT["parameters"], config=cfg)


def submit(client, body=None, path="/backtest/run", **kw):
    r = client.post(path, json=body or BT, **kw)
    assert r.status_code in (200, 202), r.text
    out = r.json()
    assert r.status_code == (200 if out["cached"] else 202)  # 200: answered from the cache
    return out


def test_health_reports_each_part(client):
    r = client.get("/health")
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["status"] == "ok"
    assert h["database"] == {"status": "ok", "backend": "postgresql" if BACKEND == "postgresql" else "sqlite"}
    assert h["redis"]["status"] == "not configured"
    assert h["workers"]["mode"] == "in-process" and h["workers"]["count"] == 2
    assert h["library"]["binding"] is True


def test_strategies_and_indicators_are_the_library_tables(client):
    r = client.get("/strategies")
    assert r.status_code == 200
    got = {s["name"]: s for s in r.json()["strategies"]}
    want = {s["name"] for s in ct.strategies()}
    assert set(got) == want and "rsi" in got
    # DESIGN.md section 6: rsi has rsi_period 14, oversold 30, overbought 70, fraction 1.0
    defaults = {p["name"]: p["default"] for p in got["rsi"]["parameters"]}
    assert defaults["rsi_period"] == 14 and defaults["oversold"] == 30 and defaults["overbought"] == 70
    r = client.get("/indicators")
    assert r.status_code == 200
    names = [i["name"] for i in r.json()["indicators"]]
    assert names == [i.name for i in ct.ta.indicators()] and len(names) > 0


def test_backtest_results_equal_the_library(client):
    sub = submit(client)
    assert sub["status"] == "submitted" and sub["cached"] is False and len(sub["job_id"]) == 32
    st = wait_done(client, sub["job_id"])
    assert st["status"] == "completed", st
    assert st["progress"] == 1.0 and st["error"] is None
    r = client.get(f"/backtest/{sub['job_id']}/results")
    assert r.status_code == 200
    body = r.json()
    ref = direct_backtest()
    doc = body["result"]
    assert body["cached"] is False and body["cache_key"] == ref.cache_key()
    assert doc == ref.to_dict()  # the library's own document, unchanged
    assert len(doc["trades"]) == len(ref.trades)
    # the runs list carries the headline columns of the same result
    runs = client.get("/backtests", params={"strategy": "rsi", "symbol": "BTCUSDT"}).json()["runs"]
    run = [x for x in runs if x["job_id"] == sub["job_id"]][0]
    assert run["total_trades"] == len(ref.trades)
    m = ref.metrics
    for k in ("total_return", "sharpe_ratio", "max_drawdown"):
        assert run[k] == pytest.approx(m[k], rel=0, abs=0)
    r = client.get(f"/backtest/{sub['job_id']}/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<svg" in r.text and "http://" not in r.text.replace("http://www.w3.org", "")


def test_identical_backtest_is_served_from_the_cache(client):
    first = submit(client)
    assert wait_done(client, first["job_id"])["status"] == "completed"
    again = submit(client)
    assert again["status"] == "completed" and again["cached"] is True
    a = client.get(f"/backtest/{first['job_id']}/results").json()
    b = client.get(f"/backtest/{again['job_id']}/results").json()
    assert b["cached"] is True and a["cached"] is False
    assert a["result"] == b["result"] and a["cache_key"] == b["cache_key"]
    assert client.get(f"/backtest/{again['job_id']}/status").json()["cached"] is True
    assert client.get(f"/backtest/{again['job_id']}/report").status_code == 200
    # a different parameter is a different key: computed, not cached
    other = dict(BT, parameters={"rsi_period": 21})
    third = submit(client, other)
    assert third["cached"] is False
    assert wait_done(client, third["job_id"])["status"] == "completed"


@pytest.mark.parametrize("change,where,words", [
    ({"strategy": "nope"}, "strategy", ["unknown strategy 'nope'", "rsi"]),
    ({"parameters": {"rsi_periodd": 14}}, "rsi_periodd", ["unknown parameter 'rsi_periodd'", "rsi_period"]),
    ({"parameters": {"rsi_period": "x"}}, "rsi_period", ["expected a number"]),
    ({"parameters": {"rsi_period": 100000}}, "rsi_period", ["outside"]),
    ({"start_date": "2021-13-45"}, "start_date", ["not a date"]),
    ({"start_date": "2021-06-01", "end_date": "2021-05-01"}, "end_date", ["empty date range"]),
    ({"timeframe": "7m"}, "timeframe", ["not a Binance interval"]),
    ({"symbol": "btc/usdt"}, "symbol", ["not a Binance symbol"]),
    ({"commission": 0.5}, "commission", ["fraction"]),
    ({"config": {"capitol": 5}}, "config", ["unknown config key 'capitol'"]),
    # a setting the library refuses is named as config (it was reported under "parameters")
    ({"config": {"leverage": 2 ** 64}}, "config", ["engine setting 'leverage'"]),
    # a trailing newline passed the symbol check (`$` matches before it) and reached the library
    ({"symbol": "BTCUSDT\n"}, "symbol", ["not a Binance symbol"]),
    # and upper() made "btcusdtß" the symbol BTCUSDTSS
    ({"symbol": "btcusdt\u00df"}, "symbol", ["not a Binance symbol"]),
    # JSON types are not coerced: true was capital 1.0 and start 1970-01-01 00:00:00.001,
    # 1609459200000.7 was truncated, a misspelt field was ignored (capital 10000 used)
    ({"initial_capital": True}, "initial_capital", ["expected a number, got true"]),
    ({"initial_capital": "10000"}, "initial_capital", ["expected a number"]),
    ({"initial_captial": 5000}, "initial_captial", ["extra fields not permitted"]),
    ({"start_date": True}, "start_date", ["got true"]),
    ({"start_date": 1609459200000.7}, "start_date", ["whole number"]),
    # the day after 9999-12-31 overflowed: 500; year 1 was accepted as a negative epoch ms
    ({"end_date": "9999-12-31"}, "end_date", ["out of range"]),
    ({"start_date": "0001-01-01T00:00:00+14:00"}, "start_date", ["out of range"]),
    # config.capital given with a different initial_capital (config.capital was dropped)
    ({"initial_capital": 6000, "config": {"capital": 5000}}, "body", ["disagree"]),
])
def test_backtest_validation_errors_name_the_field(client, change, where, words):
    r = client.post("/backtest/run", json=dict(BT, **change))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    text = json.dumps(detail)
    assert any(where in [str(x) for x in d["loc"]] for d in detail), detail
    for w in words:
        assert w in text, (w, detail)
    assert client.get("/backtests").json()["total"] == 0


def test_dates_are_parsed_exactly(client):
    # "20210101" is ISO-8601's basic form of 2021-01-01 (it was read as epoch ms 20,210,101,
    # 1970-01-01 05:36, so the backtest started at the first bar of the data, 2017-08-17);
    # a string of digits of epoch-ms length is still epoch ms
    ref = direct_backtest()
    for start, end in (("20210101", "20211231"), ("1609459200000", 1640995200000), (1609459200000.0, "2021-12-31")):
        job = submit(client, dict(BT, start_date=start, end_date=end))
        assert wait_done(client, job["job_id"])["status"] == "completed"
        res = client.get(f"/backtest/{job['job_id']}/results").json()
        assert res["cache_key"] == ref.cache_key(), (start, end)
        assert res["result"]["equity_curve"][0][0] == T0
    # the async fetch validates dates the same way (the overflow was a 500 there too)
    r = client.post("/data/fetch", json={"symbol": "BTCUSDT", "start_date": "2021-01-01", "end_date": "9999-12-31"})
    assert r.status_code == 422 and "out of range" in r.text, r.text
    r = client.post("/data/fetch", json={"symbol": "BTCUSDT", "start_date": True, "async": True})
    assert r.status_code == 422 and "got true" in r.text, r.text


def test_config_capital_and_commission_are_used(client):
    # config.capital / config.commission were replaced by the defaults of initial_capital and
    # commission (10000, 0.001) without a word: the result was another backtest's
    bare = {k: v for k, v in BT.items() if k not in ("initial_capital", "commission")}
    job = submit(client, dict(bare, config={"capital": 5000, "commission": 0.002}))
    assert wait_done(client, job["job_id"])["status"] == "completed"
    res = client.get(f"/backtest/{job['job_id']}/results").json()
    ref = direct_backtest(config={"capital": 5000, "commission": 0.002})
    assert res["result"]["config"]["capital"] == 5000 and res["result"]["config"]["commission"] == 0.002
    assert res["cache_key"] == ref.cache_key() and res["result"] == ref.to_dict()
    assert res["result"]["equity_curve"][0][1] == 5000
    # both given and equal is fine; an optimization reads them the same way
    job = submit(client, dict(bare, initial_capital=5000, config={"capital": 5000, "commission": 0.002}))
    assert job["cached"] is True
    opt = submit(client, dict(OPT, config={"capital": 5000}), path="/backtest/optimize")
    assert wait_done(client, opt["job_id"])["status"] == "completed"
    doc = client.get(f"/backtest/{opt['job_id']}/results").json()["result"]
    assert doc["config"]["capital"] == 5000


def test_numbers_of_an_optimization_are_not_coerced(client):
    for change, where, words in [
            ({"min_trades": 1.5}, ["min_trades"], "expected an integer, got 1.5"),  # was truncated to 1
            ({"min_trades": True}, ["min_trades"], "expected an integer, got true"),
            # 2**64 was accepted, then the job failed ("does not fit a 64-bit integer")
            ({"min_trades": 2 ** 64}, ["min_trades"], "out of range"),
            ({"walk_forward": {"train_bars": 2000.9, "test_bars": 1000}}, ["walk_forward", "train_bars"],
             "expected an integer, got 2000.9"),
            ({"walk_forward": {"train_bars": 2 ** 64, "test_bars": 1000}}, ["walk_forward", "train_bars"],
             "out of range"),
            ({"parameters": {"rsi_period": 10}}, ["parameters"], "extra fields not permitted"),  # was ignored
            ({"maximize": "no"}, ["maximize"], "value is not a valid boolean"),  # "no" maximized
            ({"maximize": 0}, ["maximize"], "value is not a valid boolean"),
            ({"walk_forward": {"train_bars": 2000, "test_bars": 1000, "anchored": "false"}},
             ["walk_forward", "anchored"], "value is not a valid boolean")]:
        r = client.post("/backtest/optimize", json=dict(OPT, **change))
        assert r.status_code == 422, (change, r.text)
        d = r.json()["detail"][0]
        assert d["loc"] == ["body", *where] and words in d["msg"], (change, d)
    assert client.get("/backtests").json()["total"] == 0


def test_library_checks_at_submission(client):
    # BTCUSDT 1h starts 2017-08-17: 2010 has no candles (an empty range), and there is no
    # DOGEUSDT 1h at all; both are refused before a job exists
    r = client.post("/backtest/run", json=dict(BT, start_date="2010-01-01", end_date="2010-02-01"))
    assert r.status_code == 422 and "no candles for BTCUSDT 1h in the requested date range" in r.text
    assert "2017-08-17" in r.text  # and it says what the data covers
    r = client.post("/backtest/run", json=dict(BT, symbol="DOGEUSDT"))
    assert r.status_code == 422 and "fetch them first" in r.text
    # the strategy's own rule (DESIGN.md section 6 schema: oversold < overbought), by the library
    r = client.post("/backtest/run", json=dict(BT, parameters={"oversold": 80, "overbought": 70}))
    assert r.status_code == 422 and "oversold must be below overbought" in r.text
    # an engine setting the library refuses, named by the library
    r = client.post("/backtest/run", json=dict(BT, config={"fill": "bogus"}))
    assert r.status_code == 422 and "config key 'fill'" in r.text
    assert client.get("/backtests").json()["total"] == 0


def test_a_job_that_fails_says_why(client, workdir):
    # the candles disappear between submission and run (a cache file removed by hand)
    import shutil
    src = support.candle_file("ETHUSDT", "1h")
    mine = os.path.join(workdir, "candles")
    os.makedirs(mine)
    shutil.copy(src, mine)
    svc = client.app.state.svc
    svc.engine.candle_dirs = [mine]
    svc.jobs.dispatch = lambda *a, **k: None  # hold the job until the file is gone
    job = submit(client, dict(BT, symbol="ETHUSDT"))
    shutil.rmtree(mine)
    from cryptota_service.jobs import execute_job
    execute_job(svc.db, svc.engine, svc.cache, job["job_id"])
    st = client.get(f"/backtest/{job['job_id']}/status").json()
    assert st["status"] == "failed" and "no candles for ETHUSDT 1h" in st["error"]
    r = client.get(f"/backtest/{job['job_id']}/results")
    assert r.status_code == 409 and "failed" in r.json()["detail"]


OPT = {"strategy": "rsi", "symbol": "BTCUSDT", "timeframe": "1h", "start_date": "2021-01-01",
       "end_date": "2021-12-31", "parameter_grid": {"rsi_period": [10, 14, 21], "oversold": {"from": 20, "to": 35, "step": 5}},
       "optimization_metric": "sharpe_ratio"}


def test_optimize_returns_the_library_table(client):
    job = submit(client, OPT, path="/backtest/optimize")
    st = wait_done(client, job["job_id"])
    assert st["status"] == "completed", st
    body = client.get(f"/backtest/{job['job_id']}/results").json()
    doc = body["result"]
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(T0, T1)
    ref = json.loads(ct.optimize(feed, "rsi", grid=OPT["parameter_grid"], metric="sharpe_ratio",
                                 config={"capital": 10000.0, "commission": 0.001}).to_json())
    assert doc == ref
    # 3 periods x 4 oversold levels (20, 25, 30, 35) = 12 combinations
    assert doc["total"] == 12 and len(doc["rows"]) == doc["evaluated"]
    assert st["progress_detail"] == {"done": 12, "total": 12, "unit": "combinations"}, st
    assert "dsr" in doc and "pbo" in doc and doc["best"]["parameters"] == doc["rows"][0]["parameters"]
    assert client.get(f"/backtest/{job['job_id']}/report").status_code == 404


def test_walk_forward_option(client):
    body = dict(OPT, walk_forward={"train_bars": 2000, "test_bars": 1000})
    job = submit(client, body, path="/backtest/optimize")
    st = wait_done(client, job["job_id"])
    assert st["status"] == "completed", st
    doc = client.get(f"/backtest/{job['job_id']}/results").json()["result"]
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(T0, T1)
    ref = ct.walk_forward(feed, "rsi", grid=OPT["parameter_grid"], train=2000, test=1000, metric="sharpe_ratio",
                          config={"capital": 10000.0, "commission": 0.001})
    assert doc == json.loads(ref.to_json())
    # the library counts every window's combinations (each searches the whole grid)
    nw = len(doc["windows"])
    assert nw > 1 and st["progress_detail"] == {"done": 12 * nw, "total": 12 * nw, "unit": "combinations"}, st
    r = client.get(f"/backtest/{job['job_id']}/report")
    assert r.status_code == 200 and "<svg" in r.text


def test_a_database_from_before_progress_detail_is_upgraded(make_client):
    # a runs table made before the progress_detail column existed: the next start adds it
    # (create_all makes missing tables only), keeping the rows
    from sqlalchemy import text
    client = make_client()
    job = submit(client)
    assert wait_done(client, job["job_id"])["status"] == "completed"
    svc = client.app.state.svc
    svc.stop()
    with svc.db.engine.begin() as c:
        c.execute(text("ALTER TABLE runs DROP COLUMN progress_detail"))
    svc.db.dispose()
    client2 = make_client()
    st = client2.get(f"/backtest/{job['job_id']}/status").json()
    assert st["status"] == "completed" and st["progress_detail"] is None, st
    opt = submit(client2, OPT, path="/backtest/optimize")
    st = wait_done(client2, opt["job_id"])
    assert st["progress_detail"] == {"done": 12, "total": 12, "unit": "combinations"}, st
    # and a start on an up-to-date database changes nothing
    client2.app.state.svc.stop()
    client3 = make_client()
    assert client3.get(f"/backtest/{opt['job_id']}/status").json()["progress_detail"]["done"] == 12


def test_optimize_validation(make_client):
    client = make_client(CRYPTOTA_MAX_GRID="10")
    r = client.post("/backtest/optimize", json=OPT)  # 12 combinations > 10
    assert r.status_code == 422
    assert "12 combinations" in r.text and "CRYPTOTA_MAX_GRID" in r.text
    r = client.post("/backtest/optimize", json=dict(OPT, parameter_grid={"rsi_period": [14]},
                                                     optimization_metric="sharpness"))
    assert r.status_code == 422 and "unknown metric 'sharpness'" in r.text
    r = client.post("/backtest/optimize", json=dict(OPT, parameter_grid={"bogus": [1, 2]}))
    assert r.status_code == 422 and "unknown parameter 'bogus'" in r.text
    r = client.post("/backtest/optimize", json=dict(OPT, parameter_grid={"rsi_period": {"from": 20, "to": 10, "step": 1}}))
    assert r.status_code == 422 and "to (10) is below from (20)" in r.text  # the library's parse
    r = client.post("/backtest/optimize", json=dict(OPT, walk_forward={"train_bars": 0, "test_bars": 10}))
    assert r.status_code == 422 and "train_bars" in r.text


def test_grids_are_checked_by_the_library_at_submission(client):
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(T0, T1)
    cfg = {"capital": 10000.0, "commission": 0.001}
    # valid grids the service refused: 1 + 90 x 1.1 is 100.00000000000001 in Python, which the
    # library clamps to "to" (it was "overbought=100 is outside [0, 100]"), and an integer
    # range without a step (the library's default step 1; it was "expected from, to, step")
    for grid, total in (({"overbought": {"from": 1, "to": 100, "step": 1.1}}, 91),
                        ({"rsi_period": {"from": 10, "to": 12}}, 3)):
        job = submit(client, dict(OPT, parameter_grid=grid), path="/backtest/optimize")
        assert wait_done(client, job["job_id"])["status"] == "completed"
        doc = client.get(f"/backtest/{job['job_id']}/results").json()["result"]
        assert doc == json.loads(ct.optimize(feed, "rsi", grid=grid, metric="sharpe_ratio", config=cfg).to_json())
        assert doc["total"] == total
    accepted = client.get("/backtests").json()["total"]
    assert accepted == 2
    # grids the library refuses were accepted (202) and the job failed when it ran: now 422
    # at submission with the library's message, naming the parameter
    for grid, words in [({"rsi_period": [14.5]}, "is an integer; 14.5 is not"),
                        ({"rsi_period": {"from": 10, "to": 12, "step": 0.5}}, "is an integer; step 0.5 is not"),
                        ({"rsi_period": {"from": 10, "to": 12, "step": 1, "extra": 3}}, "unknown key 'extra'"),
                        ({"rsi_period": {"from": "10", "to": "12", "step": "1"}}, "values must be numbers"),
                        ({"oversold": {"from": 0, "to": 100, "step": 1e-9}}, "more than 100000 values")]:
        r = client.post("/backtest/optimize", json=dict(OPT, parameter_grid=grid))
        assert r.status_code == 422, (grid, r.text)
        d = r.json()["detail"][0]
        assert d["loc"] == ["body", "parameter_grid", next(iter(grid))] and words in d["msg"], (grid, d)
    r = client.post("/backtest/optimize", content=json.dumps(dict(OPT, parameter_grid={"oversold": [float("nan")]})),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "finite" in r.text, r.text
    assert client.get("/backtests").json()["total"] == accepted


def test_walk_forward_windows_are_checked_at_submission(client):
    # 8,747 bars of 2021 hold no window of 2000 + 1,000,000 bars: the job failed when it ran
    r = client.post("/backtest/optimize", json=dict(OPT, walk_forward={"train_bars": 2000, "test_bars": 10 ** 6}))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "walk_forward"]
    assert "8747 bars, too few for one window" in r.text
    # every window searches the whole grid: test windows of 1 bar make (8747 - 2001) / 1 + 1 =
    # 6,747 windows of 12 combinations, 80,964 searched, over the limit of 10,000 (it ran)
    r = client.post("/backtest/optimize", json=dict(OPT, walk_forward={"train_bars": 2000, "test_bars": 1}))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "walk_forward"]
    assert "12 combinations in each of its 6747 windows: 80964" in r.text and "CRYPTOTA_MAX_GRID" in r.text
    assert client.get("/backtests").json()["total"] == 0


def test_cancel_queued_and_running_jobs(make_client):
    client = make_client(CRYPTOTA_WORKERS="1")
    big = dict(OPT, start_date="2018-01-01", end_date="2023-12-31",
               parameter_grid={"rsi_period": {"from": 2, "to": 60, "step": 1},
                               "oversold": {"from": 10, "to": 45, "step": 1}})
    running = submit(client, big, path="/backtest/optimize")
    queued = submit(client)  # waits behind `running` (one worker)
    r = client.delete(f"/backtest/{queued['job_id']}")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    end = time.monotonic() + 30
    while client.get(f"/backtest/{running['job_id']}/status").json()["status"] == "submitted":
        assert time.monotonic() < end
        time.sleep(0.02)
    r = client.delete(f"/backtest/{running['job_id']}")
    assert r.json()["status"] == "cancelled"
    time.sleep(1.5)  # the worker notices within 0.5 s and stops; nothing overwrites the status
    for j in (running, queued):
        st = client.get(f"/backtest/{j['job_id']}/status").json()
        assert st["status"] == "cancelled" and st["error"] == "cancelled by the client"
        assert client.get(f"/backtest/{j['job_id']}/results").status_code == 409
    assert client.get(f"/backtest/{queued['job_id']}/status").json()["started_at"] is None
    # a finished job keeps its status
    done = submit(client, dict(BT, parameters={"rsi_period": 9}))
    assert wait_done(client, done["job_id"])["status"] == "completed"
    assert client.delete(f"/backtest/{done['job_id']}").json()["status"] == "completed"
    assert client.delete("/backtest/" + "0" * 32).status_code == 404
    assert client.get("/backtest/nothex/status").status_code == 404


def test_backtests_list_filters_and_limit(client):
    ids = [submit(client, dict(BT, parameters={"rsi_period": p}))["job_id"] for p in (7, 8, 9)]
    eth = submit(client, dict(BT, symbol="ETHUSDT"))["job_id"]
    for j in ids + [eth]:
        assert wait_done(client, j)["status"] == "completed"
    r = client.get("/backtests", params={"symbol": "BTCUSDT", "limit": 2}).json()
    assert r["total"] == 3 and len(r["runs"]) == 2
    assert {x["job_id"] for x in r["runs"]} <= set(ids)
    r = client.get("/backtests", params={"symbol": "ethusdt"}).json()
    assert [x["job_id"] for x in r["runs"]] == [eth]
    assert client.get("/backtests", params={"strategy": "sma_cross"}).json()["total"] == 0
    assert client.get("/backtests", params={"limit": 0}).status_code == 422
    # an offset beyond the database's 64-bit integer was a 500 (OverflowError, or PostgreSQL's
    # "bigint out of range"); the largest one is an empty page
    r = client.get("/backtests", params={"offset": 2 ** 64})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "offset"]
    r = client.get("/backtests", params={"offset": 2 ** 63 - 1})
    assert r.status_code == 200 and r.json() == {"total": 4, "runs": []}
    # a trailing newline passed the filters' patterns ("$") and listed nothing instead of a 422
    for bad in ({"kind": "backtest\n"}, {"status": "completed\n"}):
        assert client.get("/backtests", params=bad).status_code == 422, bad
    assert client.get("/backtests", params={"kind": "backtest", "status": "completed"}).json()["total"] == 4


def test_data_coverage(client):
    r = client.get("/data/BTCUSDT/1h")
    assert r.status_code == 200, r.text
    cov = r.json()
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h"))
    assert cov["rows"] == len(feed) and cov["first_time_ms"] == int(feed.time[0])
    assert cov["last_time_ms"] == int(feed.time[len(feed) - 1]) and cov["missing_bars"] == feed.missing_bars
    assert client.get("/data/NOPEUSDT/1h").status_code == 404
    assert client.get("/data/BTCUSDT/7m").status_code == 422


def test_data_fetch_through_the_binance_mock(make_client):
    mock = support.BinanceMock()
    try:
        client = make_client(CRYPTOTA_BINANCE_URL=mock.url, CRYPTOTA_CANDLE_DIRS="")
        assert client.get("/data/ETHUSDT/1h").status_code == 404
        # 2020-01-01 .. 2020-01-10 inclusive = 10 days x 24 bars = 240 bars
        r = client.post("/data/fetch", json={"symbol": "ETHUSDT", "timeframe": "1h",
                                             "start_date": "2020-01-01", "end_date": "2020-01-10"})
        assert r.status_code == 200, r.text
        cov = r.json()
        assert cov["rows"] == 240 and cov["first_time_ms"] == 1577836800000 and cov["in_cache"] is True
        assert cov["source"].endswith(".ctz")
        assert client.get("/data/ETHUSDT/1h").json()["rows"] == 240
        # the cached candles serve a backtest at once
        job = submit(client, dict(BT, symbol="ETHUSDT", start_date="2020-01-01", end_date="2020-01-10"))
        assert wait_done(client, job["job_id"])["status"] == "completed"
        r = client.post("/data/fetch", json={"symbol": "NOSUCHUSDT", "timeframe": "1h", "start_date": "2020-01-01",
                                             "end_date": "2020-01-02"})
        assert r.status_code == 422 and "NOSUCHUSDT" in r.text
    finally:
        mock.stop()


def mock_control(mock, path, body=None):
    """POST to a control endpoint of the Binance mock (/__config, /__reset) or GET /__log."""
    import urllib.request
    req = urllib.request.Request(mock.url + path, json.dumps(body).encode() if body is not None else None,
                                 method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def kline_requests(mock):
    return [x for x in mock_control(mock, "/__log")["requests"] if x["path"].endswith("/klines")]


FETCH = {"symbol": "ETHUSDT", "timeframe": "1h", "start_date": "2019-01-01", "end_date": "2020-12-31"}


def test_async_fetch_is_a_job_with_progress_and_the_coverage(make_client):
    mock = support.BinanceMock()
    try:
        client = make_client(CRYPTOTA_BINANCE_URL=mock.url, CRYPTOTA_CANDLE_DIRS="")
        # 2019 and 2020 of ETHUSDT 1h: 731 days x 24 = 17,544 hours, 18 pages of 1,000 bars;
        # 200 ms per page keeps the job running for a few progress updates (4 transfers at once)
        mock_control(mock, "/__config", {"delay_ms": 200})
        r = client.post("/data/fetch", json=dict(FETCH, **{"async": True}))
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["status"] == "submitted" and job["cached"] is False and len(job["job_id"]) == 32
        seen, counts = [], []
        end = time.monotonic() + 120
        while True:
            st = client.get(f"/backtest/{job['job_id']}/status").json()
            assert st["kind"] == "fetch"
            seen.append(st["progress"])
            if st["progress_detail"] is not None:
                d = st["progress_detail"]
                assert d["unit"] == "bars" and 0 <= d["done"] <= d["total"], d
                counts.append((d["done"], d["total"]))
            if st["status"] in ("completed", "failed", "cancelled"):
                break
            assert time.monotonic() < end, st
            time.sleep(0.05)
        assert st["status"] == "completed" and st["error"] is None, st
        assert seen == sorted(seen) and seen[-1] == 1.0  # bars done / the library's estimate, up to 1
        assert any(0 < p < 1 for p in seen), seen
        # the bar counts behind it: 17,544 hours missing from the cache, all downloaded at the end
        assert any(0 < d < t for d, t in counts), counts
        assert st["progress_detail"] == {"done": 17544, "total": 17544, "unit": "bars"}, st
        body = client.get(f"/backtest/{job['job_id']}/results").json()
        assert body["kind"] == "fetch" and body["cache_key"] is None
        cov = body["result"]
        ref = ct.Feed.load(support.candle_file("ETHUSDT", "1h")).slice(1546300800000, 1609459200000)
        assert cov["rows"] == len(ref) and cov["first_time_ms"] == int(ref.time[0]) and cov["in_cache"] is True
        assert client.get(f"/backtest/{job['job_id']}/report").status_code == 404
        # the same range again, synchronously: nothing left to download, the same coverage
        before = len(kline_requests(mock))
        r = client.post("/data/fetch", json=FETCH)
        assert r.status_code == 200 and r.json() == cov and len(kline_requests(mock)) == before
        # the listing has the job with kind fetch (no strategy, no metrics)
        runs = client.get("/backtests", params={"kind": "fetch"}).json()["runs"]
        assert [(x["job_id"], x["kind"], x["strategy"], x["symbol"]) for x in runs] == \
            [(job["job_id"], "fetch", None, "ETHUSDT")]
        # the downloaded candles serve a backtest, equal to the library's on the same bars
        bt = submit(client, dict(BT, symbol="ETHUSDT", start_date="2019-01-01", end_date="2020-12-31"))
        assert wait_done(client, bt["job_id"])["status"] == "completed"
        res = client.get(f"/backtest/{bt['job_id']}/results").json()
        direct = ct.backtest(ref, "rsi", params=BT["parameters"], config={"capital": 10000, "commission": 0.001})
        assert res["cache_key"] == direct.cache_key()
        # an unknown symbol is only known to Binance: the job fails with the library's message
        r = client.post("/data/fetch", json={"symbol": "NOSUCHUSDT", "start_date": "2020-01-01", "async": True})
        assert r.status_code == 202
        st = wait_done(client, r.json()["job_id"])
        assert st["status"] == "failed" and "NOSUCHUSDT" in st["error"]
    finally:
        mock.stop()


@pytest.mark.parametrize("change,where,words", [
    ({"symbol": "btc/usdt"}, "symbol", ["not a Binance symbol"]),
    ({"timeframe": "7m"}, "timeframe", ["not a Binance interval"]),
    ({"start_date": "2021-13-45"}, "start_date", ["not a date"]),
    ({"start_date": "2021-06-01", "end_date": "2021-05-01"}, "end_date", ["empty date range"]),
    ({"start_date": "2999-01-01", "end_date": None}, "start_date", ["start_date is in the future"]),
    ({"async": "sometimes"}, "async", ["bool"]),
])
def test_async_fetch_validation_is_422_before_a_job_exists(client, change, where, words):
    body = dict(FETCH, **{"async": True})
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    r = client.post("/data/fetch", json=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert any(where in [str(x) for x in d["loc"]] for d in detail), detail
    for w in words:
        assert w in json.dumps(detail), (w, detail)
    assert client.get("/backtests").json()["total"] == 0


def test_cancel_a_running_fetch_and_finish_it_later(make_client):
    mock = support.BinanceMock()
    try:
        client = make_client(CRYPTOTA_BINANCE_URL=mock.url, CRYPTOTA_CANDLE_DIRS="")
        svc = client.app.state.svc
        # 2025-05-20 .. 2025-08-17 of BTCUSDT 1m: 90 days x 1,440 = 129,600 bars, 130 pages; at
        # 200 ms a page and 4 transfers at once the download takes several seconds
        mock_control(mock, "/__config", {"delay_ms": 200})
        body = {"symbol": "BTCUSDT", "timeframe": "1m", "start_date": "2025-05-20", "end_date": "2025-08-17"}
        job = client.post("/data/fetch", json=dict(body, **{"async": True})).json()["job_id"]
        end = time.monotonic() + 60
        while client.get(f"/backtest/{job}/status").json()["progress"] < 0.05:  # some pages are in
            assert time.monotonic() < end
            time.sleep(0.05)
        r = client.delete(f"/backtest/{job}")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        end = time.monotonic() + 30
        while svc.jobs._events:  # the library returns at the next page and the pool thread ends
            assert time.monotonic() < end, "the fetch did not stop"
            time.sleep(0.05)
        st = client.get(f"/backtest/{job}/status").json()
        assert st["status"] == "cancelled" and st["error"] == "cancelled by the client" and st["progress"] < 1
        assert client.get(f"/backtest/{job}/results").status_code == 409
        # the pages downloaded before the cancel stay in the .ctz cache
        full = len(ct.Feed.load(support.candle_file("BTCUSDT", "1m")).slice(1747699200000, 1755475200000))
        assert full == 129600
        part = client.get("/data/BTCUSDT/1m").json()["rows"]
        assert 0 < part < full
        # a later fetch (no delay now) downloads only the rest and completes the range
        mock_control(mock, "/__reset", {})
        again = client.post("/data/fetch", json=dict(body, **{"async": True})).json()["job_id"]
        st = wait_done(client, again)
        assert st["status"] == "completed" and st["progress"] == 1.0, st
        cov = client.get(f"/backtest/{again}/results").json()["result"]
        assert cov["rows"] == full and cov["first_time_ms"] == 1747699200000
        assert len(kline_requests(mock)) < full // 1000  # fewer pages than the whole range
        assert client.delete(f"/backtest/{again}").json()["status"] == "completed"
    finally:
        mock.stop()


def test_a_fetch_job_resumes_after_a_restart(make_client):
    mock = support.BinanceMock()
    try:
        over = dict(CRYPTOTA_BINANCE_URL=mock.url, CRYPTOTA_CANDLE_DIRS="")
        client = make_client(**over)
        svc = client.app.state.svc
        svc.jobs.dispatch = lambda *a, **k: None  # the process "dies" before the download starts
        job = client.post("/data/fetch", json=dict(FETCH, **{"async": True})).json()["job_id"]
        svc.stop()
        client2 = make_client(**over)  # same data directory and database
        st = wait_done(client2, job)
        assert st["status"] == "completed", st
        ref = ct.Feed.load(support.candle_file("ETHUSDT", "1h")).slice(1546300800000, 1609459200000)
        assert client2.get(f"/backtest/{job}/results").json()["result"]["rows"] == len(ref)
        # with CRYPTOTA_RESUME_JOBS=false it fails with the reason, like any job
        client2.app.state.svc.jobs.dispatch = lambda *a, **k: None
        left = client2.post("/data/fetch", json=dict(FETCH, **{"async": True})).json()["job_id"]
        client2.app.state.svc.stop()
        client3 = make_client(CRYPTOTA_RESUME_JOBS="false", **over)
        st = client3.get(f"/backtest/{left}/status").json()
        assert st["status"] == "failed" and "service restart" in st["error"]
    finally:
        mock.stop()


def test_bearer_auth(make_client):
    client = make_client(CRYPTOTA_API_TOKEN="s3cret-token")
    r = client.get("/strategies")
    assert r.status_code == 401 and "missing bearer token" in r.text
    r = client.get("/strategies", headers={"Authorization": "Bearer wrong-token"})
    assert r.status_code == 401 and "invalid bearer token" in r.text
    assert client.get("/openapi.json").status_code == 401
    ok = {"Authorization": "Bearer s3cret-token"}
    assert client.get("/strategies", headers=ok).status_code == 200
    assert client.get("/health").status_code == 200  # /health needs no token
    job = submit(client, headers=ok)
    assert wait_done(client, job["job_id"], headers=ok)["status"] == "completed"


def test_rate_limit_token_bucket(make_client):
    client = make_client(CRYPTOTA_RATE_LIMIT="0.1", CRYPTOTA_RATE_BURST="3")
    codes = [client.get("/strategies").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # a burst of 3, then empty
    r = client.get("/strategies")
    assert r.status_code == 429
    # refill at 0.1 token/s: a full token is at most 10 s away (rounded up to whole seconds)
    assert 1 <= int(r.headers["Retry-After"]) <= 10
    assert client.get("/health").status_code == 200  # not limited


def test_openapi_docs_and_cors(make_client):
    client = make_client(CRYPTOTA_CORS_ORIGINS="https://app.example.com")
    spec = client.get("/openapi.json").json()
    for p in ("/backtest/run", "/backtest/{job_id}/status", "/backtest/{job_id}/results", "/backtest/{job_id}/report",
              "/backtest/{job_id}", "/backtest/optimize", "/data/fetch", "/data/{symbol}/{timeframe}",
              "/backtests", "/strategies", "/indicators", "/health"):
        assert p in spec["paths"], p
    assert "swagger" in client.get("/docs").text.lower()
    r = client.options("/strategies", headers={"Origin": "https://app.example.com",
                                               "Access-Control-Request-Method": "GET"})
    assert r.headers.get("access-control-allow-origin") == "https://app.example.com"
    r = client.options("/strategies", headers={"Origin": "https://evil.example.com",
                                               "Access-Control-Request-Method": "GET"})
    assert r.headers.get("access-control-allow-origin") is None


def test_json_logs_have_no_secrets(make_client, capfd):
    client = make_client(CRYPTOTA_API_TOKEN="s3cret-token", CRYPTOTA_LOG_LEVEL="info")
    ok = {"Authorization": "Bearer s3cret-token"}
    job = submit(client, headers=ok)
    wait_done(client, job["job_id"], headers=ok)
    client.get("/strategies?x=s3cret-token")
    err = capfd.readouterr().err
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    reqs = [x for x in lines if x["event"] == "request"]
    assert any(x["path"] == "/backtest/run" and x["status"] == 202 for x in reqs)
    jobs = [x["state"] for x in lines if x["event"] == "job" and x["job_id"] == job["job_id"]]
    assert jobs[:1] == ["submitted"] and "completed" in jobs
    assert "s3cret" not in err


def test_restart_resumes_or_fails_queued_jobs(make_client, make_env):
    from cryptota_service.db import Database, Run
    client = make_client()
    app = client.app
    svc = app.state.svc
    svc.jobs.dispatch = lambda *a, **k: None  # this process "dies" before running anything
    queued = [submit(client, dict(BT, parameters={"rsi_period": p}))["job_id"] for p in (11, 12)]
    opt = submit(client, OPT, path="/backtest/optimize")["job_id"]
    db = Database(svc.settings.database_url)
    with db.session() as s:  # one was mid-run, one has a request a newer version cannot read
        s.get(Run, queued[1]).status = "running"
        broken = Run(id="f" * 32, kind="backtest", status="submitted", strategy="rsi", symbol="BTCUSDT",
                     timeframe="1h", request="{not json", config="{}")
        s.add(broken)
    svc.stop()
    client2 = make_client()  # same data dir and database: the restarted service
    for j in queued + [opt]:
        assert wait_done(client2, j)["status"] == "completed"
    st = client2.get("/backtest/" + "f" * 32 + "/status").json()
    assert st["status"] == "failed" and "restart" in st["error"]
    # with CRYPTOTA_RESUME_JOBS=false, unfinished jobs fail with the reason instead
    client2.app.state.svc.jobs.dispatch = lambda *a, **k: None
    left = submit(client2, dict(BT, parameters={"rsi_period": 13}))["job_id"]
    client2.app.state.svc.stop()
    client3 = make_client(CRYPTOTA_RESUME_JOBS="false")
    st = client3.get(f"/backtest/{left}/status").json()
    assert st["status"] == "failed" and "service restart" in st["error"]
    db.dispose()


def test_config_is_validated_at_start(make_env, workdir):
    from cryptota_service.config import ConfigError, load_settings
    for key, val, words in [("PORT", "80000", "PORT"), ("CRYPTOTA_RATE_LIMIT", "fast", "CRYPTOTA_RATE_LIMIT"),
                            ("DATABASE_URL", "mysql://x@h/db", "DATABASE_URL"),
                            ("CELERY_BROKER_URL", "amqp://h", "CELERY_BROKER_URL"),
                            ("CRYPTOTA_CORS_ORIGINS", "not an origin", "CRYPTOTA_CORS_ORIGINS"),
                            ("CRYPTOTA_RESUME_JOBS", "maybe", "CRYPTOTA_RESUME_JOBS"),
                            ("CRYPTOTA_API_TOKEN", "short", "CRYPTOTA_API_TOKEN")]:
        with pytest.raises(ConfigError, match=words):
            load_settings(environ=make_env(**{key: val}))
    # a .env file is read, and the environment wins over it
    envfile = os.path.join(workdir, "service.env")
    with open(envfile, "w") as fh:
        fh.write("# comment\nCRYPTOTA_MAX_GRID=77\nexport PORT='9009'\nDATABASE_URL=postgresql://u:pw@db/x\n")
    s = load_settings(environ=make_env(PORT="9010"), env_file=envfile)
    assert s.max_grid == 77 and s.port == 9010
    assert ":pw@" not in json.dumps(s.public_dict())  # (a random temporary directory name may hold "pw")
    # the command line entry point prints one clear line and exits 2
    p = subprocess.run([support.PY, "-m", "cryptota_service"], env=support.child_env(**make_env(PORT="0x1")),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "configuration error: PORT='0x1'" in p.stderr


def test_token_bucket_arithmetic():
    from cryptota_service.ratelimit import TokenBucket
    b = TokenBucket(rate=2.0, burst=3)
    # a full bucket of 3: three requests at t=100 pass, the fourth waits (1 - 0) / 2 = 0.5 s
    assert [b.take("c", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.take("c", 100.0) == pytest.approx(0.5)
    # 0.25 s later half a token is back: still 0.25 s to wait; at +0.5 s one token: it passes
    assert b.take("c", 100.25) == pytest.approx(0.25)
    assert b.take("c", 100.5) == 0.0
    assert b.take("other", 100.5) == 0.0  # buckets are per client
    assert TokenBucket.retry_after(0.25) == 1 and TokenBucket.retry_after(1.01) == 2
    assert TokenBucket(0, 5).take("c") == 0.0  # rate 0 disables limiting


def test_health_is_503_when_the_database_is_down(client):
    from sqlalchemy.exc import OperationalError
    svc = client.app.state.svc

    def down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))
    svc.db.ping = down
    r = client.get("/health")
    assert r.status_code == 503
    h = r.json()
    assert h["status"] == "degraded" and h["database"] == {"status": "error", "error": "OperationalError"}
    assert h["workers"]["status"] == "ok"  # the other parts still report their own status


def test_redis_down_does_not_fail_submissions_or_jobs(make_client):
    # The result cache is an optimization. With REDIS_URL unreachable a backtest submission was
    # a 500 (the cache lookup raised) and no job existed; a job whose result could not be stored
    # in the cache failed ("internal error: ConnectionError")
    client = make_client(REDIS_URL=f"redis://127.0.0.1:{support.free_port()}/0")
    job = submit(client)
    assert wait_done(client, job["job_id"])["status"] == "completed"
    res = client.get(f"/backtest/{job['job_id']}/results").json()
    assert res["result"] == direct_backtest().to_dict()
    h = client.get("/health")
    assert h.status_code == 503 and h.json()["redis"]["status"] == "error"  # still reported


def test_a_job_the_broker_cannot_take_fails_with_the_reason(make_client):
    # Celery's broker unreachable: the submission was a 500 after the job row was written, and
    # the row stayed "submitted" forever (nothing would ever run it)
    client = make_client(CELERY_BROKER_URL=f"redis://127.0.0.1:{support.free_port()}/0")
    r = client.post("/backtest/optimize", json=OPT)
    assert r.status_code == 503, r.text
    body = r.json()
    assert "could not queue the job" in body["detail"] and len(body["job_id"]) == 32
    st = client.get(f"/backtest/{body['job_id']}/status").json()
    assert st["status"] == "failed" and "could not queue the job" in st["error"], st
    assert client.get("/backtests", params={"status": "submitted"}).json()["total"] == 0


def test_a_job_that_keeps_stopping_the_service_is_not_resumed_forever(make_client):
    # A job running when the process died is resumed at the next start. One that takes the
    # process down (out of memory, a crash) did so at every start: each start of a job counts
    # an attempt, and after 3 the job fails with the reason instead of running again.
    from cryptota_service.db import Run
    client = make_client()
    svc = client.app.state.svc
    svc.jobs.dispatch = lambda *a, **k: None
    poison = submit(client, dict(BT, parameters={"rsi_period": 11}))["job_id"]
    once = submit(client, dict(BT, parameters={"rsi_period": 12}))["job_id"]
    with svc.db.session() as s:
        s.get(Run, poison).status, s.get(Run, poison).attempts = "running", 3
        s.get(Run, once).status, s.get(Run, once).attempts = "running", 1
    svc.stop()
    client2 = make_client()
    st = wait_done(client2, poison)
    assert st["status"] == "failed" and "interrupted 3 times" in st["error"], st
    assert wait_done(client2, once)["status"] == "completed"  # resumed: its second attempt


def test_a_database_outage_during_a_job_does_not_leave_it_running(make_client):
    # The database goes away for 1.5 s as a grid search starts (a PostgreSQL restart, a lost
    # connection): its progress writes and its final write meet the outage. The progress write
    # raised inside the library's callback and the job's last status write raised too, so the
    # job stayed "running" forever; now progress is best effort and the outcome is retried.
    import threading

    from sqlalchemy.exc import OperationalError
    client = make_client()
    svc = client.app.state.svc
    real_session, real_optimize = svc.db.Session, svc.engine.optimize
    down = threading.Event()

    def session(*a, **k):
        if down.is_set():
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return real_session(*a, **k)

    def optimize(*a, **k):
        down.set()
        threading.Timer(1.5, down.clear).start()
        return real_optimize(*a, **k)
    svc.db.Session, svc.engine.optimize = session, optimize
    job = submit(client, OPT, path="/backtest/optimize")["job_id"]
    time.sleep(0.2)
    assert down.is_set()
    r = client.get(f"/backtest/{job}/status")  # the API answers 503 meanwhile (it was a 500)
    assert r.status_code == 503 and "database unavailable" in r.json()["detail"], r.text
    while down.is_set():
        time.sleep(0.05)
    st = wait_done(client, job, timeout=60)
    assert st["status"] == "completed", st
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(T0, T1)
    ref = json.loads(ct.optimize(feed, "rsi", grid=OPT["parameter_grid"], metric="sharpe_ratio",
                                 config={"capital": 10000.0, "commission": 0.001}).to_json())
    assert client.get(f"/backtest/{job}/results").json()["result"] == ref


def test_a_shard_redelivered_after_its_worker_died_in_the_merge_finishes_the_job(make_client):
    # Celery redelivers a shard whose worker died (acks_late). When the worker that stored the
    # last shard died while merging, the job was left "merging" (shown as running) forever: the
    # redelivered shard found its result stored, could not claim the merge again and returned.
    from cryptota_service.jobs import execute_shard
    client = make_client()
    svc = client.app.state.svc
    svc.jobs.dispatch = lambda *a, **k: None
    job = submit(client, OPT, path="/backtest/optimize")["job_id"]
    n = 3
    for k in range(n - 1):
        assert execute_shard(svc.db, svc.engine, job, k, n, worker="w1") == "shard_done"

    class WorkerLost(BaseException):  # like SIGKILL: no handler of the job runs
        pass

    real_merge = svc.engine.merge

    def die(docs):
        raise WorkerLost()
    svc.engine.merge = die
    with pytest.raises(WorkerLost):
        execute_shard(svc.db, svc.engine, job, n - 1, n, worker="w1")
    assert client.get(f"/backtest/{job}/status").json()["status"] == "running"
    svc.engine.merge = real_merge
    assert execute_shard(svc.db, svc.engine, job, n - 1, n, worker="w2") == "completed"
    st = client.get(f"/backtest/{job}/status").json()
    assert st["status"] == "completed" and st["progress"] == 1.0, st
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(T0, T1)
    ref = json.loads(ct.optimize(feed, "rsi", grid=OPT["parameter_grid"], metric="sharpe_ratio",
                                 config={"capital": 10000.0, "commission": 0.001}).to_json())
    assert client.get(f"/backtest/{job}/results").json()["result"] == ref


def test_request_bodies_over_the_limit_are_refused_unread(make_client):
    # uvicorn reads a body of any size into memory before the handler sees it
    client = make_client(CRYPTOTA_MAX_BODY="2048")
    big = json.dumps(dict(BT, parameters={"rsi_period": 14}, pad="x" * 4000))
    r = client.post("/backtest/run", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "over the limit of 2048 (CRYPTOTA_MAX_BODY)" in r.json()["detail"]

    def chunks():
        yield json.dumps(BT).encode()
    r = client.post("/backtest/run", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 411 and "Content-Length" in r.json()["detail"]
    assert client.get("/backtests").json()["total"] == 0
    # a body under the limit is taken as before
    assert client.post("/backtest/run", json=BT).status_code == 202
