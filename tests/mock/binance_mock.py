#!/usr/bin/python3
"""A local Binance market-data mock for the fetcher tests (Python standard library only).

It serves the candle files of a directory (binance_<SYMBOL>_<interval>_<from>_<to>.csv[.zst],
columns open_time,open,high,low,close,volume) with the contract of BINANCE.md section 7:

  GET /api/v3/ping, /api/v3/time, /api/v3/exchangeInfo[?symbol=X], /api/v3/klines
  GET /fapi/v1/ping, /fapi/v1/time, /fapi/v1/exchangeInfo, /fapi/v1/klines, /fapi/v1/fundingRate

Kline rows are the 12-field arrays of Binance: open time and close time (= open + interval - 1)
as numbers, prices and volumes as decimal strings with at least 8 decimals (exactly the decimal
value written in the file), trade count as a number. The other fields are synthesized
deterministically: quote volume = close * volume rounded to 8 decimals, trades = row index
% 1000 + 1, taker buy volumes = half of the volumes, ignore = "0".

Futures serve the same candle files. Funding is synthesized every 8 hours (00:00, 08:00, 16:00
UTC) over the span of the symbol's candles: with k = fundingTime / 28800000 the rate is
(k % 13 - 4) * 0.000025, written with 8 decimals, so it ranges from -0.0001 to 0.0002; markPrice
is "0.00000000".

Errors follow Binance: missing symbol -1102, malformed symbol -1100, unknown symbol -1121, bad
interval -1120, bad limit -1130, all HTTP 400 with {"code","msg"}; unknown path 404.
Every response carries X-MBX-USED-WEIGHT-1M (weights: klines 2 spot, 1/2/5/10 futures by limit;
exchangeInfo 20 spot / 1 futures; others 1). Over the weight limit the mock answers 429 itself.

Test control endpoints (not Binance):
  POST /__config   JSON: {"now": ms or null, "weight_limit": n, "weight_window_ms": n,
                          "lowercase_headers": bool, "delay_ms": n,
                          "bad_intervals": ["1h", ...] (answered with -1120 as if unknown)}
  POST /__fault    JSON: {"faults": [fault, ...], "agent": ua} appended to a queue; a fault is
                   {"kind": "429"|"418"|"500"|"503"|"408"|"slow"|"drop"|"truncate"|"content_type"
                            |"garbage"|"body", "path": "/api/v3/klines" (prefix; default any kline path),
                    "agent": ua (only requests with this User-Agent; default the post's "agent",
                             else any: a test tags each client so a transfer an earlier client
                             aborted cannot take its faults),
                    "skip": n (let n matching requests through first), "count": n (default 1),
                    "retry_after": s, "delay_ms": n, "body": text (kind "body": the 200 answer's
                    body instead of the real one, e.g. a page that repeats or is out of order),
                    "weight": text (the X-MBX-USED-WEIGHT-1M value sent instead of the count)}
  POST /__reset    forget faults, the request log, the weight counters and the config
  GET  /__log      {"requests": [{"path", "query", "agent"}...]} of every Binance request since
                   the reset

Usage: binance_mock.py [--data DIR] [--port N]; DIR defaults to $CT_DATA_DIR. It binds
127.0.0.1 (port 0 = any free port) and prints "PORT <n>" on stdout once it listens.
"""

import bisect
import decimal
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

INTERVALS = {
    "1s": 1000, "1m": 60000, "3m": 180000, "5m": 300000, "15m": 900000, "30m": 1800000,
    "1h": 3600000, "2h": 7200000, "4h": 14400000, "6h": 21600000, "8h": 28800000,
    "12h": 43200000, "1d": 86400000, "3d": 259200000, "1w": 604800000, "1M": 2592000000,
}
FILE_RE = re.compile(r"^(?:[a-z]+_)?([A-Z0-9]+)_([0-9]+[smhdwM])(?:_.*)?\.csv(?:\.zst)?$")
SYMBOL_RE = re.compile(r"^[A-Z0-9\-_.]{1,20}$")
FUNDING_MS = 8 * 3600 * 1000


def dec_str(text):
    """The decimal value of `text` with at least 8 decimals, exactly (no binary rounding)."""
    d = decimal.Decimal(text)
    s = format(d, "f")
    if "." not in s:
        s += "."
    frac = len(s) - s.index(".") - 1
    if frac < 8:
        s += "0" * (8 - frac)
    return s


class Series:
    """One candle file, rendered lazily into Binance kline rows."""

    def __init__(self, path, interval_ms):
        self.path = path
        self.interval_ms = interval_ms
        self.times = None
        self.rows = None
        self.closes = None
        self.lock = threading.Lock()

    def load(self):
        with self.lock:
            if self.times is not None:
                return
            if self.path.endswith(".zst"):
                text = subprocess.run(["zstd", "-dcq", self.path], check=True,
                                      stdout=subprocess.PIPE).stdout.decode()
            else:
                with open(self.path, encoding="utf-8") as fh:
                    text = fh.read()
            times, rows, closes = [], [], []
            q8 = decimal.Decimal("0.00000001")
            for i, line in enumerate(text.splitlines()):
                f = line.strip().split(",")
                if len(f) < 6 or not f[0][:1].isdigit():
                    continue
                t = int(f[0])
                o, h, l, c, v = (dec_str(x) for x in f[1:6])
                qv = format((decimal.Decimal(c) * decimal.Decimal(v)).quantize(q8), "f")
                tb = format((decimal.Decimal(v) / 2).quantize(q8), "f")
                tq = format((decimal.Decimal(qv) / 2).quantize(q8), "f")
                rows.append('[%d,"%s","%s","%s","%s","%s",%d,"%s",%d,"%s","%s","0"]' % (
                    t, o, h, l, c, v, t + self.interval_ms - 1, qv, i % 1000 + 1, tb, tq))
                times.append(t)
                closes.append(c)
            self.rows, self.closes, self.times = rows, closes, times


class State:
    def __init__(self, data_dir):
        self.series = {}      # (symbol, interval) -> Series
        self.symbols = set()
        for name in sorted(os.listdir(data_dir)) if os.path.isdir(data_dir) else []:
            m = FILE_RE.match(name)
            if m and m.group(2) in INTERVALS:
                key = (m.group(1), m.group(2))
                if key not in self.series:
                    self.series[key] = Series(os.path.join(data_dir, name), INTERVALS[m.group(2)])
                    self.symbols.add(m.group(1))
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.faults = []
            self.log = []
            self.now = None
            self.weight_limit = 6000
            self.weight_window_ms = 60000
            self.lowercase = False
            self.delay_ms = 0
            self.bad_intervals = []
            self.window_start = 0
            self.used = 0

    def server_time(self):
        return self.now if self.now is not None else int(time.time() * 1000)

    def take_fault(self, path, agent):
        """The first queued fault matching path and User-Agent (consumed), or None."""
        with self.lock:
            for f in self.faults:
                want = f.get("path")
                if want is None:
                    if not path.endswith("/klines"):
                        continue
                elif not path.startswith(want):
                    continue
                if f.get("agent") not in (None, agent):
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    continue
                f["count"] = f.get("count", 1) - 1
                if f["count"] <= 0:
                    self.faults.remove(f)
                return f
        return None

    def add_weight(self, w):
        """Count w against the window; returns (used, over_limit)."""
        with self.lock:
            now = int(time.time() * 1000)
            start = now - now % self.weight_window_ms
            if start != self.window_start:
                self.window_start, self.used = start, 0
            self.used += w
            return self.used, self.used > self.weight_limit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "binance-mock"
    state = None  # set in main

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def setup(self):
        super().setup()
        # headers and body are two writes: without TCP_NODELAY, Nagle holds the body's last
        # segment until the client's (delayed) ACK on a kept-alive connection
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # ---- plumbing ----
    def send(self, status, body, ctype="application/json;charset=UTF-8", weight=None, extra=None,
             fault=None):
        data = body.encode() if isinstance(body, str) else body
        kind = fault.get("kind") if fault else None
        if kind == "truncate":
            data = data[: max(1, len(data) // 2)]
        if kind == "garbage":
            data = b'[[1502942400000,"4261.48000000",oops]]'
        if kind == "body":
            data = fault.get("body", "").encode()
        if kind == "content_type":
            ctype = "text/html;charset=UTF-8"
            data = b"<html><body>maintenance</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if weight is not None and fault and "weight" in fault:
            weight = fault["weight"]  # any text, as a server might send it
        if weight is not None:
            name = "x-mbx-used-weight-1m" if self.state.lowercase else "X-MBX-USED-WEIGHT-1M"
            self.send_header(name, str(weight))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if kind == "drop":
            # Announce the whole body, send part of it, then drop the connection.
            self.wfile.write(data[: len(data) // 3])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(data)

    def error(self, status, code, msg, weight=None, extra=None):
        self.send(status, json.dumps({"code": code, "msg": msg}), weight=weight, extra=extra)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    # ---- control endpoints ----
    def do_POST(self):
        st = self.state
        path = urlsplit(self.path).path
        try:
            body = json.loads(self.read_body() or b"{}")
        except ValueError:
            return self.error(400, -1, "bad JSON")
        if path == "/__reset":
            st.reset()
        elif path == "/__fault":
            with st.lock:
                st.faults.extend(dict({"agent": body.get("agent")}, **f) for f in body.get("faults", []))
        elif path == "/__config":
            with st.lock:
                if "now" in body:
                    st.now = body["now"]
                st.weight_limit = body.get("weight_limit", st.weight_limit)
                st.weight_window_ms = body.get("weight_window_ms", st.weight_window_ms)
                st.lowercase = body.get("lowercase_headers", st.lowercase)
                st.delay_ms = body.get("delay_ms", st.delay_ms)
                st.bad_intervals = body.get("bad_intervals", st.bad_intervals)
        else:
            return self.error(404, -1, "unknown control path")
        self.send(200, "{}")

    # ---- Binance endpoints ----
    def do_GET(self):
        st = self.state
        u = urlsplit(self.path)
        path, query = u.path, u.query
        if path == "/__log":
            with st.lock:
                return self.send(200, json.dumps({"requests": list(st.log)}))
        q = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        agent = self.headers.get("User-Agent")
        with st.lock:
            st.log.append({"path": path, "query": query, "agent": agent})
        futures = path.startswith("/fapi/")
        routes = {
            "/api/v3/ping": (self.ping, 1), "/fapi/v1/ping": (self.ping, 1),
            "/api/v3/time": (self.time_, 1), "/fapi/v1/time": (self.time_, 1),
            "/api/v3/exchangeInfo": (self.exchange_info, 20), "/fapi/v1/exchangeInfo": (self.exchange_info, 1),
            "/api/v3/klines": (self.klines, 2), "/fapi/v1/klines": (self.klines, None),
            "/fapi/v1/fundingRate": (self.funding, 1),
        }
        if path not in routes:
            return self.send(404, "", ctype="text/plain")
        fn, weight = routes[path]
        if weight is None:  # futures klines: weight by limit
            try:
                lim = int(q.get("limit", "500"))
            except ValueError:
                lim = 500
            weight = 1 if lim < 100 else 2 if lim < 500 else 5 if lim <= 1000 else 10
        fault = st.take_fault(path, agent)
        delay = st.delay_ms + (fault.get("delay_ms", 0) if fault and fault.get("kind") == "slow" else 0)
        if delay:
            time.sleep(delay / 1000.0)
        used, over = st.add_weight(weight)
        kind = fault.get("kind") if fault else None
        if kind in ("429", "418"):
            ra = str(fault.get("retry_after", 1))
            msg = ("Too much request weight used; current limit is %d request weight per 1 MINUTE. "
                   "Please use WebSocket Streams for live updates to avoid polling the API." % st.weight_limit
                   if kind == "429" else
                   "Way too much request weight used; IP banned until %d. Please use WebSocket Streams "
                   "for live updates to avoid bans." % (int(time.time() * 1000) + int(ra) * 1000))
            return self.error(int(kind), -1003, msg, weight=used, extra={"Retry-After": ra})
        if kind in ("500", "503", "408"):
            return self.error(int(kind), -1000 if kind != "408" else -1007,
                              "An unknown error occured while processing the request.", weight=used)
        if over:
            return self.error(429, -1003, "Too much request weight used; current limit is %d request "
                              "weight per 1 MINUTE." % st.weight_limit, weight=used,
                              extra={"Retry-After": "1"})
        fn(q, futures, used, fault)

    def ping(self, q, futures, used, fault):
        self.send(200, "{}", weight=used, fault=fault)

    def time_(self, q, futures, used, fault):
        self.send(200, json.dumps({"serverTime": self.state.server_time()}), weight=used, fault=fault)

    def check_symbol(self, q, used, mandatory=True):
        """The symbol of the query, or None after sending the Binance error."""
        sym = q.get("symbol")
        if sym is None or sym == "":
            if mandatory:
                self.error(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
                           weight=used)
            return None
        if not SYMBOL_RE.match(sym):
            self.error(400, -1100, "Illegal characters found in parameter 'symbol'; legal range is "
                       "'^[A-Z0-9-_.]{1,20}$'.", weight=used)
            return None
        if sym not in self.state.symbols:
            self.error(400, -1121, "Invalid symbol.", weight=used)
            return None
        return sym

    def exchange_info(self, q, futures, used, fault):
        st = self.state
        syms = sorted(st.symbols)
        if "symbol" in q:
            sym = self.check_symbol(q, used)
            if sym is None:
                return
            syms = [sym]
        limit = st.weight_limit
        info = {
            "timezone": "UTC", "serverTime": st.server_time(),
            "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                            "limit": limit},
                           {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
                            "limit": 300000}],
            "exchangeFilters": [],
            "symbols": [{"symbol": s, "status": "TRADING", "baseAsset": s[:-4], "quoteAsset": s[-4:],
                         "filters": [
                             {"filterType": "PRICE_FILTER", "minPrice": "0.00000100", "maxPrice": "1000000.00000000",
                              "tickSize": "0.00000100"},
                             {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000",
                              "stepSize": "0.00001000"},
                             {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": True,
                              "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5}]}
                        for s in syms],
        }
        self.send(200, json.dumps(info), weight=used, fault=fault)

    def int_param(self, q, name, used):
        """(ok, value) for an optional LONG parameter; sends -1100 when malformed."""
        if name not in q:
            return True, None
        try:
            return True, int(q[name])
        except ValueError:
            self.error(400, -1100, "Illegal characters found in parameter '%s'; legal range is '^[0-9]{1,20}$'."
                       % name, weight=used)
            return False, None

    def klines(self, q, futures, used, fault):
        st = self.state
        sym = self.check_symbol(q, used)
        if sym is None:
            return
        iv = q.get("interval")
        if not iv:
            return self.error(400, -1102, "Mandatory parameter 'interval' was not sent, was empty/null, or "
                              "malformed.", weight=used)
        if iv not in INTERVALS or iv in st.bad_intervals:
            return self.error(400, -1120, "Invalid interval.", weight=used)
        ok, limit = self.int_param(q, "limit", used)
        if not ok:
            return
        maxlim = 1500 if futures else 1000
        if limit is None:
            limit = 500
        if limit <= 0 or limit > maxlim:
            return self.error(400, -1130, "Data sent for parameter 'limit' is not valid.", weight=used)
        ok, start = self.int_param(q, "startTime", used)
        if not ok:
            return
        ok, end = self.int_param(q, "endTime", used)
        if not ok:
            return
        series = st.series.get((sym, iv))
        rows = []
        if series is not None:
            series.load()
            times = series.times
            hi_end = len(times)
            if st.now is not None:  # nothing after "now": the bar holding now is the open one
                hi_end = bisect.bisect_right(times, st.now)
            if end is not None:
                hi_end = min(hi_end, bisect.bisect_right(times, end))
            if start is not None:
                lo = bisect.bisect_left(times, start)
                hi = min(hi_end, lo + limit)
            else:
                hi = hi_end
                lo = max(0, hi - limit)
            if lo < hi:
                rows = series.rows[lo:hi]
        self.send(200, "[" + ",".join(rows) + "]", weight=used, fault=fault)

    def funding(self, q, futures, used, fault):
        st = self.state
        sym = self.check_symbol(q, used)
        if sym is None:
            return
        ok, limit = self.int_param(q, "limit", used)
        if not ok:
            return
        limit = 100 if limit is None else limit
        if limit <= 0 or limit > 1000:
            return self.error(400, -1130, "Data sent for parameter 'limit' is not valid.", weight=used)
        ok, start = self.int_param(q, "startTime", used)
        if not ok:
            return
        ok, end = self.int_param(q, "endTime", used)
        if not ok:
            return
        first, last = None, None
        for (s, _iv), ser in st.series.items():
            if s == sym:
                ser.load()
                if ser.times:
                    first = ser.times[0] if first is None else min(first, ser.times[0])
                    last = ser.times[-1] if last is None else max(last, ser.times[-1])
        out = []
        if first is not None:
            k0 = -(-first // FUNDING_MS)
            k1 = min(last, st.server_time()) // FUNDING_MS
            lo, hi = k0, k1
            if start is not None:
                lo = max(lo, -(-start // FUNDING_MS))
            if end is not None:
                hi = min(hi, end // FUNDING_MS)
            if start is None and end is not None:
                lo = max(lo, hi - limit + 1)
            elif start is None and end is None:
                lo = max(lo, hi - limit + 1)
            hi = min(hi, lo + limit - 1)
            for k in range(lo, hi + 1):
                e8 = (k % 13 - 4) * 2500
                rate = ("-" if e8 < 0 else "") + "0.%08d" % abs(e8)
                out.append({"symbol": sym, "fundingRate": rate, "fundingTime": k * FUNDING_MS,
                            "markPrice": "0.00000000"})
        self.send(200, json.dumps(out), weight=used, fault=fault)


def main():
    args = sys.argv[1:]
    data = os.environ.get("CT_DATA_DIR", "")
    port = 0
    while args:
        a = args.pop(0)
        if a == "--data" and args:
            data = args.pop(0)
        elif a == "--port" and args:
            port = int(args.pop(0))
        else:
            sys.stderr.write(__doc__)
            return 2
    Handler.state = State(data)
    ThreadingHTTPServer.request_queue_size = 128  # the default 5 drops SYNs of 8 parallel connects
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    sys.stdout.write("PORT %d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
