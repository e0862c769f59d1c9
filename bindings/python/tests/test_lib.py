"""Loading the library: versions, ABI check, lookup order and errors."""

import os
import shutil
import subprocess
import sys

import pytest

import cryptota as ct

PKG_DIR = os.path.join(os.path.dirname(__file__), "..")


def test_versions():
    assert ct.abi_version() == ct.ABI_VERSION == 1
    major, minor, patch = (int(x) for x in ct.version().split("."))
    assert ct.version_number() == major * 10000 + minor * 100 + patch


def run_import(env_lib):
    env = dict(os.environ, CRYPTOTA_LIB=env_lib, PYTHONPATH=PKG_DIR)
    return subprocess.run([sys.executable, "-c", "import cryptota"], env=env,
                          capture_output=True, text=True)


def test_bad_path_gives_import_error():
    p = run_import("/nonexistent/libcryptota.so")
    assert p.returncode != 0
    assert "ImportError" in p.stderr or "LibraryNotFoundError" in p.stderr
    assert "CRYPTOTA_LIB" in p.stderr


def test_abi_mismatch_is_refused(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler to build a fake library")
    src = tmp_path / "fake.c"
    src.write_text("int ct_abi_version(void) { return 99; }\n")
    lib = tmp_path / "libcryptota.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    p = run_import(str(lib))
    assert p.returncode != 0
    assert "ABI 99" in p.stderr and "needs ABI 1" in p.stderr


def test_status_classes():
    assert issubclass(ct.RangeError, ct.CryptotaError) and issubclass(ct.RangeError, ValueError)
    assert ct.error_class(5) is ct.NotFoundError
    assert ct.error_class(12345) is ct.CryptotaError


COPY_SCRIPT = r"""
import copy, math, pickle
import cryptota as ct
n = 300
close = [100 + 10 * math.sin(i / 7) for i in range(n)]
feed = ct.Feed.from_arrays([i * 3600000 for i in range(n)], close, [c + 1 for c in close],
                           [c - 1 for c in close], close, [1.0] * n)
seen = []
class Keep(ct.Strategy):
    name = "py_keep_ctx"
    def on_bar(self, ctx):
        seen.append(ctx)
grid = {"rsi_period": [10]}
objs = [feed, ct.backtest(feed, Keep), ct.ta.Stream("rsi", 14), ct.optimize(feed, "rsi", grid=grid),
        ct.walk_forward(feed, "rsi", grid=grid, train=100, test=50), seen[0]]
for obj in objs:
    for how in (copy.copy, copy.deepcopy, pickle.dumps):
        try:
            how(obj)
            print("copied", type(obj).__name__)
        except TypeError as e:
            print(e)
"""


def test_handle_owners_refuse_copy_and_pickle():
    # A copy carried the same library pointer and both copies freed it: the interpreter died
    # of a double free at the second destruction.
    env = dict(os.environ, PYTHONPATH=PKG_DIR)
    p = subprocess.run([sys.executable, "-c", COPY_SCRIPT], env=env, capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    names = ["Feed", "Result", "Stream", "OptimizeResult", "WalkForwardResult", "Context"]
    assert lines == [f"cannot pickle or copy a cryptota.{n}: it wraps a library handle"
                     for n in names for _ in range(3)]
