"""`viewer.caseSubjects(householdId)`: whom the portal offers in a new case's
consumer field (seed 003), agreeing with what `caseCreate` accepts."""

from __future__ import annotations

import httpx
import pytest

from csm_graph.households.models import Relationship
from tests.schema.cases.helpers import World, gid, make_world
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import join, make_household

SUBJECTS = """
query($household: ID) { viewer { caseSubjects(householdId: $household) { id firstName } } }
"""
CREATE = """
mutation($i: CaseCreateInput!) { caseCreate(input: $i) { case { id } errors { field code } } }
"""


async def _subjects(world: World, viewer: str, household: str | None = None) -> list[str]:
    data = await world.client(viewer).data(SUBJECTS, {"household": household})
    return [c["firstName"] for c in data["viewer"]["caseSubjects"]]


@pytest.fixture
async def world(http: httpx.AsyncClient) -> World:
    world = await make_world(http)
    # The member and the head also belong to a second household, headed by someone else.
    elsewhere = await make_household("Elsewhere")
    await join(
        elsewhere, await make_consumer(first_name="Boss", last_name="Zed"), Relationship.HEAD
    )
    await join(elsewhere, world.member, Relationship.OTHER)
    await join(elsewhere, world.head, Relationship.OTHER)
    world.ids["elsewhere"] = elsewhere.id
    return world


async def test_a_head_is_offered_themselves_first_then_their_households_members(
    world: World,
) -> None:
    assert await _subjects(world, "head") == ["Head", "Member", "Other"]
    assert await _subjects(world, "head", gid("Household", world.household.id)) == [
        "Head",
        "Member",
        "Other",
    ]
    # A household the head belongs to but does not head: themselves only, though
    # the member they act for in the other household belongs to it too.
    assert await _subjects(world, "head", gid("Household", world.ids["elsewhere"])) == ["Head"]


async def test_a_representative_is_offered_whom_they_represent_in_its_households(
    world: World,
) -> None:
    assert await _subjects(world, "rep") == ["Rep", "Member"]
    assert await _subjects(world, "rep", gid("Household", world.ids["elsewhere"])) == ["Member"]


async def test_a_member_and_a_stranger_are_offered_themselves_only(world: World) -> None:
    assert await _subjects(world, "member") == ["Member"]
    assert await _subjects(world, "member", gid("Household", world.household.id)) == ["Member"]
    assert await _subjects(world, "stranger") == ["Stranger"]
    # A household the viewer may not see is answered like a missing one.
    assert await _subjects(world, "stranger", gid("Household", world.household.id)) == []
    assert await _subjects(world, "stranger", gid("Household", 999_999)) == []


async def test_internal_users_get_a_households_current_members(world: World) -> None:
    assert await _subjects(world, "agent") == []
    assert await _subjects(world, "agent", gid("Household", world.household.id)) == [
        "Head",
        "Member",
        "Other",
    ]


async def test_it_is_answered_for_the_viewer_only(world: World) -> None:
    query = "query($id: ID!) { node(id: $id) { ... on User { caseSubjects { id } } } }"
    head_user = world.head.user_id
    assert head_user is not None
    data = await world.client("admin").data(query, {"id": gid("User", head_user)})
    assert data["node"] == {"caseSubjects": []}


async def test_a_malformed_household_id_is_a_clear_error(world: World) -> None:
    result = await world.client("head").execute(SUBJECTS, {"household": "nonsense"})
    assert result["data"] is None or result["data"]["viewer"] is None
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Household" in result["errors"][0]["message"]


@pytest.mark.parametrize("viewer", ["head", "member", "rep", "stranger", "agent"])
async def test_what_is_offered_is_exactly_what_case_create_accepts(
    world: World, viewer: str
) -> None:
    outsider = await make_consumer(first_name="Outsider", last_name="Roe")
    everyone = [world.head, world.member, world.other, world.representative, world.stranger]
    everyone.append(outsider)
    households = [world.household.id, world.ids["elsewhere"]]
    for household in households:
        offered = {
            c["id"]
            for c in (
                await world.client(viewer).data(
                    SUBJECTS, {"household": gid("Household", household)}
                )
            )["viewer"]["caseSubjects"]
        }
        for consumer in everyone:
            result = await world.client(viewer).data(
                CREATE,
                {
                    "i": {
                        "shortDescription": "Who may I open this for?",
                        "consumerId": gid("Consumer", consumer.id),
                        "householdId": gid("Household", household),
                    }
                },
            )
            accepted = result["caseCreate"]["case"] is not None
            assert accepted == (gid("Consumer", consumer.id) in offered), (
                viewer,
                consumer.first_name,
                household,
                result["caseCreate"]["errors"],
            )
