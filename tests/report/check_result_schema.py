#!/usr/bin/python3
"""The result JSON validates against docs/result-schema.json, and the cache key is stable across
processes.

usage: check_result_schema.py MAKE_REPORT_EXE SCHEMA.json   (env: CT_REF_DIR, CT_DATA_DIR)
Needs python3-jsonschema (cmake/install-deps.sh test).
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

STEMS = ["binance_BTCUSDT_1d_2017-08-17_2022-10-10", "binance_ETHUSDT_1h_2017-08-17_2022-10-11"]


def run(*args):
    return subprocess.run(list(args), check=True, stdout=subprocess.PIPE, timeout=300).stdout.decode()


def main():
    make_report, schema_path = sys.argv[1], sys.argv[2]
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="ct_schema_") as work:
        for stem in STEMS:
            out = os.path.join(work, stem + ".json")
            run(make_report, "--ref", stem, "--json", out)
            doc = json.load(open(out))
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            for e in errors[:10]:
                print("FAIL %s: %s at %s" % (stem, e.message, "/".join(map(str, e.path))))
            failures += len(errors)
            # make_report asks for at most 2000 equity points (min/max per bucket, first and last kept)
            assert len(doc["equity_curve"]) <= 2000, len(doc["equity_curve"])
            assert doc["equity_downsampled"] == (doc["equity_points"] > 2000)
            assert doc["equity_curve"][0][0] == doc["start_time_ms"]
            assert doc["equity_curve"][-1][0] == doc["end_time_ms"]
            assert doc["equity_curve"][-1][1] == doc["final_equity"]
            print("ok %s: %d bytes, %d trades, %d equity points of %d, %d metrics" % (
                stem, os.path.getsize(out), len(doc["trades"]), len(doc["equity_curve"]),
                doc["equity_points"], len(doc["metrics"])))

            # the validator bites: a metric that is a string, a missing metric, a bad trade side
            for mutate in (lambda d: d["metrics"].__setitem__("sharpe_ratio", "high"),
                           lambda d: d["metrics"].pop("cagr"),
                           lambda d: d["trades"][0].__setitem__("side", "sideways"),
                           lambda d: d.__setitem__("cache_key", "xyz")):
                bad = copy.deepcopy(doc)
                mutate(bad)
                if validator.is_valid(bad):
                    print("FAIL: a broken document validated")
                    failures += 1

        # the cache key: equal in two separate processes, different for a different input
        k1 = run(make_report, "--ref", STEMS[0], "--key").strip()
        k2 = run(make_report, "--ref", STEMS[0], "--key").strip()
        k3 = run(make_report, "--ref", STEMS[1], "--key").strip()
        print("cache keys: %s %s %s" % (k1, k2, k3))
        if not (len(k1) == 64 and k1 == k2 and k1 != k3):
            print("FAIL: cache key not stable across processes or not input-dependent")
            failures += 1
        # a real engine result through the CLI: valid, and the same cache key from two processes
        cli = os.environ.get("CT_CLI")
        candles = os.path.join(os.environ.get("CT_DATA_DIR", ""), STEMS[0] + ".csv.zst")
        keys = []
        for run_no in range(2):
            out = os.path.join(work, "bt%d.json" % run_no)
            subprocess.run([cli, "backtest", candles, "--strategy", "rsi", "--json", out], check=True,
                           stdout=subprocess.DEVNULL, timeout=300)
            doc = json.load(open(out))
            errors = list(validator.iter_errors(doc))
            for e in errors[:10]:
                print("FAIL cryptota backtest --json: %s at %s" % (e.message, "/".join(map(str, e.path))))
            failures += len(errors)
            keys.append(doc["cache_key"])
        print("cryptota backtest --json: valid; cache keys %s" % keys)
        if keys[0] != keys[1]:
            print("FAIL: two runs of cryptota backtest gave different cache keys")
            failures += 1
    if failures:
        print("FAIL: %d problem(s)" % failures)
        return 1
    print("ok: result JSON valid, cache key stable across processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
