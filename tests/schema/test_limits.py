"""Query cost limits: depth, aliases and tokens, each just under and over."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from csm_graph.schema import build_schema
from csm_graph.schema.cost import cost_of
from csm_graph.settings import Settings
from tests.support import GraphQLClient


def _nested(depth: int) -> str:
    """A query `depth` levels deep: viewer { manager { manager { ... id } } }."""
    return "{ viewer { " + "manager { " * (depth - 2) + "id" + " }" * (depth - 1) + " }"


def _aliases(count: int) -> str:
    return "{ " + " ".join(f"a{n}: viewer {{ id }}" for n in range(count)) + " }"


def _tokens(count: int) -> str:
    """A document of exactly `count` tokens, padded with a long list literal
    (which costs the validator nothing, unlike repeated fields)."""
    padding = ", ".join(['"t"'] * (count - 23))
    return (
        'mutation { userCreate(input: {email: "x", teamIds: [' + padding + "]}) { user { id } } }"
    )


async def test_a_depth_20_query_is_rejected(agent_client: GraphQLClient) -> None:
    # when
    result = await agent_client.execute(_nested(20))

    # then
    assert "data" not in result or result["data"] is None
    assert result["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 12"


async def test_a_query_at_the_depth_limit_runs(
    agent_client: GraphQLClient, settings: Settings
) -> None:
    result = await agent_client.execute(_nested(settings.max_query_depth))

    assert "errors" not in result, result
    assert result["data"]["viewer"]["manager"] is None


async def test_too_many_aliases_are_rejected(
    agent_client: GraphQLClient, settings: Settings
) -> None:
    # when
    result = await agent_client.execute(_aliases(settings.max_query_aliases + 1))

    # then
    assert result.get("data") is None
    assert result["errors"][0]["message"] == (
        f"{settings.max_query_aliases + 1} aliases found. Allowed: {settings.max_query_aliases}"
    )


async def test_aliases_up_to_the_limit_run(agent_client: GraphQLClient, settings: Settings) -> None:
    result = await agent_client.execute(_aliases(settings.max_query_aliases))

    assert "errors" not in result, result
    assert len(result["data"]) == settings.max_query_aliases


async def test_too_many_tokens_are_rejected(
    agent_client: GraphQLClient, settings: Settings
) -> None:
    # when
    result = await agent_client.execute(_tokens(settings.max_query_tokens + 1))

    # then
    assert result.get("data") is None
    assert [e["message"] for e in result["errors"]] == [
        f"Syntax Error: Document contains more than {settings.max_query_tokens} tokens. "
        "Parsing aborted."
    ]


async def test_a_query_at_the_token_limit_runs(
    agent_client: GraphQLClient, settings: Settings
) -> None:
    result = await agent_client.execute(_tokens(settings.max_query_tokens))

    # it reached execution: the permission check answered, not the parser
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]


async def test_a_repeated_document_is_validated_once_and_still_refused(
    agent_client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: graphql-core's validation, counted
    from strawberry.schema import schema as strawberry_schema

    validated: list[object] = []
    validate = strawberry_schema.validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        validated.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    # texts no other test sends, so no earlier request has cached them
    fine = "{ viewer { id email } } # validated once"
    too_deep = _nested(20) + " # validated once"

    # when: each document is sent three times
    results = [await agent_client.execute(q) for q in (fine, too_deep) for _ in range(3)]

    # then: each was validated once, and the cached verdicts still hold
    assert len(validated) == 2
    assert all("errors" not in r for r in results[:3])
    for result in results[3:]:
        assert result["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 12"


CYCLE = (
    "{ cases(first: 100) { edges { node { relatedParties { case { relatedParties { case {"
    " relatedParties { case { relatedParties { case { number } } } } } } } } } } } }"
)
PAGE = (
    "{ cases(first: 100) { totalCount edges { node { number consumer { fullName }"
    " household { name } assignedTo { fullName } lastPublicComment { body } } } } }"
)

WIDE_PAGE = (
    "cases(first: 100) { edges { node { relatedParties { consumer { households { name } } } } } }"
)


def _cost(result: dict[str, Any]) -> tuple[int, int]:
    assert "data" not in result or result["data"] is None, result
    error = result["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY", error
    return error["extensions"]["cost"], error["extensions"]["budget"]


async def test_a_small_document_asking_for_millions_of_objects_is_refused(
    agent_client: GraphQLClient, settings: Settings
) -> None:
    # when: 200 bytes cycling through related parties, and 30 aliases of a page
    cycle = await agent_client.execute(CYCLE)
    aliased = await agent_client.execute(
        "{ " + " ".join(f"p{n}: " + WIDE_PAGE for n in range(30)) + " }"
    )
    one = await agent_client.execute("{ " + WIDE_PAGE + " }")

    # then: refused before running, saying what it would cost
    cost, budget = _cost(cycle)
    assert cost > budget == settings.max_query_cost
    assert _cost(aliased)[0] > settings.max_query_cost
    assert "errors" not in one, one


async def test_a_full_page_with_its_relations_runs(agent_client: GraphQLClient) -> None:
    result = await agent_client.execute(PAGE)

    assert "errors" not in result, result
    assert result["data"]["cases"]["totalCount"] == 0


async def test_the_page_size_the_variables_ask_for_is_what_counts(
    agent_client: GraphQLClient, settings: Settings
) -> None:
    # given: one document, cheap or dear by its variables
    document = (
        "query($n: Int) { cases(first: $n) { edges { node { relatedParties { case {"
        " relatedParties { case { relatedParties { consumer { fullName } } } } } } } } } }"
    )

    # when
    one = await agent_client.execute(document, {"n": 1})
    hundred = await agent_client.execute(document, {"n": 100})

    # then
    assert "errors" not in one, one
    assert _cost(hundred)[0] > settings.max_query_cost


async def test_anonymous_requests_have_a_smaller_budget(
    anon_client: GraphQLClient, agent_client: GraphQLClient, settings: Settings
) -> None:
    # when: the same page, without and with a login
    anonymous = await anon_client.execute(PAGE)
    signed_in = await agent_client.execute(PAGE)

    # then
    cost, budget = _cost(anonymous)
    assert budget == settings.max_query_cost_anonymous < cost < settings.max_query_cost
    assert "errors" not in signed_in


@pytest.mark.parametrize(
    "spelling",
    [
        "query { cases(first: 100) { ...Page } } fragment Page on CaseConnection { %s }",
        "query { cases(first: 100) { ... on CaseConnection { %s } } }",
        "query { cases(first: 100) { ...Page } }"
        " fragment Page on CaseConnection { ... on CaseConnection { %s } }",
    ],
    ids=["fragment", "inline-fragment", "nested-fragments"],
)
async def test_a_page_costs_the_same_however_its_edges_are_spelt(
    agent_client: GraphQLClient, spelling: str
) -> None:
    # given: the cycle's edges written straight, and inside fragments on the connection
    edges = CYCLE.removeprefix("{ cases(first: 100) { ").removesuffix(" } }")

    # when
    straight = await agent_client.execute(CYCLE)
    spelt = await agent_client.execute(spelling % edges)

    # then: the edges repeat per item wherever they are written
    assert _cost(spelt) == _cost(straight)


COSTED = [
    "{ cases(first: 50) { edges { node { id consumer { id } } } } }",
    "query Q($n: Int) { consumers(first: $n) { edges { node { id } } } }",
    "{ viewer { id } }",
]


@pytest.mark.parametrize("text", COSTED)
def test_a_document_costs_the_same_keyed_by_its_text_as_by_its_tree(
    settings: Settings, text: str
) -> None:
    # given
    schema = build_schema(settings)._schema
    variables = {"n": 30}

    # when
    by_tree = cost_of(schema, parse(text), None, variables)
    by_text = cost_of(schema, parse(text), None, variables, text)
    again = cost_of(schema, parse(text), None, variables, text)

    # then
    assert by_tree == by_text == again
    assert by_tree > 0


def test_two_documents_with_one_text_key_each_cost_their_own(settings: Settings) -> None:
    # given: a small and a large page, each keyed by its own text
    schema = build_schema(settings)._schema
    small, large = (f"{{ cases(first: {n}) {{ edges {{ node {{ id }} }} }} }}" for n in (1, 100))

    # when
    costs = [cost_of(schema, parse(t), None, {}, t) for t in (small, large, small)]

    # then
    assert costs[0] == costs[2] < costs[1]
