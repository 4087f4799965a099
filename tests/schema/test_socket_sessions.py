"""A WebSocket holds only while its session holds: every operation and every
event on an open socket is authorized again, on both subprotocols.

The server closes the socket with 4403 on its own, at the token's expiry and
as soon as the user's sessions change (deactivation, logout, a password or
role change); and when an operation or event finds the session over (here a
change made straight in the database, which no socket hears of, since pub/sub
is best effort). Access follows grants that end while the socket is open,
nothing of one operation shows in the next, and the operations in flight on
one socket are capped.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tortoise.expressions import F

from csm_graph import clock, pubsub, sockets
from csm_graph.access.engine import load_subject
from csm_graph.accounts import tokens
from csm_graph.accounts.models import RefreshToken, User
from csm_graph.accounts.sessions import SESSIONS_CHANNEL
from csm_graph.accounts.viewer import load_viewer
from csm_graph.cases import events
from csm_graph.cases.models import Case, CaseComment
from csm_graph.cases.services import add_comment
from csm_graph.households.models import Representation
from csm_graph.settings import Settings, get_settings
from tests.schema.access.helpers import PARTY_REMOVE, add_party
from tests.schema.accounts.test_logout import LOGOUT
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.support import PASSWORD, GraphQLClient, login, make_user
from tests.ws import PROTOCOLS, TRANSPORT_WS, Socket, open_socket, subscribers, until

VIEWER = "{ viewer { email } }"
CASE_EVENTS = "subscription($id: ID) { caseEvents(caseId: $id) { kind case { number } } }"
COMMENT = """
mutation($i: CaseCommentAddInput!) {
  caseCommentAdd(input: $i) { comment { body } errors { field code } }
}
"""
USER_UPDATE = """
mutation($i: UserUpdateInput!) { userUpdate(input: $i) { errors { field code } } }
"""
CASE_DOORS = "query($id: ID!) { node(id: $id) { ... on Case { number } } cases { totalCount } }"
END_MEMBERSHIP = """
mutation($i: HouseholdMemberEndInput!) { householdMemberEnd(input: $i) { errors { code } } }
"""
REMOVE_REPRESENTATIVE = """
mutation($i: RepresentativeRemoveInput!) { representativeRemove(input: $i) { errors { code } } }
"""
CASE_TEAM = "query($id: ID!) { node(id: $id) { ... on Case { number assignmentTeam { name } } } }"
CASE_TEAM_EVENTS = """
subscription($id: ID) { caseEvents(caseId: $id) { kind case { number assignmentTeam { name } } } }
"""

SESSION_ENDED = 4403
EXPIRED = "The access token expired."
ENDED = "The session ended."
NEW_PASSWORD = "a different long passphrase"


@pytest.fixture(autouse=True)
async def listening(server_url: str) -> AsyncIterator[None]:
    """Waits for the listeners of earlier sockets to go, then listens on the session
    and case channels for the whole test: on Redis the channels are then subscribed
    before any socket opens, so a socket's own listener is live once it is counted."""
    await until(lambda: subscribers(SESSIONS_CHANNEL) == 0 and subscribers(events.CHANNEL) == 0)
    async with pubsub.subscribe(SESSIONS_CHANNEL), pubsub.subscribe(events.CHANNEL):
        yield


async def listeners(*, sessions: int, cases: int = 0) -> None:
    """Wait until the server listens for `sessions` sockets' session changes and runs
    `cases` case-event subscriptions (the test's own listeners not counted)."""
    await until(
        lambda: (
            (subscribers(SESSIONS_CHANNEL), subscribers(events.CHANNEL))
            == (sessions + 1, cases + 1)
        )
    )


async def comment(client: GraphQLClient, case: Case, body: str) -> None:
    data = await client.data(COMMENT, {"i": {"caseId": gid("Case", case.id), "body": body}})
    assert data["caseCommentAdd"]["errors"] == [], data


async def event_of(socket: Socket, op: str) -> tuple[str, str]:
    """The next event of a `caseEvents` subscription: (kind, case number)."""
    payload = await socket.result(op)
    assert "errors" not in payload, payload
    event = payload["data"]["caseEvents"]
    return event["kind"], event["case"]["number"]


def results(socket: Socket, op: str) -> list[dict[str, Any]]:
    return [m for m in socket.seen[op] if m["type"] in ("next", "data")]


# --- the token's expiry ------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_idle_socket_closes_at_its_tokens_expiry(
    http: httpx.AsyncClient, server_url: str, protocol: str
) -> None:
    # given: a token with one second left
    await make_user("idle@example.com")
    client = await login(http, "idle@example.com")
    assert client.token is not None
    claims = tokens.read_access_token(get_settings(), client.token)
    clock.travel(claims.expires_at - clock.now() - dt.timedelta(seconds=1))

    # when: its socket opens and sends nothing
    async with open_socket(server_url, client.token, protocol) as socket:
        # then: the server closes it, once the token expired
        assert await socket.closed() == (SESSION_ENDED, EXPIRED)
        assert clock.now() >= claims.expires_at


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_idle_socket_notices_the_clock_moving_past_the_expiry(
    http: httpx.AsyncClient,
    server_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
) -> None:
    # given: sockets that look at their token's expiry every 50 ms, one open and idle
    monkeypatch.setattr(sockets, "EXPIRY_CHECK_SECONDS", 0.05)
    await make_user("idle@example.com")
    client = await login(http, "idle@example.com")
    async with open_socket(server_url, client.token, protocol) as socket:
        assert (await socket.data(VIEWER))["viewer"] == {"email": "idle@example.com"}

        # when: the product clock moves past the expiry
        clock.travel(dt.timedelta(minutes=settings.access_token_minutes, seconds=1))

        # then
        assert await socket.closed() == (SESSION_ENDED, EXPIRED)


# --- changes no socket heard of: the next operation or event finds them ------------------


async def token_expires(world: World) -> str:
    clock.travel(dt.timedelta(minutes=get_settings().access_token_minutes, seconds=1))
    return EXPIRED


async def user_deactivated(world: World) -> str:
    await User.filter(email="member@example.com").update(is_active=False)
    return ENDED


async def sessions_ended(world: World) -> str:
    """What logging out everywhere and a role change do: a new session epoch."""
    await User.filter(email="member@example.com").update(session_epoch=F("session_epoch") + 1)
    return ENDED


async def session_revoked(world: World) -> str:
    """What logging out does: the session's refresh tokens revoked."""
    user = await User.get(email="member@example.com")
    await RefreshToken.filter(user_id=user.id).update(revoked_at=clock.now())
    return ENDED


UNHEARD = {
    "token expired": token_expires,
    "user deactivated": user_deactivated,
    "sessions ended": sessions_ended,
    "session revoked": session_revoked,
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("change", UNHEARD.values(), ids=UNHEARD.keys())
@pytest.mark.parametrize("operation", ["query", "mutation"])
async def test_the_next_operation_finds_the_session_over(
    http: httpx.AsyncClient,
    server_url: str,
    protocol: str,
    change: Callable[[World], Awaitable[str]],
    operation: str,
) -> None:
    # given: the member's socket, which answers
    world = await make_world(http)
    case = await open_case(world)
    async with open_socket(server_url, world.client("member").token, protocol) as socket:
        await listeners(sessions=1)
        assert (await socket.data(VIEWER))["viewer"] == {"email": "member@example.com"}

        # when: the session is over, and the socket was not told
        reason = await change(world)
        if operation == "query":
            op = await socket.start(VIEWER)
        else:
            op = await socket.start(COMMENT, {"i": {"caseId": gid("Case", case.id), "body": "x"}})

        # then: the socket closes, with nothing for the operation, which did not run
        assert await socket.closed() == (SESSION_ENDED, reason)
        assert socket.seen[op] == []
        assert await CaseComment.all().count() == 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("change", UNHEARD.values(), ids=UNHEARD.keys())
async def test_the_next_event_finds_the_session_over(
    http: httpx.AsyncClient,
    server_url: str,
    protocol: str,
    change: Callable[[World], Awaitable[str]],
) -> None:
    # given: the member subscribed to their case, and hearing of it
    world = await make_world(http)
    case = await open_case(world)
    async with open_socket(server_url, world.client("member").token, protocol) as socket:
        op = await socket.start(CASE_EVENTS, {"id": gid("Case", case.id)})
        await listeners(sessions=1, cases=1)
        await comment(world.client("agent"), case, "first")
        assert await event_of(socket, op) == ("COMMENTED", case.number)

        # when: the session is over, the socket not told, and the case changes again
        # (the agent writes through the service layer: their token may have expired too)
        reason = await change(world)
        agent = await load_viewer(world.ids["agent"])
        assert agent is not None
        await add_comment(await load_subject(agent), case.id, "second", work_note=False)

        # then: the socket closes instead of telling of it
        assert await socket.closed() == (SESSION_ENDED, reason)
        assert len(results(socket, op)) == 1
        await listeners(sessions=0, cases=0)


# --- session changes the server hears of: it closes the sockets at once ------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_deactivation_closes_the_users_sockets_at_once(
    http: httpx.AsyncClient, server_url: str, protocol: str
) -> None:
    # given: the member subscribed to their case; the other member's socket too
    world = await make_world(http)
    case = await open_case(world)
    member = world.client("member")
    async with (
        open_socket(server_url, member.token, protocol) as socket,
        open_socket(server_url, world.client("other").token, protocol) as bystander,
    ):
        op = await socket.start(CASE_EVENTS, {"id": gid("Case", case.id)})
        await listeners(sessions=2, cases=1)

        # when: an administrator deactivates the member; the member sends nothing
        assert member.user is not None
        changed = await world.client("admin").data(
            USER_UPDATE, {"i": {"id": gid("User", member.user.id), "isActive": False}}
        )

        # then: the member's socket closes and their subscription with it
        assert changed["userUpdate"]["errors"] == []
        assert await socket.closed() == (SESSION_ENDED, ENDED)
        await listeners(sessions=1, cases=0)
        await comment(world.client("agent"), case, "after")
        assert socket.seen[op] == []
        # the other member's socket goes on
        assert (await bystander.data(VIEWER))["viewer"] == {"email": "other@example.com"}


@dataclass
class Sessions:
    user: User
    a: GraphQLClient
    b: GraphQLClient


async def change_own_password_in_a(socket_a: Socket, s: Sessions, admin: GraphQLClient) -> None:
    # over session A's own socket
    changed = await socket_a.data(
        USER_UPDATE,
        {
            "i": {
                "id": gid("User", s.user.id),
                "password": NEW_PASSWORD,
                "currentPassword": PASSWORD,
            }
        },
    )
    assert changed["userUpdate"]["errors"] == []


async def log_out_b(socket_a: Socket, s: Sessions, admin: GraphQLClient) -> None:
    payload = await GraphQLClient(admin.http).data(
        LOGOUT, {"input": {"refreshToken": s.b.refresh_token}}
    )
    assert payload["logout"]["revoked"] is True


async def log_out_everywhere_from_b(socket_a: Socket, s: Sessions, admin: GraphQLClient) -> None:
    payload = await GraphQLClient(admin.http).data(
        LOGOUT, {"input": {"refreshToken": s.b.refresh_token, "everywhere": True}}
    )
    assert payload["logout"]["revoked"] is True


def by_admin(
    change: dict[str, Any],
) -> Callable[[Socket, Sessions, GraphQLClient], Awaitable[None]]:
    async def make(socket_a: Socket, s: Sessions, admin: GraphQLClient) -> None:
        changed = await admin.data(USER_UPDATE, {"i": {"id": gid("User", s.user.id), **change}})
        assert changed["userUpdate"]["errors"] == []

    return make


SESSION_CHANGES = {
    # name: (change, whether session A's socket survives)
    "logout of session B": (log_out_b, True),
    "own password change in session A": (change_own_password_in_a, True),
    "logout everywhere": (log_out_everywhere_from_b, False),
    "password set by an administrator": (by_admin({"password": NEW_PASSWORD}), False),
    "role change": (by_admin({"roles": ["MANAGER"]}), False),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    ("change", "a_survives"), SESSION_CHANGES.values(), ids=SESSION_CHANGES.keys()
)
async def test_a_session_change_closes_the_sockets_of_the_sessions_it_ends(
    http: httpx.AsyncClient,
    server_url: str,
    admin_client: GraphQLClient,
    protocol: str,
    change: Callable[[Socket, Sessions, GraphQLClient], Awaitable[None]],
    a_survives: bool,
) -> None:
    # given: one user logged in twice (sessions A and B), a socket for each
    user = await make_user("two@example.com", roles=("AGENT",))
    s = Sessions(user, await login(http, "two@example.com"), await login(http, "two@example.com"))
    async with (
        open_socket(server_url, s.a.token, protocol) as socket_a,
        open_socket(server_url, s.b.token, protocol) as socket_b,
    ):
        await listeners(sessions=2)

        # when
        await change(socket_a, s, admin_client)

        # then: session B's socket closes by itself
        assert await socket_b.closed() == (SESSION_ENDED, ENDED)
        if a_survives:
            # session A's socket goes on, heard of the change as well
            await listeners(sessions=1)
            assert (await socket_a.data(VIEWER))["viewer"] == {"email": "two@example.com"}
        else:
            assert await socket_a.closed() == (SESSION_ENDED, ENDED)
            await listeners(sessions=0)


# --- grants ending while a socket is open ------------------------------------------------


async def end_membership(world: World) -> None:
    """The head leaves the household (the other member heads it from now on)."""
    data = await world.client("agent").data(
        END_MEMBERSHIP,
        {
            "i": {
                "householdId": gid("Household", world.household.id),
                "consumerId": gid("Consumer", world.head.id),
                "newHeadConsumerId": gid("Consumer", world.other.id),
            }
        },
    )
    assert data["householdMemberEnd"]["errors"] == []


async def end_representation(world: World) -> None:
    representation = await Representation.get(representative_id=world.representative.id)
    data = await world.client("agent").data(
        REMOVE_REPRESENTATIVE, {"i": {"id": gid("Representation", representation.id)}}
    )
    assert data["representativeRemove"]["errors"] == []


async def remove_party(world: World) -> None:
    data = await world.client("agent").data(PARTY_REMOVE, {"input": {"id": world.ids["party"]}})
    assert data["relatedPartyRemove"]["errors"] == []


@dataclass(frozen=True)
class Grant:
    viewer: str
    end: Callable[[World], Awaitable[None]]


GRANTS = {
    "household membership": Grant("head", end_membership),
    "representation": Grant("rep", end_representation),
    "related party": Grant("stranger", remove_party),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("grant", GRANTS.values(), ids=GRANTS.keys())
async def test_a_grant_ended_while_the_socket_is_open_shows_nothing_more(
    http: httpx.AsyncClient, server_url: str, protocol: str, grant: Grant
) -> None:
    # given: the viewer reads the member's case through the grant, and a case of
    # their own; on their socket they follow every case they may read
    world = await make_world(http)
    case = await open_case(world)
    viewer = world.client(grant.viewer)
    assert viewer.user is not None
    own_consumer = {"head": world.head, "rep": world.representative, "stranger": world.stranger}
    own = await open_case(world, consumer_id=own_consumer[grant.viewer].id, household_id=None)
    if grant.viewer == "stranger":
        party = await add_party(
            world.client("agent"),
            caseId=gid("Case", case.id),
            consumerId=gid("Consumer", world.stranger.id),
            relationshipType="guarantor",
        )
        assert party["errors"] == []
        world.ids["party"] = party["relatedParty"]["id"]
    case_gid = gid("Case", case.id)
    async with open_socket(server_url, viewer.token, protocol) as socket:
        op = await socket.start(CASE_EVENTS)
        await listeners(sessions=1, cases=1)
        before = await socket.data(CASE_DOORS, {"id": case_gid})
        written = await socket.data(COMMENT, {"i": {"caseId": case_gid, "body": "mine"}})
        assert await event_of(socket, op) == ("COMMENTED", case.number)

        # when: the grant ends
        await grant.end(world)

        # then: over the same socket the case is gone, as over HTTP
        after = await socket.data(CASE_DOORS, {"id": case_gid})
        over_http = await viewer.data(CASE_DOORS, {"id": case_gid})
        refused = await socket.data(COMMENT, {"i": {"caseId": case_gid, "body": "again"}})
        # the agent comments on the case, then on the viewer's own: only the latter is told
        await comment(world.client("agent"), case, "not for you")
        await comment(world.client("agent"), own, "for you")
        assert await event_of(socket, op) == ("COMMENTED", own.number)

    assert before == {"node": {"number": case.number}, "cases": {"totalCount": 2}}
    assert written["caseCommentAdd"]["errors"] == []
    assert after == {"node": None, "cases": {"totalCount": 1}}
    assert after == over_http
    assert refused["caseCommentAdd"] == {
        "comment": None,
        "errors": [{"field": "caseId", "code": "NOT_FOUND"}],
    }
    assert await CaseComment.filter(body="again").count() == 0


# --- nothing of one operation shows in the next ------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_redactions_of_one_operation_do_not_reach_the_next(
    http: httpx.AsyncClient, server_url: str, protocol: str
) -> None:
    # given: a consumer, who may not see the team their case is assigned to
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    async with open_socket(server_url, world.client("member").token, protocol) as socket:
        # when: one operation redacts, the next selects nothing redactable;
        # then both at once
        first = await socket.execute(CASE_TEAM, {"id": case_gid})
        second = await socket.execute(VIEWER)
        together = [
            await socket.start(CASE_TEAM, {"id": case_gid}),
            await socket.start(VIEWER),
        ]
        third, fourth = [await socket.result(op) for op in together]

    # then
    redacted = {"redactedFields": [["node", "assignmentTeam"]]}
    assert first == {
        "data": {"node": {"number": case.number, "assignmentTeam": None}},
        "extensions": redacted,
    }
    assert second == {"data": {"viewer": {"email": "member@example.com"}}}
    assert third == first
    assert fourth == second


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_each_event_reports_its_own_redactions(
    http: httpx.AsyncClient, server_url: str, protocol: str
) -> None:
    # given: a consumer following their case with a field they may not see
    world = await make_world(http)
    case = await open_case(world)
    async with open_socket(server_url, world.client("member").token, protocol) as socket:
        op = await socket.start(CASE_TEAM_EVENTS, {"id": gid("Case", case.id)})
        await listeners(sessions=1, cases=1)

        # when: two events, and a query between them
        await comment(world.client("agent"), case, "one")
        first = await socket.result(op)
        between = await socket.execute(VIEWER)
        await comment(world.client("agent"), case, "two")
        second = await socket.result(op)

    # then: each event lists its own redaction once; the query none
    event = {"kind": "COMMENTED", "case": {"number": case.number, "assignmentTeam": None}}
    expected = {
        "data": {"caseEvents": event},
        "extensions": {"redactedFields": [["caseEvents", "case", "assignmentTeam"]]},
    }
    assert first == expected
    assert second == expected
    assert between == {"data": {"viewer": {"email": "member@example.com"}}}


# --- the cap on operations in flight -----------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_operations_in_flight_are_capped_per_socket(
    agent_client: GraphQLClient, server_url: str, settings: Settings, protocol: str
) -> None:
    # given: a socket running as many subscriptions as it may
    cap = settings.ws_max_operations
    async with open_socket(server_url, agent_client.token, protocol) as socket:
        running = [await socket.start(CASE_EVENTS) for _ in range(cap)]
        await listeners(sessions=1, cases=cap)

        # when: one more subscription, and a query
        over = [await socket.start(CASE_EVENTS), await socket.start(VIEWER)]
        refusals = [await socket.message(op) for op in over]

        # then: both refused, the running ones untouched
        for op, refusal in zip(over, refusals, strict=True):
            if socket.protocol == TRANSPORT_WS:
                assert refusal["type"] == "error"
                assert [e["message"] for e in refusal["payload"]] == ["Subscription limit reached"]
            else:
                assert refusal == {
                    "type": "error",
                    "id": op,
                    "payload": {"message": "Subscription limit reached"},
                }
        assert subscribers(events.CHANNEL) == cap + 1

        # when: one subscription ends
        await socket.stop(running[0])
        if socket.legacy:
            await socket.completed(running[0])

        # then: its slot is free again
        await listeners(sessions=1, cases=cap - 1)
        assert (await socket.data(VIEWER))["viewer"] == {"email": "agent@example.com"}
        assert all(socket.seen[op] == [] for op in running[1:])


# --- the legacy protocol -----------------------------------------------------------------


async def test_the_legacy_protocol_runs_queries_mutations_and_subscriptions(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    async with open_socket(server_url, world.client("member").token, "graphql-ws") as socket:
        op = await socket.start(CASE_EVENTS, {"id": case_gid})
        await listeners(sessions=1, cases=1)

        # when
        queried = await socket.execute(VIEWER)
        mutated = await socket.execute(COMMENT, {"i": {"caseId": case_gid, "body": "over ws"}})
        event = await socket.message(op)
        await socket.stop(op)
        stopped = await socket.message(op)

        # then
        assert queried == {"data": {"viewer": {"email": "member@example.com"}}}
        assert mutated == {
            "data": {"caseCommentAdd": {"comment": {"body": "over ws"}, "errors": []}}
        }
        assert event == {
            "type": "data",
            "id": op,
            "payload": {
                "data": {"caseEvents": {"kind": "COMMENTED", "case": {"number": case.number}}}
            },
        }
        assert stopped == {"type": "complete", "id": op}
        await listeners(sessions=1, cases=0)


async def deactivate_told(world: World) -> None:
    member = world.client("member").user
    assert member is not None
    changed = await world.client("admin").data(
        USER_UPDATE, {"i": {"id": gid("User", member.id), "isActive": False}}
    )
    assert changed["userUpdate"]["errors"] == []


async def deactivate_untold(world: World, case: Case) -> None:
    await user_deactivated(world)
    await comment(world.client("agent"), case, "found by this event")


@pytest.mark.parametrize("told", [True, False], ids=["told at once", "found by the next event"])
async def test_ending_a_session_under_running_subscriptions_logs_no_error(
    http: httpx.AsyncClient, server_url: str, caplog: pytest.LogCaptureFixture, told: bool
) -> None:
    # given: the member subscribed to their case on each protocol
    world = await make_world(http)
    case = await open_case(world)
    member = world.client("member")
    caplog.set_level(logging.WARNING)
    async with (
        open_socket(server_url, member.token, "graphql-transport-ws") as modern,
        open_socket(server_url, member.token, "graphql-ws") as legacy,
    ):
        for socket in (modern, legacy):
            await socket.start(CASE_EVENTS, {"id": gid("Case", case.id)})
        await listeners(sessions=2, cases=2)

        # when: the member is deactivated
        if told:
            await deactivate_told(world)
        else:
            await deactivate_untold(world, case)

        # then: both sockets close as they should ...
        for socket in (modern, legacy):
            assert await socket.closed() == (SESSION_ENDED, ENDED)
    await listeners(sessions=0, cases=0)
    gc.collect()  # an abandoned failed task reports itself when collected
    # ... and the server logs no error for an ordinary end of a session
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


TOKEN_REFRESH = """
mutation($i: TokenRefreshInput!) {
  tokenRefresh(input: $i) { accessToken refreshToken errors { code } }
}
"""


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_client_reconnects_with_a_refreshed_token_after_the_expiry(
    http: httpx.AsyncClient, server_url: str, settings: Settings, protocol: str
) -> None:
    # given: a socket closed at its token's expiry
    await make_user("back@example.com")
    client = await login(http, "back@example.com")
    async with open_socket(server_url, client.token, protocol) as socket:
        clock.travel(dt.timedelta(minutes=settings.access_token_minutes, seconds=1))
        await socket.start(VIEWER)
        assert await socket.closed() == (SESSION_ENDED, EXPIRED)

    # when: the client refreshes its token, as graphql-ws clients do on 4403, and reconnects
    refreshed = (
        await GraphQLClient(http).data(TOKEN_REFRESH, {"i": {"refreshToken": client.refresh_token}})
    )["tokenRefresh"]
    assert refreshed["errors"] == []
    async with open_socket(server_url, refreshed["accessToken"], protocol) as socket:
        # then
        assert (await socket.data(VIEWER))["viewer"] == {"email": "back@example.com"}
