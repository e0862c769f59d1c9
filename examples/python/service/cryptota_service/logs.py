"""Structured logs: one JSON object per line on stderr (one per request, one per job event).

Nothing secret is ever passed in: request lines carry method, path (no query string), status,
duration and the client address; the Authorization header and URLs with passwords are never
logged (see config.redact_url).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_state = {"level": 20}
_lock = threading.Lock()


def set_level(name: str) -> None:
    _state["level"] = _LEVELS.get(name, 20)


def log(level: str, event: str, **fields: Any) -> None:
    """Write one JSON line: {"ts", "level", "event", ...fields}."""
    if _LEVELS.get(level, 20) < _state["level"]:
        return
    rec = {"ts": round(time.time(), 3), "level": level, "event": event}
    rec.update(fields)
    line = json.dumps(rec, default=str, separators=(",", ":"))
    with _lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def job_event(job_id: str, state: str, **fields: Any) -> None:
    log("error" if state == "failed" else "info", "job", job_id=job_id, state=state, **fields)
