"""Units of work: one database transaction, and what waits for its commit.

A service opens `unit_of_work()`; jobs (`jobs.Job.later`) and live events
(`pubsub.publish`) queued inside it start only once it commits, so a
rolled-back change starts nothing. This is the database layer's: jobs and
pub/sub build on it, never the other way round.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]

_after_commit: contextvars.ContextVar[list[AfterCommit] | None] = contextvars.ContextVar(
    "after_commit", default=None
)


async def after_commit(callback: AfterCommit) -> None:
    """Run `callback` once the surrounding unit of work commits, or now if there is none."""
    pending = _after_commit.get()
    if pending is None:
        await callback()
    else:
        pending.append(callback)


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[BaseDBAsyncClient]:
    """One transaction; jobs and events queued inside start only after it commits.

    Nested units join the outermost one, so a service may open one whether
    or not its caller already has.
    """
    outer = _after_commit.get()
    if outer is not None:
        async with in_transaction() as connection:
            yield connection
        return
    pending: list[AfterCommit] = []
    token = _after_commit.set(pending)
    try:
        async with in_transaction() as connection:
            yield connection
    finally:
        _after_commit.reset(token)
    for callback in pending:
        try:
            await callback()
        except Exception:
            # The change is committed; the periodic sweeps pick up what did not start.
            log.exception("after-commit callback failed")
