"""Jobs: submission, execution, cancellation, restart recovery, and shard merging.

Kinds: backtest, optimize (grid search or walk-forward) and fetch (a Binance download into the
library's .ctz cache, POST /data/fetch with "async": true).

Two executors run the same functions (:func:`execute_job`, :func:`execute_shard`):
- in-process (default): a thread pool of CRYPTOTA_WORKERS threads in the API process;
- Celery (CELERY_BROKER_URL=redis://...): tasks in cryptota_service.worker. An optimization is
  split into CRYPTOTA_SHARDS library shards (`shard k of n`), each a task; the shard results are
  stored in the `shards` table and the worker that stores the last one merges them (the library's
  merge gives exactly the single-run table) after claiming the job with a conditional UPDATE, so
  a shard retried after a lost worker cannot merge twice.

Status values: submitted, running (with progress), completed, failed (with the error),
cancelled. A job row's status only moves forward: every transition is an UPDATE ... WHERE
status IN (...), so a cancelled job is never overwritten by a late result.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, update
from sqlalchemy.exc import InterfaceError, OperationalError

from . import logs
from .cache import request_key
from .db import TERMINAL, Database, Run, Shard, utcnow
from .engine import Cancelled, Engine, EngineError


def new_id() -> str:
    return uuid.uuid4().hex


# An in-process job found unfinished at start this many times (each start of it was ended by
# the process stopping: killed, out of memory, a crash) is failed instead of being run again,
# so a job that takes the process down cannot make every restart crash.
MAX_ATTEMPTS = 3


class DispatchError(Exception):
    """The job row exists but could not be queued (the broker is unreachable); the job is failed."""

    def __init__(self, job_id: str, message: str) -> None:
        super().__init__(message)
        self.job_id = job_id


def _set(db: Database, job_id: str, where: tuple, **values: Any) -> bool:
    """UPDATE runs SET values WHERE id = job_id AND status IN where; True when a row changed."""
    with db.session() as s:
        res = s.execute(update(Run).where(Run.id == job_id, Run.status.in_(where)).values(**values)
                        .execution_options(synchronize_session=False))
        return res.rowcount == 1


def _status(db: Database, job_id: str) -> Optional[str]:
    with db.session() as s:
        r = s.get(Run, job_id)
        return r.status if r else None


# A job keeps its result through a database restart or a lost connection: its status writes are
# retried this long (the pool reconnects; every transition is a conditional UPDATE, so a write
# retried after a commit whose answer was lost changes nothing). Without the retry, a job whose
# final write met the outage stayed "running" forever.
DB_RETRY_S = 120.0
_DB_DOWN = (OperationalError, InterfaceError)


def _retry(fn: Any, job_id: str, op: str, limit: Optional[float] = None) -> Any:
    delay = 0.25
    end = time.monotonic() + (DB_RETRY_S if limit is None else limit)
    while True:
        try:
            return fn()
        except _DB_DOWN as e:
            if time.monotonic() + delay > end:
                raise
            logs.log("warning", "database", job_id=job_id, op=op, error=f"{type(e).__name__}: {str(e)[:200]}",
                     retry_in_s=delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _set_retry(db: Database, job_id: str, where: tuple, **values: Any) -> bool:
    """_set, retried while the database is unreachable (job execution: its outcome must land)."""
    return _retry(lambda: _set(db, job_id, where, **values), job_id, "update")


class CancelCheck:
    """A cheap cancellation probe for progress callbacks (reads the DB at most every 0.5 s)."""

    def __init__(self, db: Database, job_id: str, event: Optional[threading.Event] = None) -> None:
        self.db, self.job_id, self.event = db, job_id, event
        self._last = 0.0
        self._cancelled = False

    def __call__(self) -> bool:
        if self._cancelled or (self.event is not None and self.event.is_set()):
            return True
        now = time.monotonic()
        if now - self._last >= 0.5:
            self._last = now
            try:
                self._cancelled = _status(self.db, self.job_id) == "cancelled"
            except _DB_DOWN:  # the database is away: keep running, ask again in 0.5 s
                pass
        return self._cancelled


class _Progress:
    """The library's progress callback for a job: stores the fraction and the counts behind it
    (progress_detail) at most twice a second; final() gives the last counts seen, for the row of
    the finished job (the last report may have come within the half second)."""

    def __init__(self, db: Database, job_id: str, unit: str) -> None:
        self.db, self.job_id, self.unit = db, job_id, unit
        self._last = 0.0
        self._counts: Optional[Tuple[int, int]] = None

    def _detail(self) -> Optional[str]:
        if self._counts is None:
            return None
        return json.dumps({"done": self._counts[0], "total": self._counts[1], "unit": self.unit})

    def __call__(self, done: int, total: int) -> None:
        self._counts = (int(done), int(total))
        now = time.monotonic()
        if now - self._last >= 0.5:
            self._last = now
            values: Dict[str, Any] = {"progress_detail": self._detail()}
            if total > 0:
                values["progress"] = done / total
            try:
                _set(self.db, self.job_id, ("running",), **values)
            except _DB_DOWN:  # progress is best effort: the database being away does not stop the job
                pass

    def final(self) -> Dict[str, Any]:
        return {"progress_detail": self._detail()} if self._counts is not None else {}


def _req_key(engine: Engine, req: Dict[str, Any]) -> Optional[str]:
    sig = engine.data_signature(req["symbol"], req["timeframe"])
    if sig is None:
        return None
    return request_key({"request": req, "data": sig})


def execute_job(db: Database, engine: Engine, cache: Any, job_id: str,
                event: Optional[threading.Event] = None, worker: str = "") -> None:
    """Run one whole job (a backtest, an unsharded optimization, a walk-forward, or a fetch)."""
    def read() -> Optional[Tuple[str, str]]:
        with db.session() as s:
            run = s.get(Run, job_id)
            if run is None or run.status in TERMINAL:
                return None
            return run.request, run.kind
    got = _retry(read, job_id, "read")
    if got is None:
        return
    req, kind = json.loads(got[0]), got[1]
    if not _set_retry(db, job_id, ("submitted", "running"), status="running", started_at=utcnow(),
                      progress=0.0, progress_detail=None, attempts=Run.attempts + 1):
        return
    logs.job_event(job_id, "running", kind=kind, worker=worker or socket.gethostname())
    cancel = CancelCheck(db, job_id, event)
    t0 = time.monotonic()
    try:
        if kind == "fetch":
            # progress is bars done / the library's estimate of the missing bars; the cancel
            # probe stops the download at the next page (completed pages stay in the cache)
            prog = _Progress(db, job_id, "bars")
            cov = engine.fetch(req["symbol"], req["timeframe"], req["start_ms"], req["end_ms"],
                               progress=prog, cancel=cancel)
            values = dict(result=json.dumps(cov), **prog.final())
        elif kind == "backtest":
            out = engine.backtest(req["symbol"], req["timeframe"], req.get("start_ms"), req.get("end_ms"),
                                  req["strategy"], req["parameters"], req["config"])
            values = dict(result=json.dumps(out["result"]), report_html=out["report_html"],
                          cache_key=out["cache_key"], **out["headline"])
            rk = _req_key(engine, req)
            if rk is not None:  # the cache is an optimization: its failures are logged (cache.py), not fatal
                cache.put(rk, out["cache_key"], {"result": out["result"], "report_html": out["report_html"],
                                                  "cache_key": out["cache_key"], "headline": out["headline"]})
        else:
            prog = _Progress(db, job_id, "combinations")
            if req.get("walk_forward"):
                doc = engine.walk_forward(req["symbol"], req["timeframe"], req.get("start_ms"), req.get("end_ms"),
                                          req["strategy"], req["parameter_grid"], req["config"],
                                          req["optimization_metric"], req["maximize"], req["walk_forward"],
                                          req.get("min_trades", 0), progress=prog,
                                          cancel=cancel)
            else:
                doc = engine.optimize(req["symbol"], req["timeframe"], req.get("start_ms"), req.get("end_ms"),
                                      req["strategy"], req["parameter_grid"], req["config"],
                                      req["optimization_metric"], req["maximize"], req.get("min_trades", 0),
                                      progress=prog, cancel=cancel)
            report = doc.pop("__report_html", None)
            values = dict(result=json.dumps(doc), report_html=report, **_opt_headline(doc), **prog.final())
        if cancel():
            raise Cancelled()
        if _set_retry(db, job_id, ("running",), status="completed", progress=1.0, finished_at=utcnow(), **values):
            logs.job_event(job_id, "completed", kind=kind, seconds=round(time.monotonic() - t0, 3))
    except Cancelled:
        logs.job_event(job_id, "cancelled", kind=kind)
    except _DB_DOWN as e:  # down for longer than DB_RETRY_S: the job is resumed after a restart
        logs.log("error", "database", job_id=job_id, op="update", error=f"{type(e).__name__}: {str(e)[:200]}",
                 gave_up_after_s=DB_RETRY_S)
    except EngineError as e:
        if _set_retry(db, job_id, ("running",), status="failed", error=str(e), finished_at=utcnow()):
            logs.job_event(job_id, "failed", kind=kind, error=str(e))
    except Exception as e:  # noqa: BLE001 - a job never takes the worker down
        msg = f"internal error: {type(e).__name__}: {e}"
        if _set_retry(db, job_id, ("running",), status="failed", error=msg, finished_at=utcnow()):
            logs.job_event(job_id, "failed", kind=kind, error=msg)


def _opt_headline(doc: Dict[str, Any]) -> Dict[str, Any]:
    """Headline columns of an optimization: the best combination's (or walk-forward OOS) metrics."""
    from .engine import headline
    best = doc.get("best") or {}
    metrics = best.get("metrics") or doc.get("oos_metrics") or doc.get("metrics") or {}
    return headline(metrics)


def execute_shard(db: Database, engine: Engine, job_id: str, k: int, n: int, worker: str = "") -> str:
    """Run shard k of n of an optimization; the worker storing the last shard merges. Returns a state."""
    def claim() -> Tuple[str, Any, bool, str]:
        with db.session() as s:
            run = s.get(Run, job_id)
            if run is None:
                return "missing", None, False, ""
            if run.status in TERMINAL:
                return run.status, None, False, run.status
            req = json.loads(run.request)
            sh = s.query(Shard).filter_by(job_id=job_id, k=k).one_or_none()
            if sh is not None and sh.status == "done":
                return "", req, True, run.status
            if sh is None:
                sh = Shard(job_id=job_id, k=k, n=n)
                s.add(sh)
            sh.status, sh.worker, sh.attempts = "running", worker, (sh.attempts or 0) + 1
            return "", req, False, run.status
    early, req, done_already, run_status = _retry(claim, job_id, "shard claim")
    if early:
        return early
    if not done_already:
        if _set_retry(db, job_id, ("submitted",), status="running", started_at=utcnow(), attempts=Run.attempts + 1):
            logs.job_event(job_id, "running", kind="optimize", shards=n)
        logs.job_event(job_id, "shard_running", shard=f"{k}/{n}", worker=worker)
        # Fault-injection hook for the worker-loss test: keeps a claimed shard running long
        # enough to kill its worker mid-shard. Unset (0) everywhere else.
        delay = float(os.environ.get("CRYPTOTA_TEST_SHARD_DELAY", "0") or 0)
        if delay > 0:
            time.sleep(delay)
        cancel = CancelCheck(db, job_id)
        try:
            doc = engine.optimize(req["symbol"], req["timeframe"], req.get("start_ms"), req.get("end_ms"),
                                  req["strategy"], req["parameter_grid"], req["config"],
                                  req["optimization_metric"], req["maximize"], req.get("min_trades", 0),
                                  shard=(k, n), cancel=cancel)
        except Cancelled:
            return "cancelled"
        except Exception as e:  # noqa: BLE001
            msg = str(e) if isinstance(e, EngineError) else f"internal error: {type(e).__name__}: {e}"
            if _set_retry(db, job_id, ("submitted", "running"), status="failed", finished_at=utcnow(),
                          error=f"shard {k}/{n}: {msg}"):
                logs.job_event(job_id, "failed", shard=f"{k}/{n}", error=msg)
            return "failed"

        def store() -> None:
            with db.session() as s:
                sh = s.query(Shard).filter_by(job_id=job_id, k=k).one()
                sh.status, sh.result = "done", json.dumps(doc)
        _retry(store, job_id, "shard store")
        logs.job_event(job_id, "shard_done", shard=f"{k}/{n}", worker=worker)

    def count() -> int:
        with db.session() as s:
            done = s.query(func.count(Shard.id)).filter(Shard.job_id == job_id, Shard.status == "done").scalar()
            s.execute(update(Run).where(Run.id == job_id, Run.status == "running")
                      .values(shards_done=done, progress=done / n).execution_options(synchronize_session=False))
            return int(done)
    done = _retry(count, job_id, "shard count")
    if done < n:
        return "shard_done"
    # the last shard: claim the merge once (a retried shard finds the job already merging or done).
    # A redelivered shard (its worker died after storing it: done_already) that finds the job still
    # merging merges again: the worker that claimed the merge may have died in it, and nothing else
    # would ever finish the job. Merging is deterministic and the final write is conditional, so a
    # second merge running beside a live one changes nothing.
    if not _set_retry(db, job_id, ("running", "submitted"), status="merging"):
        if not (done_already and run_status == "merging"):
            return "shard_done"
        logs.job_event(job_id, "merge_retried", shard=f"{k}/{n}", worker=worker)
    try:
        def shard_docs() -> List[Any]:
            with db.session() as s:
                rows = s.query(Shard).filter_by(job_id=job_id).order_by(Shard.k).all()
                return [json.loads(r.result) for r in rows]
        merged = engine.merge(_retry(shard_docs, job_id, "shard read"))
        if _set_retry(db, job_id, ("merging",), status="completed", progress=1.0, finished_at=utcnow(),
                      result=json.dumps(merged), **_opt_headline(merged)):
            logs.job_event(job_id, "completed", kind="optimize", shards=n)
        return "completed"
    except Exception as e:  # noqa: BLE001
        msg = str(e) if isinstance(e, EngineError) else f"internal error: {type(e).__name__}: {e}"
        if _set_retry(db, job_id, ("merging",), status="failed", error=f"merge: {msg}", finished_at=utcnow()):
            logs.job_event(job_id, "failed", error=f"merge: {msg}")
        return "failed"


class JobManager:
    """Creates job rows and hands them to the in-process pool or to Celery."""

    def __init__(self, settings: Any, db: Database, engine: Engine, cache: Any) -> None:
        self.settings = settings
        self.db = db
        self.engine = engine
        self.cache = cache
        self.pool: Optional[ThreadPoolExecutor] = None
        self._events: Dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.celery = None
        if settings.use_celery:
            from .celery_app import make_celery
            self.celery = make_celery(settings)
        else:
            self.pool = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="cryptota-job")

    # ---- submission --------------------------------------------------------------------------
    def submit(self, kind: str, req: Dict[str, Any]) -> Dict[str, Any]:
        """Create the job; a backtest found in the result cache completes at once (cached).

        A fetch job has no strategy or config: its row stores "" as strategy (the column is
        NOT NULL in existing databases) and null config and parameters."""
        job_id = new_id()
        common = dict(id=job_id, kind=kind, strategy=req.get("strategy", ""), symbol=req["symbol"],
                      timeframe=req["timeframe"], start_ms=req.get("start_ms"), end_ms=req.get("end_ms"),
                      config=json.dumps(req["config"]) if "config" in req else None, request=json.dumps(req))
        if kind == "backtest":
            common["parameters"] = json.dumps(req["parameters"])
            rk = _req_key(self.engine, req)
            hit = self.cache.get(rk) if rk else None
            if hit is not None:
                now = utcnow()
                with self.db.session() as s:
                    s.add(Run(status="completed", progress=1.0, cached=True, cache_key=hit["cache_key"],
                              result=json.dumps(hit["result"]), report_html=hit.get("report_html"),
                              created_at=now, started_at=now, finished_at=now, **hit["headline"], **common))
                logs.job_event(job_id, "completed", kind=kind, cached=True)
                return {"job_id": job_id, "status": "completed", "cached": True,
                        "message": "identical backtest found in the result cache; results are ready"}
        elif kind == "optimize":
            common["parameters"] = json.dumps(req["parameter_grid"])
        with self.db.session() as s:
            s.add(Run(status="submitted", progress=0.0, **common))
        what = {"strategy": req["strategy"]} if "strategy" in req else {"timeframe": req["timeframe"]}
        logs.job_event(job_id, "submitted", kind=kind, symbol=req["symbol"], **what)
        try:
            self.dispatch(job_id, kind, req)
        except Exception as e:  # noqa: BLE001 - e.g. Redis down: the row must not wait forever
            msg = f"could not queue the job: {type(e).__name__}: {e}"
            if _set(self.db, job_id, ("submitted", "running", "merging"), status="failed", error=msg,
                    finished_at=utcnow()):
                logs.job_event(job_id, "failed", kind=kind, error=msg)
            raise DispatchError(job_id, msg) from None
        return {"job_id": job_id, "status": "submitted", "cached": False,
                "message": f"{kind} job accepted; poll /backtest/{job_id}/status"}

    def dispatch(self, job_id: str, kind: str, req: Dict[str, Any]) -> None:
        if self.celery is not None:
            n = self.settings.shards
            if kind == "optimize" and not req.get("walk_forward") and n > 1:
                _set(self.db, job_id, ("submitted",), shards_total=n)
                for k in range(n):
                    self.celery.send_task("cryptota.shard", args=[job_id, k, n])
            else:
                self.celery.send_task("cryptota.job", args=[job_id])
            return
        ev = threading.Event()
        with self._lock:
            self._events[job_id] = ev
        assert self.pool is not None
        self.pool.submit(self._run_local, job_id, ev)

    def _run_local(self, job_id: str, ev: threading.Event) -> None:
        try:
            execute_job(self.db, self.engine, self.cache, job_id, ev, worker="in-process")
        finally:
            with self._lock:
                self._events.pop(job_id, None)

    # ---- cancellation ------------------------------------------------------------------------
    def cancel(self, job_id: str) -> Optional[str]:
        """Cancel a job that has not finished; returns the status after the call (None: unknown id)."""
        st = _status(self.db, job_id)
        if st is None:
            return None
        if st in TERMINAL:
            return st
        if _set(self.db, job_id, ("submitted", "running", "merging"), status="cancelled", finished_at=utcnow(),
                error="cancelled by the client"):
            with self._lock:
                ev = self._events.get(job_id)
            if ev is not None:
                ev.set()
            logs.job_event(job_id, "cancelled")
        return _status(self.db, job_id)

    # ---- restart recovery --------------------------------------------------------------------
    def recover(self) -> List[str]:
        """Jobs left unfinished by a previous process: resume them or fail them with the reason.

        With Celery the broker still holds their tasks (acks_late), so only in-process jobs are
        handled here.
        """
        if self.celery is not None:
            return []
        with self.db.session() as s:
            rows = s.query(Run).filter(Run.status.in_(("submitted", "running", "merging"))) \
                .order_by(Run.created_at).all()
            pending = [(r.id, r.kind, r.request, r.attempts or 0) for r in rows]
        out = []
        for job_id, kind, raw, attempts in pending:
            if attempts >= MAX_ATTEMPTS:
                _set(self.db, job_id, ("submitted", "running", "merging"), status="failed", finished_at=utcnow(),
                     error=f"interrupted {attempts} times by the service stopping while it ran (killed, out of "
                           f"memory or a crash); not resumed again")
                logs.job_event(job_id, "failed", reason="restart", attempts=attempts)
                continue
            if not self.settings.resume_jobs:
                _set(self.db, job_id, ("submitted", "running", "merging"), status="failed", finished_at=utcnow(),
                     error="interrupted by a service restart (CRYPTOTA_RESUME_JOBS=false); submit it again")
                logs.job_event(job_id, "failed", reason="restart")
                continue
            try:
                req = json.loads(raw)
                if kind == "fetch":  # resumed, it downloads only what the cache is missing
                    req["symbol"], req["timeframe"], int(req["start_ms"]), int(req["end_ms"])
                else:
                    req["strategy"], req["symbol"]
            except (ValueError, TypeError, KeyError):
                _set(self.db, job_id, ("submitted", "running", "merging"), status="failed", finished_at=utcnow(),
                     error="interrupted by a service restart and its stored request is unreadable")
                logs.job_event(job_id, "failed", reason="restart")
                continue
            _set(self.db, job_id, ("running", "merging"), status="submitted", progress=0.0, progress_detail=None)
            logs.job_event(job_id, "resumed", kind=kind)
            self.dispatch(job_id, kind, req)
            out.append(job_id)
        return out

    def shutdown(self, wait: bool = True) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=not wait)
