"""Indicators: functions made from the library's table, checked against TA-Lib's figures."""

import io
import math

import numpy as np
import pytest

import cryptota as ct
from conftest import ETH_1H, read_zst, ref_path


@pytest.fixture(scope="module")
def talib():
    # TA-Lib 0.6.0-dev outputs on the same candles (reference/README.md: RSI 14, MACD 12/26/9,
    # BBANDS 20/2/2, ATR 14, SMA 20, EMA 20), 17 significant digits, NaN in the lookback.
    text = read_zst(ref_path("indicators", "ta_" + ETH_1H))
    return np.genfromtxt(io.StringIO(text), delimiter=",", names=True)


def close_to(a, b, rel=1e-9):
    a, b = np.asarray(a), np.asarray(b)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    m = ~np.isnan(b)
    assert np.all(np.abs(a[m] - b[m]) <= 1e-9 + rel * np.abs(b[m]))


def test_table_drives_the_module():
    names = [i.name for i in ct.ta.indicators()]
    for required in ("sma", "ema", "rsi", "macd", "bbands", "atr", "stoch", "adx", "obv"):
        assert required in names and callable(getattr(ct.ta, required))
    rsi = ct.ta.info("rsi")
    assert rsi.inputs == ("close",) and rsi.options[0]["name"] == "period" and rsi.options[0]["default"] == 14
    assert "Relative Strength" in ct.ta.rsi.__doc__


def test_rsi_matches_talib(eth, talib):
    close_to(ct.ta.rsi(eth.close, 14), talib["rsi"])
    close_to(ct.ta.rsi(eth), talib["rsi"])                    # a Feed supplies its columns


def test_multi_output_and_keywords(eth, talib):
    m = ct.ta.macd(eth.close, fast=12, slow=26, signal=9)
    close_to(m.macd, talib["macd"])
    close_to(m.signal, talib["macd_signal"])
    close_to(m.hist, talib["macd_hist"])
    close_to(ct.ta.atr(eth.high, eth.low, eth.close, 14), talib["atr"])
    close_to(ct.ta.sma(eth.close, 20), talib["sma"])


def test_lists_in_lists_out_semantics():
    out = ct.ta.sma([1.0, 2.0, 3.0, 4.0], 2)
    assert np.allclose(out[1:], [1.5, 2.5, 3.5]) and math.isnan(out[0])  # hand: (1+2)/2 ...
    assert ct.ta.lookback("sma", 2) == 1


def test_every_indicator_runs_on_a_feed(eth):
    part = eth.slice(end=eth.time[300])
    for inf in ct.ta.indicators():
        res = getattr(ct.ta, inf.name)(part)
        outs = res if isinstance(res, tuple) else (res,)
        assert len(outs) == len(inf.outputs)
        for o in outs:
            assert len(o) == 300
        lb = ct.ta.lookback(inf.name)
        assert all(np.isnan(o[:lb]).all() for o in outs), inf.name


def test_stream_equals_batch(eth):
    close = eth.close[:500]
    batch = ct.ta.rsi(close, 14)
    s = ct.ta.Stream("rsi", 14)
    streamed = np.array([s.update(float(c)) for c in close])
    assert np.array_equal(np.isnan(streamed), np.isnan(batch))
    m = ~np.isnan(batch)
    assert np.array_equal(streamed[m], batch[m])   # bit-identical (indicators.h)
    assert len(s) == 500


def test_bad_arguments():
    with pytest.raises(TypeError):
        ct.ta.rsi("not numbers")
    with pytest.raises(TypeError):
        ct.ta.rsi([1.0, 2.0], period="14")
    with pytest.raises(TypeError):
        ct.ta.rsi([1.0, 2.0], colour=3)
    with pytest.raises(TypeError):
        ct.ta.atr([1.0], [1.0])                    # three inputs needed
    with pytest.raises(ct.RangeError) as e:
        ct.ta.rsi([1.0, 2.0, 3.0], 0)
    assert "period" in str(e.value)
    with pytest.raises(KeyError):
        ct.ta.run("nonexistent", [1.0])
    with pytest.raises(AttributeError):
        ct.ta.nonexistent


def test_an_option_given_twice_is_refused():
    # ta.rsi(close, 14, period=20) ran with 20 and dropped the positional 14 silently.
    close = np.linspace(1.0, 2.0, 50)
    with pytest.raises(TypeError, match="rsi\\(\\) got multiple values for option 'period'"):
        ct.ta.rsi(close, 14, period=20)
    with pytest.raises(TypeError, match="multiple values for option 'period'"):
        ct.ta.lookback("rsi", 14, period=20)
    m = ct.ta.macd(close, 12, signal=5)
    assert np.array_equal(m.hist, ct.ta.macd(close, 12, 26, 5).hist, equal_nan=True)
