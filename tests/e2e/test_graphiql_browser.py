"""GraphiQL in headless Chromium (Debian's, driven by playwright-core from
`e2e/graphiql.mjs`): the page works offline and runs an authenticated query."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

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
