"""GraphiQL in headless Chromium (Debian's, driven by playwright-core from
`e2e/graphiql.mjs` and `e2e/graphiql-link.mjs`): the page works offline, runs
an authenticated query, and opens a demo link as its login."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from csm_graph.demo import generate
from csm_graph.demo.table import sign_in
from tests.support import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]
E2E = ROOT / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "artifacts" / "graphiql.png"


@pytest.fixture
def node() -> str:
    """Node, with playwright-core installed and Chromium present; no stale screenshot."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the browser check"
    assert CHROMIUM.exists(), "run `make browser` first (Debian's chromium package)"
    assert (E2E / "node_modules" / "playwright-core").is_dir(), "run `make e2e-deps` first"
    SCREENSHOT.unlink(missing_ok=True)
    return node


def screenshot_size() -> int:
    return SCREENSHOT.stat().st_size if SCREENSHOT.exists() else 0


async def test_graphiql_runs_an_authenticated_query_from_the_app_alone(
    server_url: str, agent_client: GraphQLClient, node: str
) -> None:
    # given
    assert agent_client.token

    # when
    process = await asyncio.create_subprocess_exec(
        node,
        str(E2E / "graphiql.mjs"),
        server_url,
        agent_client.token,
        "agent@example.com",
        str(SCREENSHOT),
        cwd=E2E,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=50)

    # then
    assert process.returncode == 0, stdout.decode() + stderr.decode()
    report = json.loads(stdout)
    assert report["foreign"] == [], report
    assert f"{server_url}/static/vendor/graphiql.min.js" in report["requests"]
    assert f"{server_url}/graphql" in report["requests"]
    assert '"email": "agent@example.com"' in report["result"], report
    assert screenshot_size() > 10_000


async def test_a_demo_link_opens_graphiql_as_its_login(server_url: str, node: str) -> None:
    # given: the link `csm-graph demo` prints for the household member
    result = await generate(30, seed=6)
    table = await sign_in(result, server_url)
    row = next(r for r in table.rows if r.login.role == "member")
    token = json.loads(parse_qs(urlsplit(row.link).fragment)["headers"][0])["Authorization"]
    screenshot = ROOT / "artifacts" / "graphiql-link.png"
    screenshot.unlink(missing_ok=True)

    # when
    process = await asyncio.create_subprocess_exec(
        node,
        str(E2E / "graphiql-link.mjs"),
        row.link,
        str(screenshot),
        cwd=E2E,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=55)

    # then: the token filled the headers and left the address bar
    assert process.returncode == 0, stdout.decode() + stderr.decode()
    report = json.loads(stdout)
    assert report["address"] == f"{server_url}/graphql", report["address"]
    assert not any(token.split()[-1] in url for url in report["requests"])
    assert report["tabs"] == ["Viewer", "AllCases", "CaseAccess"]
    assert token in report["headers"]
    assert f'"email": "{row.login.email}"' in report["viewer"]
    assert '"caseId"' in report["variables"]
    assert f'"number": "{result.shared_case_number}"' in report["caseAccess"]
    assert '"read": true' in report["caseAccess"]
    assert '"comment": false' in report["caseAccess"], "a household member only reads"
    assert '"HOUSEHOLD_MEMBER"' in report["caseAccess"]
    # and a reload keeps that login's tabs and token (this browser tab's sessionStorage)
    assert report["afterReload"]["tabs"] == report["tabs"]
    assert token in report["afterReload"]["headers"]
    assert report["failures"] == []
