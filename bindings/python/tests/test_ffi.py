"""_ffi.SIGNATURES against the C headers (STYLE.md R12): every CT_API function is declared,
with the same argument count and the same basic types (i32 i64 u32 u64 f64 size str ptr void)."""

import ctypes
import glob
import os
import re

import pytest

from cryptota import _ffi

INCLUDE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "include", "cryptota")


def parse_headers():
    out = {}
    for h in sorted(glob.glob(os.path.join(INCLUDE, "*.h"))):
        text = open(h, encoding="utf-8").read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        for m in re.finditer(r"CT_API\s+([^;(]*?)\b(ct_\w+)\s*\(([^;]*?)\)\s*;", text, flags=re.S):
            args = " ".join(m.group(3).split())
            out[m.group(2)] = (" ".join(m.group(1).split()),
                               [] if args in ("", "void") else [a.strip() for a in args.split(",")])
    return out


FN_TYPES = {"ct_progress_fn", "ct_log_fn", "ct_fetch_progress_fn", "ct_broker_fn"}


def c_category(decl: str, is_return: bool = False) -> str:
    t = re.sub(r"\bconst\b", "", decl)
    t = " ".join(t.split())
    if not is_return:  # drop the parameter name
        m = re.match(r"^(.*?[\s*])(\w+)$", t)
        if m and m.group(1).strip():
            t = m.group(1)
    t = t.replace(" ", "")
    stars = t.count("*")
    base = t.replace("*", "")
    if base in FN_TYPES and stars == 0:
        return "ptr"
    if stars == 1 and base == "char":
        return "str"
    if stars:
        return "ptr"
    return {"ct_status": "i32", "int32_t": "i32", "int64_t": "i64", "uint32_t": "u32",
            "uint64_t": "u64", "double": "f64", "size_t": "u64", "void": "void"}[base]


def py_category(t) -> str:
    if t is None:
        return "void"
    if t is ctypes.c_char_p:
        return "str"
    # size_t and uint64_t are the same ctypes type on LP64 (c_ulong): one category, "u64".
    simple = {ctypes.c_int32: "i32", ctypes.c_int64: "i64", ctypes.c_uint32: "u32",
              ctypes.c_uint64: "u64", ctypes.c_double: "f64", ctypes.c_size_t: "u64"}
    if t in simple:
        return simple[t]
    return "ptr"  # c_void_p, POINTER(...), CFUNCTYPE(...)


HEADERS = parse_headers()
DECLARED = {name: (res, args) for name, res, args in _ffi.SIGNATURES}


def test_headers_were_parsed():
    # version.h alone declares three functions; a parser that finds none would pass vacuously.
    assert {"ct_version_string", "ct_version_number", "ct_abi_version"} <= set(HEADERS)
    assert len(HEADERS) > 100


def test_every_header_function_is_declared():
    missing = sorted(set(HEADERS) - set(DECLARED))
    assert not missing, f"declare these in cryptota/_ffi.py: {missing}"


def test_no_declaration_without_a_header():
    extra = sorted(set(DECLARED) - set(HEADERS))
    assert not extra, f"not in include/cryptota/*.h: {extra}"


def test_no_duplicate_declarations():
    names = [n for n, _, _ in _ffi.SIGNATURES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", sorted(set(HEADERS) & set(DECLARED)))
def test_signature_matches_header(name):
    cret, cargs = HEADERS[name]
    pret, pargs = DECLARED[name]
    assert py_category(pret) == c_category(cret, True), f"{name}: return type"
    assert len(pargs) == len(cargs), f"{name}: {len(pargs)} args declared, header has {len(cargs)}"
    for i, (p, c) in enumerate(zip(pargs, cargs)):
        assert py_category(p) == c_category(c), f"{name}: argument {i} ({c})"


def test_struct_layouts():
    # ct_trade: u32 + i32 + 5 x i64 + 10 x double, no padding (result.h).
    assert ctypes.sizeof(_ffi.Trade) == 4 + 4 + 5 * 8 + 10 * 8
    # ct_strategy_vtable v1 ends with `destroy` (CT_STRATEGY_VTABLE_SIZE_V1).
    assert ctypes.sizeof(_ffi.StrategyVtable) == _ffi.StrategyVtable.destroy.offset + ctypes.sizeof(ctypes.c_void_p)
    # ct_param_def v1 ends with `description` (CT_PARAM_DEF_SIZE_V1).
    assert ctypes.sizeof(_ffi.ParamDef) == _ffi.ParamDef.description.offset + ctypes.sizeof(ctypes.c_void_p)
