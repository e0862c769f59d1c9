"""Without numpy the package still works and returns lists (numpy is optional)."""

import json
import os
import subprocess
import sys

import pytest

import cryptota as ct

SCRIPT = r"""
import json, sys
sys.modules["numpy"] = None          # make `import numpy` fail
import cryptota as ct
f = ct.Feed.load(sys.argv[1])
rsi = ct.ta.rsi(f.close, 14)
res = ct.backtest(f, "rsi")
print(json.dumps({"close": type(f.close).__name__, "last_close": f.close[-1],
                  "rsi": type(rsi).__name__, "rsi_last": rsi[-1], "equity": type(res.equity).__name__,
                  "final": res.equity[-1], "trades": len(res.trades),
                  "sharpe": res.metrics["sharpe_ratio"]}))
"""


def test_lists_without_numpy(eth_path, eth):
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    out = subprocess.run([sys.executable, "-c", SCRIPT, eth_path], env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["close"] == d["rsi"] == d["equity"] == "list"
    res = ct.backtest(eth, "rsi")
    assert d["last_close"] == eth.close[-1]
    assert d["rsi_last"] == ct.ta.rsi(eth.close, 14)[-1]
    assert d["final"] == res.equity[-1] and d["trades"] == len(res.trades)
    assert d["sharpe"] == res.metrics["sharpe_ratio"]


TIME_SCRIPT = r"""
import sys
sys.modules["numpy"] = None
import cryptota as ct
ones = [1.0, 1.0]
for t in ([0.5, 3600000], [2 ** 63, 2 ** 63 + 3600000], ["0", "3600000"], [0.0, 3600000.0]):
    try:
        print(ct.Feed.from_arrays(t, ones, [2.0, 2.0], ones, ones, ones).time)
    except (TypeError, ct.RangeError) as e:
        print(type(e).__name__, e)
"""


def test_time_column_rules_match_numpy():
    # Without numpy a time of 0.5 became 0 (int()), 2**63 wrapped to -2**63 and "0" parsed;
    # with numpy the first and third are TypeErrors and the second is refused.
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    out = subprocess.run([sys.executable, "-c", TIME_SCRIPT], env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "TypeError time must hold whole milliseconds",
        "RangeError time holds a value that does not fit a 64-bit integer",
        "TypeError time must be a sequence of integers, not one holding str",
        "[0, 3600000]"]
    with pytest.raises(TypeError, match="time must hold whole milliseconds"):
        ct.Feed.from_arrays([0.5, 3600000], [1.0] * 2, [2.0] * 2, [1.0] * 2, [1.0] * 2, [1.0] * 2)
