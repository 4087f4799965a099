"""Persisted GraphQL documents, looked up by the SHA-256 of their text.

Two kinds live side by side. *Automatic* ones are stored the first time a
client sends a hash with its document (Apollo's automatic persisted
queries); they are a cache, capped and expiring. *Registered* ones come from
`csm-graph persisted register` and never expire; with `APQ_ALLOW_LIST_ONLY`
they are the only documents the API runs.

With `REDIS_URL` both are shared by every API process (automatic documents
as expiring keys indexed by a sorted set of last use, registered ones in one
hash). Without it, automatic documents stay in a per-process LRU and
registered ones are files under `VAR_DIR/persisted-queries/`, so the command
line and a running embedded server see the same registry.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable
from pathlib import Path
from typing import Protocol, cast

from redis.asyncio import Redis

from csm_graph.settings import Settings

HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def document_hash(document: str) -> str:
    """The hash clients send: SHA-256 of the document's UTF-8 bytes, lower-case hex."""
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueryStore(Protocol):
    async def get(self, sha256: str) -> str | None:
        """The document with this hash, registered or automatic, or None."""

    async def put(self, sha256: str, document: str) -> None:
        """Keep an automatic document (capped, expiring)."""

    async def register(self, sha256: str, document: str) -> None:
        """Keep a registered document for good."""

    async def is_registered(self, sha256: str) -> bool: ...


class MemoryStore:
    """Automatic documents in an LRU of at most `max_documents`; registered
    documents as `<sha256>.graphql` files in `registry_dir`."""

    def __init__(self, max_documents: int, ttl_seconds: int, registry_dir: Path) -> None:
        self.max_documents = max_documents
        self.ttl_seconds = ttl_seconds
        self.registry_dir = registry_dir
        self._documents: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def _registered_path(self, sha256: str) -> Path:
        if not HASH_PATTERN.match(sha256):
            raise ValueError("not a SHA-256 hash")
        return self.registry_dir / f"{sha256}.graphql"

    async def get(self, sha256: str) -> str | None:
        entry = self._documents.get(sha256)
        if entry is not None:
            document, stored_at = entry
            if time.monotonic() - stored_at <= self.ttl_seconds:
                self._documents.move_to_end(sha256)
                return document
            del self._documents[sha256]
        return await self._read_registered(sha256)

    async def put(self, sha256: str, document: str) -> None:
        self._documents[sha256] = (document, time.monotonic())
        self._documents.move_to_end(sha256)
        while len(self._documents) > self.max_documents:
            self._documents.popitem(last=False)

    async def register(self, sha256: str, document: str) -> None:
        path = self._registered_path(sha256)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(document, encoding="utf-8")
            temporary.replace(path)

        await asyncio.to_thread(write)

    async def is_registered(self, sha256: str) -> bool:
        return await self._read_registered(sha256) is not None

    async def _read_registered(self, sha256: str) -> str | None:
        if not HASH_PATTERN.match(sha256):
            return None
        path = self._registered_path(sha256)

        def read() -> str | None:
            try:
                return path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None

        return await asyncio.to_thread(read)


class RedisStore:
    """Automatic documents as `<prefix>apq:doc:<sha256>` keys with a TTL, their
    last use in the sorted set `<prefix>apq:lru` (the least recently used go
    first past `max_documents`); registered ones in the hash `<prefix>apq:registered`."""

    def __init__(self, redis: Redis, prefix: str, max_documents: int, ttl_seconds: int) -> None:
        self.redis = redis
        self.max_documents = max_documents
        self.ttl_seconds = ttl_seconds
        self.lru_key = f"{prefix}apq:lru"
        self.registered_key = f"{prefix}apq:registered"
        self.doc_prefix = f"{prefix}apq:doc:"

    async def get(self, sha256: str) -> str | None:
        if not HASH_PATTERN.match(sha256):
            return None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(self.registered_key, sha256)
            pipe.getex(self.doc_prefix + sha256, ex=self.ttl_seconds)
            pipe.zadd(self.lru_key, {sha256: time.time()}, xx=True)
            registered, automatic, _ = await pipe.execute()
        found = registered if registered is not None else automatic
        return found.decode() if isinstance(found, bytes) else found

    async def put(self, sha256: str, document: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.doc_prefix + sha256, document, ex=self.ttl_seconds)
            pipe.zadd(self.lru_key, {sha256: time.time()})
            pipe.zcard(self.lru_key)
            _, _, count = await pipe.execute()
        excess = int(count) - self.max_documents
        if excess > 0:
            evicted = await self.redis.zpopmin(self.lru_key, excess)
            members = [m.decode() if isinstance(m, bytes) else str(m) for m, _ in evicted]
            if members:
                await self.redis.delete(*(self.doc_prefix + m for m in members))

    async def register(self, sha256: str, document: str) -> None:
        # redis-py types hash commands as maybe-sync; the asyncio client awaits.
        await cast("Awaitable[int]", self.redis.hset(self.registered_key, sha256, document))

    async def is_registered(self, sha256: str) -> bool:
        exists = self.redis.hexists(self.registered_key, sha256)
        return bool(await cast("Awaitable[bool]", exists))


_memory: dict[tuple[int, int, Path], MemoryStore] = {}


def memory_store(settings: Settings) -> MemoryStore:
    """The process's in-memory store for these settings."""
    key = (settings.apq_max_documents, settings.apq_ttl_seconds, settings.persisted_queries_dir)
    if key not in _memory:
        _memory[key] = MemoryStore(*key)
    return _memory[key]


def store_for(settings: Settings, redis: Redis | None) -> PersistedQueryStore:
    if redis is not None:
        return RedisStore(
            redis, settings.redis_prefix, settings.apq_max_documents, settings.apq_ttl_seconds
        )
    return memory_store(settings)
