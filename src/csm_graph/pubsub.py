"""Small JSON events for live updates: `publish` after commit, `subscribe` to listen.

With `REDIS_URL` set, events go through Redis pub/sub, so an event
published by one API process reaches the subscribers of every process;
otherwise they fan out within this process. Either way each process keeps
one listener per channel and copies events into a bounded queue per local
subscriber: a subscriber that falls behind loses its oldest events instead
of holding up the others. Delivery is best effort (an event published
while Redis is unreachable is lost), so events say what changed and
subscribers load the current state themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from csm_graph.settings import Settings
from csm_graph.transactions import after_commit

log = logging.getLogger(__name__)

Event = dict[str, Any]
QUEUE_SIZE = 256
"""Events a subscriber may have waiting before the oldest are dropped."""
SUBSCRIBE_TIMEOUT_SECONDS = 10.0


class Subscription:
    """One local subscriber: an async iterator over the events of its channel."""

    def __init__(self, channel: str, queue_size: int) -> None:
        self.channel = channel
        self.dropped = 0
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=queue_size)
        self._closed = False

    def deliver(self, payload: bytes) -> None:
        """Queue an event without waiting; when full, the oldest gives way."""
        if self._closed:
            return
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                log.warning(
                    "slow subscriber on %r: %d events dropped so far", self.channel, self.dropped
                )
        self._queue.put_nowait(payload)

    def close(self) -> None:
        """End the iteration once the queued events are read."""
        if self._closed:
            return
        self._closed = True
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        payload = await self._queue.get()
        if payload is None:
            self._queue.put_nowait(None)  # later reads end too
            raise StopAsyncIteration
        event: Event = orjson.loads(payload)
        return event


class Broadcaster(Protocol):
    async def publish(self, channel: str, payload: bytes) -> None:
        """Send an encoded event to every subscriber of `channel`, now."""
        ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]: ...

    async def close(self) -> None: ...


class _Fanout:
    """Local subscribers by channel, shared by both broadcasters."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self.subscribers: dict[str, set[Subscription]] = {}

    def add(self, channel: str) -> tuple[Subscription, bool]:
        """A new subscription, and whether it is the channel's first."""
        subscription = Subscription(channel, self.queue_size)
        local = self.subscribers.setdefault(channel, set())
        local.add(subscription)
        return subscription, len(local) == 1

    def remove(self, subscription: Subscription) -> bool:
        """Forget `subscription`; True when its channel has no subscribers left."""
        subscription.close()
        local = self.subscribers.get(subscription.channel)
        if local is None:
            return False
        local.discard(subscription)
        if local:
            return False
        del self.subscribers[subscription.channel]
        return True

    def deliver(self, channel: str, payload: bytes) -> None:
        for subscription in list(self.subscribers.get(channel, ())):
            subscription.deliver(payload)

    def close(self) -> None:
        for local in self.subscribers.values():
            for subscription in local:
                subscription.close()
        self.subscribers.clear()


class MemoryBroadcaster:
    """The embedded default: events reach the subscribers of this process only."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._fanout = _Fanout(queue_size)

    async def publish(self, channel: str, payload: bytes) -> None:
        self._fanout.deliver(channel, payload)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription, _ = self._fanout.add(channel)
        try:
            yield subscription
        finally:
            self._fanout.remove(subscription)

    def subscriber_count(self, channel: str) -> int:
        return len(self._fanout.subscribers.get(channel, ()))

    async def close(self) -> None:
        self._fanout.close()


class RedisBroadcaster:
    """Redis pub/sub with one subscription connection for the whole process.

    A channel is subscribed in Redis while it has a local subscriber; one
    reader task takes every message off the connection and fans it out.
    `subscribe` returns once Redis has confirmed the subscription, so every
    event published afterwards, by any process, is delivered; leaving it
    returns once Redis has confirmed the channel's unsubscription, if it was
    the channel's last local subscriber.
    """

    def __init__(self, redis: Redis, prefix: str, queue_size: int = QUEUE_SIZE) -> None:
        self.redis = redis
        self.prefix = f"{prefix}events:"
        self._fanout = _Fanout(queue_size)
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._confirmations: dict[tuple[str, str], list[asyncio.Future[None]]] = {}

    def redis_channel(self, channel: str) -> str:
        return self.prefix + channel

    async def publish(self, channel: str, payload: bytes) -> None:
        await self.redis.publish(self.redis_channel(channel), payload)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        async with self._lock:
            subscription, first = self._fanout.add(channel)
            if first:
                try:
                    await self._confirmed("subscribe", self.redis_channel(channel))
                except BaseException:
                    self._fanout.remove(subscription)
                    raise
        try:
            yield subscription
        finally:
            async with self._lock:
                if self._fanout.remove(subscription) and self._pubsub is not None:
                    try:
                        await self._confirmed("unsubscribe", self.redis_channel(channel))
                    except (RedisError, OSError, TimeoutError):
                        log.warning("unsubscribing from %r was not confirmed", channel)

    def subscriber_count(self, channel: str) -> int:
        return len(self._fanout.subscribers.get(channel, ()))

    @property
    def redis_channels(self) -> set[str]:
        """The channels this process is subscribed to in Redis."""
        if self._pubsub is None:
            return set()
        return {name.decode() for name in self._pubsub.channels}

    async def _confirmed(self, command: str, name: str) -> None:
        """(Un)subscribe `name` in Redis and wait until Redis confirms it."""
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub()
        confirmation = asyncio.get_running_loop().create_future()
        waiting = self._confirmations.setdefault((command, name), [])
        waiting.append(confirmation)
        try:
            if command == "subscribe":
                await self._pubsub.subscribe(name)
            else:
                await self._pubsub.unsubscribe(name)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(self._pubsub), name="pubsub-reader")
            await asyncio.wait_for(confirmation, SUBSCRIBE_TIMEOUT_SECONDS)
        finally:
            if confirmation in waiting:
                waiting.remove(confirmation)

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            try:
                message = await pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The next read reconnects, and redis-py subscribes again.
                log.exception("reading Redis pub/sub failed; retrying")
                await asyncio.sleep(1)
                continue
            if message is None:
                continue
            name = message["channel"].decode()
            if message["type"] in ("subscribe", "unsubscribe"):
                for waiting in self._confirmations.pop((message["type"], name), []):
                    if not waiting.done():
                        waiting.set_result(None)
            elif message["type"] == "message" and name.startswith(self.prefix):
                self._fanout.deliver(name.removeprefix(self.prefix), message["data"])

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        self._fanout.close()
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None


_broadcaster: Broadcaster | None = None


def start(settings: Settings, redis: Redis | None) -> Broadcaster:
    """Set up this process's broadcaster (the runtime calls this)."""
    global _broadcaster
    broadcaster: Broadcaster
    if redis is not None:
        broadcaster = RedisBroadcaster(redis, settings.redis_prefix)
    else:
        broadcaster = MemoryBroadcaster()
    _broadcaster = broadcaster
    return broadcaster


async def stop() -> None:
    """End every local subscription and release the subscription connection."""
    global _broadcaster
    if _broadcaster is not None:
        await _broadcaster.close()
        _broadcaster = None


def get_broadcaster() -> Broadcaster:
    if _broadcaster is None:
        raise RuntimeError("pub/sub is not started: call runtime.start() first")
    return _broadcaster


async def publish(channel: str, event: Event) -> None:
    """Send `event` to the subscribers of `channel` once the current unit of work commits.

    A rolled-back change publishes nothing. The event is encoded at once, so
    an event that is not JSON fails here, in the caller.
    """
    payload = orjson.dumps(event)

    async def send() -> None:
        try:
            await get_broadcaster().publish(channel, payload)
        except (RedisError, OSError):
            # The change is committed; subscribers catch up on their next load.
            log.exception("publishing an event on %r failed", channel)

    await after_commit(send)


def subscribe(channel: str) -> AbstractAsyncContextManager[Subscription]:
    """`async with subscribe(channel) as events: async for event in events: ...`

    Yields the events published on `channel` after the `async with` is
    entered; leaving it unsubscribes.
    """
    return get_broadcaster().subscribe(channel)
