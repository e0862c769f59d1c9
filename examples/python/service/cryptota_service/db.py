"""SQLAlchemy models: runs (backtests, optimizations, fetches) and the shards of distributed jobs.

SQLite (a file under the data directory) is the default; PostgreSQL when DATABASE_URL says so.
JSON documents are stored as text so the same schema works on both. The schema is created at
start (create_all), which is idempotent.
"""

from __future__ import annotations

import datetime as _dt
import json
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from sqlalchemy import (BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Integer, String, Text,
                        UniqueConstraint, create_engine, event, inspect, text)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base, deferred, sessionmaker
from sqlalchemy.pool import QueuePool

Base = declarative_base()

TERMINAL = ("completed", "failed", "cancelled")


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


class Run(Base):
    """One backtest, optimization or fetch job and, when done, its result document."""

    __tablename__ = "runs"
    id = Column(String(32), primary_key=True)
    # backtest | optimize | fetch: free text (no CHECK constraint or enum type on either backend),
    # so a new kind needs no migration
    kind = Column(String(16), nullable=False, index=True)
    status = Column(String(16), nullable=False, index=True)      # submitted running completed failed cancelled
    progress = Column(Float, nullable=False, default=0.0)
    # the counts behind progress, JSON {"done", "total", "unit"} ("bars" of a fetch, "combinations"
    # of a search); NULL until the library reports them
    progress_detail = Column(Text)
    strategy = Column(String(64), nullable=False, index=True)  # "" for a fetch
    symbol = Column(String(32), nullable=False, index=True)
    timeframe = Column(String(8), nullable=False)
    start_ms = Column(BigInteger)
    end_ms = Column(BigInteger)
    parameters = Column(Text)            # JSON object (backtest) or parameter grid (optimize)
    config = Column(Text)                # JSON object (engine config)
    request = Column(Text, nullable=False)  # the validated request, to resume after a restart
    # headline metrics (null when undefined, e.g. no trades)
    total_return = Column(Float)
    sharpe_ratio = Column(Float)
    max_drawdown = Column(Float)
    win_rate = Column(Float)
    total_trades = Column(Integer)
    cache_key = Column(String(128), index=True)
    cached = Column(Boolean, nullable=False, default=False)
    error = Column(Text)
    # large documents, loaded only by the endpoints that return them (undefer)
    result = deferred(Column(Text))      # the library's result document, or a fetch's coverage (JSON)
    report_html = deferred(Column(Text))  # the library's HTML report (backtests, walk-forward)
    shards_total = Column(Integer, nullable=False, default=0)
    shards_done = Column(Integer, nullable=False, default=0)
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    started_at = Column(DateTime)
    finished_at = Column(DateTime)

    def summary(self) -> dict:
        return {
            "job_id": self.id, "kind": self.kind, "status": self.status,
            "strategy": self.strategy or None, "symbol": self.symbol, "timeframe": self.timeframe,
            "parameters": loads(self.parameters), "config": loads(self.config),
            "total_return": self.total_return, "sharpe_ratio": self.sharpe_ratio,
            "max_drawdown": self.max_drawdown, "win_rate": self.win_rate,
            "total_trades": self.total_trades, "cached": bool(self.cached), "error": self.error,
            "created_at": iso(self.created_at), "finished_at": iso(self.finished_at),
        }


class Shard(Base):
    """One shard (k of n) of a distributed optimization and its partial result."""

    __tablename__ = "shards"
    __table_args__ = (UniqueConstraint("job_id", "k", name="uq_shard_job_k"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    job_id = Column(String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True)
    k = Column(Integer, nullable=False)
    n = Column(Integer, nullable=False)
    status = Column(String(16), nullable=False, default="queued")
    worker = Column(String(128))
    attempts = Column(Integer, nullable=False, default=0)
    result = Column(Text)
    updated_at = Column(DateTime, default=utcnow, onupdate=utcnow)


def iso(t: Optional[_dt.datetime]) -> Optional[str]:
    return t.isoformat() + "Z" if t else None


def loads(s: Optional[str]) -> Any:
    return json.loads(s) if s else None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # a pool of open connections (SQLAlchemy 1.4 opens and closes one per session for SQLite
        # files otherwise, which costs a WAL checkpoint per request)
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                            poolclass=QueuePool, pool_size=8, max_overflow=16, pool_pre_ping=True)

        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _rec):  # WAL: readers do not block the writer (workers share the file)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives a crash of the process; only an OS crash or power
            # loss can drop the last commits (SQLite's recommended setting for WAL)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return eng
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """The engine, a session factory and the schema."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.Session = sessionmaker(bind=self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)
        # columns added after a release: create_all makes missing tables, not missing columns
        for name, sql_type in (("progress_detail", "TEXT"),):
            if name in {c["name"] for c in inspect(self.engine).get_columns("runs")}:
                continue
            try:
                with self.engine.begin() as c:
                    c.execute(text(f"ALTER TABLE runs ADD COLUMN {name} {sql_type}"))
            except Exception:  # noqa: BLE001 - another process added it first
                if name not in {c["name"] for c in inspect(self.engine).get_columns("runs")}:
                    raise

    @contextmanager
    def session(self) -> Iterator[Any]:
        s = self.Session()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def ping(self) -> None:
        with self.engine.connect() as c:
            c.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
