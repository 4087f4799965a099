"""`explainAccess`: the viewer's own access; administrators may ask for anyone."""

from __future__ import annotations

import httpx

from csm_graph.accounts.models import User
from tests.schema.access.helpers import EXPLAIN, add_party, explain
from tests.schema.cases.helpers import gid, make_world, open_case


async def test_an_admin_explains_another_users_access(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    await add_party(
        world.client("agent"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.stranger.id),
        relationshipType="guarantor",
    )
    stranger = await User.get(email="stranger@example.com")

    # when
    by_admin = await explain(world.client("admin"), case_gid, gid("User", stranger.id))
    by_self = await explain(world.client("stranger"), case_gid, gid("User", stranger.id))

    # then
    assert by_admin == by_self
    assert [g["kind"] for g in by_admin["grants"]] == ["RELATED_PARTY"]


async def test_others_may_not_ask_about_someone_else(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    stranger = await User.get(email="stranger@example.com")

    # when
    result = await world.client("agent").execute(
        EXPLAIN, {"caseId": gid("Case", case.id), "userId": gid("User", stranger.id)}
    )

    # then
    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]


async def test_an_unreadable_case_explains_as_a_missing_one(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when
    unreadable = await explain(world.client("stranger"), gid("Case", case.id))
    missing = await explain(world.client("stranger"), gid("Case", case.id + 1000))

    # then
    assert unreadable == missing == {"allowed": [], "grants": []}


async def test_the_viewers_grants_are_listed_each(http: httpx.AsyncClient) -> None:
    # given: the member's own case
    world = await make_world(http)
    case = await open_case(world)

    # when
    explained = await explain(world.client("member"), gid("Case", case.id))
    agent = await explain(world.client("agent"), gid("Case", case.id))

    # then
    assert [g["kind"] for g in explained["grants"]] == ["CONSUMER", "HOUSEHOLD_MEMBER"]
    assert "CLOSE" in explained["allowed"]
    assert [g["kind"] for g in agent["grants"]] == ["TEAM"]
    assert "WORK" in agent["allowed"]
