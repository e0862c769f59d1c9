"""fetch() against the local Binance mock (tests/mock/binance_mock.py serving CT_DATA_DIR)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import cryptota as ct

MOCK = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "mock", "binance_mock.py")


@pytest.fixture(scope="module")
def base_url():
    if not os.environ.get("CT_DATA_DIR") or not os.path.exists(MOCK):
        pytest.skip("needs CT_DATA_DIR and tests/mock/binance_mock.py")
    p = subprocess.Popen([sys.executable, MOCK, "--data", os.environ["CT_DATA_DIR"], "--port", "0"],
                         stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_fetch_equals_the_file(base_url, eth, tmp_path):
    seen = []
    f = ct.fetch("ETHUSDT", "1h", start="2020-01-01", end="2020-01-11", base_url=base_url,
                 cache=tmp_path, progress=lambda d, t: seen.append((d, t)))
    ref = eth.slice("2020-01-01", "2020-01-11")
    assert len(f) == len(ref) == 240                  # ten days of 1h bars
    assert f.symbol == "ETHUSDT" and f.interval == "1h"
    for c in ("time", "open", "high", "low", "close", "volume"):
        assert np.array_equal(f[c], ref[c]), c
    assert seen and seen[-1][0] == seen[-1][1]
    again = ct.fetch("ETHUSDT", "1h", start="2020-01-01", end="2020-01-11", base_url=base_url,
                     cache=tmp_path)                  # from the cache
    assert np.array_equal(again.close, f.close)


def test_fetch_many_and_errors(base_url):
    many = ct.fetch(["ETHUSDT", "BTCUSDT"], "1h", start="2020-01-01", end="2020-01-02",
                    base_url=base_url)
    assert set(many) == {"ETHUSDT", "BTCUSDT"} and all(len(v) == 24 for v in many.values())
    with pytest.raises(ct.NotFoundError) as e:
        ct.fetch("NOSUCHCOIN", "1h", start="2020-01-01", end="2020-01-02", base_url=base_url,
                 settings={"max_retries": 0})
    assert "NOSUCHCOIN" in str(e.value)
    with pytest.raises(TypeError):
        ct.fetch(123, "1h")
    with pytest.raises(ValueError):
        ct.fetch("ETHUSDT", "1h", start="not a date", base_url=base_url)
