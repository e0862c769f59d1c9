"""The FastAPI application: `uvicorn --factory cryptota_service.app:create_app` or
`python3 -m cryptota_service` (which reads HOST and PORT).

Endpoints (all JSON unless said): POST /backtest/run, GET /backtest/{id}/status|results|report,
DELETE /backtest/{id}, POST /backtest/optimize, POST /data/fetch (in the request, or as a job with
"async": true), GET /data/{symbol}/{timeframe}, GET /backtests, GET /strategies, GET /indicators,
GET /health, plus FastAPI's /docs and /openapi.json. Walk-through with curl in docs/service.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
import time
from typing import Any, Dict, List, Optional, Union

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Extra, Field, StrictBool, root_validator, validator
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import undefer
from starlette.concurrency import run_in_threadpool

from . import __version__, logs
from .cache import make_cache
from .config import Settings, load_settings
from .db import Database, Run
from .engine import INTERVALS_MS, SYMBOL_RE, Engine, EngineError
from .jobs import DispatchError, JobManager
from .ratelimit import TokenBucket, make_limiter

# Engine config keys a request may set (DESIGN.md section 13, `--config`).
CONFIG_KEYS = {"capital", "commission", "slippage_bps", "fill", "allow_short", "leverage", "close_at_end",
               "periods_per_year", "risk_free", "metrics_freq"}
DateLike = Union[int, str]


# ---- request models ------------------------------------------------------------------------
# Dates are epoch ms in [1970-01-01, 3000-01-01) however they are written.
MAX_MS = 32503680000000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
INT64_MAX = 2 ** 63 - 1


def parse_date(v: Any, field: str, end: bool = False) -> int:
    """Epoch ms from epoch ms (a JSON integer, or a string of digits), YYYY-MM-DD or YYYYMMDD
    (an end date includes that whole day) or an ISO-8601 time. Booleans, fractional numbers and
    times outside [1970, 3000) are refused, never coerced."""
    what = "expected a date like 2024-01-31, an ISO-8601 time or epoch ms"
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise ValueError(f"{field}: {what}, got {json.dumps(v)}")
    if isinstance(v, float):
        if not (math.isfinite(v) and v.is_integer()):
            raise ValueError(f"{field}: epoch ms must be a whole number, got {v!r}")
        v = int(v)
    if isinstance(v, str):
        s = v.strip()
        if re.fullmatch(r"[0-9]{9,}", s):  # epoch ms written as a string
            v = int(s)
    if isinstance(v, int):
        if not 0 <= v < MAX_MS:
            raise ValueError(f"{field}: epoch ms {v} is out of range (1970-01-01 to 3000-01-01)")
        return v
    try:
        m = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", s) or re.fullmatch(r"([0-9]{4})([0-9]{2})([0-9]{2})", s)
        if m:
            d = dt.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=dt.timezone.utc)
            if end:
                d += dt.timedelta(days=1)
        else:
            d = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
            if d.tzinfo is None:
                d = d.replace(tzinfo=dt.timezone.utc)
    except OverflowError:  # the day after 9999-12-31
        raise ValueError(f"{field}: {s!r} is out of range (1970-01-01 to 3000-01-01)") from None
    except ValueError:
        raise ValueError(f"{field}: {s!r} is not a date (expected YYYY-MM-DD, an ISO-8601 time or epoch ms)") from None
    ms = (d - _EPOCH) // dt.timedelta(milliseconds=1)
    if not 0 <= ms < MAX_MS:
        raise ValueError(f"{field}: {s!r} is out of range (1970-01-01 to 3000-01-01)")
    return ms


def _number(v: Any) -> Any:
    """A JSON number as is; booleans and strings are refused (pydantic would coerce them)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"expected a number, got {json.dumps(v)}")
    return v


def _whole(v: Any, lo: int, hi: int = INT64_MAX) -> Any:
    """A JSON integer in [lo, hi]: booleans, strings and fractions are refused, not truncated."""
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"expected an integer, got {json.dumps(v)}")
    if not lo <= v <= hi:
        raise ValueError(f"{v} is out of range [{lo}, {hi}]")
    return v


class _Strict:
    # a misspelt field ("initial_captial") is an error naming it, not a default silently used
    extra = Extra.forbid


def _check_symbol(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError(f"expected a Binance symbol like BTCUSDT, got {json.dumps(v)}")
    # ASCII before upper(): "ß".upper() is "SS" and "ı".upper() is "I" (another symbol than typed)
    v = v.upper() if v.isascii() else v
    if not SYMBOL_RE.fullmatch(v):
        raise ValueError(f"{v!r} is not a Binance symbol like BTCUSDT")
    return v


def _check_tf(v: Any) -> str:
    if not isinstance(v, str) or v not in INTERVALS_MS:
        raise ValueError(f"{v!r} is not a Binance interval; expected one of {' '.join(INTERVALS_MS)}")
    return v


def _check_end(v: Any, values: Dict[str, Any]) -> Optional[int]:
    if v is None:
        return None
    e = parse_date(v, "end_date", end=True)
    s = values.get("start_date")
    if s is not None and e <= s:
        raise ValueError("empty date range: end_date must be after start_date")
    return e


def _capital(v: Any) -> float:
    v = _number(v)
    if not (math.isfinite(v) and v > 0):
        raise ValueError("must be a positive number")
    return v


def _commission(v: Any) -> float:
    v = _number(v)
    if not (math.isfinite(v) and 0 <= v < 0.1):
        raise ValueError("must be a fraction in [0, 0.1), e.g. 0.001 for 0.1 %")
    return v


class _Market(BaseModel):
    strategy: str = Field("rsi", description="strategy class name (GET /strategies)")
    symbol: str = Field(..., description="Binance symbol, e.g. BTCUSDT")
    timeframe: str = Field("1h", description="Binance interval name: 1m 5m 15m 1h 4h 1d ...")
    start_date: Optional[DateLike] = Field(None, description="YYYY-MM-DD, ISO-8601 or epoch ms (inclusive)")
    end_date: Optional[DateLike] = Field(None, description="YYYY-MM-DD (whole day included), ISO-8601 or epoch ms (exclusive)")
    initial_capital: float = Field(10000.0, description="starting cash (quote currency); or config.capital")
    commission: float = Field(0.001, description="fraction of notional per fill; or config.commission")
    config: Dict[str, Any] = Field(default_factory=dict, description="other engine settings (DESIGN.md section 13)")

    Config = _Strict

    @root_validator(pre=True)
    def _config_money(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        """config.capital / config.commission are the top-level initial_capital / commission:
        one given alone is used (it was silently replaced by the default), both must agree."""
        cfg = values.get("config")
        if not isinstance(cfg, dict):
            return values
        values = dict(values)
        for key, top in (("capital", "initial_capital"), ("commission", "commission")):
            if key not in cfg:
                continue
            if top in values and values[top] != cfg[key]:
                raise ValueError(f"config.{key} ({json.dumps(cfg[key])}) and {top} ({json.dumps(values[top])}) "
                                 f"disagree; give one of them")
            try:
                values[top] = (_capital if key == "capital" else _commission)(cfg[key])
            except ValueError as e:
                raise ValueError(f"config.{key}: {e}") from None
        return values

    _symbol = validator("symbol", pre=True, allow_reuse=True)(_check_symbol)
    _tf = validator("timeframe", pre=True, allow_reuse=True)(_check_tf)

    @validator("start_date", pre=True)
    def _start(cls, v: Any) -> Any:
        return None if v is None else parse_date(v, "start_date")

    _end = validator("end_date", pre=True, allow_reuse=True)(_check_end)

    _cap = validator("initial_capital", pre=True, allow_reuse=True)(_capital)
    _comm = validator("commission", pre=True, allow_reuse=True)(_commission)

    @validator("config")
    def _config(cls, v: Dict[str, Any]) -> Dict[str, Any]:
        bad = sorted(set(v) - CONFIG_KEYS)
        if bad:
            raise ValueError(f"unknown config key {bad[0]!r}; known keys: {', '.join(sorted(CONFIG_KEYS))}")
        return v


class BacktestRequest(_Market):
    parameters: Dict[str, Any] = Field(default_factory=dict, description="strategy parameters (defaults when left out)")

    class Config(_Strict):
        schema_extra = {"example": {"strategy": "rsi", "symbol": "BTCUSDT", "timeframe": "1h",
                                    "start_date": "2021-01-01", "end_date": "2021-12-31",
                                    "initial_capital": 10000, "commission": 0.001,
                                    "parameters": {"rsi_period": 14, "oversold": 30, "overbought": 70}}}


# the library refuses window lengths above 2^61 bars
MAX_WINDOW = 2 ** 61


class WalkForward(BaseModel):
    train_bars: int = Field(..., ge=2, le=MAX_WINDOW, description="bars in each training window")
    test_bars: int = Field(..., ge=1, le=MAX_WINDOW, description="bars in each test window")
    purge_bars: int = Field(0, ge=0, le=MAX_WINDOW, description="bars skipped between train and test")
    anchored: StrictBool = Field(False, description="training windows start at the first bar")

    Config = _Strict

    @validator("train_bars", "test_bars", "purge_bars", pre=True)
    def _bars(cls, v: Any, field: Any) -> int:
        return _whole(v, {"train_bars": 2, "test_bars": 1}.get(field.name, 0), MAX_WINDOW)


class OptimizeRequest(_Market):
    parameter_grid: Dict[str, Any] = Field(..., description="per parameter: a list or {from, to, step}")
    optimization_metric: str = Field("sharpe_ratio", description="any metric name")
    maximize: StrictBool = True  # "no" or 0 would be coerced to a bool
    min_trades: int = Field(0, ge=0, le=INT64_MAX)
    walk_forward: Optional[WalkForward] = None

    class Config(_Strict):
        schema_extra = {"example": {"strategy": "rsi", "symbol": "BTCUSDT", "timeframe": "1h",
                                    "start_date": "2020-01-01", "end_date": "2021-12-31",
                                    "parameter_grid": {"rsi_period": [10, 14, 21],
                                                       "oversold": {"from": 20, "to": 35, "step": 5}},
                                    "optimization_metric": "sharpe_ratio"}}

    @validator("min_trades", pre=True)
    def _min_trades(cls, v: Any) -> int:
        return _whole(v, 0)


class FetchRequest(BaseModel):
    symbol: str
    timeframe: str = "1h"
    start_date: DateLike
    end_date: Optional[DateLike] = None
    # "async" is a Python keyword: the field is run_async, spelled "async" in JSON
    run_async: StrictBool = Field(False, alias="async",
                            description="false: download in the request and answer the coverage (200); "
                                        "true: answer a fetch job at once (202) with progress and cancel")

    class Config(_Strict):
        allow_population_by_field_name = True
        schema_extra = {"example": {"symbol": "BTCUSDT", "timeframe": "1m", "start_date": "2021-01-01",
                                    "end_date": "2021-12-31", "async": True}}

    _symbol = validator("symbol", pre=True, allow_reuse=True)(_check_symbol)
    _tf = validator("timeframe", pre=True, allow_reuse=True)(_check_tf)

    @validator("start_date", pre=True)
    def _start(cls, v: Any) -> int:
        if v is None:
            raise ValueError("start_date: expected a date like 2024-01-31, an ISO-8601 time or epoch ms")
        return parse_date(v, "start_date")

    _end = validator("end_date", pre=True, allow_reuse=True)(_check_end)


def _err422(loc: List[Any], msg: str) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": loc, "msg": msg, "type": "value_error"}])


# ---- the app -------------------------------------------------------------------------------
class Service:
    """Everything an app instance owns (settings, database, engine, cache, jobs, rate limiter)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.engine = Engine(settings.data_dir, settings.candle_dirs, settings.cli_path, settings.binance_url,
                             settings.opt_threads, settings.max_equity_points)
        self.cache = make_cache(settings.redis_url, settings.cache_size)
        self.limiter = make_limiter(settings.redis_url, settings.rate_limit_per_s, settings.rate_limit_burst)
        self.limiter_is_remote = settings.redis_url is not None
        self.jobs: Optional[JobManager] = None

    def start(self) -> None:
        self.db.create_schema()
        self.jobs = JobManager(self.settings, self.db, self.engine, self.cache)
        resumed = self.jobs.recover()
        logs.log("info", "startup", version=__version__, resumed_jobs=len(resumed), **self.settings.public_dict())

    def stop(self) -> None:
        if self.jobs is not None:
            self.jobs.shutdown(wait=False)
        self.db.dispose()

    # validation against the library's tables (422 naming the field)
    def check_strategy(self, name: str) -> Dict[str, Any]:
        try:
            s = self.engine.strategy(name)
        except EngineError as e:
            raise HTTPException(503, f"strategy table unavailable: {e}") from None
        if s is None:
            known = ", ".join(x["name"] for x in self.engine.strategies())
            raise _err422(["body", "strategy"], f"unknown strategy {name!r}; known: {known}")
        return s

    @staticmethod
    def check_params(schema: Dict[str, Any], params: Dict[str, Any], where: str) -> None:
        """Parameter names (both), and for a backtest's values their type and the schema's
        bounds; a grid's values are checked by the library's own parse (Engine.check_search)."""
        defs = {p["name"]: p for p in schema.get("parameters", [])}
        for k, v in params.items():
            if k not in defs:
                raise _err422(["body", where, k], f"unknown parameter {k!r} of strategy {schema['name']!r}; "
                                                  f"known: {', '.join(defs) or 'none'}")
            if where != "parameters":
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise _err422(["body", where, k], f"{k}: expected a number, got {v!r}")
            lo, hi = defs[k].get("min"), defs[k].get("max")
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                rng = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
                raise _err422(["body", where, k], f"{k}={v:g} is outside {rng}")

    def common(self, req: _Market) -> Dict[str, Any]:
        """The request as the job stores it; 422 when the range has no candles or the library
        refuses a parameter or config value (both checked without running anything).
        Also gives the number of bars in the range (under "_bars", not stored)."""
        config = dict(req.config)
        config["capital"] = req.initial_capital
        config["commission"] = req.commission
        try:
            bars = self.engine.check_range(req.symbol, req.timeframe, req.start_date, req.end_date)
        except EngineError as e:
            if not e.user_error:
                raise HTTPException(503, str(e)) from None
            raise _err422(["body", "start_date" if self.engine.data_files(req.symbol, req.timeframe)
                           else "symbol"], str(e)) from None
        params = getattr(req, "parameters", {})
        try:
            self.engine.validate(req.strategy, params, config)
        except EngineError as e:
            raise _err422(["body", *(e.where or ["parameters"])], str(e)) from None
        return {"strategy": req.strategy, "symbol": req.symbol, "timeframe": req.timeframe,
                "start_ms": req.start_date, "end_ms": req.end_date, "config": config, "_bars": bars}

    def check_search(self, req: "OptimizeRequest", doc: Dict[str, Any]) -> None:
        """The grid, objective and min_trades as the library parses them, the size limit
        (CRYPTOTA_MAX_GRID: combinations searched, every walk-forward window searching the
        whole grid), and that a walk-forward has at least one window in the range."""
        try:
            size = self.engine.check_search(req.symbol, req.timeframe, req.start_date, req.end_date, req.strategy,
                                            req.parameter_grid, doc["config"], req.optimization_metric,
                                            req.maximize, req.min_trades)
        except EngineError as e:
            if not e.user_error:
                raise HTTPException(503, str(e)) from None
            raise _err422(["body", *(e.where or ["parameter_grid"])], str(e)) from None
        limit = self.settings.max_grid
        if size > limit:
            raise _err422(["body", "parameter_grid"], f"the grid has {size} combinations, more than the limit "
                                                      f"of {limit} (CRYPTOTA_MAX_GRID)")
        wf = req.walk_forward
        if wf is None:
            return
        bars = doc["_bars"]
        span = wf.train_bars + wf.purge_bars + wf.test_bars
        if span > bars:
            raise _err422(["body", "walk_forward"],
                          f"the range has {bars} bars, too few for one window (train_bars {wf.train_bars} + "
                          f"purge_bars {wf.purge_bars} + test_bars {wf.test_bars} = {span})")
        windows = (bars - span) // wf.test_bars + 1  # the library's windows (bars; rolling or anchored)
        if size * windows > limit:
            raise _err422(["body", "walk_forward"],
                          f"the walk-forward searches the grid of {size} combinations in each of its {windows} "
                          f"windows: {size * windows} combinations, more than the limit of {limit} "
                          f"(CRYPTOTA_MAX_GRID); use longer test windows or a smaller grid")


def _body_too_big(request: Request, limit: int) -> Optional[JSONResponse]:
    """413 for a body over CRYPTOTA_MAX_BODY bytes, before it is read (uvicorn would read any
    size into memory); 411 for a chunked body, whose size is not known ahead."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    cl = request.headers.get("content-length")
    if cl is None:
        if "chunked" in request.headers.get("transfer-encoding", "").lower():
            return JSONResponse({"detail": "a request body needs a Content-Length (chunked bodies are not taken)"},
                                411)
        return None
    if not cl.strip().isdigit():
        return JSONResponse({"detail": f"invalid Content-Length {cl!r}"}, 400)
    if int(cl) > limit:
        return JSONResponse({"detail": f"request body of {int(cl)} bytes is over the limit of {limit} "
                                       f"(CRYPTOTA_MAX_BODY)"}, 413)
    return None


def create_app(settings: Optional[Settings] = None) -> FastAPI:
    settings = settings or load_settings()
    logs.set_level(settings.log_level)
    svc = Service(settings)
    app = FastAPI(title="cryptota service", version=__version__,
                  description="Backtests, optimizations and market data on libcryptota.")
    app.state.svc = svc
    svc.start()

    @app.on_event("shutdown")
    def _shutdown() -> None:
        svc.stop()

    token = settings.api_token

    @app.middleware("http")
    async def _gate(request: Request, call_next: Any) -> Any:
        """Rate limit, auth and one JSON log line per request (no query strings or headers).

        The bucket is the client's valid token, else its address: failed logins spend the
        address's tokens, so guessing tokens is rate limited too."""
        t0 = time.perf_counter()
        path = request.url.path
        client = request.client.host if request.client else None
        status = 500
        try:
            denied = None
            bucket = "a:" + (client or "unknown")
            if token and path != "/health" and request.method != "OPTIONS":
                scheme, _, given = request.headers.get("authorization", "").partition(" ")
                if scheme.lower() != "bearer" or not given.strip():
                    denied = JSONResponse({"detail": "missing bearer token (Authorization: Bearer <token>)"},
                                          401, headers={"WWW-Authenticate": "Bearer"})
                elif not hmac.compare_digest(given.strip().encode(), token.encode()):
                    denied = JSONResponse({"detail": "invalid bearer token"}, 401,
                                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
                else:
                    bucket = "t:" + hashlib.sha256(given.strip().encode()).hexdigest()[:16]
            wait = 0.0
            if path != "/health" and svc.limiter.enabled:
                # the Redis limiter does network I/O: keep it off the event loop
                wait = (await run_in_threadpool(svc.limiter.take, bucket) if svc.limiter_is_remote
                        else svc.limiter.take(bucket))
            if wait > 0:
                status = 429
                ra = TokenBucket.retry_after(wait)
                return JSONResponse({"detail": f"rate limit exceeded; retry after {ra} s"}, 429,
                                    headers={"Retry-After": str(ra)})
            if denied is not None:
                status = 401
                return denied
            too_big = _body_too_big(request, settings.max_body)
            if too_big is not None:
                status = too_big.status_code
                return too_big
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            logs.log("info", "request", method=request.method, path=path, status=status,
                     ms=round((time.perf_counter() - t0) * 1000, 2), client=client)

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type"])

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = []
        for e in exc.errors():
            loc = list(e.get("loc", ()))
            msg = e.get("msg", "")
            if loc and loc[-1] == "__root__":
                loc = loc[:-1]
            errs.append({"loc": loc, "msg": msg, "type": e.get("type", "value_error"),
                         "message": f"{'.'.join(str(x) for x in loc[1:]) or 'body'}: {msg}"})
        return JSONResponse({"detail": errs}, status_code=422)

    async def _db_down(request: Request, exc: Exception) -> JSONResponse:
        # the database is away (restarting, unreachable): 503, not a 500; the connection pool
        # reconnects by itself (pre-ping) once it is back
        logs.log("warning", "database", path=request.url.path, error=type(exc).__name__)
        return JSONResponse({"detail": f"database unavailable ({type(exc).__name__}); retry later"},
                            status_code=503, headers={"Retry-After": "5"})

    app.add_exception_handler(OperationalError, _db_down)
    app.add_exception_handler(InterfaceError, _db_down)

    @app.exception_handler(DispatchError)
    async def _undispatched(request: Request, exc: DispatchError) -> JSONResponse:
        # the job could not be queued (the broker is down): it is marked failed, not left waiting
        return JSONResponse({"detail": f"{exc}; the job {exc.job_id} is marked failed, submit it again later",
                             "job_id": exc.job_id}, status_code=503)

    def get_run(job_id: str, load: str = "") -> Run:
        """The job row; `load` names a deferred document column to read too (result, report_html)."""
        if not re.fullmatch(r"[0-9a-f]{32}", job_id):
            raise HTTPException(404, f"no job {job_id!r}")
        with svc.db.session() as s:
            q = s.query(Run).filter(Run.id == job_id)
            if load:
                q = q.options(undefer(getattr(Run, load)))
            run = q.one_or_none()
        if run is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return run

    # ---- backtests -----------------------------------------------------------------------
    @app.post("/backtest/run", status_code=202, tags=["backtests"])
    def backtest_run(req: BacktestRequest, response: Response) -> Dict[str, Any]:
        """Submit a backtest; it runs in the background (202), or is answered at once from the
        result cache (200, "status": "completed", "cached": true)."""
        schema = svc.check_strategy(req.strategy)
        svc.check_params(schema, req.parameters, "parameters")
        doc = svc.common(req)
        del doc["_bars"]
        doc["parameters"] = dict(req.parameters)
        assert svc.jobs is not None
        out = svc.jobs.submit("backtest", doc)
        if out["cached"]:
            response.status_code = 200
        return out

    @app.post("/backtest/optimize", status_code=202, tags=["backtests"])
    def backtest_optimize(req: OptimizeRequest) -> Dict[str, Any]:
        """Submit a grid search (sharded over the Celery workers when configured) or a walk-forward."""
        schema = svc.check_strategy(req.strategy)
        if not req.parameter_grid:
            raise _err422(["body", "parameter_grid"], "empty parameter grid")
        svc.check_params(schema, req.parameter_grid, "parameter_grid")
        names = svc.engine.metric_names()
        if names is not None and req.optimization_metric not in names:
            raise _err422(["body", "optimization_metric"],
                          f"unknown metric {req.optimization_metric!r}; known: {', '.join(names)}")
        doc = svc.common(req)
        svc.check_search(req, doc)
        del doc["_bars"]
        doc.update(parameter_grid=req.parameter_grid, optimization_metric=req.optimization_metric,
                   maximize=req.maximize, min_trades=req.min_trades,
                   walk_forward=req.walk_forward.dict() if req.walk_forward else None)
        assert svc.jobs is not None
        return svc.jobs.submit("optimize", doc)

    @app.get("/backtest/{job_id}/status", tags=["backtests"])
    def backtest_status(job_id: str) -> Dict[str, Any]:
        run = get_run(job_id)
        status = "running" if run.status == "merging" else run.status
        out = {"job_id": run.id, "kind": run.kind, "status": status, "progress": round(run.progress or 0.0, 4),
               "cached": bool(run.cached), "error": run.error if run.status in ("failed", "cancelled") else None,
               "created_at": run.created_at.isoformat() + "Z" if run.created_at else None,
               "started_at": run.started_at.isoformat() + "Z" if run.started_at else None,
               "finished_at": run.finished_at.isoformat() + "Z" if run.finished_at else None}
        # the counts behind progress: bars of a fetch, combinations of a search (every window's,
        # for a walk-forward); null until the library reports them
        out["progress_detail"] = json.loads(run.progress_detail) if run.progress_detail else None
        if run.shards_total:
            out["shards"] = {"total": run.shards_total, "done": run.shards_done}
        return out

    def _done(run: Run) -> None:
        if run.status != "completed":
            msg = f"job {run.id} is {'running' if run.status == 'merging' else run.status}"
            if run.error:
                msg += f": {run.error}"
            raise HTTPException(409, msg)

    @app.get("/backtest/{job_id}/results", tags=["backtests"])
    def backtest_results(job_id: str) -> Any:
        """The library's result document (backtest), ranked table (optimization) or the coverage of
        the cache (fetch, the answer of a synchronous POST /data/fetch), plus job_id and cached."""
        run = get_run(job_id, "result")
        _done(run)
        body = '{"job_id":%s,"kind":%s,"cached":%s,"cache_key":%s,"result":%s}' % (
            json.dumps(run.id), json.dumps(run.kind), "true" if run.cached else "false",
            json.dumps(run.cache_key), run.result or "null")
        return _raw_json(body)

    @app.get("/backtest/{job_id}/report", response_class=HTMLResponse, tags=["backtests"])
    def backtest_report(job_id: str) -> HTMLResponse:
        """The library's self-contained HTML report of a backtest (or of a walk-forward's out-of-sample run)."""
        run = get_run(job_id, "report_html")
        _done(run)
        if not run.report_html:
            what = "a fetch" if run.kind == "fetch" else "a grid search"
            raise HTTPException(404, f"job {run.id} is {what}: reports exist for backtests and walk-forward runs")
        return HTMLResponse(run.report_html)

    @app.delete("/backtest/{job_id}", tags=["backtests"])
    def backtest_cancel(job_id: str) -> Dict[str, Any]:
        """Cancel a submitted or running job (a finished job keeps its status)."""
        get_run(job_id)
        assert svc.jobs is not None
        st = svc.jobs.cancel(job_id)
        return {"job_id": job_id, "status": st,
                "message": "cancelled" if st == "cancelled" else f"job already {st}; nothing to cancel"}

    @app.get("/backtests", tags=["backtests"])
    def backtests(strategy: Optional[str] = None, symbol: Optional[str] = None,
                  kind: Optional[str] = Query(None, regex=r"^(backtest|optimize|fetch)\Z"),
                  status: Optional[str] = Query(None, regex=r"^(submitted|running|completed|failed|cancelled)\Z"),
                  limit: int = Query(50, ge=1, le=1000),
                  offset: int = Query(0, ge=0, le=INT64_MAX)) -> Dict[str, Any]:
        """Past runs, newest first, with their headline metrics."""
        with svc.db.session() as s:
            q = s.query(Run)
            if strategy:
                q = q.filter(Run.strategy == strategy)
            if symbol:
                q = q.filter(Run.symbol == symbol.upper())
            if kind:
                q = q.filter(Run.kind == kind)
            if status:
                q = q.filter(Run.status == status)
            total = q.count()
            rows = q.order_by(Run.created_at.desc(), Run.id).offset(offset).limit(limit).all()
            return {"total": total, "runs": [r.summary() for r in rows]}

    # ---- data ----------------------------------------------------------------------------
    @app.post("/data/fetch", tags=["data"],
              responses={202: {"description": "with \"async\": true, the fetch job (poll /backtest/{id}/status)"}})
    def data_fetch(req: FetchRequest, response: Response) -> Dict[str, Any]:
        """Download candles from Binance into the library's .ctz cache (only missing ranges).

        By default the download runs in the request and the answer is the coverage. With
        "async": true the answer is a job (202, kind "fetch") at once: its status has the
        progress (bars done / the library's estimate), DELETE /backtest/{id} cancels it, and
        its results are the coverage."""
        end = req.end_date if req.end_date is not None else int(time.time() * 1000)
        if end <= req.start_date:  # only reachable without end_date: a start in the future
            raise _err422(["body", "start_date"], "empty date range: start_date is in the future")
        if req.run_async:
            assert svc.jobs is not None
            out = svc.jobs.submit("fetch", {"symbol": req.symbol, "timeframe": req.timeframe,
                                            "start_ms": req.start_date, "end_ms": end})
            response.status_code = 202
            return out
        t0 = time.monotonic()
        try:
            cov = svc.engine.fetch(req.symbol, req.timeframe, req.start_date, end)
        except EngineError as e:
            raise HTTPException(422 if e.user_error else 502, f"fetch {req.symbol} {req.timeframe}: {e}") from None
        logs.log("info", "fetch", symbol=req.symbol, timeframe=req.timeframe, rows=cov.get("rows"),
                 seconds=round(time.monotonic() - t0, 3))
        return cov

    @app.get("/data/{symbol}/{timeframe}", tags=["data"])
    def data_coverage(symbol: str, timeframe: str) -> Dict[str, Any]:
        """Rows, first/last bar and gaps of the candles the service has for symbol/timeframe."""
        symbol = symbol.upper() if symbol.isascii() else symbol
        if not SYMBOL_RE.fullmatch(symbol):
            raise _err422(["path", "symbol"], f"{symbol!r} is not a Binance symbol like BTCUSDT")
        if timeframe not in INTERVALS_MS:
            raise _err422(["path", "timeframe"], f"{timeframe!r} is not a Binance interval")
        try:
            return svc.engine.coverage(symbol, timeframe)
        except EngineError as e:
            raise HTTPException(404 if e.user_error else 500, str(e)) from None

    # ---- tables --------------------------------------------------------------------------
    @app.get("/strategies", tags=["library"])
    def strategies() -> Dict[str, Any]:
        try:
            return {"strategies": svc.engine.strategies()}
        except EngineError as e:
            raise HTTPException(503, str(e)) from None

    @app.get("/indicators", tags=["library"])
    def indicators() -> Dict[str, Any]:
        try:
            return {"indicators": svc.engine.indicators()}
        except EngineError as e:
            raise HTTPException(503, str(e)) from None

    @app.get("/health", tags=["service"])
    def health() -> JSONResponse:
        """Database, Redis, workers and library, each with its status (503 when one is down)."""
        out: Dict[str, Any] = {"version": __version__}
        ok = True
        try:
            svc.db.ping()
            out["database"] = {"status": "ok", "backend": svc.db.engine.dialect.name}
        except Exception as e:  # noqa: BLE001
            ok = False
            out["database"] = {"status": "error", "error": type(e).__name__}
        if settings.redis_url:
            try:
                svc.cache.ping() if hasattr(svc.cache, "r") else _redis_ping(settings.redis_url)
                out["redis"] = {"status": "ok"}
            except Exception as e:  # noqa: BLE001
                ok = False
                out["redis"] = {"status": "error", "error": type(e).__name__}
        else:
            out["redis"] = {"status": "not configured"}
        assert svc.jobs is not None
        if svc.jobs.celery is not None:
            try:
                replies = svc.jobs.celery.control.ping(timeout=1.0) or []
                names = sorted(k for r in replies for k in r)
                out["workers"] = {"status": "ok" if names else "none", "mode": "celery", "count": len(names),
                                  "names": names}
                ok = ok and bool(names)
            except Exception as e:  # noqa: BLE001
                ok = False
                out["workers"] = {"status": "error", "mode": "celery", "error": type(e).__name__}
        else:
            out["workers"] = {"status": "ok", "mode": "in-process", "count": settings.workers}
        lib = svc.engine.describe()
        lib["status"] = "ok" if (lib["binding"] or lib["cli"]) else "error"
        ok = ok and lib["status"] == "ok"
        out["library"] = lib
        out["cache"] = svc.cache.stats()
        out["status"] = "ok" if ok else "degraded"
        return JSONResponse(out, status_code=200 if ok else 503)

    return app


def _raw_json(body: str) -> Any:
    """A JSON response from an already serialized body (result documents can be large)."""
    from starlette.responses import Response
    return Response(content=body, media_type="application/json")


def _redis_ping(url: str) -> None:
    import redis
    redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
