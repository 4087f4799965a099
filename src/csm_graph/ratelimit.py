"""Fixed-window counters for throttling (logins, signups).

Redis when configured, so every API process shares the counts; otherwise
a dictionary in this process.
"""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis


class Limiter(Protocol):
    async def hits(self, key: str, window_seconds: int) -> int:
        """The current count for `key` in its window (no increment)."""
        ...

    async def hit(self, key: str, window_seconds: int) -> int:
        """Count one event for `key`; return the new count in its window."""
        ...

    async def clear(self, key: str) -> None: ...


class MemoryLimiter:
    def __init__(self) -> None:
        self._counts: dict[str, tuple[float, int]] = {}

    def _live(self, key: str) -> tuple[float, int] | None:
        entry = self._counts.get(key)
        if entry is None or entry[0] <= time.monotonic():
            self._counts.pop(key, None)
            return None
        return entry

    async def hits(self, key: str, window_seconds: int) -> int:
        entry = self._live(key)
        return entry[1] if entry else 0

    async def hit(self, key: str, window_seconds: int) -> int:
        entry = self._live(key)
        expires, count = entry if entry else (time.monotonic() + window_seconds, 0)
        self._counts[key] = (expires, count + 1)
        return count + 1

    async def clear(self, key: str) -> None:
        self._counts.pop(key, None)


class RedisLimiter:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def hits(self, key: str, window_seconds: int) -> int:
        value = await self.redis.get(self.prefix + key)
        return int(value) if value else 0

    async def hit(self, key: str, window_seconds: int) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self.prefix + key)
            pipe.expire(self.prefix + key, window_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def clear(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)
