from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from csm_graph.consumers import importing
from csm_graph.consumers.models import Consumer
from csm_graph.settings import Settings
from tests.mail import settle_jobs
from tests.schema.consumers.helpers import make_consumer
from tests.support import GraphQLClient, planner_rows

IMPORT = """
mutation Import($input: ConsumerImportInput!) {
  consumerImport(input: $input) { importJob { id state } errors { field message code } }
}
"""
JOB = """
query Job($id: ID!) {
  node(id: $id) {
    ... on ImportJob { state total processed created updated failed message errors { row message } }
  }
}
"""


def csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


async def upload(
    client: GraphQLClient, content: str, name: str = "consumers.csv"
) -> httpx.Response:
    operations = {"query": IMPORT, "variables": {"input": {"file": None}}}
    return await client.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (name, content.encode(), "text/csv")},
        headers=client.headers(),
    )


async def run(client: GraphQLClient, settings: Settings, content: str) -> dict[str, object]:
    response = await upload(client, content)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["consumerImport"]
    assert payload["errors"] == [], payload
    await settle_jobs(settings)
    job: dict[str, object] = (await client.data(JOB, {"id": payload["importJob"]["id"]}))["node"]
    return job


ROWS = [
    {
        "external_id": f"crm-{n}",
        "full_name": f"Person Number{n}",
        "email": f"p{n}@example.com",
        "phone": "",
    }
    for n in range(1, 101)
]


async def test_import_creates_then_reimport_changes_nothing(
    admin_client: GraphQLClient, settings: Settings
) -> None:
    # when
    first = await run(admin_client, settings, csv_text(ROWS))
    again = await run(admin_client, settings, csv_text(ROWS))

    # then
    assert first == {
        **first,
        "state": "DONE",
        "total": 100,
        "processed": 100,
        "created": 100,
        "failed": 0,
    }
    assert (again["created"], again["updated"], again["processed"]) == (0, 0, 100)
    assert await Consumer.all().count() == 100
    person = await Consumer.get(external_id="crm-7")
    assert (person.first_name, person.last_name, person.email) == (
        "Person",
        "Number7",
        "p7@example.com",
    )


async def test_bad_rows_are_reported_by_line_and_write_nothing(
    admin_client: GraphQLClient, settings: Settings
) -> None:
    rows = [dict(r) for r in ROWS]
    rows[9]["email"] = "broken"  # line 11
    rows[49]["phone"] = "123"  # line 51
    rows[50]["full_name"] = ""  # line 52

    job = await run(admin_client, settings, csv_text(rows))

    assert (job["created"], job["failed"]) == (97, 3)
    assert [e["row"] for e in job["errors"]] == [11, 51, 52]  # type: ignore[index, union-attr]
    assert "email" in job["errors"][0]["message"]  # type: ignore[index]
    assert not await Consumer.filter(external_id__in=["crm-10", "crm-50", "crm-51"]).exists()


async def test_rows_without_external_id_upsert_by_email(
    admin_client: GraphQLClient, settings: Settings
) -> None:
    existing = await make_consumer(first_name="Old", last_name="Name", email="match@example.com")

    job = await run(
        admin_client,
        settings,
        csv_text(
            [
                {
                    "email": "match@example.com",
                    "first_name": "New",
                    "last_name": "Name",
                    "city": "Reno",
                }
            ]
        ),
    )

    assert (job["created"], job["updated"]) == (0, 1)
    await existing.refresh_from_db()
    assert (existing.first_name, existing.city) == ("New", "Reno")


async def test_unknown_columns_are_refused_up_front(admin_client: GraphQLClient) -> None:
    response = await upload(admin_client, "full_name,shoe_size\nAnn Lee,9\n")

    payload = response.json()["data"]["consumerImport"]
    assert payload["importJob"] is None
    assert payload["errors"][0]["field"] == "file"
    assert "shoe_size" in payload["errors"][0]["message"]


async def test_only_admins_import(agent_client: GraphQLClient) -> None:
    response = await upload(agent_client, csv_text(ROWS))

    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_long_import_keeps_the_planner_statistics_current(
    admin_client: GraphQLClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: statistics refreshed every 60 rows created (10,000 outside tests)
    monkeypatch.setattr(importing, "ANALYZE_EVERY", 60)
    monkeypatch.setattr(importing, "BATCH_SIZE", 35)

    # when: 100 rows, in batches of 35
    job = await run(admin_client, settings, csv_text(ROWS))

    # then: the planner was told after the second batch (70 rows), not the third
    assert job["created"] == 100
    assert await planner_rows("consumer") == 70
