"""`explainAccess(at:)`: the grants a user held on a case at a past moment,
rebuilt from dated rows, the audit trail and the case's activity, and what
of that history was not kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from csm_graph import clock
from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import RoleName, Team, User, UserType
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import record
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.households import services as households
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.schema.consumers.helpers import STAFF, make_consumer
from tests.schema.households.helpers import represent
from tests.support import GraphQLClient, login, make_user

EXPLAIN_AT = """
query($caseId: ID!, $userId: ID, $at: DateTime) {
  explainAccess(caseId: $caseId, userId: $userId, at: $at) {
    allowed
    grants { kind description }
    historyComplete
    historyNotes
  }
}
"""

DAY = dt.timedelta(days=1)


def _at(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


async def _explain(
    client: GraphQLClient, case: Case, user_id: int | None, at: dt.datetime | None
) -> dict[str, Any]:
    data = await client.data(
        EXPLAIN_AT,
        {
            "caseId": gid("Case", case.id),
            "userId": gid("User", user_id) if user_id is not None else None,
            "at": _at(at) if at is not None else None,
        },
    )
    result: dict[str, Any] = data["explainAccess"]
    return result


def _kinds(result: dict[str, Any]) -> list[str]:
    return [g["kind"] for g in result["grants"]]


async def _user_of(name: str) -> int:
    return (await User.get(email=f"{name}@example.com")).id


async def _later(http: httpx.AsyncClient, days: int) -> GraphQLClient:
    """Move the clock on, and an administrator's login made then."""
    clock.travel(days * DAY)
    return await login(http, "admin@example.com")


async def test_a_head_had_the_case_before_their_membership_ended_and_not_after(
    http: httpx.AsyncClient,
) -> None:
    # given: the head leaves the household on day 5 (another member heads it)
    world = await make_world(http)
    case = await open_case(world)
    start = clock.now()
    admin = await _later(http, 10)
    await households.end_member(
        STAFF,
        world.household.id,
        world.head.id,
        end_date=(start + 5 * DAY).date(),
        new_head_consumer_id=world.other.id,
    )
    head = await _user_of("head")

    # when
    before = await _explain(admin, case, head, start + 2 * DAY)
    after = await _explain(admin, case, head, start + 7 * DAY)
    now = await _explain(admin, case, head, None)

    # then
    assert _kinds(before) == ["HEAD_OF_HOUSEHOLD", "HOUSEHOLD_MEMBER"]
    assert "CLOSE" in before["allowed"]
    assert (after["allowed"], after["grants"]) == ([], [])
    assert now == {"allowed": [], "grants": [], "historyComplete": True, "historyNotes": []}


async def test_a_representative_had_the_case_until_their_last_valid_day(
    http: httpx.AsyncClient,
) -> None:
    # given: a representation of the member for three days
    world = await make_world(http)
    case = await open_case(world)
    start = clock.now()
    aunt = await make_consumer(first_name="Aunt", last_name="Doe")
    aunt_user = await make_user("aunt@example.com", user_type=UserType.EXTERNAL)
    await Consumer.filter(id=aunt.id).update(user_id=aunt_user.id)
    await represent(aunt, world.member, valid_until=(start + 3 * DAY).date())
    admin = await _later(http, 10)

    # when
    during = await _explain(admin, case, aunt_user.id, start + 3 * DAY)
    after = await _explain(admin, case, aunt_user.id, start + 4 * DAY)

    # then
    assert _kinds(during) == ["REPRESENTATIVE"]
    assert during["historyComplete"], during["historyNotes"]
    assert _kinds(after) == []


async def test_a_related_party_had_the_case_while_it_was_valid(http: httpx.AsyncClient) -> None:
    # given: the stranger guarantees the case from day 2 to day 4
    world = await make_world(http)
    case = await open_case(world)
    start = clock.now()
    await RelatedParty.create(
        case_id=case.id,
        consumer_id=world.stranger.id,
        relationship_type_id=(await RelationshipType.get(name="guarantor")).id,
        responsibility_id=(await Responsibility.get(name="case viewer")).id,
        valid_from=(start + 2 * DAY).date(),
        valid_until=(start + 4 * DAY).date(),
    )
    stranger = await _user_of("stranger")
    admin = await _later(http, 10)

    # when
    before = await _explain(admin, case, stranger, start + DAY)
    during = await _explain(admin, case, stranger, start + 3 * DAY)
    after = await _explain(admin, case, stranger, start + 5 * DAY)

    # then
    assert _kinds(before) == []
    assert _kinds(during) == ["RELATED_PARTY"]
    assert during["allowed"] == ["READ"]
    assert _kinds(after) == []


async def test_an_agent_had_the_team_grant_before_leaving_the_team(
    http: httpx.AsyncClient,
) -> None:
    # given: the agent's role is on record from the start; a day later they leave the team
    world = await make_world(http)
    case = await open_case(world)
    agent = world.ids["agent"]
    await record(AuditKind.ROLE_GRANTED, None, user_id=agent, role=RoleName.AGENT.value)
    start = clock.now()
    admin = await _later(http, 1)
    team = await Team.get(id=world.team.id)
    await team.members.remove(await User.get(id=agent))
    await record(AuditKind.TEAM_LEFT, None, user_id=agent, target=("Team", team.id))
    clock.travel(dt.timedelta(minutes=5))

    # when
    member = await _explain(admin, case, agent, start + dt.timedelta(hours=12))
    left = await _explain(admin, case, agent, clock.now() - dt.timedelta(minutes=1))
    now = await _explain(admin, case, agent, None)

    # then
    assert _kinds(member) == ["TEAM"]
    assert "WORK" in member["allowed"]
    assert member["historyComplete"], member["historyNotes"]
    assert _kinds(left) == [] == _kinds(now)


async def test_a_moment_before_the_audit_trail_began_is_marked_incomplete(
    http: httpx.AsyncClient,
) -> None:
    # given: an agent and a case older than the first audit event
    world = await make_world(http)
    case = await open_case(world)
    agent = world.ids["agent"]
    await record(AuditKind.ROLE_GRANTED, None, user_id=agent, role=RoleName.AGENT.value)
    long_ago = clock.now() - 30 * DAY
    await User.filter(id=agent).update(created_at=long_ago)
    await Case.filter(id=case.id).update(created_at=long_ago)

    # when
    result = await _explain(world.client("admin"), case, agent, clock.now() - 10 * DAY)
    recent = await _explain(world.client("admin"), case, agent, clock.now())

    # then
    assert result["historyComplete"] is False
    assert any("not recorded before" in note for note in result["historyNotes"])
    assert recent["historyComplete"] is True
    assert _kinds(recent) == ["TEAM"]


async def test_a_moment_before_the_case_existed_has_no_grants(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when
    result = await _explain(world.client("admin"), case, world.ids["agent"], case.created_at - DAY)

    # then
    assert (result["allowed"], result["grants"]) == ([], [])
    assert "The moment is before the case existed." in result["historyNotes"]


async def test_a_moment_in_the_future_is_refused(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when
    result = await world.client("member").execute(
        EXPLAIN_AT, {"caseId": gid("Case", case.id), "at": _at(clock.now() + DAY)}
    )

    # then
    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_USER_INPUT"]


async def test_without_admin_rights_only_ones_own_readable_cases_are_explained(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    moment = clock.now()

    # when
    own = await _explain(world.client("member"), case, None, moment)
    unreadable = await _explain(world.client("stranger"), case, None, moment)
    other = await world.client("agent").execute(
        EXPLAIN_AT,
        {
            "caseId": gid("Case", case.id),
            "userId": gid("User", await _user_of("member")),
            "at": _at(moment),
        },
    )

    # then
    assert _kinds(own) == ["CONSUMER", "HOUSEHOLD_MEMBER"]
    assert (unreadable["allowed"], unreadable["grants"]) == ([], [])
    assert [e["extensions"]["code"] for e in other["errors"]] == ["FORBIDDEN"]
