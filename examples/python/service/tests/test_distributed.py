"""Distributed optimization: a real redis-server and two real Celery workers on 127.0.0.1.

The API (TestClient) splits an optimization into 4 library shards; the workers run them and
the last one merges. The merged table must equal the single-process table of the library
(ct.optimize without shards) exactly, also when a worker is killed (SIGKILL) in the middle
of a shard and the other worker picks the shard up after the visibility timeout. Candle
downloads (POST /data/fetch with "async": true) run on the workers too, from the local Binance
mock (tests/mock/binance_mock.py) into the data directory the API and the workers share.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

import cryptota as ct
import support
from conftest import wait_done

GRID = {"rsi_period": {"from": 2, "to": 61, "step": 1}, "oversold": {"from": 10, "to": 45, "step": 1}}
OPT = {"strategy": "rsi", "symbol": "BTCUSDT", "timeframe": "1h", "parameter_grid": GRID,
       "optimization_metric": "sharpe_ratio", "initial_capital": 10000, "commission": 0.001}


@pytest.fixture(scope="module")
def cluster(postgres):
    """redis-server + 2 workers sharing one SQLite file (or a PostgreSQL database when
    CT_SERVICE_DB=postgresql) and the Binance mock; yields (env, workers, workdir)."""
    import shutil
    import tempfile
    workdir = tempfile.mkdtemp(prefix="ct-service-dist-")
    redis = support.Redis()
    mock = support.BinanceMock()
    env = {
        "CRYPTOTA_BINANCE_URL": mock.url,
        "CRYPTOTA_DATA_DIR": os.path.join(workdir, "data"),
        "CRYPTOTA_CANDLE_DIRS": support.data_dir(),
        "CELERY_BROKER_URL": redis.url,
        "CRYPTOTA_VISIBILITY_TIMEOUT": "4",
        "CRYPTOTA_OPT_THREADS": "1",
        "CRYPTOTA_SHARDS": "4",
        "CRYPTOTA_RATE_LIMIT": "0",
        "CRYPTOTA_LOG_LEVEL": "info",
        # every shard stays "running" for 1 s first, so the worker-loss test can kill a worker
        # mid-shard however fast the optimization itself is
        "CRYPTOTA_TEST_SHARD_DELAY": "1.0",
    }
    if postgres is not None:
        env["DATABASE_URL"] = postgres.new_database()
    os.makedirs(env["CRYPTOTA_DATA_DIR"], exist_ok=True)
    workers = {}
    try:
        for name in ("w1", "w2"):
            workers[name] = support.start_worker(name, support.child_env(**env), os.path.join(workdir, f"{name}.log"))
        yield env, workers, workdir
    finally:
        for w in workers.values():
            support.stop(w)
        redis.stop()
        mock.stop()
        for name in ("w1", "w2", "w3"):
            p = os.path.join(workdir, f"{name}.log")
            if os.path.exists(p):
                tail = open(p).read()[-3000:]
                if "Traceback" in tail:
                    print(f"--- {name}.log ---\n{tail}")
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def api(cluster, make_client):
    env, workers, _ = cluster
    over = {k: v for k, v in env.items()}
    client = make_client(**over)
    end = time.monotonic() + 60
    while True:  # both workers answer the control ping
        h = client.get("/health").json()
        if h["workers"].get("count") == sum(1 for w in workers.values() if w.poll() is None):
            break
        assert time.monotonic() < end, h
        time.sleep(0.3)
    return client


def single_process_table(start_ms, end_ms, grid=GRID):
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(start_ms, end_ms)
    return json.loads(ct.optimize(feed, "rsi", grid=grid, metric="sharpe_ratio", threads=2,
                                  config={"capital": 10000.0, "commission": 0.001}).to_json())


def test_health_sees_redis_and_two_workers(api):
    h = api.get("/health").json()
    assert h["status"] == "ok" and h["redis"]["status"] == "ok"
    assert h["workers"]["mode"] == "celery" and h["workers"]["count"] == 2
    assert h["cache"]["backend"] == "redis"


def test_sharded_optimization_equals_single_process(api):
    body = dict(OPT, start_date="2019-01-01", end_date="2020-12-31")
    job = api.post("/backtest/optimize", json=body).json()
    st = wait_done(api, job["job_id"], timeout=120)
    assert st["status"] == "completed", st
    assert st["shards"] == {"total": 4, "done": 4}
    doc = api.get(f"/backtest/{job['job_id']}/results").json()["result"]
    ref = single_process_table(1546300800000, 1609459200000)  # 2019-01-01 .. 2021-01-01
    # 60 periods x 36 oversold levels = 2160 combinations, all in one merged table
    assert doc["total"] == 2160 and len(doc["rows"]) == ref["evaluated"]
    assert doc == ref


def test_worker_killed_mid_shard_is_retried_by_the_other(api, cluster):
    from cryptota_service.db import Database, Shard
    env, workers, workdir = cluster
    grid = {"rsi_period": {"from": 2, "to": 31, "step": 1}, "oversold": {"from": 10, "to": 45, "step": 1}}
    body = dict(OPT, start_date="2019-01-01", end_date="2020-12-31", parameter_grid=grid)
    job = api.post("/backtest/optimize", json=body).json()["job_id"]
    db = Database(api.app.state.svc.settings.database_url)
    victim = workers["w1"]
    tag = f":{victim.pid}"
    end = time.monotonic() + 60
    killed_shard = None
    while killed_shard is None:  # wait until w1 is inside a shard, then kill it
        with db.session() as s:
            for sh in s.query(Shard).filter_by(job_id=job, status="running").all():
                if sh.worker and sh.worker.endswith(tag):
                    killed_shard = sh.k
        assert time.monotonic() < end, "w1 never started a shard"
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    st = wait_done(api, job, timeout=180)
    assert st["status"] == "completed", st
    with db.session() as s:
        sh = s.query(Shard).filter_by(job_id=job, k=killed_shard).one()
        assert sh.status == "done" and sh.attempts >= 2 and not sh.worker.endswith(tag)
    db.dispose()
    doc = api.get(f"/backtest/{job}/results").json()["result"]
    assert doc["total"] == 30 * 36  # rsi_period 2..31, oversold 10..45
    assert doc == single_process_table(1546300800000, 1609459200000, grid)  # 2019-01-01 .. 2021-01-01
    # bring a second worker back for any later test
    workers["w1"] = support.start_worker("w3", support.child_env(**env), os.path.join(workdir, "w3.log"))


def test_backtests_on_workers_and_the_shared_redis_cache(api):
    body = {"strategy": "rsi", "symbol": "BTCUSDT", "timeframe": "1h", "start_date": "2022-01-01",
            "end_date": "2022-06-30", "parameters": {"rsi_period": 10}}
    first = api.post("/backtest/run", json=body).json()
    assert wait_done(api, first["job_id"], timeout=60)["status"] == "completed"
    second = api.post("/backtest/run", json=body).json()
    assert second["cached"] is True and second["status"] == "completed"
    a = api.get(f"/backtest/{first['job_id']}/results").json()
    b = api.get(f"/backtest/{second['job_id']}/results").json()
    assert a["result"] == b["result"] and a["cache_key"] == b["cache_key"]
    feed = ct.Feed.load(support.candle_file("BTCUSDT", "1h")).slice(1640995200000, 1656633600000)
    ref = ct.backtest(feed, "rsi", params={"rsi_period": 10}, config={"capital": 10000.0, "commission": 0.001})
    assert a["cache_key"] == ref.cache_key() and a["result"] == ref.to_dict()


def test_cancel_a_distributed_optimization(api):
    body = dict(OPT, start_date="2018-01-01", end_date="2023-12-31")
    job = api.post("/backtest/optimize", json=body).json()["job_id"]
    assert api.delete(f"/backtest/{job}").json()["status"] == "cancelled"
    time.sleep(1.0)
    st = api.get(f"/backtest/{job}/status").json()
    assert st["status"] == "cancelled"
    assert api.get(f"/backtest/{job}/results").status_code == 409


def mock_control(url, path, body=None):
    """POST to a control endpoint of the Binance mock (/__config, /__reset) or GET /__log."""
    import urllib.request
    req = urllib.request.Request(url + path, json.dumps(body).encode() if body is not None else None,
                                 method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def kline_requests(url):
    return [x for x in mock_control(url, "/__log")["requests"] if x["path"].endswith("/klines")]


def test_fetch_jobs_run_on_the_workers(api):
    body = {"symbol": "SOLUSDT", "timeframe": "15m", "start_date": "2023-04-01", "end_date": "2023-06-30",
            "async": True}
    r = api.post("/data/fetch", json=body)
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    st = wait_done(api, job, timeout=60)
    assert st["status"] == "completed" and st["kind"] == "fetch" and st["progress"] == 1.0, st
    cov = api.get(f"/backtest/{job}/results").json()["result"]
    # 2023-04-01 .. 2023-07-01: 91 days x 96 quarter hours = 8,736 bar slots
    ref = ct.Feed.load(support.candle_file("SOLUSDT", "15m")).slice(1680307200000, 1688169600000)
    assert cov["rows"] == len(ref) and cov["in_cache"] is True and cov["source"].endswith(".ctz")
    assert api.get("/data/SOLUSDT/15m").json() == cov  # the worker wrote where the API reads


def test_cancel_a_fetch_on_a_worker(api, cluster):
    env, _, _ = cluster
    url = env["CRYPTOTA_BINANCE_URL"]
    mock_control(url, "/__config", {"delay_ms": 200})  # 130 pages of 1m bars take several seconds
    body = {"symbol": "BTCUSDT", "timeframe": "1m", "start_date": "2025-05-20", "end_date": "2025-08-17",
            "async": True}
    try:
        job = api.post("/data/fetch", json=body).json()["job_id"]
        end = time.monotonic() + 60
        while api.get(f"/backtest/{job}/status").json()["progress"] < 0.05:
            assert time.monotonic() < end
            time.sleep(0.05)
        assert api.delete(f"/backtest/{job}").json()["status"] == "cancelled"
        # the worker's cancel probe reads the row every 0.5 s; then no more kline requests come
        end = time.monotonic() + 30
        n = -1
        while n != len(kline_requests(url)):
            n = len(kline_requests(url))
            assert time.monotonic() < end, "the worker did not stop fetching"
            time.sleep(1.0)
        st = api.get(f"/backtest/{job}/status").json()
        assert st["status"] == "cancelled" and st["progress"] < 1
        full = 90 * 1440  # 2025-05-20 .. 2025-08-18, no gaps in the test data
        assert 0 < api.get("/data/BTCUSDT/1m").json()["rows"] < full
    finally:
        mock_control(url, "/__reset", {})
    again = api.post("/data/fetch", json=body).json()["job_id"]
    st = wait_done(api, again, timeout=60)
    assert st["status"] == "completed", st
    assert api.get(f"/backtest/{again}/results").json()["result"]["rows"] == full
    assert len(kline_requests(url)) < full // 1000  # only the rest was downloaded


def test_jobs_queued_while_no_worker_runs_survive_an_api_restart(cluster, make_client):
    env, workers, workdir = cluster
    for name in list(workers):  # every worker stops (warm shutdown)
        support.stop(workers.pop(name))
    client = make_client(**env)
    body = {"strategy": "rsi", "symbol": "BTCUSDT", "timeframe": "1h", "start_date": "2020-01-01",
            "end_date": "2020-03-31", "parameters": {"rsi_period": 12}}
    job = client.post("/backtest/run", json=body).json()["job_id"]
    opt = client.post("/backtest/optimize", json=dict(OPT, start_date="2020-01-01", end_date="2020-03-31",
                                                       parameter_grid={"rsi_period": [10, 14, 21]})).json()["job_id"]
    assert client.get("/health").json()["workers"]["count"] == 0
    client.app.state.svc.stop()  # the API goes away too; the tasks wait in Redis
    restarted = make_client(**env)
    for st in (restarted.get(f"/backtest/{j}/status").json() for j in (job, opt)):
        assert st["status"] == "submitted"
    workers["w4"] = support.start_worker("w4", support.child_env(**env), os.path.join(workdir, "w4.log"))
    assert wait_done(restarted, job, timeout=60)["status"] == "completed"
    st = wait_done(restarted, opt, timeout=60)
    assert st["status"] == "completed" and st["shards"] == {"total": 4, "done": 4}


def test_rate_limit_buckets_are_shared_through_redis(cluster, make_client):
    env, _, _ = cluster
    over = dict(env, CRYPTOTA_RATE_LIMIT="0.1", CRYPTOTA_RATE_BURST="4")
    a, b = make_client(**over), make_client(**over)  # two API instances, one Redis
    # one client (the test client's address), burst 4 shared: a, b, a, b pass, then both refuse
    codes = [c.get("/strategies").status_code for c in (a, b, a, b, a, b)]
    assert codes == [200, 200, 200, 200, 429, 429]
    r = b.get("/strategies")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 10  # 0.1 token/s
