"""Compiled plans answer exactly as the generic path does, or not at all.

The differential tests run every shipped document by its plan and by the
generic path over HTTP, for every viewer of a world holding every kind of
grant (administrator, manager, agents in and out of the team, a head, a
member, a past member, a representative, an ended representation, related
parties on a case and on a product with responsibilities, a stranger) and
anonymously, at pages of 0, 1 and 100, for every case of the world, and
with variables that do not coerce or that resolvers refuse. Then random
worlds (Hypothesis, `EXAMPLES` worlds, derandomized: about 4 s a world on
two cores; none is built past `traversal_world.WORLDS_TIME_CAP`) do the
same for their logins.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import parse

from csm_graph import runtime
from csm_graph.cases.models import Case
from csm_graph.observability import PLAN_MISMATCHES
from csm_graph.persisted import document_hash, store_for
from csm_graph.schema import build_schema
from csm_graph.schema.node import to_global_id
from csm_graph.schema.persisted import REGISTERED
from csm_graph.schema.plans import rules
from csm_graph.schema.plans.base import NotPlannable
from csm_graph.schema.plans.extension import PLAN_HEADER, PLANS
from csm_graph.schema.plans.plan import compile_plan
from csm_graph.schema.plans.rules import Batched
from csm_graph.schema.plans.shipped import register_shipped, shipped_documents
from csm_graph.settings import Settings
from tests.conftest import wipe
from tests.plans.differential import (
    BAD_VARIABLES,
    DOCUMENTS,
    GENERIC_SUFFIX,
    PAGE_SIZES,
    UNUSUAL_VARIABLES,
    Comparison,
    compare,
    page_variables,
    plan_failures,
)
from tests.schema.access.test_traversal_property import fixed_world
from tests.schema.access.traversal_world import World, WorldClock, build_world, over_world_seeds
from tests.support import GraphQLClient, login

EXAMPLES = 4


@pytest.fixture
async def registered(settings: Settings) -> AsyncIterator[None]:
    """The shipped documents registered, as the API does when it starts."""
    PLANS.forget()
    await register_shipped(settings)
    yield
    PLANS.forget()


async def _clients(http: httpx.AsyncClient, world: World) -> dict[str, GraphQLClient]:
    clients = {"anonymous": GraphQLClient(http)}
    for email in world.logins:
        clients[world.names.get(email, email)] = await login(http, email)
    return clients


async def _compare_world(http: httpx.AsyncClient, world: World, seen: Comparison) -> None:
    failures = plan_failures()
    await _compare_each(http, world, seen)
    assert plan_failures() == failures, "a plan raised an unexpected error (see the log)"


async def _compare_each(http: httpx.AsyncClient, world: World, seen: Comparison) -> None:
    clients = await _clients(http, world)
    case_ids = [to_global_id("Case", pk) for pk in await Case.all().values_list("id", flat=True)]
    for viewer, client in clients.items():
        for name in DOCUMENTS:
            if name == "CaseDetail":
                for case_id in case_ids:
                    await compare(client, viewer, name, {"id": case_id}, seen)
                continue
            for size in PAGE_SIZES:
                await compare(client, viewer, name, page_variables(name, size), seen)
        for name, variable_sets in UNUSUAL_VARIABLES.items():
            for variables in variable_sets:
                await compare(client, viewer, name, variables, seen)
        for name, variable_sets in BAD_VARIABLES.items():
            for variables in variable_sets:
                _, by_plan = await compare(client, viewer, name, variables, seen)
                assert not by_plan, (viewer, name, variables)


def test_every_shipped_document_compiles_to_a_plan(settings: Settings) -> None:
    schema = build_schema(settings)

    plans = {
        name: compile_plan(schema, parse(text), None) for name, text in shipped_documents().items()
    }

    assert sorted(plans) == ["AgentQueue", "AllCases", "CaseDetail", "ConsumerSearch", "MyCases"]
    assert all(plan.name == name for name, plan in plans.items())


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ("{ cases { edges { node { slaClock { breached } } } } }", "Case.slaClock"),
        ("{ cases { edges { node { relatedParties { id } } } } }", "Case.relatedParties"),
        ("{ viewer { id } }", "Query.viewer"),
        ("{ cases { totalCount @include(if: true) } }", "directives"),
        ("mutation { logout { ok } }", "only queries"),
    ],
)
def test_a_document_selecting_a_field_without_a_plan_side_rule_is_refused(
    settings: Settings, document: str, named: str
) -> None:
    with pytest.raises(NotPlannable, match=named.replace(".", r"\.")):
        compile_plan(build_schema(settings), parse(document), None)


@pytest.mark.usefixtures("registered")
async def test_in_a_world_of_every_grant_plans_answer_as_the_generic_path(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await fixed_world()
    seen = Comparison()

    # when
    await _compare_world(http, world, seen)

    # then: equal answers, and the plans did answer (not only declined)
    seen.assert_equal("the fixed world")
    assert set(seen.planned) == set(DOCUMENTS), seen.planned
    assert seen.planned["AllCases"] >= len(world.logins) * len(PAGE_SIZES)


@over_world_seeds(EXAMPLES)
@pytest.mark.usefixtures("registered")
async def test_in_random_worlds_plans_answer_as_the_generic_path(
    product: runtime.Runtime, http: httpx.AsyncClient, world_clock: WorldClock, seed: int
) -> None:
    if not world_clock.in_time():
        return
    await wipe(product)
    world = await build_world(random.Random(seed))
    seen = Comparison()

    await _compare_world(http, world, seen)

    seen.assert_equal(f"the world of seed {seed}")
    assert seen.planned.get("AllCases"), seen.planned


ALL_CASES = DOCUMENTS["AllCases"]


CASE_ID_ONLY = "query CaseIdOnly($id: ID!) { node(id: $id) { ... on Case { id } } }"


@pytest.mark.usefixtures("product")
async def test_a_node_of_another_type_than_the_fragment_names_is_answered_as_generically(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # given: a registered document asking a node for the fields of a case only,
    # and the id of a user (the viewer themselves), whose `id` a case also has
    PLANS.forget()
    redis = runtime.get_runtime().redis if runtime.is_started() else None
    await store_for(settings, redis).register(document_hash(CASE_ID_ONLY), CASE_ID_ONLY)
    REGISTERED.forget()
    world = await fixed_world()
    client = await login(http, world.logins[0])
    user_id = (await client.post("{ viewer { id } }")).json()["data"]["viewer"]["id"]
    failures = plan_failures()

    # when
    planned = await client.post(CASE_ID_ONLY, {"id": user_id})
    generic = await client.post(CASE_ID_ONLY + GENERIC_SUFFIX, {"id": user_id})

    # then: the user selects nothing; the plan neither answered for it nor failed
    assert generic.json() == {"data": {"node": {}}}
    assert planned.json() == generic.json()
    assert PLAN_HEADER not in planned.headers
    assert plan_failures() == failures
    PLANS.forget()


@pytest.mark.usefixtures("registered")
async def test_a_plan_switched_off_by_name_leaves_the_document_to_the_generic_path(
    http: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    world = await fixed_world()
    client = await login(http, world.logins[0])
    assert (await client.post(ALL_CASES)).headers.get(PLAN_HEADER) == "AllCases"

    # when
    monkeypatch.setattr(settings, "plans_disabled", ["AllCases"])
    answered = await client.post(ALL_CASES)

    # then
    assert PLAN_HEADER not in answered.headers
    assert answered.json()["data"]["cases"]["totalCount"] > 0


async def _mismatches() -> float:
    return PLAN_MISMATCHES.labels("AllCases")._value.get()


@pytest.mark.usefixtures("registered")
async def test_a_sampled_check_switches_off_a_plan_that_answers_differently(
    http: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a plan whose attachment counts are wrong, and every answer checked
    async def wrong_counts(run: Any, cases: list[Any]) -> list[Any]:
        return [99] * len(cases)

    monkeypatch.setitem(rules.EXPLICIT, ("Case", "attachmentCount"), Batched(wrong_counts))
    monkeypatch.setattr(settings, "plan_check_rate", 1.0)
    world = await fixed_world()
    client = await login(http, world.logins[0])
    before = await _mismatches()

    # when
    first = await client.post(ALL_CASES)
    for _ in range(100):
        if await _mismatches() > before:
            break
        await asyncio.sleep(0.05)
    second = await client.post(ALL_CASES)

    # then: the wrong answer went out once, the check caught it, the plan is off
    assert first.headers.get(PLAN_HEADER) == "AllCases"
    assert await _mismatches() == before + 1
    assert "AllCases" in PLANS.switched_off
    assert PLAN_HEADER not in second.headers
    counts = {e["node"]["attachmentCount"] for e in second.json()["data"]["cases"]["edges"]}
    assert 99 not in counts


@pytest.mark.usefixtures("registered")
async def test_the_same_text_unregistered_takes_the_generic_path(
    http: httpx.AsyncClient,
) -> None:
    world = await fixed_world()
    client = await login(http, world.logins[0])

    registered = await client.post(ALL_CASES)
    unregistered = await client.post(ALL_CASES + "\n")

    assert registered.headers.get(PLAN_HEADER) == "AllCases"
    assert PLAN_HEADER not in unregistered.headers
    assert registered.json() == unregistered.json()
