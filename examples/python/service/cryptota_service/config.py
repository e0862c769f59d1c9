"""Configuration from the environment and an optional .env file, validated at start.

Every key is documented in .env.template. Values from the real environment win over the .env
file. A bad value raises :class:`ConfigError` naming the key, the value and what was expected.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional
from urllib.parse import urlsplit, urlunsplit


class ConfigError(ValueError):
    """A configuration key has a bad value (the message names the key)."""


DEFAULT_BINANCE_URL = "https://data-api.binance.vision"


def _default_data_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cryptota")


def read_env_file(path: str) -> Dict[str, str]:
    """Parse KEY=VALUE lines (comments, blank lines, optional quotes, optional `export `)."""
    out: Dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                line = line[7:].lstrip()
            if "=" not in line:
                raise ConfigError(f"{path}:{lineno}: expected KEY=VALUE, got {line!r}")
            key, value = line.split("=", 1)
            key = key.strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise ConfigError(f"{path}:{lineno}: bad key {key!r}")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            out[key] = value
    return out


def redact_url(url: Optional[str]) -> Optional[str]:
    """The URL with any password replaced by ***, for logs."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{netloc}", parts.path, parts.query, parts.fragment))


@dataclass
class Settings:
    data_dir: str
    candle_dirs: List[str]
    database_url: str
    celery_broker_url: Optional[str]
    redis_url: Optional[str]
    api_token: Optional[str]
    cors_origins: List[str]
    rate_limit_per_s: float
    rate_limit_burst: int
    max_grid: int
    max_body: int
    workers: int
    shards: int
    opt_threads: int
    cache_size: int
    max_equity_points: int
    binance_url: str
    cli_path: Optional[str]
    log_level: str
    resume_jobs: bool
    visibility_timeout_s: int
    host: str
    port: int
    extra: Dict[str, str] = field(default_factory=dict)

    @property
    def use_celery(self) -> bool:
        return bool(self.celery_broker_url)

    def public_dict(self) -> Dict[str, object]:
        """The settings with secrets removed, for the startup log line."""
        return {
            "data_dir": self.data_dir, "candle_dirs": self.candle_dirs,
            "database_url": redact_url(self.database_url),
            "celery_broker_url": redact_url(self.celery_broker_url),
            "redis_url": redact_url(self.redis_url),
            "auth": bool(self.api_token), "cors_origins": self.cors_origins,
            "rate_limit_per_s": self.rate_limit_per_s, "rate_limit_burst": self.rate_limit_burst,
            "max_grid": self.max_grid, "max_body": self.max_body, "workers": self.workers, "shards": self.shards,
            "binance_url": self.binance_url, "log_level": self.log_level,
        }


def _int(env: Mapping[str, str], key: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        v = int(raw, 10)
    except ValueError:
        raise ConfigError(f"{key}={raw!r}: expected an integer in [{lo}, {hi}]") from None
    if not lo <= v <= hi:
        raise ConfigError(f"{key}={raw!r}: out of range, expected an integer in [{lo}, {hi}]")
    return v


def _float(env: Mapping[str, str], key: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        v = float(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r}: expected a number in [{lo}, {hi}]") from None
    if not (lo <= v <= hi):
        raise ConfigError(f"{key}={raw!r}: out of range, expected a number in [{lo}, {hi}]")
    return v


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    low = raw.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key}={raw!r}: expected true or false")


def _url(env: Mapping[str, str], key: str, schemes: tuple, default: Optional[str]) -> Optional[str]:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        parts = urlsplit(raw)
    except ValueError:
        parts = None
    scheme = parts.scheme.split("+", 1)[0] if parts else ""
    if not parts or scheme not in schemes:
        raise ConfigError(f"{key}: expected a URL with scheme {' or '.join(schemes)}, got {redact_url(raw)!r}")
    if scheme not in ("sqlite",) and not parts.hostname:
        raise ConfigError(f"{key}: the URL {redact_url(raw)!r} has no host")
    return raw


def load_settings(environ: Optional[Mapping[str, str]] = None, env_file: Optional[str] = None) -> Settings:
    """Build the settings from `environ` (default os.environ) over the .env file.

    The .env file is `env_file`, else $CRYPTOTA_ENV_FILE, else ./.env when it exists.
    """
    base = dict(os.environ if environ is None else environ)
    path = env_file or base.get("CRYPTOTA_ENV_FILE")
    if path:
        if not os.path.isfile(path):
            raise ConfigError(f"CRYPTOTA_ENV_FILE={path!r}: no such file")
    elif os.path.isfile(".env"):
        path = ".env"
    env: Dict[str, str] = {}
    if path:
        env.update(read_env_file(path))
    env.update(base)

    data_dir = env.get("CRYPTOTA_DATA_DIR") or _default_data_dir()
    data_dir = os.path.abspath(os.path.expanduser(data_dir))
    try:
        os.makedirs(data_dir, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"CRYPTOTA_DATA_DIR={data_dir!r}: cannot create it ({e.strerror})") from None
    if not os.access(data_dir, os.W_OK):
        raise ConfigError(f"CRYPTOTA_DATA_DIR={data_dir!r}: not writable")

    candle_dirs = [os.path.abspath(d) for d in (env.get("CRYPTOTA_CANDLE_DIRS") or "").split(os.pathsep) if d]
    for d in candle_dirs:
        if not os.path.isdir(d):
            raise ConfigError(f"CRYPTOTA_CANDLE_DIRS: {d!r} is not a directory")

    database_url = _url(env, "DATABASE_URL", ("sqlite", "postgresql", "postgres"),
                        "sqlite:///" + os.path.join(data_dir, "service.db"))
    assert database_url is not None
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    broker = _url(env, "CELERY_BROKER_URL", ("redis", "rediss"), None)
    redis_url = _url(env, "REDIS_URL", ("redis", "rediss"), broker)

    cors = [o.strip() for o in (env.get("CRYPTOTA_CORS_ORIGINS") or "").split(",") if o.strip()]
    for o in cors:
        if o != "*" and not re.fullmatch(r"https?://[^/\s]+", o):
            raise ConfigError(f"CRYPTOTA_CORS_ORIGINS: {o!r} is not an origin like https://example.com or *")

    token = env.get("CRYPTOTA_API_TOKEN") or None
    if token is not None and (len(token) < 8 or any(c.isspace() for c in token)):
        raise ConfigError("CRYPTOTA_API_TOKEN: must be at least 8 characters without spaces")

    level = (env.get("CRYPTOTA_LOG_LEVEL") or "info").lower()
    if level not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"CRYPTOTA_LOG_LEVEL={level!r}: expected debug, info, warning or error")

    binance = _url(env, "CRYPTOTA_BINANCE_URL", ("http", "https"), DEFAULT_BINANCE_URL)
    assert binance is not None
    cli = env.get("CRYPTOTA_CLI") or env.get("CT_CLI") or None
    host = env.get("HOST") or "127.0.0.1"

    return Settings(
        data_dir=data_dir,
        candle_dirs=candle_dirs,
        database_url=database_url,
        celery_broker_url=broker,
        redis_url=redis_url,
        api_token=token,
        cors_origins=cors,
        rate_limit_per_s=_float(env, "CRYPTOTA_RATE_LIMIT", 20.0, 0.0, 1e6),
        rate_limit_burst=_int(env, "CRYPTOTA_RATE_BURST", 60, 1, 10**7),
        max_grid=_int(env, "CRYPTOTA_MAX_GRID", 10000, 1, 10**8),
        max_body=_int(env, "CRYPTOTA_MAX_BODY", 1 << 20, 1024, 1 << 30),
        workers=_int(env, "CRYPTOTA_WORKERS", 2, 1, 256),
        shards=_int(env, "CRYPTOTA_SHARDS", 4, 1, 1024),
        opt_threads=_int(env, "CRYPTOTA_OPT_THREADS", 0, 0, 1024),
        cache_size=_int(env, "CRYPTOTA_CACHE_SIZE", 256, 0, 10**6),
        max_equity_points=_int(env, "CRYPTOTA_MAX_EQUITY_POINTS", 0, 0, 10**9),
        binance_url=binance.rstrip("/"),
        cli_path=cli,
        log_level=level,
        resume_jobs=_bool(env, "CRYPTOTA_RESUME_JOBS", True),
        visibility_timeout_s=_int(env, "CRYPTOTA_VISIBILITY_TIMEOUT", 60, 1, 86400),
        host=host,
        port=_int(env, "PORT", 8001, 1, 65535),
    )
