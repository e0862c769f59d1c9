"""Library logging: the level, and routing the JSON lines to a Python callable or `logging`."""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Dict, Optional, Union

from . import _ffi
from ._lib import F, check
from ._util import I32, in_range

LEVELS = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "error": 4, "off": 5}
_PY_LEVEL = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_handler: Any = None  # the CFUNCTYPE object the library holds; kept alive here


def set_log_level(level: Union[int, str]) -> None:
    """Minimum level the library emits: "trace", "debug", "info", "warn", "error", "off"."""
    if isinstance(level, str):
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        level = LEVELS[level]
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError(f"level must be a name or an int, not {type(level).__name__}")
    check(F.ct_set_log_level(in_range(level, "level", I32)))


def log_level() -> str:
    """The current minimum level's name."""
    return (F.ct_log_level_name(F.ct_log_level()) or b"").decode()


def set_log_handler(fn: Optional[Callable[[Dict[str, Any]], None]] = None, *,
                    to_logging: bool = False) -> None:
    """Route the library's log lines (parsed JSON objects: ts_ms, level, module, msg) to ``fn``,
    or to the ``logging`` logger "cryptota" with ``to_logging=True``; no arguments restores the
    default stderr sink. Set it before starting optimizer threads; ``fn`` may be called from
    the library's worker threads, and exceptions it raises are ignored."""
    global _handler
    if to_logging:
        logger = logging.getLogger("cryptota")

        def fn(rec: Dict[str, Any]) -> None:  # noqa: F811 - the logging sink
            logger.log(_PY_LEVEL.get(LEVELS.get(rec.get("level", ""), 3), logging.WARNING),
                       "%s: %s", rec.get("module", "?"), rec.get("msg", ""))
    if fn is None:
        F.ct_set_log_callback(_ffi.LOG_FN(), None)
        _handler = None
        return
    if not callable(fn):
        raise TypeError(f"fn must be callable, not {type(fn).__name__}")
    user_fn = fn

    def sink(_user: Any, _level: int, line: Optional[bytes]) -> None:
        try:
            user_fn(json.loads(line.decode("utf-8", "replace")) if line else {})
        except BaseException:  # noqa: BLE001 - a log sink must not unwind into C
            pass

    handler = _ffi.LOG_FN(sink)
    F.ct_set_log_callback(handler, None)
    _handler = handler
