"""Celery workers: `celery -A cryptota_service.worker worker` (CELERY_BROKER_URL=redis://...).

Tasks are acknowledged late and rejected when their worker is lost (acks_late,
reject_on_worker_lost), and the broker's visibility timeout is CRYPTOTA_VISIBILITY_TIMEOUT
seconds, so a task whose worker dies (killed, crashed, machine gone) is delivered again to
another worker. Every task is idempotent: a shard recomputes the same rows (the library is
deterministic), and the merge is claimed once by a conditional UPDATE (see jobs.py).
"""

from __future__ import annotations

import os
import socket
from typing import Any, Optional

from celery.signals import worker_process_init, worker_ready, worker_shutdown

from . import logs
from .celery_app import make_celery
from .config import ConfigError, Settings, load_settings


class _Context:
    """The worker process's settings, database, engine and cache (built on first use)."""

    settings: Optional[Settings] = None
    db: Any = None
    engine: Any = None
    cache: Any = None

    @classmethod
    def get(cls) -> "type[_Context]":
        if cls.db is None:
            from .cache import make_cache
            from .db import Database
            from .engine import Engine
            s = cls.settings or load_settings()
            cls.settings = s
            logs.set_level(s.log_level)
            cls.db = Database(s.database_url)
            cls.db.create_schema()
            cls.engine = Engine(s.data_dir, s.candle_dirs, s.cli_path, s.binance_url, s.opt_threads,
                                s.max_equity_points)
            cls.cache = make_cache(s.redis_url, s.cache_size)
        return cls


_settings = load_settings()
_Context.settings = _settings
if not _settings.celery_broker_url:
    raise ConfigError("CELERY_BROKER_URL: a worker needs the broker, e.g. redis://127.0.0.1:6379/0")
app = make_celery(_settings)
_WORKER = f"{socket.gethostname()}:{os.getpid()}"


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:  # connections must not be shared across fork()
    global _WORKER
    _WORKER = f"{socket.gethostname()}:{os.getpid()}"
    if _Context.db is not None:
        _Context.db.dispose()


class _Sweeper:
    """Re-queues messages whose worker died, once their visibility timeout has passed.

    With the Redis transport, a message delivered to a worker sits in an "unacked" set until
    the task finishes (acks_late). Kombu moves expired entries back to the queue only every
    tenth poll cycle of a live worker (about every 100 s), so a worker killed mid-task would
    hold its shard for minutes. This thread runs the same kombu restore (guarded by kombu's
    Redis mutex, so several workers can sweep at once) every visibility_timeout / 2 seconds.
    A task running longer than the visibility timeout is delivered twice: tasks are
    idempotent, but set CRYPTOTA_VISIBILITY_TIMEOUT above the longest shard.
    """

    stop = None

    @classmethod
    def start(cls) -> None:
        import threading
        cls.stop = threading.Event()
        period = max(0.5, _settings.visibility_timeout_s / 2)

        def loop() -> None:
            assert cls.stop is not None
            while not cls.stop.wait(period):
                try:
                    with app.connection_for_write() as conn:
                        ch = conn.default_channel
                        ch.qos.restore_visible(num=1000, interval=1)
                except Exception as e:  # noqa: BLE001 - the broker may be away for a while
                    logs.log("warning", "sweeper", error=f"{type(e).__name__}: {e}")
        threading.Thread(target=loop, name="cryptota-sweeper", daemon=True).start()


@worker_ready.connect
def _on_ready(**_: Any) -> None:
    if _settings.celery_broker_url and _settings.celery_broker_url.startswith("redis"):
        _Sweeper.start()
    logs.log("info", "worker_ready", worker=_WORKER)


@worker_shutdown.connect
def _on_shutdown(**_: Any) -> None:
    if _Sweeper.stop is not None:
        _Sweeper.stop.set()


@app.task(name="cryptota.job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: str) -> None:
    from .jobs import execute_job
    c = _Context.get()
    execute_job(c.db, c.engine, c.cache, job_id, worker=_WORKER)


@app.task(name="cryptota.shard", acks_late=True, reject_on_worker_lost=True)
def run_shard(job_id: str, k: int, n: int) -> str:
    from .jobs import execute_shard
    c = _Context.get()
    return execute_shard(c.db, c.engine, job_id, int(k), int(n), worker=_WORKER)
