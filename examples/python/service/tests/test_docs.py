"""Runs the curl walk-through of docs/service.md against live uvicorn servers.

Blocks marked `<!-- run: main -->` run against a service whose Binance URL is the local mock
(tests/mock/binance_mock.py) with an empty candle cache; `<!-- run: auth -->` against one with
CRYPTOTA_API_TOKEN=change-me-please, CRYPTOTA_RATE_LIMIT=0.2, CRYPTOTA_RATE_BURST=5. Each block
runs in bash with `set -euo pipefail`, and the answers are checked against what the page says.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import urllib.request

import support

DOC = os.path.join(support.REPO, "docs", "service.md")


def blocks(tag):
    text = open(DOC, encoding="utf-8").read()
    return re.findall(r"<!-- run: " + tag + r" -->\s*```sh\n(.*?)```", text, re.S)


def serve(workdir, name, **env):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    e = support.child_env(**{"CRYPTOTA_DATA_DIR": os.path.join(workdir, name), "CRYPTOTA_LOG_LEVEL": "warning",
                             "CRYPTOTA_RATE_LIMIT": "0", **env})
    for k in ("DATABASE_URL", "CELERY_BROKER_URL", "CRYPTOTA_CANDLE_DIRS", "CRYPTOTA_API_TOKEN"):
        if k not in env:
            e.pop(k, None)
    proc = subprocess.Popen([support.PY, "-m", "uvicorn", "--factory", "cryptota_service.app:create_app",
                             "--fd", str(sock.fileno()), "--log-level", "warning", "--no-access-log"],
                            env=e, pass_fds=(sock.fileno(),), stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(workdir, name + ".log"), "w"), start_new_session=True)
    sock.close()
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/health", timeout=5).read()
            return proc, url
        except OSError:
            assert proc.poll() is None, open(os.path.join(workdir, name + ".log")).read()
            assert time.monotonic() < end
            time.sleep(0.1)


def run_block(code, url, cwd):
    # a newline after each answer (curl prints bodies without one) so the test can split them
    with open(os.path.join(cwd, ".curlrc"), "w") as fh:
        fh.write('write-out = "\\n"\n')
    p = subprocess.run(["bash", "-c", "set -euo pipefail\n" + code], env=dict(os.environ, API=url, CURL_HOME=cwd),
                       cwd=cwd,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout[-3000:]}\nstderr:\n{p.stderr[-3000:]}"
    return p.stdout


def test_walkthrough_main(workdir):
    (main,) = blocks("main")
    mock = support.BinanceMock()
    proc = None
    try:
        proc, url = serve(workdir, "main", CRYPTOTA_BINANCE_URL=mock.url)
        out = run_block(main, url, workdir)
        lines = [x for x in out.splitlines() if x.strip()]
        health = json.loads(lines[0])
        assert health["status"] == "ok" and health["database"]["backend"] == "sqlite"
        fetched = [json.loads(x) for x in lines if x.startswith('{"symbol":"BTCUSDT"')]
        # 2021-01-01 .. 2021-12-31 inclusive: 365 days x 24 = 8760 bar slots, now in the .ctz
        # cache; Binance's history has 13 missing hours in 2021 (exchange outages), reported as gaps
        assert fetched[0]["rows"] + fetched[0]["missing_bars"] == 8760 and fetched[0]["in_cache"] is True
        assert fetched[0]["rows"] == 8747 and fetched[1] == fetched[0]
        # the fetch job: completed, and its results are the coverage of the synchronous call
        # (2020-01-01 .. 2021-12-31: 731 days x 24 = 17,544 hours, 31 missing in the history)
        jobs = [json.loads(x) for x in lines if x.startswith('{"job_id"') and '"kind":"fetch"' in x]
        assert [j["status"] for j in jobs if "status" in j] == ["completed"], jobs
        cov = [j["result"] for j in jobs if "result" in j]
        assert cov[0]["symbol"] == "ETHUSDT" and cov[0]["rows"] + cov[0]["missing_bars"] == 17544
        assert cov[0]["rows"] == 17513 and cov[0]["in_cache"] is True
        cached = [json.loads(x) for x in lines if '"cached":true' in x and x.startswith('{"job_id"')]
        assert cached and cached[0]["status"] == "completed"
        assert any('"status":"cancelled"' in x for x in lines), out
        res = json.load(open(os.path.join(workdir, "result.json")))
        assert res["cached"] is False and res["result"]["strategy"] == "rsi"
        assert "<svg" in open(os.path.join(workdir, "report.html")).read()
        assert "unknown parameter 'rsi_periodd'" in out and "empty date range" in out
        assert "oversold must be below overbought" in out
        assert "no candles for BTCUSDT 1h in the requested date range (the data covers 2021-01-01 00:00" in out
        listing = [json.loads(x) for x in lines if x.startswith('{"total"')]
        assert listing and listing[0]["runs"][0]["strategy"] == "rsi"
    finally:
        support.stop(proc)
        mock.stop()


def test_walkthrough_auth_and_rate_limit(workdir):
    (code,) = blocks("auth")
    proc = None
    try:
        proc, url = serve(workdir, "auth", CRYPTOTA_API_TOKEN="change-me-please", CRYPTOTA_RATE_LIMIT="0.2",
                          CRYPTOTA_RATE_BURST="5", CRYPTOTA_CANDLE_DIRS=support.data_dir())
        out = run_block(code, url, workdir)
        lines = [x for x in out.splitlines() if x.strip()]
        assert lines[0] == "401" and lines[1] == "401"
        assert lines[2].split() == ["200", "200", "200", "200", "429"]
        assert lines[3].lower().startswith("retry-after: ")
    finally:
        support.stop(proc)
