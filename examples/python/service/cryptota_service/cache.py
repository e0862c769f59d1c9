"""Result cache keyed by the library's cache key (ct_result_cache_key).

The library's key hashes the feed content, the strategy, its parameters and the config, but it
is computed from a result. So the cache has two maps: request key (a hash of the validated
request and the identity of the candle file it reads) -> library key, and library key -> the
stored result (document, report, headline metrics). A request seen before is answered without
recomputing; two requests that resolve to the same inputs share one stored result.

Redis is used when REDIS_URL (or CELERY_BROKER_URL) is set, so every API process and worker
shares it; otherwise an in-process LRU of CRYPTOTA_CACHE_SIZE entries.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any, Dict, Optional

from . import logs


def request_key(doc: Dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class LRUCache:
    backend = "memory"

    def __init__(self, size: int) -> None:
        self.size = size
        self._req: "OrderedDict[str, str]" = OrderedDict()
        self._res: "OrderedDict[str, str]" = OrderedDict()
        self._lock = threading.Lock()

    def _put(self, d: "OrderedDict[str, str]", k: str, v: str) -> None:
        d[k] = v
        d.move_to_end(k)
        while len(d) > self.size:
            d.popitem(last=False)

    def get(self, req_key: str) -> Optional[Dict[str, Any]]:
        with self._lock:
            lib = self._req.get(req_key)
            if lib is None or lib not in self._res:
                return None
            self._req.move_to_end(req_key)
            self._res.move_to_end(lib)
            return json.loads(self._res[lib])

    def put(self, req_key: str, lib_key: str, payload: Dict[str, Any]) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._put(self._res, lib_key, json.dumps(payload))
            self._put(self._req, req_key, lib_key)

    def ping(self) -> str:
        return "ok"

    def stats(self) -> Dict[str, Any]:
        return {"backend": self.backend, "entries": len(self._res), "size": self.size}


class RedisCache:
    backend = "redis"

    def __init__(self, url: str, ttl_s: int = 7 * 86400) -> None:
        import redis  # python3-redis
        self.r = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.ttl = ttl_s

    # The cache is an optimization: with Redis away a lookup is a miss and a store is skipped
    # (a warning is logged), so submissions and finished jobs do not fail with it.
    def get(self, req_key: str) -> Optional[Dict[str, Any]]:
        try:
            lib = self.r.get("cryptota:req:" + req_key)
            if lib is None:
                return None
            raw = self.r.get("cryptota:res:" + lib.decode())
        except Exception as e:  # noqa: BLE001 - redis.RedisError, OSError
            logs.log("warning", "cache", op="get", error=f"{type(e).__name__}: {e}")
            return None
        return json.loads(raw) if raw is not None else None

    def put(self, req_key: str, lib_key: str, payload: Dict[str, Any]) -> None:
        try:
            p = self.r.pipeline()
            p.set("cryptota:res:" + lib_key, json.dumps(payload), ex=self.ttl)
            p.set("cryptota:req:" + req_key, lib_key, ex=self.ttl)
            p.execute()
        except Exception as e:  # noqa: BLE001
            logs.log("warning", "cache", op="put", error=f"{type(e).__name__}: {e}")

    def ping(self) -> str:
        self.r.ping()
        return "ok"

    def stats(self) -> Dict[str, Any]:
        return {"backend": self.backend}


def make_cache(redis_url: Optional[str], size: int) -> Any:
    return RedisCache(redis_url) if redis_url else LRUCache(size)
