"""The resources one process shares: database, job dispatch, Redis, limiter, pub/sub.

The API's lifespan, the CLI, the worker and the tests all start and stop
them through here, so each runs the product the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from csm_graph import db, jobs, pubsub, ratelimit
from csm_graph.accounts import passwords
from csm_graph.ratelimit import FallbackLimiter, Limiter, MemoryLimiter, RedisLimiter
from csm_graph.settings import Settings, use_settings
from csm_graph.workers import catalogue


@dataclass
class Runtime:
    settings: Settings
    redis: Redis | None


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the runtime is not started")
    return _runtime


def is_started() -> bool:
    return _runtime is not None


async def start(settings: Settings, *, with_jobs: bool = True) -> Runtime:
    """Open the database, Redis, job dispatch and pub/sub for this process."""
    global _runtime
    use_settings(settings)
    passwords.configure(settings)
    await db.init_db(settings)
    redis: Redis | None = None
    limiter: Limiter
    if settings.uses_redis:
        redis = Redis.from_url(settings.redis_url)
        limiter = FallbackLimiter(RedisLimiter(redis, prefix=f"{settings.redis_prefix}rl:"))
    else:
        limiter = MemoryLimiter()
    ratelimit.install(limiter)
    if with_jobs:
        await jobs.start(settings, catalogue.JOBS, catalogue.PERIODIC)
    pubsub.start(settings, redis)
    _runtime = Runtime(settings=settings, redis=redis)
    return _runtime


async def stop() -> None:
    global _runtime
    await jobs.stop()
    await pubsub.stop()
    if _runtime is not None and _runtime.redis is not None:
        await _runtime.redis.aclose()
    _runtime = None
    await db.close_db()
