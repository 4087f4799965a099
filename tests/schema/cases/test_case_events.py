"""Live updates: `caseEvents` over graphql-transport-ws, checked for access on
every event, and carried between API processes by Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from csm_graph import clock, pubsub
from csm_graph.access import engine
from csm_graph.cases import events
from csm_graph.cases.models import ActivityKind, CaseActivity, CaseComment
from csm_graph.households.models import HouseholdMember
from csm_graph.schema.node import from_global_id
from tests.conftest import BACKEND
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.schema.shapes import DATETIME
from tests.support import GraphQLClient
from tests.ws import open_socket, subscribers, until

SUBSCRIBE = (
    "subscription($id: ID) "
    "{ caseEvents(caseId: $id) { kind case { number state } actor { fullName email } } }"
)
COMMENT = "mutation($i: CaseCommentAddInput!) { caseCommentAdd(input: $i) { errors { code } } }"


@asynccontextmanager
async def subscribed(
    base_url: str, client: GraphQLClient, case_id: str | None
) -> AsyncIterator[ClientConnection]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {client.token}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"id": case_id}},
                }
            )
        )
        await asyncio.sleep(0.3)  # let the server subscribe before events are made
        yield ws


async def next_event(ws: ClientConnection, wait: float = 5) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), wait))
    assert message["type"] == "next", message
    event: dict[str, Any] = message["payload"]["data"]["caseEvents"]
    return event


async def no_event(ws: ClientConnection, wait: float = 1.0) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), wait)


async def comment(world: World, who: str, case_id: int, body: str) -> None:
    data = await world.client(who).data(
        COMMENT, {"i": {"caseId": gid("Case", case_id), "body": body}}
    )
    assert data["caseCommentAdd"]["errors"] == []


async def test_a_subscriber_sees_events_made_by_another_client(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    async with subscribed(server_url, world.client("member"), gid("Case", case.id)) as ws:
        # when
        await comment(world, "agent", case.id, "On it")

        # then
        event = await next_event(ws)
        assert event["kind"] == "COMMENTED"
        assert event["case"]["number"] == case.number
        # the agent's name, but not their email: the field policy holds here too
        assert event["actor"] == {"fullName": "Test Agent", "email": None}


async def test_strangers_and_work_notes_produce_nothing(
    http: httpx.AsyncClient, server_url: str
) -> None:
    world = await make_world(http)
    case = await open_case(world)

    async with (
        subscribed(server_url, world.client("stranger"), None) as stranger,
        subscribed(server_url, world.client("member"), None) as member,
    ):
        await world.client("agent").data(
            COMMENT, {"i": {"caseId": gid("Case", case.id), "body": "internal", "workNote": True}}
        )
        await comment(world, "agent", case.id, "public")

        assert (await next_event(member))["kind"] == "COMMENTED"
        await no_event(stranger)


async def test_losing_access_stops_the_events(http: httpx.AsyncClient, server_url: str) -> None:
    # given: a household member (read access) subscribed to every case
    world = await make_world(http)
    case = await open_case(world)
    async with subscribed(server_url, world.client("other"), None) as ws:
        await comment(world, "agent", case.id, "first")
        assert (await next_event(ws))["kind"] == "COMMENTED"

        # when: their membership ends
        await HouseholdMember.filter(consumer_id=world.other.id).update(end_date=clock.today())
        await comment(world, "agent", case.id, "second")

        # then
        await no_event(ws)


@pytest.mark.skipif(BACKEND != "postgres", reason="crossing processes needs Redis")
async def test_an_event_made_on_one_process_reaches_a_subscriber_on_another(
    http: httpx.AsyncClient, second_server_url: str
) -> None:
    world = await make_world(http)
    case = await open_case(world)

    async with subscribed(second_server_url, world.client("member"), gid("Case", case.id)) as ws:
        await comment(world, "agent", case.id, "Made on the first process")

        event = await next_event(ws, wait=10)
        assert (event["kind"], event["case"]["number"]) == ("COMMENTED", case.number)


# --- what an event carries: ids for caches, the new comment, the activity entry --------

EVENT = """
subscription($id: ID) {
  caseEvents(caseId: $id) {
    id kind at
    case { id }
    comment { id body workNote }
    activity { id kind field newValue }
  }
}
"""
CASE_LISTS = """
query($id: ID!) {
  node(id: $id) {
    ... on Case {
      comments(first: 50) { edges { node { id body workNote } } }
      activity(first: 50) { edges { node { id kind field newValue } } }
    }
  }
}
"""
WORK_NOTE = """
mutation($i: CaseCommentAddInput!) { caseCommentAdd(input: $i) { comment { id } errors { code } } }
"""
CASE_UPDATE = """
mutation($i: CaseUpdateInput!) { caseUpdate(input: $i) { errors { field code } } }
"""


async def _listed(world: World, who: str, case_id: int) -> dict[str, list[dict[str, Any]]]:
    """`Case.comments` and `Case.activity` as `who` reads them."""
    node = (await world.client(who).data(CASE_LISTS, {"id": gid("Case", case_id)}))["node"]
    return {key: [e["node"] for e in node[key]["edges"]] for key in ("comments", "activity")}


async def test_a_comment_event_carries_the_comment_and_its_activity_entry_as_queries_show_them(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given: the case's consumer and an agent subscribed to it
    world = await make_world(http)
    case = await open_case(world)
    async with (
        open_socket(server_url, world.client("member").token) as member,
        open_socket(server_url, world.client("agent").token) as agent,
    ):
        ops = {
            "member": await member.start(EVENT, {"id": gid("Case", case.id)}),
            "agent": await agent.start(EVENT, {"id": gid("Case", case.id)}),
        }
        await until(lambda: subscribers(events.CHANNEL) >= 2)

        # when
        await comment(world, "agent", case.id, "On it")

        # then: the comment and the entry, as `Case.comments` and `Case.activity` list them
        seen = {
            "member": await member.result(ops["member"]),
            "agent": await agent.result(ops["agent"]),
        }
    listed = await _listed(world, "member", case.id)
    (written,) = listed["comments"]
    entry = listed["activity"][-1]
    for payload in seen.values():
        assert "errors" not in payload, payload
        event = payload["data"]["caseEvents"]
        assert event["kind"] == "COMMENTED"
        assert event["comment"] == {"id": written["id"], "body": "On it", "workNote": False}
        assert event["activity"] == entry
        assert entry["kind"] == "COMMENTED"
        assert DATETIME.fullmatch(event["at"]), event["at"]
    # one id per event, the same in every subscriber's copy, and not the entry's own
    ids = {p["data"]["caseEvents"]["id"] for p in seen.values()}
    assert ids == {gid("CaseEvent", int(from_global_id(entry["id"])[1]))}
    assert entry["id"] not in ids


async def test_events_without_a_new_comment_carry_their_entry_and_no_comment(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    async with open_socket(server_url, world.client("agent").token) as socket:
        op = await socket.start(EVENT, {"id": gid("Case", case.id)})
        await until(lambda: subscribers(events.CHANNEL) >= 1)

        # when: one update of two fields
        data = await world.client("agent").data(
            CASE_UPDATE,
            {
                "i": {
                    "id": gid("Case", case.id),
                    "version": case.version,
                    "priority": 2,
                    "shortDescription": "Router reboots hourly",
                }
            },
        )
        assert data["caseUpdate"]["errors"] == []

        # then: one event per activity entry, each with its own id
        got = [(await socket.result(op))["data"]["caseEvents"] for _ in range(2)]
    entries = (await _listed(world, "agent", case.id))["activity"][-2:]
    assert [e["kind"] for e in got] == ["UPDATED", "UPDATED"]
    assert [e["activity"] for e in got] == entries
    assert {e["field"] for e in entries} == {"priority", "short_description"}
    assert [e["comment"] for e in got] == [None, None]
    assert len({e["id"] for e in got}) == 2


ASSIGN = "mutation($i: CaseAssignInput!) { caseAssign(input: $i) { errors { code } } }"
REQUEST_INFO = """
mutation($i: CaseRequestInfoInput!) { caseRequestInfo(input: $i) { errors { code } } }
"""


async def test_asking_the_consumer_sends_the_question_then_the_new_state(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given: the case's consumer subscribed to it
    world = await make_world(http)
    case = await open_case(world)
    async with open_socket(server_url, world.client("member").token) as socket:
        op = await socket.start(EVENT, {"id": gid("Case", case.id)})
        await until(lambda: subscribers(events.CHANNEL) >= 1)

        # when: an agent takes the case and asks the consumer
        agent = world.client("agent")
        assigned = await agent.data(ASSIGN, {"i": {"id": gid("Case", case.id)}})
        asked = await agent.data(
            REQUEST_INFO, {"i": {"id": gid("Case", case.id), "body": "Which model is it?"}}
        )
        assert assigned["caseAssign"]["errors"] == asked["caseRequestInfo"]["errors"] == []

        # then: one event per activity entry, in order, the question with its comment
        got = [(await socket.result(op))["data"]["caseEvents"] for _ in range(4)]
    listed = await _listed(world, "member", case.id)
    assert [(e["kind"], e["activity"]["newValue"]) for e in got] == [
        ("ASSIGNED", str(world.ids["agent"])),
        ("STATE_CHANGED", "OPEN"),
        ("COMMENTED", ""),
        ("STATE_CHANGED", "AWAITING_INFO"),
    ]
    assert [e["activity"] for e in got] == listed["activity"][-4:]
    assert [e["comment"] for e in got] == [None, None, listed["comments"][-1], None]
    assert listed["comments"][-1]["body"] == "Which model is it?"


async def test_a_consumer_subscriber_never_receives_a_work_note(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given: the case's consumer and an administrator, subscribed to every case
    world = await make_world(http)
    case = await open_case(world)
    async with (
        open_socket(server_url, world.client("member").token) as member,
        open_socket(server_url, world.client("admin").token) as admin,
    ):
        member_op = await member.start(EVENT)
        admin_op = await admin.start(EVENT)
        await until(lambda: subscribers(events.CHANNEL) >= 2)

        # when: a work note, then a public comment
        note = await world.client("agent").data(
            WORK_NOTE,
            {"i": {"caseId": gid("Case", case.id), "body": "Secret plan", "workNote": True}},
        )
        assert note["caseCommentAdd"]["errors"] == []
        await comment(world, "agent", case.id, "Public answer")

        # then: the administrator gets both, with the note's body
        to_admin = [(await admin.result(admin_op))["data"]["caseEvents"] for _ in range(2)]
        assert [(e["kind"], e["comment"]["body"]) for e in to_admin] == [
            ("WORK_NOTE_ADDED", "Secret plan"),
            ("COMMENTED", "Public answer"),
        ]
        assert to_admin[0]["comment"]["id"] == note["caseCommentAdd"]["comment"]["id"]
        # the consumer gets the public comment only, and nothing of the note
        first = await member.result(member_op)
        assert first["data"]["caseEvents"]["comment"]["body"] == "Public answer"
        with pytest.raises(TimeoutError):
            await member.message(member_op, wait=1.0)
        assert "Secret plan" not in json.dumps(member.seen)
        assert note["caseCommentAdd"]["comment"]["id"] not in json.dumps(member.seen)


async def test_an_event_naming_a_work_note_shows_it_only_to_internal_users(
    http: httpx.AsyncClient, server_url: str
) -> None:
    """The event's `comment` asks the comment's own rule, whatever the event says:
    even an event that does not mark its entry internal never shows the note."""
    # given: a work note, and the consumer and an agent subscribed to the case
    world = await make_world(http)
    case = await open_case(world)
    note = await CaseComment.create(
        case_id=case.id, body="Secret plan", work_note=True, author_id=world.ids["agent"]
    )
    entry = await CaseActivity.create(case_id=case.id, kind=ActivityKind.COMMENTED)
    async with (
        open_socket(server_url, world.client("member").token) as member,
        open_socket(server_url, world.client("agent").token) as agent,
    ):
        member_op = await member.start(EVENT, {"id": gid("Case", case.id)})
        agent_op = await agent.start(EVENT, {"id": gid("Case", case.id)})
        await until(lambda: subscribers(events.CHANNEL) >= 2)

        # when: an event naming the note, not marked internal
        await pubsub.publish(
            events.CHANNEL,
            {
                "caseId": case.id,
                "kind": "COMMENTED",
                "actorId": None,
                "activityId": entry.id,
                "commentId": note.id,
                "internal": False,
                "at": clock.now().isoformat(),
            },
        )

        # then
        to_member = await member.result(member_op)
        to_agent = await agent.result(agent_op)
    assert to_member["data"]["caseEvents"]["comment"] is None
    assert to_member["extensions"]["redactedFields"] == [["caseEvents", "comment"]]
    assert "Secret plan" not in json.dumps(to_member)
    assert to_agent["data"]["caseEvents"]["comment"]["body"] == "Secret plan"


KIND_TYPES = """
query($type: String!) {
  __type(name: $type) {
    fields { name type { kind ofType { kind name enumValues { name description } } } }
  }
}
"""


EVENT_KINDS = {
    "CREATED",
    "UPDATED",
    "ASSIGNED",
    "STATE_CHANGED",
    "COMMENTED",
    "WORK_NOTE_ADDED",
    "ATTACHMENT_ADDED",
}
GRANT_KINDS = {
    "TEAM_PARTY",
    "DEPARTMENT_PARTY",
    "ADMIN",
    "ASSIGNEE",
    "TEAM",
    "MANAGER",
    "OPENER",
    "CONSUMER",
    "REPRESENTATIVE",
    "HEAD_OF_HOUSEHOLD",
    "HOUSEHOLD_MEMBER",
    "RELATED_PARTY",
    "SOLD_PRODUCT_PARTY",
}
"""The wire values clients were written against while the kinds were strings."""


@pytest.mark.parametrize(
    ("type_name", "enum_name", "values"),
    [("CaseEvent", "CaseEventKind", EVENT_KINDS), ("AccessGrant", "GrantKind", GRANT_KINDS)],
)
async def test_event_and_grant_kinds_are_enums_of_their_wire_values(
    anon_client: GraphQLClient, type_name: str, enum_name: str, values: set[str]
) -> None:
    # when
    data = await anon_client.data(KIND_TYPES, {"type": type_name})

    # then
    (kind,) = [f for f in data["__type"]["fields"] if f["name"] == "kind"]
    assert kind["type"]["kind"] == "NON_NULL"
    enum = kind["type"]["ofType"]
    assert (enum["kind"], enum["name"]) == ("ENUM", enum_name)
    assert {v["name"] for v in enum["enumValues"]} == values
    assert all(v["description"] for v in enum["enumValues"])


def test_every_grant_the_engine_gives_and_every_event_it_publishes_has_its_enum_value() -> None:
    assert {rule.kind.value for rule in engine.RULES} == GRANT_KINDS
    assert {kind.value for kind in events.KIND_OF_ACTIVITY.values()} == EVENT_KINDS


EXPLAIN = "query($id: ID!) { explainAccess(caseId: $id) { grants { kind } } }"


async def test_a_grant_kind_travels_as_its_name(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when
    head = await world.client("head").data(EXPLAIN, {"id": gid("Case", case.id)})
    agent = await world.client("agent").data(EXPLAIN, {"id": gid("Case", case.id)})

    # then
    assert {g["kind"] for g in head["explainAccess"]["grants"]} == {
        "HEAD_OF_HOUSEHOLD",
        "HOUSEHOLD_MEMBER",
    }
    assert agent["explainAccess"]["grants"] == [{"kind": "TEAM"}]
