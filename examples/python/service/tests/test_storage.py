"""Why candles stay in the library's .ctz cache and not in the SQL database (docs/service.md).

The same 58,419 BTCUSDT 1h candles are stored three ways: the .ctz file the fetcher writes,
a `candles` table in the service's database backend (SQLite or PostgreSQL, CT_SERVICE_DB)
with the obvious schema (symbol, timeframe, open_time primary key, five REAL columns), and
the original .csv.zst. Sizes and read times are printed; docs/service.md quotes them.
"""

from __future__ import annotations

import os
import sqlite3
import time

import cryptota as ct
import support
from conftest import BACKEND

SCHEMA = ("CREATE TABLE candles (symbol TEXT NOT NULL, timeframe TEXT NOT NULL, open_time BIGINT NOT NULL, "
          "open DOUBLE PRECISION, high DOUBLE PRECISION, low DOUBLE PRECISION, close DOUBLE PRECISION, "
          "volume DOUBLE PRECISION, PRIMARY KEY (symbol, timeframe, open_time))")
SELECT = ("SELECT open_time, open, high, low, close, volume FROM candles WHERE symbol = %s AND timeframe = %s "
          "ORDER BY open_time")


def test_ctz_versus_sql_table(workdir, postgres):
    src = support.candle_file("BTCUSDT", "1h")
    feed = ct.Feed.load(src)
    n = len(feed)
    ctz = os.path.join(workdir, "BTCUSDT_1h.ctz")
    feed.save(ctz)
    t = time.perf_counter()
    back = ct.Feed.load(ctz)
    ctz_ms = (time.perf_counter() - t) * 1000
    # the .ctz round trip is exact (DESIGN.md section 3): what a backtest reads is what was fetched
    for col in ("time", "open", "high", "low", "close", "volume"):
        assert list(getattr(back, col)) == list(getattr(feed, col)), col
    rows = list(zip(["BTCUSDT"] * n, ["1h"] * n, [int(x) for x in feed.time], list(feed.open), list(feed.high),
                    list(feed.low), list(feed.close), list(feed.volume)))
    if BACKEND == "postgresql":
        import psycopg2
        conn = psycopg2.connect(postgres.new_database())
        cur = conn.cursor()
        cur.execute(SCHEMA)
        cur.executemany("INSERT INTO candles VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", rows)
        conn.commit()
        cur.execute("SELECT pg_total_relation_size('candles')")
        sql_bytes = cur.fetchone()[0]
        t = time.perf_counter()
        cur.execute(SELECT, ("BTCUSDT", "1h"))
        got = cur.fetchall()
        sql_ms = (time.perf_counter() - t) * 1000
        conn.close()
        what = "PostgreSQL table + primary key (pg_total_relation_size)"
    else:
        path = os.path.join(workdir, "candles.db")
        conn = sqlite3.connect(path)
        conn.execute(SCHEMA)
        conn.executemany("INSERT INTO candles VALUES (?,?,?,?,?,?,?,?)", rows)
        conn.commit()
        conn.execute("VACUUM")
        conn.close()
        sql_bytes = os.path.getsize(path)
        conn = sqlite3.connect(path)
        t = time.perf_counter()
        got = conn.execute(SELECT.replace("%s", "?"), ("BTCUSDT", "1h")).fetchall()
        sql_ms = (time.perf_counter() - t) * 1000
        conn.close()
        what = "SQLite file, table + primary key, after VACUUM"
    assert len(got) == n and got[0][0] == int(feed.time[0]) and got[-1][4] == feed.close[n - 1]
    ctz_bytes = os.path.getsize(ctz)
    # Six 8-byte numbers per row are a floor for any row store: 48 bytes x rows.
    assert sql_bytes >= 48 * n
    assert ctz_bytes < sql_bytes
    print(f"\n| storage of {n} BTCUSDT 1h candles | bytes | bytes/row | vs .ctz | read all rows |")
    print("|---|---:|---:|---:|---:|")
    print(f"| library .ctz cache file | {ctz_bytes} | {ctz_bytes / n:.1f} | 1.0x | {ctz_ms:.1f} ms (Feed.load) |")
    print(f"| source .csv.zst | {os.path.getsize(src)} | {os.path.getsize(src) / n:.1f} | "
          f"{os.path.getsize(src) / ctz_bytes:.1f}x | |")
    print(f"| {what} | {sql_bytes} | {sql_bytes / n:.1f} | {sql_bytes / ctz_bytes:.1f}x | "
          f"{sql_ms:.1f} ms (SELECT, rows as tuples) |")
