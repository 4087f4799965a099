"""`consumerImports`: an administrator's list of imports, newest first, with progress."""

from __future__ import annotations

import httpx

from csm_graph.consumers.models import ImportJob, ImportState
from csm_graph.schema.node import to_global_id
from tests.support import login, make_user

IMPORTS = """
query($first: Int, $after: String) {
  consumerImports(first: $first, after: $after) {
    totalCount
    edges { node { id state fileName total processed created updated failed } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_admins_page_through_imports_newest_first(http: httpx.AsyncClient) -> None:
    await make_user("admin@example.com", roles=("ADMIN",))
    jobs = [
        await ImportJob.create(file_name=f"batch-{n}.csv", source="email\n" * 5, total=4)
        for n in range(3)
    ]
    await ImportJob.filter(id=jobs[1].id).update(state=ImportState.RUNNING, processed=2, created=2)
    admin = await login(http, "admin@example.com")

    first = (await admin.data(IMPORTS, {"first": 2}))["consumerImports"]
    assert first["totalCount"] == 3
    nodes = [e["node"] for e in first["edges"]]
    assert [n["fileName"] for n in nodes] == ["batch-2.csv", "batch-1.csv"]
    assert nodes[1] == {
        "id": str(to_global_id("ImportJob", jobs[1].id)),
        "state": "RUNNING",
        "fileName": "batch-1.csv",
        "total": 4,
        "processed": 2,
        "created": 2,
        "updated": 0,
        "failed": 0,
    }
    assert first["pageInfo"]["hasNextPage"] is True

    rest = (await admin.data(IMPORTS, {"first": 2, "after": first["pageInfo"]["endCursor"]}))[
        "consumerImports"
    ]
    assert [e["node"]["fileName"] for e in rest["edges"]] == ["batch-0.csv"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_only_administrators_list_imports(http: httpx.AsyncClient) -> None:
    await make_user("agent@example.com", roles=("AGENT",))
    await ImportJob.create(file_name="people.csv", source="email\n")
    agent = await login(http, "agent@example.com")
    result = await agent.execute(IMPORTS, {"first": 5})
    assert result["data"]["consumerImports"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
