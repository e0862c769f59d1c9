#!/usr/bin/env python3
"""Binding benchmarks (issue 8), Python side.

1. A built-in backtest (rsi, defaults) called from Python against the same call in C
   (ct_bind_ref bench: create strategy + engine, configure, run, destroy), on the 130k-bar
   BTCUSDT 1m candles and on a 1M-bar series made from them. Target: Python/C < 1.2.
2. The per-bar cost of a Python strategy callback: an empty on_bar, and the rsi rules written
   in Python, as bars/s, against backtrader's bars/s on the same rules
   (reference/backtests/*.json, bars_per_second).

Usage: CRYPTOTA_LIB=build/lib/libcryptota.so CT_DATA_DIR=... CT_REF_DIR=... \
       CT_BIND_REF=build/bin/ct_bind_ref python3 tests/bench/bench_bindings.py
"""

import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import numpy as np  # noqa: E402

import cryptota as ct  # noqa: E402

M1 = "binance_BTCUSDT_1m_2025-05-20_2025-08-18.csv.zst"


def best_of(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def tile(feed, n):
    """n bars made of repeated copies of feed, times continuing and prices scaled so that each
    copy starts where the previous one ended (a continuous, valid series)."""
    k = len(feed)
    reps = -(-n // k)
    cols = {c: [] for c in ("open", "high", "low", "close", "volume")}
    scale = 1.0
    for _ in range(reps):
        for c in ("open", "high", "low", "close"):
            cols[c].append(np.asarray(feed[c]) * scale)
        cols["volume"].append(np.asarray(feed.volume))
        scale *= feed.close[-1] / feed.open[0]
    t = np.arange(reps * k, dtype=np.int64) * feed.interval_ms + int(feed.time[0])
    return ct.Feed.from_arrays(t[:n], *(np.concatenate(cols[c])[:n] for c in cols),
                               symbol="BTCUSDT", interval=feed.interval_ms)


def c_seconds(path, repeat):
    """(best seconds, minor page faults per call) of the same call in C."""
    exe = os.environ.get("CT_BIND_REF") or os.path.join(HERE, "..", "..", "build", "bin", "ct_bind_ref")
    out = subprocess.run([exe, "bench", path, "rsi", str(repeat)], check=True, capture_output=True, text=True)
    secs, faults = out.stdout.split()
    return float(secs), float(faults)


def faults_per_call(fn, repeat):
    """Minor page faults per call (after one warm-up call)."""
    fn()
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(repeat):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / repeat


class Empty(ct.Strategy):
    name = "bench_py_empty"

    def on_bar(self, ctx):
        pass


class PyRsi(ct.Strategy):
    name = "bench_py_rsi"
    params = {"rsi_period": 14, "oversold": 30.0, "overbought": 70.0}

    def on_start(self, ctx):
        self.h = ctx.declare("rsi", self.params["rsi_period"])

    def on_bar(self, ctx):
        r = ctx.indicator(self.h)
        if ctx.position == 0 and r < self.params["oversold"]:
            ctx.order_target(1.0)
        elif ctx.position > 0 and r > self.params["overbought"]:
            ctx.close_position()


def main():
    data = os.environ["CT_DATA_DIR"]
    base = ct.Feed.load(os.path.join(data, M1))
    print(f"cryptota {ct.version()} Python binding benchmark ({sys.version.split()[0]}, numpy {np.__version__})")
    with tempfile.TemporaryDirectory() as tmp:
        big = tile(base, 1_000_000)
        big_path = os.path.join(tmp, "BTCUSDT_1m_1M.ctz")
        big.save(big_path)
        print("\n1. built-in rsi backtest: Python call vs the same call in C")
        print("   (best of 5 rounds x 5 calls, C and Python rounds interleaved: the machine is shared)")
        print(f"   {'bars':>9} {'C ms':>9} {'Python ms':>10} {'ratio':>6}   minor page faults per call: C, Python")
        for feed, path in ((base, os.path.join(data, M1)), (big, big_path)):
            c = py = float("inf")
            for _ in range(5):
                c = min(c, c_seconds(path, 5)[0])
                py = min(py, best_of(lambda: ct.backtest(feed, "rsi"), 5))
            cf = c_seconds(path, 5)[1]
            pf = faults_per_call(lambda: ct.backtest(feed, "rsi"), 4)
            print(f"   {len(feed):>9} {c * 1e3:>9.3f} {py * 1e3:>10.3f} {py / c:>6.3f}   {cf:>8.0f} {pf:>8.0f}")
    refs = glob.glob(os.path.join(os.environ.get("CT_REF_DIR", ""), "backtests", "bt_next_open_*.json"))
    bt = statistics.median(json.load(open(p))["bars_per_second"] for p in refs) if refs else float("nan")
    print(f"\n2. Python strategy callbacks on {len(base)} bars (best of 5); backtrader 1.9.78, same rules: {bt:,.0f} bars/s (median of {len(refs)} reference runs)")
    for cls in (Empty, PyRsi):
        s = best_of(lambda: ct.backtest(base, cls), 5)
        bps = len(base) / s
        print(f"   {cls.name:<16} {bps:>12,.0f} bars/s  {s / len(base) * 1e6:6.2f} us/bar  {bps / bt:6.1f}x backtrader")
    a = ct.backtest(base, "rsi")
    b = ct.backtest(base, PyRsi)
    print(f"   (bench_py_rsi reproduces rsi: {np.array_equal(a.equity, b.equity)})")


if __name__ == "__main__":
    main()
