"""Servers the service tests start on 127.0.0.1 (PostgreSQL, redis-server, Celery workers,
uvicorn, the Binance mock) and small helpers. Everything started here is stopped by the
fixture that started it; temporary directories are removed."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICE_DIR = os.path.dirname(HERE)
REPO = os.path.abspath(os.path.join(SERVICE_DIR, "..", "..", ".."))
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def data_dir() -> str:
    d = os.environ.get("CT_DATA_DIR")
    if not d or not os.path.isdir(d):
        raise RuntimeError("CT_DATA_DIR must point at the candle files (CTest sets it)")
    return d


def candle_file(symbol: str, tf: str) -> str:
    files = sorted(glob.glob(os.path.join(data_dir(), f"*_{symbol}_{tf}_*.csv*")))
    if not files:
        raise RuntimeError(f"no {symbol} {tf} candles in CT_DATA_DIR")
    return files[0]


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port: int, timeout: float = 20.0, proc: Optional[subprocess.Popen] = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def child_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    paths = [os.path.join(REPO, "bindings", "python"), SERVICE_DIR]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env


def stop(proc: Optional[subprocess.Popen], sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Stop a process started in its own session (and its children) by its id."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


# ---- PostgreSQL ------------------------------------------------------------------------------
def pg_bin() -> Optional[str]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


class Postgres:
    """A throwaway cluster (initdb + pg_ctl) owned by an unprivileged user, on a loopback port."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
        self.root = tempfile.mkdtemp(prefix="ct-service-pg-")
        self.user: Optional[str] = None
        if os.geteuid() == 0:  # initdb refuses root: run the server as `nobody` (or a new user)
            self.user = "nobody"
            try:
                pw = pwd.getpwnam(self.user)
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", "ctpgtest"], check=True)
                self.user = "ctpgtest"
                pw = pwd.getpwnam(self.user)
            os.chmod(self.root, 0o700)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.data = os.path.join(self.root, "data")
        self.port = free_port()

    def _run(self, args: List[str], **kw: Any) -> subprocess.CompletedProcess:
        if self.user:
            args = ["runuser", "-u", self.user, "--", *args]
        return subprocess.run(args, capture_output=True, text=True, cwd=self.root, **kw)

    def start(self) -> "Postgres":
        p = self._run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres", "-A", "trust",
                       "-E", "UTF8", "--no-sync"])
        if p.returncode != 0:
            raise RuntimeError(f"initdb failed: {p.stderr}")
        opts = f"-p {self.port} -h 127.0.0.1 -k {self.root} -F -c fsync=off -c max_connections=200"
        p = self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-o", opts, "-l",
                       os.path.join(self.root, "log"), "-w", "-t", "60", "start"])
        if p.returncode != 0:
            log = open(os.path.join(self.root, "log")).read() if os.path.exists(os.path.join(self.root, "log")) else ""
            raise RuntimeError(f"pg_ctl start failed: {p.stderr} {log}")
        return self

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        import psycopg2
        name = "t" + uuid.uuid4().hex[:12]
        c = psycopg2.connect(self.url())
        c.autocommit = True
        c.cursor().execute(f"CREATE DATABASE {name}")
        c.close()
        return self.url(name)

    def stop(self) -> None:
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)


# ---- redis-server ----------------------------------------------------------------------------
class Redis:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="ct-service-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_port(self.port, proc=self.proc)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- Celery workers ---------------------------------------------------------------------------
# The worker options of docker-compose.yml (test_compose.py checks that the file uses them).
WORKER_ARGS = ["--pool=solo", "--concurrency=1", "-Q", "cryptota", "--without-gossip", "--without-mingle",
               "--loglevel=WARNING"]


def start_worker(name: str, env: Dict[str, str], log_path: str) -> subprocess.Popen:
    """`celery -A cryptota_service.worker worker`, the same command as docker-compose.yml."""
    log = open(log_path, "w")
    return subprocess.Popen(
        [PY, "-m", "celery", "-A", "cryptota_service.worker", "worker", *WORKER_ARGS, "-n", f"{name}@%h"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=SERVICE_DIR)


# ---- Binance mock ------------------------------------------------------------------------------
class BinanceMock:
    def __init__(self) -> None:
        script = os.path.join(REPO, "tests", "mock", "binance_mock.py")
        self.proc = subprocess.Popen([PY, script, "--data", data_dir(), "--port", "0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("PORT "):
            stop(self.proc)
            raise RuntimeError(f"binance_mock.py did not print its port (got {line!r})")
        self.port = int(line.split()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop(self.proc)
