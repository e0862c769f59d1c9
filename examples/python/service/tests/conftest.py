"""Fixtures of the service tests.

CT_SERVICE_DB selects the database of the API suite: `sqlite` (default; a file in a temporary
directory) or `postgresql` (a real server started here with initdb/pg_ctl as an unprivileged
user on a loopback port; each test gets a fresh database).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Iterator

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import support  # noqa: E402

BACKEND = os.environ.get("CT_SERVICE_DB", "sqlite")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    if BACKEND != "postgresql":
        yield None
        return
    pg = support.Postgres().start()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture
def workdir() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="ct-service-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def make_env(workdir: str, postgres: Any) -> Callable[..., Dict[str, str]]:
    """The environment of a service instance: data dir in workdir, candles from CT_DATA_DIR."""
    db_url = postgres.new_database() if postgres is not None else None

    def build(**over: str) -> Dict[str, str]:
        env = {
            "CRYPTOTA_DATA_DIR": os.path.join(workdir, "data"),
            "CRYPTOTA_CANDLE_DIRS": support.data_dir(),
            "CRYPTOTA_RATE_LIMIT": "0",
            "CRYPTOTA_WORKERS": "2",
            "CRYPTOTA_LOG_LEVEL": "warning",
        }
        if db_url:
            env["DATABASE_URL"] = db_url
        for k in ("CRYPTOTA_LIB", "CT_CLI", "PATH", "HOME"):
            if os.environ.get(k):
                env[k] = os.environ[k]
        env.update(over)
        return env
    return build


@pytest.fixture
def make_client(make_env: Callable[..., Dict[str, str]]) -> Iterator[Callable[..., Any]]:
    """TestClient factory; every app made is shut down at the end of the test."""
    from fastapi.testclient import TestClient

    from cryptota_service.app import create_app
    from cryptota_service.config import load_settings
    made = []

    def build(**over: str) -> Any:
        settings = load_settings(environ=make_env(**over))
        app = create_app(settings)
        c = TestClient(app)
        made.append(app)
        return c
    yield build
    for app in made:
        app.state.svc.stop()


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    return make_client()


def wait_done(client: Any, job_id: str, timeout: float = 60.0, headers: Any = None) -> Dict[str, Any]:
    """Poll /backtest/{id}/status until the job is in a terminal state."""
    end = time.monotonic() + timeout
    while True:
        r = client.get(f"/backtest/{job_id}/status", headers=headers)
        assert r.status_code == 200, r.text
        st = r.json()
        if st["status"] in ("completed", "failed", "cancelled"):
            return st
        if time.monotonic() > end:
            raise AssertionError(f"job {job_id} still {st} after {timeout} s")
        time.sleep(0.05)
