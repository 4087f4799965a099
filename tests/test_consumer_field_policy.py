"""The permission triad for every guarded Consumer field: anonymous, a viewer
without the grant, a viewer with it. Fields are found by walking the schema
for `Guard`, so a new guarded field or rule without a case here fails."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from csm_graph import clock
from csm_graph.accounts.models import UserType
from csm_graph.schema import policy
from csm_graph.schema.consumers import types
from csm_graph.schema.node import to_global_id
from csm_graph.schema.permissions import Rule
from tests.schema.consumers.helpers import make_consumer
from tests.support import GraphQLClient, login, make_user
from tests.test_field_policy import GuardedField, _guarded_fields

GUARDED = _guarded_fields(types.Consumer)
QUERY = "query($id: ID!) { node(id: $id) { ... on Consumer { number %s } } }"


@dataclass(frozen=True)
class Triad:
    denied: str
    """A viewer who may not read the field: they see null and, if they can
    see the consumer at all, a redaction entry."""
    allowed: tuple[str, ...]


TRIADS: dict[Rule, Triad] = {
    policy.consumer_contact: Triad(denied="stranger", allowed=("self", "agent", "admin")),
    policy.consumer_service_level: Triad(denied="stranger", allowed=("self", "agent")),
    policy.consumer_login: Triad(denied="agent", allowed=("self", "admin")),
    policy.internal_only: Triad(denied="self", allowed=("agent", "admin")),
}


@dataclass
class World:
    consumer_id: int
    clients: dict[str, GraphQLClient]
    user_id: int


async def _world(http: httpx.AsyncClient) -> World:
    login_user = await make_user("self@example.com", user_type=UserType.EXTERNAL)
    consumer = await make_consumer(
        email="self@example.com",
        phone="+14155550123",
        mobile_phone="+14155550124",
        address_line1="1 Main St",
        date_of_birth=dt.date(1980, 1, 2),
        twitter_handle="selfie",
        facebook_url="https://facebook.com/self",
        linkedin_url="https://linkedin.com/in/self",
        personal_email="me@home.example",
        sla_level="GOLD",
        external_id="crm-1",
    )
    consumer.user_id = login_user.id
    consumer.last_survey_at = clock.now()
    consumer.review_reason = "check me"
    await consumer.save()
    await make_user("stranger@example.com", user_type=UserType.EXTERNAL)
    await make_user("agent@example.com", roles=("AGENT",))
    await make_user("admin@example.com", roles=("ADMIN",))
    clients = {
        n: await login(http, f"{n}@example.com") for n in ("self", "stranger", "agent", "admin")
    }
    clients["anonymous"] = GraphQLClient(http)
    return World(consumer.id, clients, login_user.id)


async def _read(world: World, viewer: str, field: GuardedField) -> dict[str, Any]:
    selection = f"{field.name} {{ id }}" if field.is_object else field.name
    if field.name == "address":
        selection = "address { line1 }"
    return await world.clients[viewer].execute(
        QUERY % selection, {"id": to_global_id("Consumer", world.consumer_id)}
    )


def test_every_guarded_consumer_field_has_a_triad() -> None:
    assert GUARDED, "Consumer has guarded fields"
    assert {f.rule for f in GUARDED} <= set(TRIADS)


@pytest.mark.parametrize("field", GUARDED, ids=str)
async def test_guarded_consumer_field(http: httpx.AsyncClient, field: GuardedField) -> None:
    # given
    world = await _world(http)
    triad = TRIADS[field.rule]

    # when
    anonymous = await _read(world, "anonymous", field)
    denied = await _read(world, triad.denied, field)
    allowed = [await _read(world, viewer, field) for viewer in triad.allowed]

    # then: anonymous sees no consumer at all
    assert anonymous["data"]["node"] is None
    # the viewer without the grant gets nothing of the value
    node = denied["data"]["node"]
    if node is not None:
        assert node[field.name] == field.empty
        assert denied["extensions"]["redactedFields"] == [["node", field.name]]
    # every viewer with it reads a real value, unredacted
    for result in allowed:
        value = result["data"]["node"][field.name]
        assert value not in (None, [], ""), (field.name, result)
        assert "extensions" not in result or not result["extensions"].get("redactedFields")
