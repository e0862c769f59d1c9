"""Without numpy the package still works and returns lists (numpy is optional)."""

import json
import os
import subprocess
import sys

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
