"""The permission triad for every guarded field: anonymous, a viewer without
the grant, a viewer with it.

The guarded fields are found by walking the schema's types for `Guard`, so a
new guarded field (or a new rule) without a scenario here fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from strawberry.types.base import StrawberryList, StrawberryOptional, get_object_definition
from strawberry.types.lazy_type import LazyType
from strawberry.utils.str_converters import to_camel_case

from csm_graph.accounts import users
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.schema import policy
from csm_graph.schema.accounts import types
from csm_graph.schema.node import to_global_id
from csm_graph.schema.permissions import Guard, Rule
from tests.schema.shapes import on_the_wire
from tests.support import GraphQLClient, login, make_user

ADMIN = Viewer(user_id=0, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))


@dataclass(frozen=True)
class GuardedField:
    type_name: str
    name: str
    rule: Rule
    is_list: bool
    is_object: bool

    def __str__(self) -> str:
        return f"{self.type_name}.{self.name}"

    @property
    def empty(self) -> list[Any] | None:
        """What a denied read gives: [] for a list, else null."""
        return [] if self.is_list else None

    @property
    def selection(self) -> str:
        return f"{self.name} {{ id }}" if self.is_object else self.name


def _guarded_fields(*strawberry_types: type) -> list[GuardedField]:
    found = []
    for strawberry_type in strawberry_types:
        definition = get_object_definition(strawberry_type, strict=True)
        for field in definition.fields:
            for extension in field.extensions:
                if isinstance(extension, Guard):
                    field_type = field.type
                    if isinstance(field_type, StrawberryOptional):
                        field_type = field_type.of_type
                    item_type = (
                        field_type.of_type if isinstance(field_type, StrawberryList) else field_type
                    )
                    if isinstance(item_type, LazyType):
                        item_type = item_type.resolve_type()
                    found.append(
                        GuardedField(
                            definition.name,
                            field.graphql_name or to_camel_case(field.python_name),
                            extension.rule,
                            isinstance(field_type, StrawberryList),
                            get_object_definition(item_type) is not None,
                        )
                    )
    return found


GUARDED = _guarded_fields(types.User, types.Team)


USER_VALUES = frozenset(
    {
        "email",
        "phone",
        "isActive",
        "emailVerified",
        "lastLoginAt",
        "department",
        "employeeId",
        "roles",
        "teams",
        "manager",
        "consumer",
        "isServiceAccount",
        "apiTokensAllowed",
    }
)
"""The guarded User fields `_world` gives the subject a value for."""


@dataclass
class World:
    """A subject with every guarded field filled in, and the viewers around it."""

    http: httpx.AsyncClient
    subject: User
    expected: dict[str, Any]
    clients: dict[str, GraphQLClient]


async def _world(http: httpx.AsyncClient) -> World:
    boss = await make_user("boss@example.com", roles=("MANAGER",))
    subject = await make_user(
        "subject@example.com",
        roles=("AGENT",),
        phone="+14155550123",
        department="Support",
        employee_id="E-1001",
        manager_id=boss.id,
    )
    team = await users.create_team(ADMIN, "Care", [subject.id])
    await make_user("admin@example.com", roles=("ADMIN",))
    await make_user("agent@example.com", roles=("AGENT",))
    outsider = await make_user("outsider@example.com", user_type=UserType.EXTERNAL)
    # An external viewer reaches the subject as the agent assigned to their case.
    consumer = await Consumer.create(number="CON0000001", last_name="Outsider")
    await Consumer.filter(id=consumer.id).update(user_id=outsider.id)
    await Case.create(
        number="CS0000001",
        short_description="Printer",
        consumer_id=consumer.id,
        assigned_to_id=subject.id,
    )
    clients = {
        name: await login(http, f"{name}@example.com")
        for name in ("subject", "admin", "agent", "outsider")
    }
    await subject.refresh_from_db()
    assert subject.last_login_at is not None
    expected = {
        "email": "subject@example.com",
        "phone": "+14155550123",
        "isActive": True,
        "emailVerified": True,
        "lastLoginAt": on_the_wire(subject.last_login_at),
        "department": "Support",
        "employeeId": "E-1001",
        "roles": ["AGENT"],
        "teams": [{"id": to_global_id("Team", team.id)}],
        "manager": {"id": to_global_id("User", boss.id)},
        # No consumer record is linked: with the grant it reads as null, unredacted.
        "consumer": None,
        "isServiceAccount": False,
        "apiTokensAllowed": False,
    }
    assert set(expected) == USER_VALUES
    return World(http, subject, expected, clients)


@dataclass(frozen=True)
class Reach:
    """How a viewer gets to the subject: a query wrapping the field, and the
    path to the subject in the response."""

    viewer: str
    query: str
    path: tuple[str | int, ...]


def _by_node(viewer: str) -> Reach:
    return Reach(viewer, "query($id: ID!) { node(id: $id) { ... on User { %s } } }", ("node",))


def _as_self() -> Reach:
    return Reach("subject", "{ viewer { %s } }", ("viewer",))


@dataclass(frozen=True)
class Triad:
    denied: Reach
    allowed: tuple[Reach, ...]


TRIADS: dict[Rule, Triad] = {
    policy.internal_or_self: Triad(
        denied=Reach(
            "outsider",
            "{ cases { edges { node { assignedTo { %s } } } } }",
            ("cases", "edges", 0, "node", "assignedTo"),
        ),
        allowed=(_by_node("agent"), _by_node("admin"), _as_self()),
    ),
    policy.admin_or_self: Triad(
        denied=_by_node("agent"),
        allowed=(_by_node("admin"), _as_self()),
    ),
}


async def _read(world: World, reach: Reach, field: GuardedField) -> dict[str, Any]:
    client = world.clients[reach.viewer]
    return await client.execute(
        reach.query % field.selection, {"id": to_global_id("User", world.subject.id)}
    )


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def test_every_guarded_field_has_a_triad() -> None:
    assert {f.rule for f in GUARDED} <= set(TRIADS), "a rule guards a field but has no triad"
    assert {f.name for f in GUARDED if f.type_name == "User"} <= set(USER_VALUES), (
        "a guarded User field has no value in `_world`: give the subject one"
    )
    assert {str(f) for f in GUARDED} >= {
        "User.email",
        "User.phone",
        "User.roles",
        "User.teams",
        "User.manager",
    }


@pytest.mark.parametrize("field", GUARDED, ids=str)
async def test_anonymous_cannot_reach_the_field(
    http: httpx.AsyncClient, field: GuardedField
) -> None:
    # given
    world = await _world(http)

    # when
    result = await GraphQLClient(http).execute(
        _by_node("anonymous").query % field.selection,
        {"id": to_global_id("User", world.subject.id)},
    )

    # then: the object is as invisible as one that does not exist
    assert result == {"data": {"node": None}}


@pytest.mark.parametrize("field", GUARDED, ids=str)
async def test_a_viewer_without_the_grant_gets_it_redacted(
    http: httpx.AsyncClient, field: GuardedField
) -> None:
    # given
    world = await _world(http)
    reach = TRIADS[field.rule].denied

    # when
    result = await _read(world, reach, field)

    # then
    assert "errors" not in result, result
    assert _at(result["data"], reach.path) == {field.name: field.empty}
    assert result["extensions"]["redactedFields"] == [[*reach.path, field.name]]


@pytest.mark.parametrize("field", GUARDED, ids=str)
async def test_a_viewer_with_the_grant_reads_it(
    http: httpx.AsyncClient, field: GuardedField
) -> None:
    # given
    world = await _world(http)

    for reach in TRIADS[field.rule].allowed:
        # when
        result = await _read(world, reach, field)

        # then
        assert "errors" not in result, result
        assert _at(result["data"], reach.path) == {field.name: world.expected[field.name]}, reach
        assert "redactedFields" not in result.get("extensions", {}), reach


async def test_redacted_paths_name_each_item_of_a_list(http: httpx.AsyncClient) -> None:
    # given: an agent reading the roles of every member of a team
    world = await _world(http)
    other = await make_user("other@example.com", roles=("AGENT",))
    team = await users.create_team(ADMIN, "Pair", [world.subject.id, other.id])
    query = "query($id: ID!) { node(id: $id) { ... on Team { members { email roles } } } }"

    # when
    result = await world.clients["agent"].execute(query, {"id": to_global_id("Team", team.id)})

    # then
    assert result["data"]["node"]["members"] == [
        {"email": "subject@example.com", "roles": []},
        {"email": "other@example.com", "roles": []},
    ]
    assert result["extensions"]["redactedFields"] == [
        ["node", "members", 0, "roles"],
        ["node", "members", 1, "roles"],
    ]
