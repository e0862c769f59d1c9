"""Load test against a live uvicorn on loopback, bounded in count and time.

20 concurrent backtests (distinct parameters, so each is computed), then 200 concurrent
status and results requests (100 each) over those jobs, all released at once by a barrier.
The pass/fail condition is correctness only: every request answers 2xx with the right body
and every job completes. Latency percentiles are printed (docs/benchmarks.md `## REST
service` quotes them); no timing is asserted.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import support

BASE_BODY = {"strategy": "rsi", "symbol": "BTCUSDT", "timeframe": "1h", "start_date": "2021-01-01",
             "end_date": "2021-12-31", "initial_capital": 10000, "commission": 0.001}


def request(url, method="GET", body=None, timeout=60.0):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            payload = r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        payload, code = e.read(), e.code
    return code, payload, (time.perf_counter() - t0) * 1000.0


def burst(n, fn):
    """Run fn(i) on n threads released together; returns the results in order."""
    barrier = threading.Barrier(n)

    def go(i):
        barrier.wait(30)
        return fn(i)
    with ThreadPoolExecutor(max_workers=n) as ex:
        return list(ex.map(go, range(n)))


def pct(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def row(name, lat):
    return (f"| {name} | {len(lat)} | {pct(lat, 50):.1f} | {pct(lat, 90):.1f} | {pct(lat, 99):.1f} | "
            f"{max(lat):.1f} | {statistics.mean(lat):.1f} |")


def test_load_live_uvicorn(workdir):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    port = sock.getsockname()[1]
    env = support.child_env(CRYPTOTA_DATA_DIR=os.path.join(workdir, "data"), CRYPTOTA_CANDLE_DIRS=support.data_dir(),
                            CRYPTOTA_RATE_LIMIT="0", CRYPTOTA_WORKERS="2", CRYPTOTA_LOG_LEVEL="warning")
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    log = open(os.path.join(workdir, "uvicorn.log"), "w")
    proc = subprocess.Popen([support.PY, "-m", "uvicorn", "--factory", "cryptota_service.app:create_app",
                             "--fd", str(sock.fileno()), "--log-level", "warning", "--no-access-log",
                             "--backlog", "512"],
                            env=env, pass_fds=(sock.fileno(),), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=support.SERVICE_DIR)
    sock.close()
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 60
        while True:
            try:
                if request(base + "/health", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, open(os.path.join(workdir, "uvicorn.log")).read()
            assert time.monotonic() < end, "uvicorn did not come up"
            time.sleep(0.1)

        # 20 concurrent backtests: rsi_period 5..24, each computed (no cache hit)
        t0 = time.perf_counter()
        subs = burst(20, lambda i: request(base + "/backtest/run", "POST",
                                           dict(BASE_BODY, parameters={"rsi_period": 5 + i})))
        errors = [(c, p[:200]) for c, p, _ in subs if c != 202]
        assert not errors, errors
        ids = [json.loads(p)["job_id"] for _, p, _ in subs]
        assert all(not json.loads(p)["cached"] for _, p, _ in subs)
        pending = set(ids)
        deadline = time.monotonic() + 120
        while pending:
            for j in list(pending):
                c, p, _ = request(f"{base}/backtest/{j}/status")
                assert c == 200, p
                st = json.loads(p)["status"]
                assert st in ("submitted", "running", "completed"), p
                if st == "completed":
                    pending.discard(j)
            assert time.monotonic() < deadline, f"{len(pending)} backtests unfinished"
            time.sleep(0.05)
        all_done_ms = (time.perf_counter() - t0) * 1000.0

        # baseline in the same run: the same requests one at a time on an idle server
        base_post = []
        for p in range(30, 40):
            c, body, ms = request(base + "/backtest/run", "POST", dict(BASE_BODY, parameters={"rsi_period": p}))
            assert c == 202, body
            base_post.append(ms)
            j = json.loads(body)["job_id"]
            while json.loads(request(f"{base}/backtest/{j}/status")[1])["status"] != "completed":
                time.sleep(0.02)
        base_st = [request(f"{base}/backtest/{ids[i % 20]}/status")[2] for i in range(40)]
        base_rs = [request(f"{base}/backtest/{ids[i % 20]}/results")[2] for i in range(40)]

        # 200 concurrent requests: 100 status + 100 results over the 20 jobs
        def one(i):
            j = ids[i % 20]
            return ("status" if i % 2 == 0 else "results",) + request(
                f"{base}/backtest/{j}/{'status' if i % 2 == 0 else 'results'}")
        t1 = time.perf_counter()
        out = burst(200, one)
        burst_ms = (time.perf_counter() - t1) * 1000.0
        bad = [(k, c) for k, c, p, _ in out if c != 200]
        assert not bad, bad
        for k, c, p, _ in out:
            doc = json.loads(p)
            if k == "status":
                assert doc["status"] == "completed"
            else:
                assert doc["result"]["strategy"] == "rsi" and "metrics" in doc["result"]
        st = [ms for k, _, _, ms in out if k == "status"]
        rs = [ms for k, _, _, ms in out if k == "results"]
        size = statistics.mean(len(p) for k, _, p, _ in out if k == "results") / 1024
        print("\n| requests | n | p50 ms | p90 ms | p99 ms | max ms | mean ms |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print(row("POST /backtest/run (20 at once)", [ms for _, _, ms in subs]))
        print(row("GET status (in a burst of 200)", st))
        print(row(f"GET results, {size:.0f} KiB each (same burst)", rs))
        print(row("GET status + results (all 200)", st + rs))
        print(row("baseline: POST /backtest/run, one at a time", base_post))
        print(row("baseline: GET status, one at a time", base_st))
        print(row("baseline: GET results, one at a time", base_rs))
        print(f"burst/baseline p50: status {pct(st, 50) / pct(base_st, 50):.0f}x, "
              f"results {pct(rs, 50) / pct(base_rs, 50):.0f}x (200 requests queued on one process)")
        print(f"20 backtests (8760 bars each) submitted and completed in {all_done_ms:.0f} ms; "
              f"the 200-request burst took {burst_ms:.0f} ms; errors: 0")
    finally:
        support.stop(proc)
