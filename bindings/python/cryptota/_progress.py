"""Progress reporting for long calls: a user callback, a tqdm bar, or nothing."""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional, Union

from . import _ffi


class Progress:
    """Adapts ``progress`` (None, True/False, or a callable ``(done, total)`` that may return
    False to cancel) to the library's progress callbacks. With True, a tqdm bar is shown when
    tqdm is installed (and nothing otherwise). An exception in the callable cancels the call
    and is re-raised by :meth:`reraise`."""

    def __init__(self, progress: Union[bool, Callable[[int, int], Any], None], desc: str) -> None:
        self.user: Optional[Callable[[int, int], Any]] = None
        self.bar: Any = None
        self.error: Optional[BaseException] = None
        self.desc = desc
        if progress is None or progress is False:
            pass
        elif progress is True:
            try:
                import tqdm  # noqa: F401 - only probing that it is installed
                self.bar = True
            except ImportError:
                self.bar = None
        elif callable(progress):
            self.user = progress
        else:
            raise TypeError(f"progress must be a callable, True, False or None, not "
                            f"{type(progress).__name__}")
        self.active = self.user is not None or self.bar is not None
        self.fetch_fn = _ffi.FETCH_PROGRESS_FN(self._cb) if self.active else None
        self.opt_fn = _ffi.PROGRESS_FN(self._opt_cb) if self.active else None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None and self.bar is not True:
            self.bar.close()

    def _cb(self, _user: Any, done: int, total: int) -> int:
        """Returns 0 to go on, 1 to cancel."""
        try:
            if self.bar is not None:
                if self.bar is True:
                    import tqdm
                    self.bar = tqdm.tqdm(total=total, desc=self.desc, file=sys.stderr,
                                         leave=False)
                if total and self.bar.total != total:
                    self.bar.total = total
                self.bar.update(done - self.bar.n)
            if self.user is not None and self.user(done, total) is False:
                return 1
            return 0
        except BaseException as e:  # noqa: BLE001 - re-raised after the C call returns
            self.error = e
            return 1

    def _opt_cb(self, user: Any, done: int, total: int, _best: float, _eta: float) -> int:
        return self._cb(user, done, total)

    def reraise(self) -> None:
        if self.error is not None:
            e, self.error = self.error, None
            raise e
