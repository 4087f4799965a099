"""Consumer-user sync, run by the real job machinery (an arq worker on Redis in
the PostgreSQL run, in-process tasks in the SQLite run)."""

from __future__ import annotations

import datetime as dt

import httpx

from csm_graph import clock
from csm_graph.accounts.models import User
from csm_graph.consumers.models import Consumer
from csm_graph.consumers.services import sync_identity
from csm_graph.observability import JOBS
from csm_graph.settings import Settings
from tests.mail import settle_jobs
from tests.schema.consumers.helpers import make_consumer
from tests.schema.consumers.test_consumer_user_associate import gid
from tests.support import PASSWORD, GraphQLClient, login, make_user

CONSUMER_UPDATE = """
mutation Update($input: ConsumerUpdateInput!) {
  consumerUpdate(input: $input) { consumer { id } errors { field code } }
}
"""
USER_UPDATE = """
mutation Update($input: UserUpdateInput!) {
  userUpdate(input: $input) { user { id } errors { field code } }
}
"""


def sync_runs() -> float:
    return sum(
        JOBS.labels(name, outcome)._value.get()
        for name in ("sync_consumer_identity", "sync_user_identity")
        for outcome in ("ok", "error")
    )


async def linked_pair(email: str) -> tuple[Consumer, User]:
    user = await make_user(email, first_name="Lin", last_name="Ked")
    consumer = await make_consumer(first_name="Lin", last_name="Ked", email=email)
    consumer.user_id = user.id
    await consumer.save()
    return consumer, user


async def test_a_consumer_change_reaches_the_user_once(
    agent_client: GraphQLClient, settings: Settings
) -> None:
    # given
    consumer, user = await linked_pair("pair@example.com")
    before = sync_runs()

    # when
    payload = await agent_client.data(
        CONSUMER_UPDATE,
        {
            "input": {
                "id": gid("Consumer", consumer.id),
                "lastName": "Renamed",
                "phone": "+14155550177",
            }
        },
    )
    await settle_jobs(settings)

    # then
    assert payload["consumerUpdate"]["errors"] == []
    await user.refresh_from_db()
    assert (user.last_name, user.phone) == ("Renamed", "+14155550177")
    # One job carried the change; writing the user started no job back.
    assert sync_runs() - before == 1


async def test_a_user_change_reaches_the_consumer_without_ping_pong(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    consumer, user = await linked_pair("self@example.com")
    client = await login(http, "self@example.com", PASSWORD)
    before = sync_runs()

    await client.data(USER_UPDATE, {"input": {"id": gid("User", user.id), "firstName": "Selma"}})
    await settle_jobs(settings)

    await consumer.refresh_from_db()
    assert consumer.first_name == "Selma"
    assert sync_runs() - before == 1


async def test_the_newer_side_wins_when_both_changed(settings: Settings) -> None:
    # given: both sides edited while no job ran, the user later
    consumer, user = await linked_pair("both@example.com")
    consumer.last_name = "FromConsumer"
    consumer.identity_changed_at = clock.now()
    await consumer.save()
    user.last_name = "FromUser"
    user.identity_changed_at = clock.now() + dt.timedelta(seconds=5)
    await user.save()

    # when
    await sync_identity.later(consumer.id)
    await settle_jobs(settings)

    # then
    await consumer.refresh_from_db()
    assert consumer.last_name == "FromUser"


async def test_sync_is_idempotent(settings: Settings) -> None:
    consumer, user = await linked_pair("idem@example.com")
    consumer.middle_name = "Q"
    consumer.identity_changed_at = clock.now()
    await consumer.save()

    await sync_identity.later(consumer.id)
    await sync_identity.later(consumer.id)
    await settle_jobs(settings)

    await user.refresh_from_db()
    assert user.middle_name == "Q"
    assert await sync_identity(consumer.id) == "equal"
