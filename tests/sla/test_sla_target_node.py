"""An SLA target is a `Node`: the same id on every fetch, so normalised caches
(Apollo, urql's graphcache, Relay) key it, and `node(id:)` refetches it for
whoever may see the targets (internal users) and for nobody else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from csm_graph.sla.defaults import DEFAULT_TARGETS
from csm_graph.sla.models import SlaTarget
from tests.schema.cases.helpers import gid, make_world

TARGETS = "{ slaTargets { id level priority responseMinutes } }"
NODE = """
query($id: ID!) { node(id: $id) { id ... on SlaTarget { level priority responseMinutes } } }
"""
SET = """
mutation($i: SlaTargetSetInput!) { slaTargetSet(input: $i) { target { id } errors { code } } }
"""


@pytest.fixture
async def restore_targets() -> AsyncIterator[None]:
    """SLA targets are reference data kept between tests: put the defaults back."""
    yield
    for level, by_priority in DEFAULT_TARGETS.items():
        for priority, (response, resolution) in by_priority.items():
            await SlaTarget.filter(level=level, priority=priority).update(
                response_minutes=response, resolution_minutes=resolution
            )


async def test_a_target_keeps_its_id_across_fetches_and_changes(
    http: httpx.AsyncClient, restore_targets: None
) -> None:
    # given
    world = await make_world(http)
    agent, admin = world.client("agent"), world.client("admin")
    gold = await SlaTarget.get(level="GOLD", priority=2)

    # when
    first = (await agent.data(TARGETS))["slaTargets"]
    saved = await admin.data(
        SET,
        {"i": {"level": "GOLD", "priority": 2, "responseMinutes": 45, "resolutionMinutes": 600}},
    )
    second = (await admin.data(TARGETS))["slaTargets"]

    # then
    ids = [t["id"] for t in first]
    assert len(set(ids)) == len(ids) == len(await SlaTarget.all())
    assert [t["id"] for t in second] == ids
    assert gid("SlaTarget", gold.id) in ids
    assert saved["slaTargetSet"] == {"target": {"id": gid("SlaTarget", gold.id)}, "errors": []}
    (changed,) = [t for t in second if t["id"] == gid("SlaTarget", gold.id)]
    assert changed["responseMinutes"] == 45


async def test_node_refetches_a_target_for_internal_users_only(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    gold = await SlaTarget.get(level="GOLD", priority=1)
    variables = {"id": gid("SlaTarget", gold.id)}

    # when
    seen = {
        who: await world.client(who).execute(NODE, variables)
        for who in ("agent", "admin", "member", "head", "anonymous")
    }

    # then: as `slaTargets` lists it, for internal users
    expected = {
        "id": variables["id"],
        "level": "GOLD",
        "priority": 1,
        "responseMinutes": gold.response_minutes,
    }
    assert seen["agent"] == {"data": {"node": expected}}
    assert seen["admin"] == {"data": {"node": expected}}
    # for everyone else, exactly what a missing object gets
    missing = await world.client("agent").execute(NODE, {"id": gid("SlaTarget", 10**6)})
    assert missing == {"data": {"node": None}}
    for who in ("member", "head", "anonymous"):
        assert seen[who] == missing, who
