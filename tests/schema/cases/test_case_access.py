"""Every access grant with its triad: no grant, the grant, the grant ended.

Each case is checked through every door: the list, `node`, `caseByNumber`
and `viewerCan`, which must all agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from csm_graph import clock
from csm_graph.accounts.models import Role, Team, User
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.households.models import HouseholdMember, Representation
from tests.schema.cases.helpers import World, gid, make_world, open_case

DOORS = """
query($id: ID!, $number: String!) {
  cases(first: 50) { edges { node { number } } }
  node(id: $id) { ... on Case { number viewerCan { read comment close acceptSolution work } } }
  caseByNumber(number: $number) { number }
}
"""

Ender = Callable[[World, Case], Awaitable[None]]


@dataclass(frozen=True)
class GrantCase:
    name: str
    viewer: str
    acts: bool
    """Consumer-side action (comment) or internal work granted."""
    end: Ender | None


async def _end_membership(consumer: Consumer, world: World) -> None:
    await HouseholdMember.filter(consumer_id=consumer.id, household_id=world.household.id).update(
        end_date=clock.today()
    )


async def end_member(world: World, case: Case) -> None:
    await _end_membership(world.other, world)


async def end_head(world: World, case: Case) -> None:
    await _end_membership(world.head, world)


async def end_representation(world: World, case: Case) -> None:
    yesterday = clock.today() - dt.timedelta(days=1)
    await Representation.filter(representative_id=world.representative.id).update(
        valid_from=yesterday - dt.timedelta(days=30), valid_until=yesterday
    )


async def end_consumer_link(world: World, case: Case) -> None:
    await Consumer.filter(id=world.member.id).update(user_id=None)


async def end_team(world: World, case: Case) -> None:
    team = await Team.get(id=world.team.id)
    await team.members.remove(await User.get(email="agent@example.com"))


async def end_assignment(world: World, case: Case) -> None:
    await Case.filter(id=case.id).update(assigned_to_id=None)


async def end_management(world: World, case: Case) -> None:
    await User.filter(email="agent@example.com").update(manager_id=None)


async def end_admin(world: World, case: Case) -> None:
    admin = await User.get(email="admin@example.com")
    await admin.roles.remove(await Role.get(name="ADMIN"))


GRANTS = [
    GrantCase("case consumer", "member", True, end_consumer_link),
    GrantCase("household member", "other", False, end_member),
    GrantCase("head of household", "head", True, end_head),
    GrantCase("representative", "rep", True, end_representation),
    GrantCase("assignment team", "agent", True, end_team),
    GrantCase("assignee", "outsider", True, end_assignment),
    GrantCase("manager of the assignee", "manager", True, end_management),
    GrantCase("administrator", "admin", True, end_admin),
]


async def doors(world: World, who: str, case: Case) -> dict[str, Any]:
    result: dict[str, Any] = await world.client(who).data(
        DOORS, {"id": gid("Case", case.id), "number": case.number}
    )
    return result


def assert_hidden(seen: dict[str, Any]) -> None:
    assert seen["cases"]["edges"] == []
    assert seen["node"] is None
    assert seen["caseByNumber"] is None


@pytest.mark.parametrize("grant", GRANTS, ids=lambda g: g.name)
async def test_grant_triad(http: httpx.AsyncClient, grant: GrantCase) -> None:
    # given: a case about the member, in the household, routed to the team,
    # assigned to the outsider (a report of nobody) for the assignee grant,
    # or to the agent (the manager's report) for the manager grant
    world = await make_world(http)
    assignee = {"assignee": "outsider@example.com", "manager of the assignee": "agent@example.com"}
    case = await open_case(world)
    if grant.name in assignee:
        user = await User.get(email=assignee[grant.name])
        await Case.filter(id=case.id).update(assigned_to_id=user.id)
    if grant.name in ("assignee", "manager of the assignee"):
        await Case.filter(id=case.id).update(assignment_team_id=None)

    # when / then: without the grant (a stranger to the case) nothing shows
    assert_hidden(await doors(world, "stranger", case))

    # with the grant, every door agrees
    seen = await doors(world, grant.viewer, case)
    assert [e["node"]["number"] for e in seen["cases"]["edges"]] == [case.number]
    assert seen["caseByNumber"] == {"number": case.number}
    can = seen["node"]["viewerCan"]
    assert can["read"] is True
    internal = grant.viewer in ("agent", "outsider", "manager", "admin")
    assert can["work"] is (grant.acts and internal)
    assert can["comment"] is grant.acts
    assert can["close"] is ((grant.acts and not internal) or grant.viewer == "admin")

    # with the grant ended, nothing again
    assert grant.end is not None
    await grant.end(world, case)
    assert_hidden(await doors(world, grant.viewer, case))


CREATE = (
    "mutation($i: CaseCreateInput!) { caseCreate(input: $i) { case { number } errors { code } } }"
)
EXPLAIN = "query($id: ID!) { explainAccess(caseId: $id) { allowed grants { kind } } }"


@pytest.mark.parametrize(
    ("opener", "end"), [("head", end_head), ("rep", end_representation)], ids=["head", "rep"]
)
async def test_opening_a_case_for_someone_grants_nothing_once_the_reason_ends(
    http: httpx.AsyncClient, opener: str, end: Ender
) -> None:
    # given: a head (or the representative) opens a case for the member
    world = await make_world(http)
    created = await world.client(opener).data(
        CREATE,
        {"i": {"shortDescription": "For them", "consumerId": gid("Consumer", world.member.id)}},
    )
    case = await Case.get(number=created["caseCreate"]["case"]["number"])
    assert (await doors(world, opener, case))["node"]["viewerCan"]["close"] is True

    # when: the headship (or the representation) that let them open it ends
    await end(world, case)

    # then: opening it gave them nothing of its own
    assert_hidden(await doors(world, opener, case))
    explained = await world.client(opener).data(EXPLAIN, {"id": gid("Case", case.id)})
    assert explained["explainAccess"] == {"allowed": [], "grants": []}


async def test_an_agent_works_the_case_they_opened(http: httpx.AsyncClient) -> None:
    # given: an agent outside the case's team opens it for a consumer
    world = await make_world(http)
    created = await world.client("outsider").data(
        CREATE,
        {"i": {"shortDescription": "Phoned in", "consumerId": gid("Consumer", world.stranger.id)}},
    )
    case = await Case.get(number=created["caseCreate"]["case"]["number"])

    # when
    seen = await doors(world, "outsider", case)
    explained = await world.client("outsider").data(EXPLAIN, {"id": gid("Case", case.id)})

    # then
    assert seen["caseByNumber"] == {"number": case.number}
    assert seen["node"]["viewerCan"]["work"] is True
    assert explained["explainAccess"]["grants"] == [{"kind": "OPENER"}]
    assert_hidden(await doors(world, "agent", case))


async def test_anonymous_callers_cannot_list_cases(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    await open_case(world)

    result = await world.client("anonymous").execute("{ cases { totalCount } }")

    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_case_follows_its_consumer_out_of_the_household(
    http: httpx.AsyncClient,
) -> None:
    # given: a case about the member, in the household the head heads
    world = await make_world(http)
    case = await open_case(world)
    assert (await doors(world, "head", case))["node"]["viewerCan"]["close"] is True

    # when: the member leaves the household
    await _end_membership(world.member, world)

    # then: its heads and members lose the case; the member keeps it
    assert_hidden(await doors(world, "head", case))
    assert_hidden(await doors(world, "other", case))
    assert (await doors(world, "member", case))["node"]["viewerCan"]["close"] is True
