"""Tortoise's SQLite backend, with transactions that take the write lock at once.

Tortoise starts a transaction with a plain (deferred) `BEGIN`: it reads
from a snapshot and asks for the write lock at its first write. When
another process wrote meanwhile, SQLite cannot upgrade that snapshot and
refuses at once ("database is locked"), whatever the busy timeout. Here a
transaction starts with `BEGIN IMMEDIATE`: it waits (up to the busy
timeout) for the write lock before reading anything, so two processes
writing one file queue instead of failing. Nested transactions keep
Tortoise's savepoints.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
