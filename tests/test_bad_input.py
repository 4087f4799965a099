"""Input no column can hold, and values out of any range, get a clear error
(`BAD_USER_INPUT`, or the answer a missing object gets) and change nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from csm_graph.cases.models import Case, CaseComment
from csm_graph.consumers.models import Consumer
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.support import GraphQLClient

LOGIN = 'mutation($e: String!) { login(input: {email: $e, password: "x"}) { errors { code } } }'
CONSUMER_CREATE = """
mutation($first: String!) {
  consumerCreate(input: {firstName: $first, lastName: "Lee"}) { consumer { id } errors { code } }
}
"""
CASE_CREATE = """
mutation($d: String!) {
  caseCreate(input: {shortDescription: $d}) { case { id } errors { field code } }
}
"""
COMMENT = """
mutation($id: ID!) { caseCommentAdd(input: {caseId: $id, body: "%s"}) { errors { code } } }
"""
SEARCH = "query($s: String!) { consumers(filter: {search: $s}) { totalCount } }"
CASE_SEARCH = "query($s: String!) { cases(filter: {search: $s}) { totalCount } }"
BY_NUMBER = "query($n: String!) { caseByNumber(number: $n) { id } }"
PAGE = "query($after: String!) { cases(first: 5, after: $after) { totalCount } }"


def _code(result: dict[str, Any]) -> str:
    code: str = result["errors"][0]["extensions"]["code"]
    return code


async def _send(client: GraphQLClient, query: str, variables: dict[str, Any]) -> httpx.Response:
    """The request as JSON text with `\\u` escapes (a lone surrogate cannot be UTF-8)."""
    body = json.dumps({"query": query, "variables": variables})
    headers = {**client.headers(), "content-type": "application/json"}
    return await client.http.post("/graphql", content=body, headers=headers)


@pytest.mark.parametrize(
    ("bad", "in_variables"),
    [("a\x00b", (200, "BAD_USER_INPUT")), ("\ud800", (400, "BAD_REQUEST"))],
    ids=["NUL", "lone surrogate"],
)
async def test_text_no_column_can_hold_is_refused_before_anything_runs(
    http: httpx.AsyncClient, bad: str, in_variables: tuple[int, str]
) -> None:
    # given
    world = await make_world(http)
    agent, member = world.client("agent"), world.client("member")
    case = await open_case(world)

    # when: in a login, a name, a description, a search (variables), and in a
    # comment written into the document itself
    answers = [
        await _send(GraphQLClient(http), LOGIN, {"e": f"x{bad}@example.com"}),
        await _send(agent, CONSUMER_CREATE, {"first": f"Ann{bad}"}),
        await _send(member, CASE_CREATE, {"d": f"Broken{bad}"}),
        await _send(agent, SEARCH, {"s": bad}),
    ]
    literal = "\\u0000" if "\x00" in bad else "\\ud800"
    in_document = await _send(member, COMMENT % literal, {"id": gid("Case", case.id)})
    # the same document again: its literals are checked once per parsed
    # document, and the answer must not change
    again = await _send(member, COMMENT % literal, {"id": gid("Case", case.id)})

    # then: each a clear error (a JSON text with a lone surrogate is no JSON
    # text at all); nothing written
    for response in answers:
        assert (response.status_code, _code(response.json())) == in_variables, response.text
        assert "data" not in response.json()
    if in_variables[0] == 200:
        assert "$e" in answers[0].json()["errors"][0]["message"]
    assert in_document.status_code == 200
    refusal = in_document.json()
    assert again.json() == refusal
    assert "data" not in refusal
    if "\x00" in bad:
        assert _code(refusal) == "BAD_USER_INPUT"
    else:  # the parser itself refuses the escape: a syntax error
        assert refusal["errors"][0]["message"].startswith("Syntax Error: Invalid Unicode")
    assert await Consumer.all().count() == 5  # the world's consumers only
    assert await Case.all().count() == 1
    assert await CaseComment.all().count() == 0


async def test_strings_longer_than_their_column_find_nothing(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when
    long_number = await world.client("member").execute(BY_NUMBER, {"n": case.number + "12345678"})
    long_login = await GraphQLClient(http).execute(LOGIN, {"e": "a" * 300 + "@example.com"})

    # then: as for a number or an email nobody has
    assert long_number == {"data": {"caseByNumber": None}}
    assert long_login["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_a_search_term_over_the_limit_is_a_bad_request(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)

    # when
    consumers = await world.client("agent").execute(SEARCH, {"s": "x" * 100_000})
    cases = await world.client("member").execute(CASE_SEARCH, {"s": "x" * 100_000})
    fine = await world.client("agent").execute(SEARCH, {"s": "x" * 200})

    # then
    assert _code(consumers) == "BAD_USER_INPUT"
    assert _code(cases) == "BAD_USER_INPUT"
    assert fine == {"data": {"consumers": {"totalCount": 0}}}


@pytest.mark.parametrize(
    "key", [2**31, 2**63, 2**64 + 5, -1, 0], ids=["past int4", "2^63", "past 2^64", "-1", "0"]
)
async def test_a_cursor_outside_any_key_is_a_bad_request(http: httpx.AsyncClient, key: int) -> None:
    # given
    world = await make_world(http)
    cursor = base64.b64encode(f"c:{key}".encode()).decode()

    # when
    result = await world.client("member").execute(PAGE, {"after": cursor})

    # then
    assert _code(result) == "BAD_USER_INPUT"
