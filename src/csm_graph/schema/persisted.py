"""Automatic persisted queries (Apollo's `extensions.persistedQuery`).

A client sends `{"extensions": {"persistedQuery": {"version": 1,
"sha256Hash": "<hex>"}}}`, first without `query`. An unknown hash answers
`PersistedQueryNotFound` (code `PERSISTED_QUERY_NOT_FOUND`, HTTP 200), and
the client repeats the request with `query`: its hash is checked, the
document stored and run. Later requests send the hash alone.

This runs as the first `on_operation` hook, before parsing: Strawberry hands
the schema a request without `query` precisely so an extension can supply
it, which keeps GET and POST, JSON and multipart, and the WebSocket alike.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from csm_graph import runtime
from csm_graph.persisted import HASH_PATTERN, PersistedQueryStore, document_hash, store_for
from csm_graph.settings import Settings

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
REQUIRED = "PERSISTED_QUERY_REQUIRED"
UNSUPPORTED_VERSION = "PERSISTED_QUERY_NOT_SUPPORTED"


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The hash of `extensions.persistedQuery`, or None when there is none."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise _error("Only persisted query version 1 is supported.", UNSUPPORTED_VERSION)
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not HASH_PATTERN.match(sha256):
        raise _error("`persistedQuery.sha256Hash` must be a lower-case hex SHA-256.", HASH_MISMATCH)
    return sha256


class PersistedQueries(SchemaExtension):
    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings
        self._to_store: tuple[str, str] | None = None

    def _store(self) -> PersistedQueryStore:
        redis = runtime.get_runtime().redis if runtime.is_started() else None
        return store_for(self.settings, redis)

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context
        extensions = context.operation_extensions
        sha256 = _requested_hash(extensions)
        allow_list_only = self.settings.apq_allow_list_only
        query = context.query
        if sha256 is None:
            if (
                allow_list_only
                and query is not None
                and not await self._store().is_registered(document_hash(query))
            ):
                raise _error("Only registered documents may run here.", REQUIRED)
            yield
            return
        store = self._store()
        if query is None:
            document = await store.get(sha256)
            if document is None:
                raise _error("PersistedQueryNotFound", NOT_FOUND)
            context.query = document
        elif document_hash(query) != sha256:
            raise _error(
                "`persistedQuery.sha256Hash` is not the SHA-256 of the document.", HASH_MISMATCH
            )
        elif allow_list_only:
            if not await store.is_registered(sha256):
                raise _error("Only registered documents may run here.", REQUIRED)
        else:
            self._to_store = (sha256, query)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        yield
        # Only documents that parse and validate are kept.
        if self._to_store is not None and not self.execution_context.pre_execution_errors:
            await self._store().put(*self._to_store)


class RegisteredDocuments:
    """Whether a document is a registered one, remembered for a minute: metrics
    name only registered operations, so clients cannot grow them at will."""

    TTL_SECONDS = 60.0
    MAX_REMEMBERED = 10_000

    def __init__(self) -> None:
        self._known: dict[str, tuple[float, bool]] = {}

    async def contains(self, settings: Settings, document: str | None) -> bool:
        if not document:
            return False
        sha256 = document_hash(document)
        now = time.monotonic()
        remembered = self._known.get(sha256)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        redis = runtime.get_runtime().redis if runtime.is_started() else None
        registered = await store_for(settings, redis).is_registered(sha256)
        if len(self._known) >= self.MAX_REMEMBERED:
            self._known.clear()
        self._known[sha256] = (now + self.TTL_SECONDS, registered)
        return registered

    def forget(self) -> None:
        """Ask the store again next time (this process just registered documents)."""
        self._known.clear()


REGISTERED = RegisteredDocuments()
