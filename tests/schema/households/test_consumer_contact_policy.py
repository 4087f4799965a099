"""Representatives and heads read a consumer's contact data; nobody else outside."""

from __future__ import annotations

import datetime as dt

import httpx

from csm_graph import clock
from csm_graph.consumers.models import Consumer
from csm_graph.households.models import Relationship
from tests.schema.consumers.helpers import make_consumer
from tests.schema.consumers.test_consumer_update import consumer_client
from tests.schema.households.helpers import gid, join, make_household, represent

READ = """
query($id: ID!) {
  node(id: $id) { ... on Consumer { firstName email phone dateOfBirth address { city } } }
}
"""

UPDATE = """
mutation($input: ConsumerUpdateInput!) {
  consumerUpdate(input: $input) { consumer { id } errors { field code } }
}
"""

CONTACT = {
    "firstName": "Bob",
    "email": "bob@example.com",
    "phone": "+14155550145",
    "dateOfBirth": "1950-02-03",
    "address": {"city": "Oakland"},
}


async def _bob() -> str:
    bob = await make_consumer(
        first_name="Bob",
        email="bob@example.com",
        phone="+14155550145",
        date_of_birth=dt.date(1950, 2, 3),
        city="Oakland",
    )
    return gid("Consumer", bob.id)


async def test_a_current_representative_reads_the_contact_data(http: httpx.AsyncClient) -> None:
    # given
    client, me = await consumer_client(http, "rep@example.com")
    bob_id = await _bob()
    await represent(me, await Consumer.get(email="bob@example.com"))

    # when
    result = await client.execute(READ, {"id": bob_id})

    # then
    assert result == {"data": {"node": CONTACT}}


async def test_a_representation_that_ended_yesterday_grants_nothing_today(
    http: httpx.AsyncClient,
) -> None:
    # given
    client, me = await consumer_client(http, "rep@example.com")
    bob_id = await _bob()
    today = clock.today()
    await represent(
        me,
        await Consumer.get(email="bob@example.com"),
        valid_from=today - dt.timedelta(days=30),
        valid_until=today - dt.timedelta(days=1),
    )

    # when
    result = await client.execute(READ, {"id": bob_id})

    # then: the record is as invisible as one that does not exist
    assert result == {"data": {"node": None}}


async def test_a_head_reads_a_members_contact_data_but_cannot_change_it(
    http: httpx.AsyncClient,
) -> None:
    # given
    client, me = await consumer_client(http, "head@example.com")
    bob_id = await _bob()
    household = await make_household()
    await join(household, me)
    await join(household, await Consumer.get(email="bob@example.com"), Relationship.SPOUSE)

    # when
    read = await client.execute(READ, {"id": bob_id})
    changed = await client.data(UPDATE, {"input": {"id": bob_id, "firstName": "Robert"}})

    # then
    assert read == {"data": {"node": CONTACT}}
    assert changed["consumerUpdate"]["errors"] == [{"field": "id", "code": "FORBIDDEN"}]


async def test_a_fellow_member_who_is_not_a_head_sees_nothing(http: httpx.AsyncClient) -> None:
    # given
    client, me = await consumer_client(http, "kid@example.com")
    bob_id = await _bob()
    household = await make_household()
    await join(household, await Consumer.get(email="bob@example.com"))
    await join(household, me, Relationship.CHILD)

    # when
    result = await client.execute(READ, {"id": bob_id})

    # then
    assert result == {"data": {"node": None}}
