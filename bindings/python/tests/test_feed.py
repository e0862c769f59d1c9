"""Feed: loading, zero-copy columns and their lifetime, host arrays, transforms, files."""

import gc

import numpy as np
import pytest

import cryptota as ct
from cryptota._lib import F

H = 3_600_000


def small(n=5, t0=0, step=H):
    t = np.arange(n, dtype=np.int64) * step + t0
    close = np.linspace(100.0, 104.0, n)
    return ct.Feed.from_arrays(t, close - 0.5, close + 1, close - 1, close, np.ones(n), symbol="TEST")


def test_load_reports_symbol_interval_rows(eth):
    # File name binance_ETHUSDT_1h_2017-08-17_2022-10-11: ETHUSDT, 1h; first open time
    # 2017-08-17 04:00 UTC = 1502942400000 ms (Binance's first ETHUSDT 1h candle).
    assert eth.symbol == "ETHUSDT"
    assert eth.interval == "1h" and eth.interval_ms == H
    assert eth.time[0] == 1502942400000
    assert len(eth) == len(eth.close) == len(eth.time)


def test_columns_are_zero_copy_views(eth):
    c = eth.close
    assert isinstance(c, np.ndarray) and c.dtype == np.float64
    assert c.ctypes.data == F.ct_feed_close(eth.handle)      # the library's own memory
    assert not c.flags.writeable
    with pytest.raises(ValueError):
        c[0] = 1.0
    assert eth.time.ctypes.data == F.ct_feed_time(eth.handle)


def test_view_keeps_feed_alive():
    f = small()
    close = f.close
    expect = close.copy()
    del f
    gc.collect()
    _ = [np.zeros(1000) for _ in range(100)]  # churn the allocator
    assert np.array_equal(close, expect)


def test_from_arrays_validates_and_names_the_row():
    t = np.array([0, H, 2 * H], dtype=np.int64)
    with pytest.raises(ct.DataError) as e:
        ct.Feed.from_arrays(t, [1, 2, 3], [2, 3, 4], [1, 1, 2], [1.5, -2.5, 3.5], [1, 1, 1])
    assert "row 1" in str(e.value) and e.value.status_name == "CT_E_DATA"
    with pytest.raises(ct.DataError):  # time not increasing
        ct.Feed.from_arrays([0, 0], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1])


def test_from_arrays_accepts_lists_and_datetime64():
    f = ct.Feed.from_arrays(np.array(["2024-01-01T00", "2024-01-01T01"], dtype="datetime64[h]"),
                            [1, 2], [2, 3], [1, 1], [1.5, 2.5], [0, 0])
    assert f.time.tolist() == [1704067200000, 1704070800000]  # 2024-01-01 UTC in epoch ms
    assert f.interval == "1h"


def test_from_arrays_borrow_is_zero_copy():
    t = np.arange(4, dtype=np.int64) * H
    c = np.array([10.0, 11.0, 12.0, 13.0])
    f = ct.Feed.from_arrays(t, c, c + 1, c - 1, c, np.zeros(4), copy=False)
    assert f.close.ctypes.data == c.ctypes.data


def test_wrong_argument_types_raise_type_error():
    with pytest.raises(TypeError):
        ct.Feed.load(42)
    with pytest.raises(TypeError):
        ct.Feed.from_arrays("abc", [1], [1], [1], [1], [1])
    with pytest.raises(TypeError):
        ct.Feed.from_arrays([0], [1], [1], [1], None, [1])
    with pytest.raises(TypeError):
        ct.Feed(123)
    with pytest.raises(TypeError):
        ct.Feed.load("x.csv", gaps="sometimes")
    with pytest.raises(ValueError):
        ct.Feed.from_arrays([0, 1], [1], [1], [1], [1], [1])


def test_missing_file_is_io_error(tmp_path):
    with pytest.raises(ct.IOFailure) as e:
        ct.Feed.load(tmp_path / "nope.csv")
    assert "nope.csv" in str(e.value)


def test_resample_matches_numpy(eth):
    r = eth.resample("4h")
    assert r.interval == "4h"
    # Expected: complete epoch-aligned 4h buckets of the 1h rows (open first, high max, low min,
    # close last, volume sum), computed independently here.
    t = eth.time
    b = t // (4 * H)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    ends = np.r_[starts[1:], len(t)]
    full = [(s, e) for s, e in zip(starts, ends) if e - s == 4]
    assert len(r) == len(full)
    for k in (0, len(full) // 2, len(full) - 1):
        s, e = full[k]
        assert r.time[k] == b[s] * 4 * H
        assert r.open[k] == eth.open[s] and r.close[k] == eth.close[e - 1]
        assert r.high[k] == eth.high[s:e].max() and r.low[k] == eth.low[s:e].min()
        assert r.volume[k] == pytest.approx(eth.volume[s:e].sum(), rel=1e-12)


def test_resample_rejects_non_multiple(eth):
    with pytest.raises(ct.InvalidArgumentError):
        eth.resample(90 * 60 * 1000)
    with pytest.raises(ct.InvalidArgumentError):
        eth.resample("7x")


def test_slice_by_time(eth):
    s = eth.slice("2020-01-01", "2020-01-02")
    assert len(s) == 24                            # one day of 1h bars
    assert s.time[0] == 1577836800000              # 2020-01-01T00:00Z
    assert eth.slice(end=eth.time[10]).time[-1] == eth.time[9]


def test_gaps_are_reported():
    t = np.array([0, H, 4 * H, 5 * H], dtype=np.int64)
    c = np.array([1.0, 2.0, 3.0, 4.0])
    f = ct.Feed.from_arrays(t, c, c, c, c, c, interval="1h")
    assert f.missing_bars == 2
    assert f.gaps() == [{"after_ms": H, "before_ms": 4 * H, "missing": 2}]
    filled = f.fill_gaps()
    assert len(filled) == 6 and filled.volume[2] == 0 and filled.close[2] == 2.0


@pytest.mark.parametrize("ext", [".ctz", ".csv", ".csv.zst"])
def test_save_load_round_trip(tmp_path, eth, ext):
    part = eth.slice(end=eth.time[500])
    p = tmp_path / f"ETHUSDT_1h{ext}"
    part.save(p)
    back = ct.Feed.load(p)
    assert len(back) == 500
    for col in ("time", "open", "high", "low", "close", "volume"):
        assert np.array_equal(back[col], part[col]), col


def test_from_csv_text_and_ctz_bytes(tmp_path):
    text = "open_time,open,high,low,close,volume\n0,1,2,0.5,1.5,10\n3600000,1.5,2,1,1.8,11\n"
    f = ct.Feed.from_csv(text, symbol="ABC")
    assert f.symbol == "ABC" and f.close.tolist() == [1.5, 1.8]
    p = tmp_path / "a.ctz"
    f.save(p)
    g = ct.Feed.from_ctz(p.read_bytes())
    assert g.close.tolist() == [1.5, 1.8]


def test_pandas_round_trip(eth):
    pytest.importorskip("pandas")
    df = eth.slice(end=eth.time[100]).to_pandas()
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]
    assert str(df.index.tz) == "UTC"
    back = ct.Feed.from_pandas(df)
    assert np.array_equal(back.close, eth.close[:100]) and np.array_equal(back.time, eth.time[:100])
    with pytest.raises(TypeError):
        ct.Feed.from_pandas([1, 2, 3])


def test_integers_beyond_int64_are_refused_not_wrapped():
    # ctypes wraps out-of-range ints silently: slice(2**64) sliced from time 0, interval=2**64 + H
    # made a 1h feed, and a uint64 time of 2**63 became -2**63.
    f = small()
    ones = [1.0, 1.0]
    for t in ([2 ** 63, 2 ** 63 + 1], np.array([2 ** 63, 2 ** 63 + 1], dtype=np.uint64),
              [2 ** 64, 2 ** 64 + 1], [-(2 ** 63) - 1, 0], [1e19, 2e19]):
        with pytest.raises(ct.RangeError, match="time holds a value that does not fit a 64-bit"):
            ct.Feed.from_arrays(t, ones, [2.0, 2.0], ones, ones, ones)
    with pytest.raises(ct.RangeError, match="start 18446744073709551616 does not fit"):
        f.slice(2 ** 64)
    with pytest.raises(ct.RangeError, match="end -9223372036854775809 does not fit"):
        f.slice(None, -(2 ** 63) - 1)
    with pytest.raises(ct.RangeError, match="interval 18446744073713151616 does not fit"):
        ct.Feed.from_arrays(f.time, f.open, f.high, f.low, f.close, f.volume, interval=2 ** 64 + H)
    with pytest.raises(ct.RangeError, match="interval"):
        f.resample(2 ** 64 + 4 * H)
    assert len(f.slice(np.int64(H), 2 ** 63 - 1)) == 4


def test_a_scalar_is_not_a_column():
    # np.ascontiguousarray turns a scalar into a 1-element array: ta.rsi(5.0) ran on one row.
    with pytest.raises(TypeError, match=r"time must be one-dimensional, got shape \(\)"):
        ct.Feed.from_arrays(0, [1.0], [1.0], [1.0], [1.0], [1.0])
    with pytest.raises(TypeError, match=r"close must be one-dimensional, got shape \(\)"):
        ct.ta.rsi(5.0)
