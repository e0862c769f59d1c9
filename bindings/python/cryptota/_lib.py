"""Finding and loading libcryptota, the ABI check, and status -> exception conversion.

Lookup order: the ``CRYPTOTA_LIB`` environment variable (a path to the shared object), a copy
next to this package (``cryptota/libcryptota.so*``, for wheels that bundle it), then the system
loader (``ctypes.util.find_library("cryptota")`` and ``libcryptota.so.<ABI>``). The binding
refuses a library whose ``ct_abi_version()`` differs from :data:`ABI_VERSION`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys
from typing import Any, List, NoReturn, Optional

from . import _ffi
from .errors import CryptotaError, error_class

#: The ABI this binding was written for (CT_ABI_VERSION in version.h).
ABI_VERSION = 1


class LibraryNotFoundError(ImportError):
    """libcryptota could not be found or has an incompatible ABI."""


def _candidates() -> List[str]:
    out: List[str] = []
    env = os.environ.get("CRYPTOTA_LIB")
    if env:
        out.append(env)
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.platform == "darwin":
        pats = ["libcryptota*.dylib"]
    elif sys.platform == "win32":
        pats = ["cryptota*.dll", "libcryptota*.dll"]
    else:
        pats = ["libcryptota.so", f"libcryptota.so.{ABI_VERSION}", "libcryptota.so.*"]
    for pat in pats:
        out.extend(sorted(glob.glob(os.path.join(here, pat))))
    found = ctypes.util.find_library("cryptota")
    if found:
        out.append(found)
    if sys.platform.startswith("linux"):
        out.append(f"libcryptota.so.{ABI_VERSION}")
    return out


def _load() -> ctypes.CDLL:
    errors = []
    for cand in _candidates():
        try:
            lib = ctypes.CDLL(cand)
        except OSError as e:
            errors.append(f"{cand}: {e}")
            if cand == os.environ.get("CRYPTOTA_LIB"):
                # An explicit path that does not load is an error, not a reason to look elsewhere.
                break
            continue
        try:
            abi = lib.ct_abi_version
        except AttributeError:
            errors.append(f"{cand}: not libcryptota (no ct_abi_version)")
            continue
        abi.restype = ctypes.c_int32
        abi.argtypes = []
        got = abi()
        if got != ABI_VERSION:
            raise LibraryNotFoundError(
                f"libcryptota at {cand} has ABI {got}, but this cryptota package needs ABI "
                f"{ABI_VERSION}; install a matching library or point CRYPTOTA_LIB at one")
        return lib
    detail = "; ".join(errors) if errors else "no candidate found"
    raise LibraryNotFoundError(
        "cannot load libcryptota: set CRYPTOTA_LIB to the path of libcryptota.so, put the "
        f"library next to the cryptota package, or install it system-wide ({detail})")


lib = _load()
F = _ffi.bind(lib)
LIB_PATH: str = getattr(lib, "_name", "")


def _s(b: Optional[bytes]) -> str:
    return b.decode("utf-8", "replace") if b else ""


def raise_status(st: int, msg: str = "") -> NoReturn:
    """Raise the CryptotaError subclass of ``st`` with ``msg`` (or the thread's last error)."""
    if not msg:
        msg = _s(F.ct_last_error()) or _s(F.ct_status_str(st))
    cls = error_class(st)
    err = cls(msg, st)
    if cls is CryptotaError:
        err.status_name = _s(F.ct_status_name(st))
    raise err


def check(st: int, handle_msg: Any = None) -> None:
    """Raise on a non-CT_OK status; ``handle_msg`` is a callable returning the handle's message."""
    if st != 0:
        msg = ""
        if handle_msg is not None:
            try:
                msg = _s(handle_msg())
            except Exception:  # pragma: no cover - message accessor missing in an old library
                msg = ""
        raise_status(st, msg)


def refuse_copy(obj: Any) -> NoReturn:
    """``__reduce__`` of the classes that own a library handle: a pickled or copied object
    would carry the same pointer, and both copies would destroy it (a double free)."""
    raise TypeError(f"cannot pickle or copy a cryptota.{type(obj).__name__}: it wraps a "
                    "library handle")


def take_string(p: ctypes.c_void_p) -> str:
    """Copy a library-allocated NUL-terminated string and release it with ct_free."""
    if not p.value:
        return ""
    try:
        return ctypes.string_at(p.value).decode("utf-8")
    finally:
        F.ct_free(p)


def to_bytes(s: Any, what: str) -> bytes:
    """UTF-8 bytes of a str/PathLike argument, or a TypeError naming it."""
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("utf-8")
    if isinstance(s, os.PathLike):
        return os.fsencode(s)
    raise TypeError(f"{what} must be a str, not {type(s).__name__}")
