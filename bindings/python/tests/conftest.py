"""Shared fixtures: candle files from CT_DATA_DIR, reference figures from CT_REF_DIR, and the
C reference runner (CT_BIND_REF, built in tests/bindings) for C-vs-Python equality."""

import json
import os
import subprocess

import pytest

import cryptota as ct

ETH_1H = "binance_ETHUSDT_1h_2017-08-17_2022-10-11.csv.zst"
BTC_1D = "binance_BTCUSDT_1d_2017-08-17_2022-10-10.csv.zst"


def data_path(name: str) -> str:
    d = os.environ.get("CT_DATA_DIR")
    if not d:
        pytest.skip("CT_DATA_DIR is not set (run through ctest)")
    return os.path.join(d, name)


def ref_path(*parts: str) -> str:
    d = os.environ.get("CT_REF_DIR")
    if not d:
        pytest.skip("CT_REF_DIR is not set (run through ctest)")
    return os.path.join(d, *parts)


def read_zst(path: str) -> str:
    return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout.decode()


def c_backtest(path: str, strategy: str, params: dict, config: dict) -> dict:
    """The same backtest through the C API (ct_bind_ref json), as the result document."""
    exe = os.environ.get("CT_BIND_REF")
    if not exe:
        pytest.skip("CT_BIND_REF is not set (run through ctest)")
    out = subprocess.run([exe, "json", path, strategy, json.dumps(params), json.dumps(config)],
                         check=True, capture_output=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="session")
def eth_path() -> str:
    return data_path(ETH_1H)


@pytest.fixture(scope="session")
def eth(eth_path: str) -> ct.Feed:
    return ct.Feed.load(eth_path)


@pytest.fixture(scope="session")
def btc_1d() -> ct.Feed:
    return ct.Feed.load(data_path(BTC_1D))
