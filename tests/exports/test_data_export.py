"""consumerDataExport: a consumer's copy of everything held about them, as one
zip written by the real job, announced by a real email, downloaded once."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx

from csm_graph import clock, storage
from csm_graph.access.engine import Subject, load_subject
from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.cases import services as cases
from csm_graph.cases.services import CaseDraft
from csm_graph.consumers.models import Consumer
from csm_graph.customfields.models import CustomFieldEntity
from csm_graph.exports.models import DataExport, ExportState
from csm_graph.exports.services import expire_data_exports
from csm_graph.mailin.models import InboundEmail, InboundState, Intake
from csm_graph.notifications.services import queue_email
from csm_graph.products.models import SoldProduct
from csm_graph.storage import path_of
from csm_graph.surveys.models import Survey
from tests.customfields.helpers import define, set_value
from tests.mail import Mailbox, body
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import represent
from tests.support import GraphQLClient, login

EXPORT = """
mutation($i: ConsumerDataExportInput!) {
  consumerDataExport(input: $i) {
    dataExport { id state }
    errors { field code }
  }
}
"""
NODE = """
query($id: ID!) {
  node(id: $id) {
    ... on DataExport { id state size message createdAt finishedAt expiresAt downloadedAt }
  }
}
"""
LIST = "query($id: ID!) { dataExports(consumerId: $id) { id state } }"
SUBJECT = "Your data export is ready"
LINK = re.compile(r"/exports/([A-Za-z0-9_\-]+)")
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
"""The one shape of every `DateTime` the API returns (tests/schema/test_datetime_format.py)."""


async def subject_of(world: World, name: str) -> Subject:
    """The access subject `name` acts as, as a request would load it."""
    if name in ("agent", "admin"):
        return await load_subject(
            Viewer(
                user_id=world.ids[name],
                user_type=UserType.INTERNAL,
                roles=frozenset({name.upper()}),
                team_ids=frozenset({world.team.id}),
            )
        )
    consumer = {
        "member": world.member,
        "other": world.other,
        "head": world.head,
        "stranger": world.stranger,
    }[name]
    assert consumer.user_id is not None
    return await load_subject(Viewer(user_id=consumer.user_id, user_type=UserType.EXTERNAL))


async def ask(client: GraphQLClient, consumer: Consumer) -> dict[str, Any]:
    data = await client.data(EXPORT, {"i": {"consumerId": gid("Consumer", consumer.id)}})
    payload: dict[str, Any] = data["consumerDataExport"]
    return payload


@dataclass
class Ready:
    export_id: str
    token: str


async def ready_export(client: GraphQLClient, consumer: Consumer, mailbox: Mailbox) -> Ready:
    """Ask for `consumer`'s export as `client`, let the job run, and read the link
    from the email the consumer got."""
    payload = await ask(client, consumer)
    assert payload["errors"] == [], payload
    messages = await mailbox.settle()
    [message] = [m for m in messages if str(m["Subject"]) == SUBJECT]
    assert str(message["To"]) == consumer.email
    match = LINK.search(body(message, "plain"))
    assert match, body(message, "plain")
    return Ready(payload["dataExport"]["id"], match.group(1))


async def download(http: httpx.AsyncClient, client: GraphQLClient, token: str) -> httpx.Response:
    return await http.get(f"/exports/{token}", headers=client.headers())


def entries(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return {name: z.read(name) for name in z.namelist()}


async def stored_key(export_gid: str) -> str:
    """Where the export's archive is in storage."""
    pk = int(base64.b64decode(export_gid).decode().split(":")[1])
    export = await DataExport.get(id=pk)
    return export.storage_key


async def gone(key: str) -> bool:
    """Whether the archive's file was deleted (the download deletes it just after sending)."""
    for _ in range(100):
        if not path_of(key).exists():
            return True
        await asyncio.sleep(0.02)
    return False


async def everything_about_the_member(world: World) -> dict[str, Any]:
    """A record of every kind around `world.member`; returns what to look for."""
    await Consumer.filter(id=world.member.id).update(
        phone="+14155550123",
        address_line1="1 Member Street",
        city="Springfield",
        date_of_birth=dt.date(1990, 5, 17),
        twitter_handle="@memberdoe",
    )
    grandma = await make_consumer(first_name="Grand", last_name="Ma")
    await represent(world.member, grandma)
    member = await subject_of(world, "member")
    agent = await subject_of(world, "agent")
    case = await open_case(world)
    await cases.add_comment(agent, case.id, "Please restart the router.", work_note=False)
    await cases.add_comment(member, case.id, "Restarted it, still broken.", work_note=False)
    await cases.add_comment(agent, case.id, "WORK-NOTE-mast-is-down", work_note=True)
    attachment = await cases.add_attachment(
        member, case.id, "router log.txt", b"router log line 1\nline 2\n"
    )
    for_grandma = await cases.create_case(
        member, CaseDraft(short_description="Grandma's heating", consumer_id=grandma.id)
    )
    await Survey.create(
        case_id=case.id,
        consumer_id=world.member.id,
        created_at=clock.now(),
        rating=4,
        comment="Quick and friendly",
    )
    heads = await open_case(world, consumer_id=world.head.id, short_description="HEADS-OWN-case")
    kinds = {t.name: t.id for t in await RelationshipType.all()}
    duties = {r.name: r.id for r in await Responsibility.all()}
    await RelatedParty.create(
        case_id=heads.id,
        consumer_id=world.member.id,
        relationship_type_id=kinds["guarantor"],
        responsibility_id=duties["case viewer"],
    )
    await SoldProduct.create(
        name="Fibre 1000",
        serial_number="SN-MEMBER-1",
        owner_id=world.member.id,
        household_id=world.household.id,
    )
    # an email the member sent in about the case, and one someone else sent
    for sender, text in (
        ("Member@Example.com", b"MEMBER-MESSAGE: it blinks red."),
        ("stranger@example.com", b"STRANGER-MESSAGE: not hers."),
    ):
        raw = b"From: " + sender.encode() + b"\r\nSubject: Router\r\n\r\n" + text + b"\r\n"
        await InboundEmail.create(
            intake=Intake.SMTP,
            state=InboundState.ATTACHED,
            sender=sender.lower(),
            subject="Router",
            size=len(raw),
            raw_key=await storage.put(raw),
            received_at=clock.now(),
            case_id=case.id,
        )
    return {
        "case": case.number,
        "for_grandma": for_grandma.number,
        "grandma": grandma.number,
        "heads": heads.number,
        "attachment": attachment.id,
    }


async def test_the_archive_holds_every_kind_of_record(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    expected = await everything_about_the_member(world)
    await define(CustomFieldEntity.CONSUMER, "tier", label="Tier")
    await set_value(CustomFieldEntity.CONSUMER, world.member.id, "tier", "gold")
    await mailbox.settle()
    mailbox.clear()

    # when
    ready = await ready_export(world.client("member"), world.member, mailbox)
    response = await download(http, world.client("member"), ready.token)

    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    files = entries(response.content)
    data = json.loads(files["data.json"])
    assert data["format"] == "csm-graph.consumer-data-export"
    assert data["formatVersion"] == 1
    consumer = data["consumer"]
    assert consumer["number"] == world.member.number
    assert consumer["phone"] == "+14155550123"
    assert consumer["dateOfBirth"] == "1990-05-17"
    assert consumer["address"]["city"] == "Springfield"
    assert consumer["twitterHandle"] == "@memberdoe"
    assert data["customFields"] == [{"key": "tier", "label": "Tier", "value": "gold"}]
    assert data["login"]["email"] == "member@example.com"
    assert "passwordHash" not in data["login"]
    [membership] = data["households"]
    assert membership["household"] == {"number": world.household.number, "name": "The Does"}
    assert membership["relationship"] == "CHILD"
    assert [r["representativeNumber"] for r in data["representedBy"]] == [
        world.representative.number
    ]
    assert [r["consumerNumber"] for r in data["represents"]] == [expected["grandma"]]
    by_number = {c["number"]: c for c in data["cases"]}
    assert set(by_number) == {expected["case"], expected["for_grandma"]}
    assert by_number[expected["for_grandma"]]["yourRoles"] == ["opener"]
    case = by_number[expected["case"]]
    assert case["yourRoles"] == ["consumer"]
    assert case["shortDescription"] == "Router keeps rebooting"
    assert [(c["by"], c["body"]) for c in case["comments"]] == [
        ("agent", "Please restart the router."),
        ("you", "Restarted it, still broken."),
    ]
    kinds = {a["kind"] for a in case["activity"]}
    assert {"CREATED", "COMMENTED", "ATTACHMENT_ADDED"} <= kinds
    assert "WORK_NOTE_ADDED" not in kinds
    [attached] = data["files"]
    assert attached["fileName"] == "router log.txt"
    assert attached["caseNumber"] == expected["case"]
    assert files[attached["path"]] == b"router log line 1\nline 2\n"
    assert attached["path"].startswith("files/")
    [survey] = data["surveys"]
    assert (survey["caseNumber"], survey["rating"], survey["comment"]) == (
        expected["case"],
        4,
        "Quick and friendly",
    )
    [party] = data["relatedParties"]
    assert (party["caseNumber"], party["relationship"]) == (expected["heads"], "guarantor")
    assert [(p["name"], p["serialNumber"]) for p in data["soldProducts"]] == [
        ("Fibre 1000", "SN-MEMBER-1")
    ]
    [sent_in] = data["messagesSentIn"]
    assert (sent_in["subject"], sent_in["caseNumber"], sent_in["state"]) == (
        "Router",
        expected["case"],
        "ATTACHED",
    )
    assert sent_in["path"].startswith("messages/")
    assert b"MEMBER-MESSAGE: it blinks red." in files[sent_in["path"]]
    assert b"STRANGER-MESSAGE" not in b"".join(files.values())
    emails = {(e["kind"], e["to"], e["caseNumber"]) for e in data["emails"]}
    assert ("case_created", "member@example.com", expected["case"]) in emails
    assert ("case_commented", "member@example.com", expected["case"]) in emails
    assert data["leftOut"]
    summary = files["summary.html"].decode()
    assert world.member.number in summary
    assert "Springfield" in summary
    assert "Restarted it, still broken." in summary
    # the head's own case is named by its number only
    assert b"HEADS-OWN-case" not in b"".join(files.values())
    assert b"WORK-NOTE-mast-is-down" not in b"".join(files.values())


async def test_nobody_elses_data_is_in_the_archive(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given: the member's own records, and beside them a household co-member's
    # contact details, their own case with their comment, a work note on the
    # member's case, a stranger's case and an email to someone else
    world = await make_world(http)
    await everything_about_the_member(world)
    await Consumer.filter(id=world.other.id).update(
        first_name="Zebulon",
        last_name="Quillfeather",
        phone="+14155550199",
        mobile_phone="+14155550188",
        personal_email="zebulon.private@example.net",
        address_line1="99 Canary Lane",
    )
    other_case = await open_case(
        world, consumer_id=world.other.id, short_description="CANARY-CASE-zebulon-boiler"
    )
    await cases.add_comment(
        await subject_of(world, "other"),
        other_case.id,
        "CANARY-COMMENT-zebulon",
        work_note=False,
    )
    member_case = await open_case(world, short_description="Second case of the member")
    await cases.add_comment(
        await subject_of(world, "agent"),
        member_case.id,
        "CANARY-WORKNOTE-xyzzy about Zebulon",
        work_note=True,
    )
    await open_case(
        world,
        consumer_id=world.stranger.id,
        household_id=None,
        short_description="CANARY-CASE-stranger-roof",
    )
    await queue_email(
        template="case_closed",
        to="zebulon.private@example.net",
        context={
            "name": "Zebulon",
            "number": "CS9999999",
            "short_description": "CANARY-EMAIL-subject",
            "link": "https://portal.example.com/cases/CS9999999",
        },
        key="canary:1",
    )
    await mailbox.settle()
    mailbox.clear()

    # when
    ready = await ready_export(world.client("member"), world.member, mailbox)
    response = await download(http, world.client("member"), ready.token)

    # then
    assert response.status_code == 200, response.text
    files = entries(response.content)
    everything = response.content + b"".join(files.values())
    planted = [
        "Zebulon",
        "Quillfeather",
        "+14155550199",
        "+14155550188",
        "zebulon.private@example.net",
        "other@example.com",
        "stranger@example.com",
        "99 Canary Lane",
        "CANARY-CASE-zebulon-boiler",
        "CANARY-COMMENT-zebulon",
        "CANARY-WORKNOTE-xyzzy",
        "CANARY-CASE-stranger-roof",
        "CANARY-EMAIL-subject",
        "CS9999999",
        other_case.number,
        world.other.number,
        world.stranger.number,
        world.head.email,
    ]
    found = [value for value in planted if value.encode() in everything]
    assert found == []
    # the check can see: the member's own values are there
    assert b"Second case of the member" in files["data.json"]
    assert b"Restarted it, still broken." in files["summary.html"]


async def test_the_link_works_once_and_only_for_the_consumer(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    await open_case(world)
    await mailbox.settle()
    mailbox.clear()
    ready = await ready_export(world.client("member"), world.member, mailbox)
    key = await stored_key(ready.export_id)

    # when
    anonymous = await download(http, world.client("anonymous"), ready.token)
    stranger = await download(http, world.client("stranger"), ready.token)
    head = await download(http, world.client("head"), ready.token)
    wrong = await download(http, world.client("member"), ready.token[:-2] + "xx")
    first = await download(http, world.client("member"), ready.token)
    second = await download(http, world.client("member"), ready.token)

    # then
    assert anonymous.status_code == 401
    assert stranger.status_code == 404
    assert head.status_code == 404
    assert wrong.status_code == 404
    assert first.status_code == 200
    assert "data.json" in entries(first.content)
    assert second.status_code == 404
    assert await gone(key)
    state = await world.client("member").data(NODE, {"id": ready.export_id})
    assert state["node"]["state"] == "DOWNLOADED"
    for name in ("createdAt", "finishedAt", "expiresAt", "downloadedAt"):
        assert DATETIME.fullmatch(state["node"][name]), (name, state["node"][name])
    downloads = await AuditEvent.filter(kind=AuditKind.DATA_EXPORT_DOWNLOADED).values_list(
        "consumer_id", "actor_id"
    )
    assert downloads == [(world.member.id, world.member.user_id)]


async def test_two_downloads_at_once_one_succeeds(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    ready = await ready_export(world.client("member"), world.member, mailbox)

    # when
    responses = await asyncio.gather(
        *(download(http, world.client("member"), ready.token) for _ in range(4))
    )

    # then
    assert sorted(r.status_code for r in responses) == [200, 404, 404, 404]


async def test_the_link_does_not_work_after_it_expires(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    ready = await ready_export(world.client("member"), world.member, mailbox)
    key = await stored_key(ready.export_id)
    state = await world.client("member").data(NODE, {"id": ready.export_id})
    expires = dt.datetime.fromisoformat(state["node"]["expiresAt"])
    assert dt.timedelta(hours=71) < expires - clock.now() <= dt.timedelta(hours=72)

    # when: 73 hours later (a new login: the old access token expired too)
    clock.travel(dt.timedelta(hours=73))
    member = await login(http, "member@example.com")
    late = await download(http, member, ready.token)
    await expire_data_exports()

    # then: refused like an unknown link; the sweep marked it and deleted the file
    assert late.status_code == 404
    assert not path_of(key).exists()
    state = await member.data(NODE, {"id": ready.export_id})
    assert state["node"]["state"] == "EXPIRED"
    assert (await download(http, member, ready.token)).status_code == 404


async def test_progress_shows_to_the_consumer_and_administrators_only(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    payload = await ask(world.client("member"), world.member)
    assert payload["errors"] == []
    assert payload["dataExport"]["state"] == "QUEUED"
    export_id = payload["dataExport"]["id"]
    await mailbox.settle()
    member_gid = gid("Consumer", world.member.id)

    # when
    seen = {
        who: (
            (await world.client(who).post(NODE, {"id": export_id})).json(),
            (await world.client(who).post(LIST, {"id": member_gid})).json(),
        )
        for who in ("member", "admin", "head", "rep", "stranger", "agent", "anonymous")
    }

    # then
    for who in ("member", "admin"):
        node, listed = seen[who]
        assert node["data"]["node"]["state"] == "READY", who
        assert node["data"]["node"]["size"] > 0
        assert node["data"]["node"]["expiresAt"]
        assert listed["data"]["dataExports"] == [{"id": export_id, "state": "READY"}], who
    for who in ("head", "rep", "stranger", "agent"):
        node, listed = seen[who]
        assert node["data"]["node"] is None, who
        assert listed["data"]["dataExports"] == [], who
    node, listed = seen["anonymous"]
    assert node["data"]["node"] is None
    assert listed["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_nobody_else_may_ask_for_a_consumers_export(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    grandma = await make_consumer(first_name="Grand", last_name="Ma")
    await represent(world.member, grandma)

    # when
    asked = {
        "member for a co-member": await ask(world.client("member"), world.other),
        "member for whom they represent": await ask(world.client("member"), grandma),
        "head for a member": await ask(world.client("head"), world.member),
        "representative": await ask(world.client("rep"), world.member),
        "agent": await ask(world.client("agent"), world.member),
    }
    missing = await world.client("member").execute(
        EXPORT, {"i": {"consumerId": gid("Consumer", 999999)}}
    )

    # then
    codes = {who: [e["code"] for e in p["errors"]] for who, p in asked.items()}
    assert codes == {
        "member for a co-member": ["NOT_FOUND"],
        "member for whom they represent": ["NOT_FOUND"],
        "head for a member": ["NOT_FOUND"],
        "representative": ["NOT_FOUND"],
        "agent": ["FORBIDDEN"],
    }
    assert all(p["dataExport"] is None for p in asked.values())
    assert missing["data"]["consumerDataExport"]["errors"] == [
        {"field": "consumerId", "code": "NOT_FOUND"}
    ]
    assert await DataExport.all().count() == 0
    assert await AuditEvent.filter(kind=AuditKind.DATA_EXPORT_REQUESTED).count() == 0


async def test_an_administrator_may_ask_and_download(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)

    # when
    ready = await ready_export(world.client("admin"), world.member, mailbox)
    again = await ask(world.client("admin"), world.member)
    response = await download(http, world.client("admin"), ready.token)

    # then: the link went to the member, and works for the administrator too
    assert response.status_code == 200
    data = json.loads(entries(response.content)["data.json"])
    assert data["consumer"]["number"] == world.member.number
    assert again["errors"] == []
    requested = await AuditEvent.filter(kind=AuditKind.DATA_EXPORT_REQUESTED).values_list(
        "actor_id", "consumer_id", "target_type"
    )
    assert requested == [(world.ids["admin"], world.member.id, "DataExport")] * 2
    await mailbox.settle()
    assert (await DataExport.filter(state=ExportState.READY).count()) == 1
