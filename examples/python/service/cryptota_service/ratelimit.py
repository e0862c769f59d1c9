"""Per-client token buckets: `rate` tokens per second up to `burst`; one token per request.

The client is the bearer token when one is sent (hashed, never stored in clear), else the peer
address. A request with no token left gets 429 with Retry-After (whole seconds until one token
is back). Buckets live in the API process (with several API processes each has its own).
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
