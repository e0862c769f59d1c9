"""Per-client token buckets: `rate` tokens per second up to `burst`; one token per request.

The client is the bearer token when one is sent (hashed, never stored in clear), else the peer
address. A request with no token left gets 429 with Retry-After (whole seconds until one token
is back). Buckets live in Redis when it is configured (shared by every API process), else in
the API process.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Dict, Tuple


class TokenBucket:
    def __init__(self, rate: float, burst: int, max_clients: int = 100000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_clients = max_clients
        self._b: Dict[str, Tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, client: str, now: float = 0.0) -> float:
        """0 when the request may go on, else the seconds to wait for the next token."""
        if not self.enabled:
            return 0.0
        now = now or time.monotonic()
        with self._lock:
            tokens, last = self._b.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._b[client] = (tokens - 1.0, now)
                return 0.0
            self._b[client] = (tokens, now)
            if len(self._b) > self.max_clients:  # forget full buckets (idle clients)
                for k in [k for k, (t, _) in self._b.items() if t >= self.burst][: len(self._b) // 2]:
                    del self._b[k]
            return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait_s: float) -> int:
        return max(1, int(math.ceil(wait_s)))


_LUA = """
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, ts = tonumber(b[1]), tonumber(b[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


class RedisTokenBucket(TokenBucket):
    """The same buckets kept in Redis (one hash per client, updated by one Lua script), so
    every API process shares them. Used when REDIS_URL (or CELERY_BROKER_URL) is set. If
    Redis cannot be reached the request is let through (the limiter must not take the API
    down) and the in-process buckets take over until it is back."""

    def __init__(self, url: str, rate: float, burst: int) -> None:
        super().__init__(rate, burst)
        import redis  # python3-redis
        self.r = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self.r.register_script(_LUA)

    def take(self, client: str, now: float = 0.0) -> float:
        if not self.enabled:
            return 0.0
        try:
            t = self.r.time()  # one clock for every API process
            return float(self._script(keys=["cryptota:rl:" + client],
                                      args=[self.rate, self.burst, t[0] + t[1] / 1e6]))
        except Exception:  # noqa: BLE001 - Redis away: fall back to this process's buckets
            return super().take(client, now)


def make_limiter(redis_url: "str | None", rate: float, burst: int) -> TokenBucket:
    return RedisTokenBucket(redis_url, rate, burst) if redis_url else TokenBucket(rate, burst)
