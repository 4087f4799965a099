"""Fixed-window counters for throttling (logins, signups, reset requests).

Redis when configured, so every API process shares the counts; otherwise
a dictionary in this process. Counting is increment-first: an attempt takes
its slot before anything is checked, so a burst of concurrent attempts
cannot all slip in under the limit; an attempt that turns out fine may give
its slot back (`release`).

While Redis is unreachable the counts fall back to this process's memory
(`FallbackLimiter`): each API process then limits on its own, which is
looser by the number of processes but never an error, and never open.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from csm_graph.errors import ErrorCode, UserErrors

log = logging.getLogger(__name__)


class Limiter(Protocol):
    async def hit(self, key: str, window_seconds: int) -> int:
        """Count one attempt for `key`; return the count in its window, this one included."""
        ...

    async def release(self, key: str) -> None:
        """Give back one counted attempt (it went well)."""
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

    async def hit(self, key: str, window_seconds: int) -> int:
        entry = self._live(key)
        expires, count = entry if entry else (time.monotonic() + window_seconds, 0)
        self._counts[key] = (expires, count + 1)
        return count + 1

    async def release(self, key: str) -> None:
        entry = self._live(key)
        if entry is not None and entry[1] > 0:
            self._counts[key] = (entry[0], entry[1] - 1)

    async def clear(self, key: str) -> None:
        self._counts.pop(key, None)


_RELEASE = """
local count = redis.call('GET', KEYS[1])
if count and tonumber(count) > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


class RedisLimiter:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def hit(self, key: str, window_seconds: int) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self.prefix + key)
            pipe.expire(self.prefix + key, window_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def release(self, key: str) -> None:
        await self.redis.eval(_RELEASE, 1, self.prefix + key)  # type: ignore[misc]

    async def clear(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)


class FallbackLimiter:
    """Redis's shared counts, or this process's own while Redis is unreachable."""

    WARN_EVERY_SECONDS = 60.0

    def __init__(self, shared: RedisLimiter, local: MemoryLimiter | None = None) -> None:
        self.shared = shared
        self.local = local or MemoryLimiter()
        self._warned_at = -self.WARN_EVERY_SECONDS

    def _fell_back(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= self.WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("Redis unreachable (%s): throttling with this process's counts", error)

    async def hit(self, key: str, window_seconds: int) -> int:
        try:
            return await self.shared.hit(key, window_seconds)
        except (RedisError, OSError) as error:
            self._fell_back(error)
            return await self.local.hit(key, window_seconds)

    async def release(self, key: str) -> None:
        try:
            await self.shared.release(key)
        except (RedisError, OSError) as error:
            self._fell_back(error)
            await self.local.release(key)

    async def clear(self, key: str) -> None:
        try:
            await self.shared.clear(key)
        except (RedisError, OSError) as error:
            self._fell_back(error)
        await self.local.clear(key)


_limiter: Limiter = MemoryLimiter()


def install(limiter: Limiter) -> None:
    """Make `limiter` this process's (the runtime does, when it starts)."""
    global _limiter
    _limiter = limiter


def limiter() -> Limiter:
    return _limiter


async def throttle(window_seconds: int, message: str, **limits: int) -> None:
    """Count one attempt against each key (`key=limit`); past any limit, refuse."""
    exceeded = False
    for key, limit in limits.items():
        exceeded = await _limiter.hit(key, window_seconds) > limit or exceeded
    if exceeded:
        raise UserErrors.one(None, message, ErrorCode.THROTTLED)
