"""A tiny thread-safe TTL + LRU cache.

Why not ``cachetools.TTLCache``: it is not a dependency of Balcão, and the credential cache needs
two things it does not give directly: an injectable clock (tests expire entries without
sleeping) and an eviction callback (evicted connectors must be closed).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """At most ``maxsize`` entries, each valid ``ttl_s`` seconds after it was set.

    When full, the least recently *used* entry goes first. ``on_evict(key, value)`` is called
    for every entry that leaves the cache other than by :meth:`pop` (expiry, size, clear).
    """

    def __init__(
        self,
        maxsize: int,
        ttl_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_evict: Callable[[K, V], None] | None = None,
    ):
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be > 0")
        self.maxsize = maxsize
        self.ttl_s = ttl_s
        self._clock = clock
        self._on_evict = on_evict
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.RLock()

    def _evict(self, key: K, value: V) -> None:
        if self._on_evict is not None:
            self._on_evict(key, value)

    def expire(self) -> None:
        """Drop every expired entry now."""
        with self._lock:
            now = self._clock()
            for key in [k for k, (deadline, _) in self._data.items() if deadline <= now]:
                _, value = self._data.pop(key)
                self._evict(key, value)

    def get(self, key: K, default: V | None = None) -> V | None:
        """The live value for ``key`` (and mark it recently used), else ``default``."""
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return default
            deadline, value = item
            if deadline <= self._clock():
                del self._data[key]
                self._evict(key, value)
                return default
            self._data.move_to_end(key)
            return value

    def set(self, key: K, value: V) -> None:
        """Store ``value`` for ``ttl_s`` seconds, evicting expired then least-recent entries."""
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None and old[1] is not value:
                self._evict(key, old[1])
            self.expire()
            while len(self._data) >= self.maxsize:
                old_key, (_, old_value) = self._data.popitem(last=False)
                self._evict(old_key, old_value)
            self._data[key] = (self._clock() + self.ttl_s, value)

    def pop(self, key: K, default: V | None = None) -> V | None:
        """Remove ``key`` without calling ``on_evict``; the caller owns the value."""
        with self._lock:
            item = self._data.pop(key, None)
            return default if item is None else item[1]

    def clear(self) -> None:
        """Evict everything."""
        with self._lock:
            items = list(self._data.items())
            self._data.clear()
            for key, (_, value) in items:
                self._evict(key, value)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            item = self._data.get(key)  # type: ignore[call-overload]
            return item is not None and item[0] > self._clock()

    def __len__(self) -> int:
        with self._lock:
            now = self._clock()
            return sum(1 for deadline, _ in self._data.values() if deadline > now)
