"""Pub/sub: events after commit, to every subscriber, across processes."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from csm_graph import pubsub, runtime
from csm_graph.pubsub import MemoryBroadcaster, RedisBroadcaster, Subscription
from csm_graph.transactions import unit_of_work

TIMEOUT = 5


def _channel() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


async def _next(events: Subscription) -> dict[str, Any]:
    return await asyncio.wait_for(anext(events), TIMEOUT)


class Boom(Exception):
    pass


async def _publish_then_fail(channel: str, event: dict[str, Any]) -> None:
    async with unit_of_work():
        await pubsub.publish(channel, event)
        raise Boom


@pytest.fixture
async def two_processes(redis_url: str) -> AsyncIterator[tuple[RedisBroadcaster, RedisBroadcaster]]:
    """Two broadcasters with their own Redis clients, as two API processes have."""
    prefix = f"csm-test-{uuid.uuid4().hex[:8]}:"
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    one, two = RedisBroadcaster(first, prefix), RedisBroadcaster(second, prefix)
    yield one, two
    for broadcaster, client in ((one, first), (two, second)):
        await broadcaster.close()
        await client.aclose()


async def test_the_runtime_uses_redis_when_configured(product: runtime.Runtime) -> None:
    broadcaster = pubsub.get_broadcaster()

    expected = RedisBroadcaster if product.settings.uses_redis else MemoryBroadcaster
    assert isinstance(broadcaster, expected)


async def test_an_event_of_a_rolled_back_unit_of_work_is_not_delivered(
    product: runtime.Runtime,
) -> None:
    # given
    channel = _channel()
    async with pubsub.subscribe(channel) as events:
        # when
        with pytest.raises(Boom):
            await _publish_then_fail(channel, {"n": 1})
        await pubsub.publish(channel, {"n": 2})

        # then: the first event to arrive is the one published afterwards
        assert await _next(events) == {"n": 2}


async def test_a_committed_event_reaches_every_subscriber_once(product: runtime.Runtime) -> None:
    # given
    channel = _channel()
    async with pubsub.subscribe(channel) as first, pubsub.subscribe(channel) as second:
        # when
        async with unit_of_work():
            await pubsub.publish(channel, {"caseId": 7, "kind": "UPDATED"})
            await pubsub.publish(channel, {"caseId": 7, "kind": "COMMENTED"})
        await pubsub.publish(channel, {"end": True})

        # then
        for events in (first, second):
            assert await _next(events) == {"caseId": 7, "kind": "UPDATED"}
            assert await _next(events) == {"caseId": 7, "kind": "COMMENTED"}
            assert await _next(events) == {"end": True}


async def test_events_are_published_only_after_the_commit(product: runtime.Runtime) -> None:
    channel = _channel()
    async with pubsub.subscribe(channel) as events:
        async with unit_of_work():
            await pubsub.publish(channel, {"n": 1})
            await asyncio.sleep(0.1)  # would be long enough for Redis to deliver

            assert events._queue.empty()

        assert await _next(events) == {"n": 1}


async def test_an_event_that_is_not_json_fails_in_the_caller(product: runtime.Runtime) -> None:
    with pytest.raises(TypeError):
        await pubsub.publish(_channel(), {"at": object()})


async def test_subscribers_only_get_their_channel(product: runtime.Runtime) -> None:
    channel, other = _channel(), _channel()
    async with pubsub.subscribe(channel) as events:
        await pubsub.publish(other, {"n": 1})
        await pubsub.publish(channel, {"n": 2})

        assert await _next(events) == {"n": 2}


async def test_an_event_reaches_the_subscribers_of_another_process(
    two_processes: tuple[RedisBroadcaster, RedisBroadcaster],
) -> None:
    # given
    one, two = two_processes
    channel = _channel()
    async with two.subscribe(channel) as there, one.subscribe(channel) as here:
        # when
        await one.publish(channel, b'{"n":1}')

        # then
        assert await _next(there) == {"n": 1}
        assert await _next(here) == {"n": 1}


async def test_a_process_shares_one_redis_subscription_per_channel(
    two_processes: tuple[RedisBroadcaster, RedisBroadcaster], redis: Redis
) -> None:
    one, _ = two_processes
    channel = _channel()
    async with one.subscribe(channel), one.subscribe(channel), one.subscribe(channel):
        numsub = dict(await redis.pubsub_numsub(one.redis_channel(channel)))

        assert numsub[one.redis_channel(channel).encode()] == 1
        assert one.subscriber_count(channel) == 3


async def test_unsubscribing_cleans_up(
    two_processes: tuple[RedisBroadcaster, RedisBroadcaster], redis: Redis
) -> None:
    # given
    one, _ = two_processes
    channel = _channel()
    async with one.subscribe(channel) as events, one.subscribe(channel):
        pass

    # then
    assert one.subscriber_count(channel) == 0
    assert one.redis_channels == set()
    numsub = dict(await redis.pubsub_numsub(one.redis_channel(channel)))
    assert numsub[one.redis_channel(channel).encode()] == 0
    assert [event async for event in events] == []


async def test_subscribing_again_after_unsubscribing_works(
    two_processes: tuple[RedisBroadcaster, RedisBroadcaster],
) -> None:
    one, two = two_processes
    channel = _channel()
    async with two.subscribe(channel):
        pass

    async with two.subscribe(channel) as events:
        await one.publish(channel, b'{"n":2}')

        assert await _next(events) == {"n": 2}


async def test_unsubscribing_cleans_up_in_memory() -> None:
    broadcaster = MemoryBroadcaster()
    channel = _channel()
    async with broadcaster.subscribe(channel) as events:
        assert broadcaster.subscriber_count(channel) == 1

    assert broadcaster.subscriber_count(channel) == 0
    await broadcaster.publish(channel, b"{}")
    assert [event async for event in events] == []


async def test_a_slow_subscriber_loses_its_oldest_events_without_holding_up_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given
    broadcaster = MemoryBroadcaster(queue_size=2)
    channel = _channel()
    async with broadcaster.subscribe(channel) as slow, broadcaster.subscribe(channel) as fast:
        # when
        received = []
        for n in range(1, 4):
            await broadcaster.publish(channel, f'{{"n":{n}}}'.encode())
            received.append(await _next(fast))

        # then
        assert received == [{"n": 1}, {"n": 2}, {"n": 3}]
        assert await _next(slow) == {"n": 2}
        assert await _next(slow) == {"n": 3}
        assert slow.dropped == 1
    assert any(
        r.levelno == logging.WARNING and "slow subscriber" in r.getMessage() for r in caplog.records
    )


async def test_closing_the_broadcaster_ends_its_subscriptions(
    two_processes: tuple[RedisBroadcaster, RedisBroadcaster],
) -> None:
    one, _ = two_processes
    async with one.subscribe(_channel()) as events:
        await one.close()

        assert [event async for event in events] == []
