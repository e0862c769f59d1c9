"""Routing the library's JSON log lines to Python."""

import pytest

import cryptota as ct


def test_log_handler_receives_lines(tmp_path):
    seen = []
    old = ct.log_level()
    ct.set_log_level("debug")
    ct.set_log_handler(seen.append)
    try:
        with pytest.raises(ct.IOFailure):
            ct.Feed.load(tmp_path / "missing.csv")
        # Every failure is logged at debug level by the error module (src/core/error.c), as a
        # JSON object of log.h's shape.
        recs = [r for r in seen if "missing.csv" in r.get("msg", "")]
        assert recs and recs[0]["level"] == "debug" and recs[0]["module"] == "error"
        assert recs[0]["msg"].startswith("CT_E_IO")
        assert ct.log_level() == "debug"
    finally:
        ct.set_log_handler()
        ct.set_log_level(old)
    with pytest.raises(ValueError):
        ct.set_log_level("loud")
    with pytest.raises(TypeError):
        ct.set_log_handler(42)


def test_log_level_out_of_int32_is_refused():
    # 2**32 + 4 reached C as 4 and set the level to "error".
    old = ct.log_level()
    with pytest.raises(ct.RangeError, match="level 4294967300 does not fit a 32-bit integer"):
        ct.set_log_level(2 ** 32 + 4)
    assert ct.log_level() == old
