"""Counting SQL statements per request, for the benchmarks (`SQL_COUNT_HEADER`).

Tortoise logs every statement on the `tortoise.db_client` logger at DEBUG.
With the setting on, a handler there adds one to the current request's
counter, and the middleware returns the total in `X-SQL-Statements`. Off by
default: debug logging of every statement costs time.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-sql-statements"
_counter: ContextVar[list[int] | None] = ContextVar("sql_statements", default=None)


class _CountingHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        counter = _counter.get()
        if counter is not None:
            counter[0] += 1


def install() -> None:
    """Count statements from now on (once per process), without logging them."""
    logger = logging.getLogger("tortoise.db_client")
    if any(isinstance(h, _CountingHandler) for h in logger.handlers):
        return
    logger.addHandler(_CountingHandler(logging.DEBUG))
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


class SqlCountMiddleware:
    """Adds `X-SQL-Statements` to every HTTP response. DataLoader batches run
    in tasks that copy the request's context, so they add to the same counter."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counter = [0]
        token = _counter.set(counter)

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(HEADER, str(counter[0]))
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            _counter.reset(token)
