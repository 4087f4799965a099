"""`csm-graph demo`'s table of logins: one login per kind of viewer, all
seeing one shared case, each through its own grant and with its own
`viewerCan`, each with a GraphiQL link that works as that login."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from csm_graph import runtime
from csm_graph.demo import KINDS, DemoResult, generate, loaded
from csm_graph.demo.table import Table, sign_in
from tests.support import login

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "csm_graph" / "static" / "examples"

SHARED_CASE = """
query SharedCase($number: String!) {
  caseByNumber(number: $number) {
    id
    number
    viewerCan {
      read comment attach acceptSolution rejectSolution close manageRelatedParties work
    }
  }
}
"""
EXPLAIN = """
query Explain($caseId: ID!) {
  explainAccess(caseId: $caseId) { allowed grants { kind } }
}
"""

CONSUMER_SIDE = {"read", "comment", "attach", "acceptSolution", "rejectSolution", "close"}
STAFF = {"read", "comment", "attach", "manageRelatedParties", "work"}
CAN: dict[str, set[str]] = {
    "admin": CONSUMER_SIDE | STAFF,
    "manager": STAFF,
    "agent": STAFF,
    "head of household": CONSUMER_SIDE,
    "member": {"read"},
    "representative": CONSUMER_SIDE,
    "guarantor": {"read", "comment", "attach"},
}
"""What each kind may do with the shared case, a RESOLVED case: the consumer
side may accept or reject its solution; a household member only reads; the
guarantor's default responsibility (case collaborator) reads, comments and
attaches; staff work it; only the administrator does everything."""
GRANTS: dict[str, set[str]] = {
    "admin": {"ADMIN"},
    "manager": {"TEAM", "MANAGER"},
    "agent": {"ASSIGNEE", "TEAM"},
    "head of household": {"HEAD_OF_HOUSEHOLD", "HOUSEHOLD_MEMBER"},
    "member": {"HOUSEHOLD_MEMBER"},
    "representative": {"REPRESENTATIVE"},
    "guarantor": {"RELATED_PARTY"},
}
"""The grants through which each kind sees it (the agent may also have opened it)."""


@pytest.fixture
async def demo_world(product: runtime.Runtime, server_url: str) -> tuple[DemoResult, Table, str]:
    """A small demo world, and the table `csm-graph demo` prints for it."""
    result = await generate(60, seed=4)
    table = await sign_in(result, server_url)
    return result, table, table.render(result.counts)


def printed_login(printed: str, kind: str) -> str:
    """The email printed on `kind`'s row."""
    found = re.search(rf"^  {re.escape(kind)} +(\S+@\S+) ", printed, re.MULTILINE)
    assert found, f"no row for {kind}:\n{printed}"
    return found[1]


def printed_link(printed: str, email: str) -> str:
    """The GraphiQL link printed under the row of `email`."""
    found = re.search(rf" {re.escape(email)} .*\n +(http\S+)", printed)
    assert found, f"no link for {email}:\n{printed}"
    return found[1]


async def test_every_printed_login_sees_the_shared_case_as_its_kind(
    demo_world: tuple[DemoResult, Table, str], server_url: str
) -> None:
    # given
    result, table, printed = demo_world
    number = result.shared_case_number
    assert f"A case all of them can see: {number}" in printed
    password = re.search(r'Password for every login: "(.+)"', printed)
    assert password

    # when: each printed login logs in over HTTP, with the printed password
    answers: dict[str, dict[str, bool]] = {}
    grants: dict[str, set[str]] = {}
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        for kind in KINDS:
            client = await login(http, printed_login(printed, kind), password[1])
            case = (await client.data(SHARED_CASE, {"number": number}))["caseByNumber"]
            assert case is not None, kind
            answers[kind] = case["viewerCan"]
            explained = (await client.data(EXPLAIN, {"caseId": case["id"]}))["explainAccess"]
            grants[kind] = {g["kind"] for g in explained["grants"]}

    # then
    for kind, can in answers.items():
        assert {name for name, allowed in can.items() if allowed} == CAN[kind], kind
        assert GRANTS[kind] <= grants[kind] <= GRANTS[kind] | {"OPENER"}, kind
    assert len({tuple(sorted(can.items())) for can in answers.values()}) == 5
    for row in table.rows:
        assert set(row.can) == CAN[row.login.role], "the table says what the API answers"
        assert row.login.email == printed_login(printed, row.login.role)


async def test_every_printed_link_runs_the_examples_as_its_login(
    demo_world: tuple[DemoResult, Table, str], server_url: str
) -> None:
    # given
    result, _, printed = demo_world
    documents = {path.stem: path.read_text() for path in EXAMPLES.glob("*.graphql")}

    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        for kind in KINDS:
            email = printed_login(printed, kind)
            link = urlsplit(printed_link(printed, email))
            assert (link.scheme, link.netloc, link.path) == (
                "http",
                urlsplit(server_url).netloc,
                "/graphql",
            )
            assert link.query == "", "the token rides in the fragment, never in what is sent"
            fragment = {k: json.loads(v[0]) for k, v in parse_qs(link.fragment).items()}

            # when: each example runs with the link's headers and the variables it declares
            answers: dict[str, Any] = {}
            for name, document in documents.items():
                declared = set(re.findall(r"\$(\w+)\s*:", document))
                variables = {k: v for k, v in fragment["variables"].items() if k in declared}
                response = await http.post(
                    "/graphql",
                    json={"query": document, "variables": variables},
                    headers=fragment["headers"],
                )
                assert response.status_code == 200, response.text
                body = response.json()
                assert "errors" not in body, (kind, name, body)
                answers[name] = body["data"]

            # then
            assert answers["viewer"]["viewer"]["email"] == email
            assert answers["all-cases"]["cases"]["totalCount"] > 0
            case = answers["case-access"]["node"]
            assert case["number"] == result.shared_case_number
            can = {name for name, allowed in case["viewerCan"].items() if allowed}
            assert can == CAN[kind]
            assert answers["case-access"]["explainAccess"]["grants"], kind


async def test_the_table_says_when_the_tokens_expire_and_how_to_get_fresh_ones(
    demo_world: tuple[DemoResult, Table, str],
) -> None:
    # given
    _, table, printed = demo_world

    # then
    expires = min(row.expires_at for row in table.rows)
    assert f"expire at {expires.astimezone():%Y-%m-%d %H:%M}" in printed
    assert "`login` mutation" in " ".join(printed.split())


async def test_a_database_with_a_demo_world_is_known_as_such(product: runtime.Runtime) -> None:
    # given: `csm-graph demo` refuses a second world (its logins would clash)
    assert not await loaded()

    # when
    await generate(20, seed=1)

    # then
    assert await loaded()
