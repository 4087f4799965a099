from __future__ import annotations

import json

import httpx

from csm_graph.cases.models import CaseAttachment
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.support import GraphQLClient

ATTACH = """
mutation($i: CaseAttachmentAddInput!) {
  caseAttachmentAdd(input: $i) {
    attachment { id fileName contentType size downloadUrl }
    errors { field message code }
  }
}
"""
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64


async def upload(client: GraphQLClient, case_id: int, name: str, data: bytes) -> dict[str, object]:
    operations = {
        "query": ATTACH,
        "variables": {"i": {"caseId": gid("Case", case_id), "file": None}},
    }
    response = await client.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.i.file"]})},
        files={"0": (name, data, "application/octet-stream")},
        headers=client.headers(),
    )
    assert response.status_code == 200, response.text
    payload: dict[str, object] = response.json()["data"]["caseAttachmentAdd"]
    return payload


async def test_a_consumer_attaches_and_the_reader_downloads(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when: the type comes from the bytes, not the name
    payload = await upload(world.client("member"), case.id, "photo.txt", PNG)

    # then
    attachment = payload["attachment"]
    assert payload["errors"] == []
    assert attachment["contentType"] == "image/png"  # type: ignore[index]
    url = attachment["downloadUrl"]  # type: ignore[index]
    ok = await http.get(url, headers=world.client("other").headers())
    assert ok.status_code == 200
    assert ok.content == PNG
    assert ok.headers["content-type"] == "image/png"
    assert ok.headers["x-content-type-options"] == "nosniff"


async def test_downloads_follow_the_case_access_check(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)
    payload = await upload(world.client("member"), case.id, "photo.png", PNG)
    url = payload["attachment"]["downloadUrl"]  # type: ignore[index]

    stranger = await http.get(url, headers=world.client("stranger").headers())
    anonymous = await http.get(url)
    missing = await http.get(
        "/files/attachments/bm9wZQ==", headers=world.client("member").headers()
    )

    assert stranger.status_code == 404
    assert anonymous.status_code == 401
    assert missing.status_code == 404


async def test_a_disguised_executable_is_refused(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)

    payload = await upload(
        world.client("member"), case.id, "invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200
    )

    assert payload["attachment"] is None
    assert [e["field"] for e in payload["errors"]] == ["file"]  # type: ignore[union-attr, index]
    assert await CaseAttachment.all().count() == 0


async def test_a_household_member_may_not_attach(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)

    payload = await upload(world.client("other"), case.id, "x.png", PNG)

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("caseId", "FORBIDDEN")]  # type: ignore[union-attr, index]
