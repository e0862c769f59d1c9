"""`pip install ./bindings/python` gives a working, typed package (pure Python, no build step
beyond setuptools). Installed from a copy so the source tree stays clean."""

import os
import shutil
import subprocess
import sys

import pytest

PKG = os.path.join(os.path.dirname(__file__), "..")


def test_pip_install(tmp_path):
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode:
        pytest.skip("pip is not available")
    src = tmp_path / "src"
    shutil.copytree(PKG, src, ignore=shutil.ignore_patterns("tests", "__pycache__", "build", "*.egg-info"))
    target = tmp_path / "site"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                        "--no-index", "--quiet", "--target", str(target), str(src)],
                       capture_output=True, text=True)
    if p.returncode and "setuptools" in p.stderr and "No module named" in p.stderr:
        pytest.skip("setuptools is not installed")
    assert p.returncode == 0, p.stderr
    assert (target / "cryptota" / "py.typed").exists()
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, "-c", "import cryptota, sys; print(cryptota.__file__, cryptota.version())"],
                         env=env, capture_output=True, text=True, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(str(target))
