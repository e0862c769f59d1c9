#!/usr/bin/python3
"""End to end against empyrical: for every candle file with a reference in
reference/metrics/m_<candles>.json, run `cryptota backtest FILE --strategy rsi --equity EQ.csv`
(the engine's next_open equity curve, which reproduces backtrader's) and then
`cryptota metrics EQ.csv --benchmark FILE --json`, and compare every metric empyrical has to
1e-9 relative (null must stay null).

env: CT_CLI (the cryptota binary), CT_DATA_DIR, CT_REF_DIR. Standard library only.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

# our metric -> empyrical key (reference/README.md, "Metrics (empyrical)")
MAP = {
    "total_return": "total_return", "cagr": "annual_return", "annual_volatility": "annual_volatility",
    "sharpe_ratio": "sharpe_ratio", "sortino_ratio": "sortino_ratio", "downside_risk": "downside_risk",
    "max_drawdown": "max_drawdown", "calmar_ratio": "calmar_ratio", "omega_ratio": "omega_ratio",
    "tail_ratio": "tail_ratio", "stability": "stability_of_timeseries", "var_95": "value_at_risk",
    "cvar_95": "conditional_value_at_risk", "skew": "skew", "kurtosis": "kurtosis", "alpha": "alpha",
    "beta": "beta", "information_ratio": "information_ratio_annualized",
    "buy_hold_return": "benchmark_total_return",
}
TOL = 1e-9


def main():
    cli, data, ref = os.environ["CT_CLI"], os.environ["CT_DATA_DIR"], os.environ["CT_REF_DIR"]
    refs = sorted(glob.glob(os.path.join(ref, "metrics", "m_*.json")))
    if not refs:
        sys.exit("no reference metrics under %s" % ref)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="ct_e2e_") as work:
        eq = os.path.join(work, "equity.csv")
        for path in refs:
            stem = os.path.basename(path)[2:-5]
            candles = os.path.join(data, stem + ".csv.zst")
            subprocess.run([cli, "backtest", candles, "--strategy", "rsi", "--equity", eq], check=True,
                           stdout=subprocess.DEVNULL, timeout=600)
            got = json.loads(subprocess.run([cli, "metrics", eq, "--benchmark", candles, "--json"], check=True,
                                            stdout=subprocess.PIPE, timeout=600).stdout)["metrics"]
            want = json.load(open(path))["metrics"]
            worst, worst_name = 0.0, "-"
            for ours, theirs in MAP.items():
                a, b = got[ours], want[theirs]
                if a is None or b is None:
                    if a is not b:
                        print("FAIL %s %s: %r, empyrical %r" % (stem, ours, a, b))
                        failures += 1
                    continue
                rel = abs(a - b) / abs(b) if b != 0 else abs(a)
                if rel > worst:
                    worst, worst_name = rel, ours
                if rel > TOL:
                    print("FAIL %s %s: %.17g, empyrical %.17g (rel %.2e)" % (stem, ours, a, b, rel))
                    failures += 1
            print("%-48s %2d metrics, worst relative difference %.1e (%s)" % (stem, len(MAP), worst, worst_name))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
